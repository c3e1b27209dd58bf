/* bench_conv.c — conv2d forward, backward-data and backward-weights for every distinct
 * layer shape of the small ResNet (28x28x1, batch 256, width 16 and 32), ResNet-18 and
 * ResNet-50 (32x32x3, small stem, a reduced batch so the run stays short on a CPU). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bench_gemm_cases.h"
#include "bench_models.h"
#include "ops/conv2d_igemm.h"
#include "ops/conv2d_paths.h"

typedef enum { PASS_FORWARD = 0, PASS_BACKWARD_DATA, PASS_BACKWARD_WEIGHTS } ConvPass;
static const char *const pass_names[3] = {"fwd", "bwd-data", "bwd-weights"};

typedef struct {
    Conv2dShape s;
    int out_h, out_w;
    ConvPass pass;
    Buffer *in, *weight, *out, *d_out, *d_in, *d_weight;
    float *h_in, *h_weight, *h_d_out;
} ConvRun;

static Status run_conv(Device *device, void *context) {
    ConvRun *r = context;
    switch (r->pass) {
    case PASS_FORWARD:
        return conv2d_forward(device, view_of(r->out), view_of(r->in), view_of(r->weight), &r->s);
    case PASS_BACKWARD_DATA:
        return conv2d_backward_data(device, view_of(r->d_in), view_of(r->d_out), view_of(r->weight), &r->s, false);
    case PASS_BACKWARD_WEIGHTS:
        return conv2d_backward_weights(device, view_of(r->d_weight), view_of(r->d_out), view_of(r->in), &r->s);
    }
    return error_set(BC_ERR_USAGE, "unknown conv pass");
}

static size_t in_index(const Conv2dShape *s, int n, int c, int y, int x) {
    return (((size_t)n * s->c_in + c) * s->h + y) * s->w + x;
}
static size_t weight_index(const Conv2dShape *s, int co, int ci, int ky, int kx) {
    return (((size_t)co * s->c_in + ci) * s->kernel_h + ky) * s->kernel_w + kx;
}
static size_t out_index(const ConvRun *r, int n, int c, int y, int x) {
    return (((size_t)n * r->s.c_out + c) * r->out_h + y) * r->out_w + x;
}

/* One element of the pass's result, by the definition of the convolution, in double. */
static void reference_element(const ConvRun *r, size_t index, double *want, double *magnitude) {
    const Conv2dShape *s = &r->s;
    double acc = 0, mag = 0;
    if (r->pass == PASS_FORWARD) {
        int ox = (int)(index % r->out_w), oy = (int)(index / r->out_w % r->out_h);
        int co = (int)(index / ((size_t)r->out_w * r->out_h) % s->c_out);
        int n = (int)(index / ((size_t)r->out_w * r->out_h * s->c_out));
        for (int ci = 0; ci < s->c_in; ci++)
            for (int ky = 0; ky < s->kernel_h; ky++)
                for (int kx = 0; kx < s->kernel_w; kx++) {
                    int y = oy * s->stride - s->pad + ky, x = ox * s->stride - s->pad + kx;
                    if (y < 0 || y >= s->h || x < 0 || x >= s->w) continue;
                    double t = (double)r->h_in[in_index(s, n, ci, y, x)] * r->h_weight[weight_index(s, co, ci, ky, kx)];
                    acc += t;
                    mag += fabs(t);
                }
    } else if (r->pass == PASS_BACKWARD_DATA) {
        int x = (int)(index % s->w), y = (int)(index / s->w % s->h);
        int ci = (int)(index / ((size_t)s->w * s->h) % s->c_in), n = (int)(index / ((size_t)s->w * s->h * s->c_in));
        for (int co = 0; co < s->c_out; co++)
            for (int ky = 0; ky < s->kernel_h; ky++)
                for (int kx = 0; kx < s->kernel_w; kx++) {
                    int ty = y + s->pad - ky, tx = x + s->pad - kx;
                    if (ty < 0 || tx < 0 || ty % s->stride || tx % s->stride) continue;
                    int oy = ty / s->stride, ox = tx / s->stride;
                    if (oy >= r->out_h || ox >= r->out_w) continue;
                    double t = (double)r->h_d_out[out_index(r, n, co, oy, ox)] * r->h_weight[weight_index(s, co, ci, ky, kx)];
                    acc += t;
                    mag += fabs(t);
                }
    } else {
        int kx = (int)(index % s->kernel_w), ky = (int)(index / s->kernel_w % s->kernel_h);
        int ci = (int)(index / ((size_t)s->kernel_w * s->kernel_h) % s->c_in);
        int co = (int)(index / ((size_t)s->kernel_w * s->kernel_h * s->c_in));
        for (int n = 0; n < s->n; n++)
            for (int oy = 0; oy < r->out_h; oy++)
                for (int ox = 0; ox < r->out_w; ox++) {
                    int y = oy * s->stride - s->pad + ky, x = ox * s->stride - s->pad + kx;
                    if (y < 0 || y >= s->h || x < 0 || x >= s->w) continue;
                    double t = (double)r->h_d_out[out_index(r, n, co, oy, ox)] * r->h_in[in_index(s, n, ci, y, x)];
                    acc += t;
                    mag += fabs(t);
                }
    }
    *want = acc;
    *magnitude = mag;
}

static Status check_pass(Bench *b, ConvRun *r, const char *what) {
    const Conv2dShape *s = &r->s;
    size_t counts[3] = {(size_t)s->n * s->c_out * r->out_h * r->out_w, (size_t)s->n * s->c_in * s->h * s->w,
                        (size_t)s->c_out * s->c_in * s->kernel_h * s->kernel_w};
    Buffer *result = r->pass == PASS_FORWARD ? r->out : r->pass == PASS_BACKWARD_DATA ? r->d_in : r->d_weight;
    size_t count = counts[r->pass];
    /* Backward-weights accumulates: start from zero so one call is the whole answer. */
    Status st = buffer_fill_zero(b->device, result, 0, count * sizeof(float));
    float *got;
    if (st == BC_OK) st = run_conv(b->device, r);
    if (st == BC_OK) st = bench_download(b->device, result, count, &got);
    if (st != BC_OK) return st;
    for (int i = 0; st == BC_OK && i < 16; i++) {
        size_t index = i == 0 ? 0 : i == 1 ? count - 1 : (size_t)((unsigned long long)i * 2654435761ull % count);
        double want, magnitude;
        reference_element(r, index, &want, &magnitude);
        st = bench_expect_close(b, what, index, got[index], want, magnitude);
    }
    free(got);
    return st;
}

static void release_run(ConvRun *r) {
    Buffer *buffers[6] = {r->in, r->weight, r->out, r->d_out, r->d_in, r->d_weight};
    for (int i = 0; i < 6; i++) buffer_release(buffers[i]);
    free(r->h_in);
    free(r->h_weight);
    free(r->h_d_out);
}

static void row_name(const ModelSpec *model, const ConvLayer *layer, int pass, char *out, size_t cap) {
    if (layer->repeats > 1)
        snprintf(out, cap, "%.16s %.28s (x%d) %s", model->label, layer->name, layer->repeats, pass_names[pass]);
    else
        snprintf(out, cap, "%.16s %.32s %s", model->label, layer->name, pass_names[pass]);
}

static Status bench_layer(Bench *b, const ModelSpec *model, const ConvLayer *layer) {
    bool wanted[3], any = false;
    for (int pass = 0; pass < 3; pass++) {
        char name[64];
        row_name(model, layer, pass, name, sizeof name);
        any |= wanted[pass] = bench_selected(b, "conv", name);
    }
    if (!any) return BC_OK;
    ConvRun r = {.s = layer->shape};
    const Conv2dShape *s = &r.s;
    r.out_h = conv2d_out_h(s);
    r.out_w = conv2d_out_w(s);
    size_t in_count = (size_t)s->n * s->c_in * s->h * s->w;
    size_t w_count = (size_t)s->c_out * s->c_in * s->kernel_h * s->kernel_w;
    size_t out_count = (size_t)s->n * s->c_out * r.out_h * r.out_w;
    Status st = bench_upload_random(b, in_count, -1.0f, 1.0f, &r.in, &r.h_in);
    if (st == BC_OK) st = bench_upload_random(b, w_count, -0.5f, 0.5f, &r.weight, &r.h_weight);
    if (st == BC_OK) st = bench_upload_random(b, out_count, -1.0f, 1.0f, &r.d_out, &r.h_d_out);
    if (st == BC_OK) st = buffer_create(b->device, out_count * sizeof(float), &r.out);
    if (st == BC_OK) st = buffer_create(b->device, in_count * sizeof(float), &r.d_in);
    if (st == BC_OK) st = buffer_create(b->device, w_count * sizeof(float), &r.d_weight);
    GemmPath path = device_profile_get(b->device, "GEMM_PATH") == GEMM_PATH_CLBLAST
                        ? GEMM_PATH_CLBLAST : GEMM_PATH_OURS;
    BenchRow row = {.section = "conv", .rate_kind = RATE_FLOPS,
                    .work = 2.0 * (double)out_count * s->c_in * s->kernel_h * s->kernel_w};
    char gemm_name[32];
    gemm_implementation_name(b->device, path, gemm_name, sizeof gemm_name);
    conv_shape_text(s, row.shape, sizeof row.shape);
    for (int pass = 0; st == BC_OK && pass < 3; pass++) {
        if (!wanted[pass]) continue;
        r.pass = (ConvPass)pass;
        const char *path = conv2d_path_name(b->device, s, (Conv2dPass)pass);
        if (strcmp(path, "im2col + GEMM") == 0) snprintf(row.impl, sizeof row.impl, "im2col + %s", gemm_name);
        else if (strcmp(path, "GEMM + col2im") == 0) snprintf(row.impl, sizeof row.impl, "%s + col2im", gemm_name);
        else if (strcmp(path, "implicit GEMM") == 0) {
            ConvIgemmParams g = conv2d_igemm_params(b->device);
            snprintf(row.impl, sizeof row.impl, "implicit GEMM wg%dx%d t%dx%d k%d", g.wg_m, g.wg_n, g.tile_m, g.tile_n,
                     g.tile_k);
        } else snprintf(row.impl, sizeof row.impl, "%s", path);
        row_name(model, layer, pass, row.name, sizeof row.name);
        char what[256];
        snprintf(what, sizeof what, "conv %s %s", row.name, row.shape);
        st = check_pass(b, &r, what);
        if (st == BC_OK && !b->check_only) st = bench_measure(b, row, run_conv, &r);
    }
    release_run(&r);
    return st;
}

Status bench_conv(Bench *b) {
    /* Batches: the training batch for the small ResNet; a reduced one for the big encoders,
     * whose time per image is what matters here. */
    const ModelSpec models[] = {
        {"small-w16", MODEL_SMALL, 1, 28, 16, b->quick ? 3 : 256, 512, 128},
        {"small-w32", MODEL_SMALL, 1, 28, 32, 256, 512, 128},
        {"resnet18", MODEL_RESNET18, 3, 32, 64, b->quick ? 1 : 8, 4096, 256},
        {"resnet50", MODEL_RESNET50, 3, 32, 64, b->quick ? 1 : 2, 4096, 256},
    };
    bench_section_header(b, "conv", "NCHW, no bias; small ResNet at batch 256, ResNet-18/50 at 32x32x3 "
                                     "with a reduced batch; (xN) = N layers of that shape");
    Status st = BC_OK;
    for (size_t m = 0; st == BC_OK && m < sizeof models / sizeof models[0]; m++) {
        if (b->quick && models[m].arch == MODEL_SMALL && models[m].width != 16) continue;
        ConvLayer layers[MODEL_MAX_CONVS];
        int count = model_conv_layers(&models[m], layers, MODEL_MAX_CONVS);
        for (int l = 0; st == BC_OK && l < count; l++) st = bench_layer(b, &models[m], &layers[l]);
    }
    return st == BC_OK ? BC_OK : error_wrap(st, "conv: ");
}
