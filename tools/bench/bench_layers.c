/* bench_layers.c — the memory-bound layer ops on the shapes the models produce: batch norm
 * (training forward, backward), ReLU, the residual add, max and global average pooling, L2
 * normalization and the losses. Each is checked whole against the tests' double references
 * (tests/ref/) before it is timed; GB/s counts every tensor the op reads or writes once. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bench_models.h"
#include "ref/batchnorm_ref.h"
#include "ref/elementwise_ref.h"
#include "ref/loss_ref.h"
#include "ref/pool_ref.h"

typedef enum {
    OP_BN_FORWARD, OP_BN_BACKWARD, OP_RELU_FORWARD, OP_RELU_BACKWARD, OP_ADD_FORWARD,
    OP_ADD_BACKWARD, OP_MAXPOOL_FORWARD, OP_MAXPOOL_BACKWARD, OP_AVGPOOL_FORWARD,
    OP_AVGPOOL_BACKWARD, OP_L2_NORMALIZE, OP_BYOL_LOSS_FORWARD, OP_BYOL_LOSS_BACKWARD,
    OP_SOFTMAX_CE_FORWARD, OP_SOFTMAX_CE_BACKWARD
} LayerOp;

/* A (n, c, h, w) activation (rows x dim for the losses: n = rows, c = dim, h = w = 1). */
typedef struct {
    LayerOp op;
    int n, c, h, w;
    size_t count, out_count; /* elements in, out */
    Buffer *x, *y, *dy, *dx, *aux;    /* inputs, outputs and gradients by op */
    Buffer *gamma, *beta, *mean, *invstd, *run_mean, *run_var, *d_gamma, *d_beta;
    float *hx, *hy, *hdy;
    int *labels;
} LayerRun;

static View v(Buffer *buffer) { return view_of(buffer); }

static Status run_layer(Device *device, void *context) {
    LayerRun *r = context;
    BatchNormShape bn = {r->n, r->c, r->h * r->w, 1e-5f, 0.1f};
    PoolShape pool = {r->n, r->c, r->h, r->w};
    switch (r->op) {
    case OP_BN_FORWARD:
        return batchnorm_forward_train(device, v(r->y), v(r->mean), v(r->invstd), v(r->run_mean),
                                       v(r->run_var), v(r->x), v(r->gamma), v(r->beta), &bn);
    case OP_BN_BACKWARD:
        return batchnorm_backward(device, v(r->dx), v(r->d_gamma), v(r->d_beta), v(r->dy), v(r->x),
                                  v(r->mean), v(r->invstd), v(r->gamma), &bn);
    case OP_RELU_FORWARD: return relu_forward(device, v(r->y), v(r->x), r->count);
    case OP_RELU_BACKWARD: return relu_backward(device, v(r->dx), v(r->dy), v(r->x), r->count);
    case OP_ADD_FORWARD: return residual_add_forward(device, v(r->y), v(r->x), v(r->dy), r->count);
    case OP_ADD_BACKWARD: return residual_add_backward(device, v(r->dx), v(r->dy), r->count);
    case OP_MAXPOOL_FORWARD: return maxpool_forward(device, v(r->y), v(r->aux), v(r->x), &pool);
    case OP_MAXPOOL_BACKWARD: return maxpool_backward(device, v(r->dx), v(r->dy), v(r->aux), &pool);
    case OP_AVGPOOL_FORWARD: return global_avgpool_forward(device, v(r->y), v(r->x), &pool);
    case OP_AVGPOOL_BACKWARD: return global_avgpool_backward(device, v(r->dx), v(r->dy), &pool);
    case OP_L2_NORMALIZE: return l2_normalize_forward(device, v(r->y), v(r->x), r->n, r->c);
    case OP_BYOL_LOSS_FORWARD: return byol_loss_forward(device, v(r->y), v(r->x), v(r->dy), r->n, r->c);
    case OP_BYOL_LOSS_BACKWARD:
        return byol_loss_backward(device, v(r->dx), v(r->x), v(r->dy), r->n, r->c, 1.0f);
    case OP_SOFTMAX_CE_FORWARD:
        return softmax_cross_entropy_forward(device, v(r->y), v(r->aux), v(r->x), v(r->dy), r->n, r->c);
    case OP_SOFTMAX_CE_BACKWARD:
        return softmax_cross_entropy_backward(device, v(r->dx), v(r->aux), v(r->dy), r->n, r->c);
    }
    return error_set(BC_ERR_USAGE, "unknown layer op");
}

/* Runs the op once and compares its main output with the reference on the same inputs. */
static Status check_layer(Bench *b, LayerRun *r, const char *what) {
    size_t n = r->count, no = r->out_count;
    int spatial = r->h * r->w;
    double *x = bench_doubles_of(r->hx, n), *dy = bench_doubles_of(r->hdy, r->op == OP_BYOL_LOSS_FORWARD ||
                                                         r->op == OP_BYOL_LOSS_BACKWARD ? n : no);
    double *want = calloc(n > no ? n : no, sizeof *want), *scratch = calloc(2 * (size_t)r->c + 2, sizeof *scratch);
    double *ones = malloc((size_t)r->c * sizeof *ones), *zeros = calloc((size_t)r->c, sizeof *zeros);
    int *argmax = malloc((no ? no : 1) * sizeof *argmax);
    Status st = x && dy && want && scratch && ones && zeros && argmax ? BC_OK
                                                                       : error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    for (int i = 0; st == BC_OK && i < r->c; i++) ones[i] = 1.0;
    /* Backward passes need the forward's saved state: run the forward op first. */
    LayerRun forward = *r;
    if (r->op == OP_BN_BACKWARD) forward.op = OP_BN_FORWARD;
    if (r->op == OP_MAXPOOL_BACKWARD) forward.op = OP_MAXPOOL_FORWARD;
    if (r->op == OP_SOFTMAX_CE_BACKWARD) forward.op = OP_SOFTMAX_CE_FORWARD;
    if (st == BC_OK && forward.op != r->op) st = run_layer(b->device, &forward);
    if (st == BC_OK && r->d_gamma) st = buffer_fill_zero(b->device, r->d_gamma, 0, (size_t)r->c * sizeof(float));
    if (st == BC_OK && r->op == OP_ADD_BACKWARD) st = buffer_fill_zero(b->device, r->dx, 0, n * sizeof(float));
    if (st == BC_OK) st = run_layer(b->device, r);
    if (st != BC_OK) goto done;
    const Buffer *result = r->dx;
    switch (r->op) {
    case OP_BN_FORWARD:
        batchnorm_ref_forward_train(want, scratch, scratch + r->c, NULL, NULL, x, ones, zeros, r->n, r->c,
                                    spatial, 1e-5, 0.1);
        result = r->y;
        break;
    case OP_BN_BACKWARD: {
        double *d_gamma = calloc((size_t)r->c, sizeof *d_gamma), *d_beta = calloc((size_t)r->c, sizeof *d_beta);
        double *out = malloc(n * sizeof *out);
        if (d_gamma && d_beta && out) {
            batchnorm_ref_forward_train(out, scratch, scratch + r->c, NULL, NULL, x, ones, zeros, r->n,
                                        r->c, spatial, 1e-5, 0.1);
            batchnorm_ref_backward(want, d_gamma, d_beta, dy, x, scratch, scratch + r->c, ones, r->n, r->c, spatial);
        } else st = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
        free(d_gamma);
        free(d_beta);
        free(out);
        break;
    }
    case OP_RELU_FORWARD: relu_ref_forward(want, x, n); result = r->y; break;
    case OP_RELU_BACKWARD: relu_ref_backward(want, dy, x, n); break;
    case OP_ADD_FORWARD: residual_add_ref_forward(want, x, dy, n); result = r->y; break;
    case OP_ADD_BACKWARD: residual_add_ref_backward(want, dy, n); break;
    case OP_MAXPOOL_FORWARD: maxpool_ref_forward(want, argmax, x, r->n, r->c, r->h, r->w); result = r->y; break;
    case OP_MAXPOOL_BACKWARD: {
        double *out = malloc(no * sizeof *out);
        if (out) {
            maxpool_ref_forward(out, argmax, x, r->n, r->c, r->h, r->w);
            maxpool_ref_backward(want, dy, argmax, r->n, r->c, r->h, r->w);
        } else st = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
        free(out);
        break;
    }
    case OP_AVGPOOL_FORWARD: global_avgpool_ref_forward(want, x, r->n, r->c, r->h, r->w); result = r->y; break;
    case OP_AVGPOOL_BACKWARD: global_avgpool_ref_backward(want, dy, r->n, r->c, r->h, r->w); break;
    case OP_L2_NORMALIZE: l2_normalize_ref_forward(want, x, r->n, r->c); result = r->y; break;
    case OP_BYOL_LOSS_FORWARD: want[0] = byol_loss_ref_forward(x, dy, r->n, r->c); result = r->y; break;
    case OP_BYOL_LOSS_BACKWARD: byol_loss_ref_backward(want, x, dy, r->n, r->c, 1.0); break;
    case OP_SOFTMAX_CE_FORWARD:
        want[0] = softmax_cross_entropy_ref_forward(NULL, x, r->labels, r->n, r->c);
        result = r->y;
        break;
    case OP_SOFTMAX_CE_BACKWARD: {
        double *probs = malloc(n * sizeof *probs);
        if (probs) {
            softmax_cross_entropy_ref_forward(probs, x, r->labels, r->n, r->c);
            softmax_cross_entropy_ref_backward(want, probs, r->labels, r->n, r->c);
        } else st = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
        free(probs);
        break;
    }
    }
    size_t result_count = result == r->y ? no : n;
    if (st == BC_OK) st = bench_expect_buffer_close(b, what, result, want, result_count, 1e-3);
done:
    free(x);
    free(dy);
    free(want);
    free(scratch);
    free(ones);
    free(zeros);
    free(argmax);
    return st;
}

static Status make(Bench *b, size_t n, Buffer **buffer) {
    (void)b;
    return buffer_create(b->device, (n ? n : 1) * sizeof(float), buffer);
}

static void release_layer(LayerRun *r) {
    Buffer *all[] = {r->x, r->y, r->dy, r->dx, r->aux, r->gamma, r->beta, r->mean, r->invstd,
                     r->run_mean, r->run_var, r->d_gamma, r->d_beta};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) buffer_release(all[i]);
    free(r->hx);
    free(r->hy);
    free(r->hdy);
    free(r->labels);
}

static const char *op_name(LayerOp op) {
    static const char *const names[] = {
        "batchnorm fwd-train", "batchnorm bwd", "relu fwd", "relu bwd", "residual-add fwd",
        "residual-add bwd", "maxpool 3x3/2 fwd", "maxpool 3x3/2 bwd", "global-avgpool fwd",
        "global-avgpool bwd", "l2-normalize", "byol-loss fwd", "byol-loss bwd", "softmax-ce fwd",
        "softmax-ce bwd"};
    return names[op];
}

static Status bench_layer_op(Bench *b, LayerOp op, const char *label, int n, int c, int h, int w) {
    char name[64];
    snprintf(name, sizeof name, "%s %s", label, op_name(op));
    if (!bench_selected(b, "layers", name)) return BC_OK;
    LayerRun r = {.op = op, .n = n, .c = c, .h = h, .w = w};
    r.count = (size_t)n * c * h * w;
    bool maxpool = op == OP_MAXPOOL_FORWARD || op == OP_MAXPOOL_BACKWARD;
    bool avgpool = op == OP_AVGPOOL_FORWARD || op == OP_AVGPOOL_BACKWARD;
    bool scalar_out = op == OP_BYOL_LOSS_FORWARD || op == OP_SOFTMAX_CE_FORWARD;
    int pooled = maxpool_out_size(h) * maxpool_out_size(w);
    r.out_count = maxpool ? (size_t)n * c * pooled : avgpool ? (size_t)n * c : scalar_out ? 1 : r.count;
    size_t dy_count = op == OP_BYOL_LOSS_FORWARD || op == OP_BYOL_LOSS_BACKWARD || op == OP_ADD_FORWARD
                          || op == OP_ADD_BACKWARD || op == OP_BN_BACKWARD || op == OP_RELU_BACKWARD
                          ? r.count : op == OP_SOFTMAX_CE_FORWARD || op == OP_SOFTMAX_CE_BACKWARD ? 0 : r.out_count;
    Status st = bench_upload_random(b, r.count, -2.0f, 2.0f, &r.x, &r.hx);
    if (st == BC_OK && dy_count) st = bench_upload_random(b, dy_count, -1.0f, 1.0f, &r.dy, &r.hdy);
    if (st == BC_OK) st = make(b, r.out_count, &r.y);
    if (st == BC_OK) st = make(b, r.count, &r.dx);
    if (st == BC_OK && (maxpool || op == OP_SOFTMAX_CE_FORWARD || op == OP_SOFTMAX_CE_BACKWARD))
        st = make(b, maxpool ? r.out_count : r.count, &r.aux);
    if (st == BC_OK && (op == OP_SOFTMAX_CE_FORWARD || op == OP_SOFTMAX_CE_BACKWARD)) {
        r.labels = malloc((size_t)n * sizeof *r.labels);
        if (!r.labels) st = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
        for (int i = 0; st == BC_OK && i < n; i++) r.labels[i] = (i * 7) % c;
        if (st == BC_OK) st = make(b, (size_t)n, &r.dy);
        if (st == BC_OK) st = buffer_write(b->device, r.dy, 0, (size_t)n * sizeof(int), r.labels);
    }
    if (st == BC_OK && (op == OP_BN_FORWARD || op == OP_BN_BACKWARD)) {
        float *ones = malloc((size_t)c * sizeof *ones);
        if (!ones) st = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
        for (int i = 0; st == BC_OK && i < c; i++) ones[i] = 1.0f;
        Buffer **per_channel[] = {&r.gamma, &r.beta, &r.mean, &r.invstd, &r.run_mean, &r.run_var, &r.d_gamma, &r.d_beta};
        for (size_t i = 0; st == BC_OK && i < sizeof per_channel / sizeof per_channel[0]; i++) {
            st = make(b, (size_t)c, per_channel[i]);
            if (st == BC_OK) st = buffer_fill_zero(b->device, *per_channel[i], 0, (size_t)c * sizeof(float));
        }
        if (st == BC_OK) st = buffer_write(b->device, r.gamma, 0, (size_t)c * sizeof(float), ones);
        if (st == BC_OK) st = buffer_write(b->device, r.run_var, 0, (size_t)c * sizeof(float), ones);
        free(ones);
    }
    /* Tensors each op reads or writes once (elements). */
    double tensors[] = {
        [OP_BN_FORWARD] = 2.0 * r.count, [OP_BN_BACKWARD] = 3.0 * r.count,
        [OP_RELU_FORWARD] = 2.0 * r.count, [OP_RELU_BACKWARD] = 3.0 * r.count,
        [OP_ADD_FORWARD] = 3.0 * r.count, [OP_ADD_BACKWARD] = 3.0 * r.count,
        [OP_MAXPOOL_FORWARD] = r.count + 2.0 * r.out_count, [OP_MAXPOOL_BACKWARD] = r.count + 2.0 * r.out_count,
        [OP_AVGPOOL_FORWARD] = r.count + (double)r.out_count, [OP_AVGPOOL_BACKWARD] = r.count + (double)r.out_count,
        [OP_L2_NORMALIZE] = 2.0 * r.count, [OP_BYOL_LOSS_FORWARD] = 2.0 * r.count,
        [OP_BYOL_LOSS_BACKWARD] = 3.0 * r.count, [OP_SOFTMAX_CE_FORWARD] = 2.0 * r.count,
        [OP_SOFTMAX_CE_BACKWARD] = 2.0 * r.count};
    BenchRow row = {.section = "layers", .rate_kind = RATE_BYTES, .work = tensors[op] * sizeof(float)};
    snprintf(row.name, sizeof row.name, "%s", name);
    if (h * w > 1) snprintf(row.shape, sizeof row.shape, "n%d c%d %dx%d", n, c, h, w);
    else snprintf(row.shape, sizeof row.shape, "%d x %d", n, c);
    snprintf(row.impl, sizeof row.impl, "ops");
    char what[256];
    snprintf(what, sizeof what, "%s %s", row.name, row.shape);
    if (st == BC_OK) st = check_layer(b, &r, what);
    if (st == BC_OK && !b->check_only) st = bench_measure(b, row, run_layer, &r);
    release_layer(&r);
    return st;
}

Status bench_layers(Bench *b) {
    bench_section_header(b, "layers", "GB/s counts each tensor read or written once");
    Status st = BC_OK;
    int batch = b->quick ? 3 : 256;
    for (int wi = 0; st == BC_OK && wi < (b->quick ? 1 : 2); wi++) {
        char label[32];
        snprintf(label, sizeof label, "small-w%d", 16 << wi);
        ModelSpec model = {label, MODEL_SMALL, 1, 28, 16 << wi, batch, 512, 128};
        ConvLayer layers[MODEL_MAX_CONVS];
        int count = model_conv_layers(&model, layers, MODEL_MAX_CONVS);
        /* One activation per distinct conv output (n, c, h, w). */
        int seen[MODEL_MAX_CONVS][2], distinct = 0;
        for (int l = 0; st == BC_OK && l < count; l++) {
            const Conv2dShape *s = &layers[l].shape;
            int c = s->c_out, size = conv2d_out_h(s);
            bool again = false;
            for (int i = 0; i < distinct; i++) again |= seen[i][0] == c && seen[i][1] == size;
            if (again) continue;
            seen[distinct][0] = c;
            seen[distinct++][1] = size;
            const LayerOp ops[] = {OP_BN_FORWARD, OP_BN_BACKWARD, OP_RELU_FORWARD, OP_RELU_BACKWARD,
                                   OP_ADD_FORWARD, OP_ADD_BACKWARD};
            for (size_t o = 0; st == BC_OK && o < sizeof ops / sizeof ops[0]; o++)
                st = bench_layer_op(b, ops[o], label, batch, c, size, size);
        }
        int last = count - 1;
        while (last > 0 && layers[last].shape.kernel_h == 1) last--; /* the final block's conv */
        int c = layers[last].shape.c_out, size = conv2d_out_h(&layers[last].shape);
        if (st == BC_OK) st = bench_layer_op(b, OP_AVGPOOL_FORWARD, label, batch, c, size, size);
        if (st == BC_OK) st = bench_layer_op(b, OP_AVGPOOL_BACKWARD, label, batch, c, size, size);
        /* The heads' batch norm over (batch, hidden). */
        if (st == BC_OK) st = bench_layer_op(b, OP_BN_FORWARD, label, batch, model.head_hidden, 1, 1);
        if (st == BC_OK) st = bench_layer_op(b, OP_BN_BACKWARD, label, batch, model.head_hidden, 1, 1);
    }
    /* The ImageNet stem's max pool: ResNet-18 on 96x96x3 (STL-10) after the 7x7/2 conv. */
    int pool_batch = b->quick ? 2 : 64, pool_size = b->quick ? 9 : 48;
    if (st == BC_OK) st = bench_layer_op(b, OP_MAXPOOL_FORWARD, "resnet18-96px", pool_batch, 64, pool_size, pool_size);
    if (st == BC_OK) st = bench_layer_op(b, OP_MAXPOOL_BACKWARD, "resnet18-96px", pool_batch, 64, pool_size, pool_size);
    const int dims[2] = {128, 256};
    for (int d = 0; st == BC_OK && d < 2; d++) {
        char label[32];
        snprintf(label, sizeof label, "head-out%d", dims[d]);
        st = bench_layer_op(b, OP_L2_NORMALIZE, label, batch, dims[d], 1, 1);
        if (st == BC_OK) st = bench_layer_op(b, OP_BYOL_LOSS_FORWARD, label, batch, dims[d], 1, 1);
        if (st == BC_OK) st = bench_layer_op(b, OP_BYOL_LOSS_BACKWARD, label, batch, dims[d], 1, 1);
    }
    if (st == BC_OK) st = bench_layer_op(b, OP_SOFTMAX_CE_FORWARD, "probe-10", batch, 10, 1, 1);
    if (st == BC_OK) st = bench_layer_op(b, OP_SOFTMAX_CE_BACKWARD, "probe-10", batch, 10, 1, 1);
    return st == BC_OK ? BC_OK : error_wrap(st, "layers: ");
}
