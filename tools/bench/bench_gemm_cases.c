/* bench_gemm_cases.c — the GEMMs conv2d runs for each layer of the small ResNet, with the
 * sizes its im2col formulation gives them (whole batch as one product):
 *   forward          out (c_out x N*P)      = weight (c_out x K)  * patches (K x N*P)
 *   backward-data    columns (K x N*P)      = weight^T (K x c_out) * d_out (c_out x N*P)
 *   backward-weights d_weight (c_out x K)   = d_out (c_out x N*P) * patches^T
 * with K = c_in * kh * kw and P = out_h * out_w; then square sizes. On GPUs also ResNet-18's
 * and a large square. */
#include <stdio.h>
#include <string.h>

#include "bench_gemm_cases.h"
#include "bench_models.h"

void gemm_case_shape_text(const GemmCase *c, char *out, size_t cap) {
    snprintf(out, cap, "m%d n%d k%d %c%c", c->m, c->n, c->k, c->trans_a ? 'T' : 'N',
             c->trans_b ? 'T' : 'N');
}

/* Appends a case, or counts one more run of an identical one already there. */
static void add_case(GemmCase *out, int *repeats, int cap, int *count, const char *name, int m, int n, int k,
                     bool trans_a, bool trans_b, int times) {
    for (int i = 0; i < *count; i++)
        if (out[i].m == m && out[i].n == n && out[i].k == k && out[i].trans_a == trans_a &&
            out[i].trans_b == trans_b) {
            if (repeats) repeats[i] += times;
            return;
        }
    if (*count == cap) return;
    if (repeats) repeats[*count] = times;
    GemmCase *c = &out[(*count)++];
    snprintf(c->name, sizeof c->name, "%s", name);
    c->m = m;
    c->n = n;
    c->k = k;
    c->trans_a = trans_a;
    c->trans_b = trans_b;
}

int gemm_conv_cases(const ModelSpec *model, GemmCase *out, int *repeats, int cap, int count) {
    ConvLayer layers[MODEL_MAX_CONVS];
    int n_layers = model_conv_layers(model, layers, MODEL_MAX_CONVS);
    for (int l = 0; l < n_layers; l++) {
        const Conv2dShape *s = &layers[l].shape;
        int ksize = s->c_in * s->kernel_h * s->kernel_w;
        int npos = s->n * conv2d_out_h(s) * conv2d_out_w(s), times = layers[l].repeats;
        char name[96];
        snprintf(name, sizeof name, "%.15s %.39s fwd", model->label, layers[l].name);
        add_case(out, repeats, cap, &count, name, s->c_out, npos, ksize, false, false, times);
        snprintf(name, sizeof name, "%.15s %.39s bwd-data", model->label, layers[l].name);
        add_case(out, repeats, cap, &count, name, ksize, npos, s->c_out, true, false, times);
        snprintf(name, sizeof name, "%.15s %.39s bwd-weights", model->label, layers[l].name);
        add_case(out, repeats, cap, &count, name, s->c_out, ksize, npos, false, true, times);
    }
    return count;
}

static int add_square(GemmCase *out, int cap, int count, int size) {
    char name[96];
    snprintf(name, sizeof name, "square %d", size);
    add_case(out, NULL, cap, &count, name, size, size, size, false, false, 1);
    return count;
}

int gemm_model_cases(bool quick, bool gpu, GemmCase *out, int cap) {
    int count = 0;
    const int widths[2] = {16, 32};
    for (int wi = 0; wi < (quick ? 1 : 2); wi++) {
        char label[16];
        snprintf(label, sizeof label, "small-w%d", widths[wi]);
        ModelSpec model = {label, MODEL_SMALL, 1, 28, widths[wi], quick ? 3 : 256, 512, 128};
        count = gemm_conv_cases(&model, out, NULL, cap, count);
    }
    /* GPUs: ResNet-18 at 32x32x3 too (batch 32: every shape of the batch-256 step but the
     * pixel sides, 8x smaller), and a large square, where the kernel should come closest to
     * the FMA peak. */
    if (gpu && !quick) {
        ModelSpec resnet18 = {"resnet18", MODEL_RESNET18, 3, 32, 64, 32, 4096, 256};
        count = gemm_conv_cases(&resnet18, out, NULL, cap, count);
    }
    const int full[3] = {256, 512, 1024}, small[2] = {64, 127};
    for (int i = 0; i < (quick ? 2 : 3); i++) count = add_square(out, cap, count, quick ? small[i] : full[i]);
    if (gpu && !quick) count = add_square(out, cap, count, 4096);
    return count;
}
