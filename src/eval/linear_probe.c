/* linear_probe.c — multinomial logistic regression on frozen features, trained on the
 * device: one linear layer in its own arena, softmax cross-entropy, SGD with momentum and
 * weight decay (weights only) on a cosine learning-rate schedule. Each epoch's shuffled
 * rows are uploaded once, so every step reads a contiguous slice. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/eval.h"
#include "byolcl/init.h"
#include "byolcl/optimizer.h"

void probe_config_default(ProbeConfig *config) {
    *config = (ProbeConfig){.epochs = 100, .batch = 256, .lr = 0.1, .momentum = 0.9, .weight_decay = 1e-4, .seed = 0};
}

typedef struct {
    Device *device;
    Arena *arena;
    int weight, bias;
    int dim, classes, batch;
    Buffer *x, *y, *logits, *probs, *d_logits, *losses;
} Probe;

static void probe_release(Probe *p) {
    arena_destroy(p->arena);
    buffer_release(p->x), buffer_release(p->y), buffer_release(p->logits);
    buffer_release(p->probs), buffer_release(p->d_logits), buffer_release(p->losses);
}

static Status probe_create(Probe *p, Device *device, const ProbeConfig *config, int dim, int classes,
                           size_t rows, size_t steps_per_epoch) {
    memset(p, 0, sizeof *p);
    p->device = device, p->dim = dim, p->classes = classes, p->batch = config->batch;
    size_t bc = (size_t)config->batch * (size_t)classes * sizeof(float);
    Status st = arena_create(&p->arena);
    if (st == BC_OK) st = arena_add_linear(p->arena, "probe", classes, dim, &p->weight, &p->bias);
    if (st == BC_OK) st = arena_allocate(p->arena, device, ARENA_TRAINED);
    if (st == BC_OK) st = arena_init_params(p->arena, config->seed);
    if (st == BC_OK) st = buffer_create(device, rows * (size_t)dim * sizeof(float), &p->x);
    if (st == BC_OK) st = buffer_create(device, rows * sizeof(int32_t), &p->y);
    if (st == BC_OK) st = buffer_create(device, bc, &p->logits);
    if (st == BC_OK) st = buffer_create(device, bc, &p->probs);
    if (st == BC_OK) st = buffer_create(device, bc, &p->d_logits);
    if (st == BC_OK) st = buffer_create(device, steps_per_epoch * sizeof(float), &p->losses);
    return st;
}

/* One SGD step on rows [first, first + n) of the uploaded epoch; the loss goes to slot. */
static Status probe_step(Probe *p, const OptimizerConfig *opt, size_t first, int n, size_t slot, double lr) {
    View x = {p->x, first * (size_t)p->dim}, y = {p->y, first};
    View w = arena_param(p->arena, p->weight), b = arena_param(p->arena, p->bias);
    Status st = arena_zero_grad(p->arena);
    if (st == BC_OK) st = linear_forward(p->device, view_of(p->logits), x, w, b, n, p->dim, p->classes);
    if (st == BC_OK)
        st = softmax_cross_entropy_forward(p->device, (View){p->losses, slot}, view_of(p->probs), view_of(p->logits),
                                           y, n, p->classes);
    if (st == BC_OK)
        st = softmax_cross_entropy_backward(p->device, view_of(p->d_logits), view_of(p->probs), y, n, p->classes);
    if (st == BC_OK)
        st = linear_backward(p->device, VIEW_NONE, arena_grad(p->arena, p->weight), arena_grad(p->arena, p->bias),
                             view_of(p->d_logits), x, w, n, p->dim, p->classes);
    if (st == BC_OK) st = optimizer_step(p->arena, opt, (float)lr);
    return st;
}

/* Shuffles the training rows for `epoch` (seeded) and uploads them. */
static Status upload_epoch(Probe *p, const FeatureSet *train, const size_t *rows, size_t n, uint64_t seed,
                           int epoch, size_t *order, float *x, int32_t *y) {
    for (size_t i = 0; i < n; i++) order[i] = rows ? rows[i] : i;
    uint64_t key = init_entry_key(seed, "probe_order") + (uint64_t)epoch;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rng_uniform(key, i) * (double)i);
        if (j >= i) j = i - 1;
        size_t t = order[i - 1];
        order[i - 1] = order[j], order[j] = t;
    }
    for (size_t i = 0; i < n; i++) {
        memcpy(x + i * (size_t)p->dim, train->values + order[i] * (size_t)p->dim, (size_t)p->dim * sizeof(float));
        y[i] = train->labels[order[i]];
    }
    Status st = buffer_write(p->device, p->x, 0, n * (size_t)p->dim * sizeof(float), x);
    if (st == BC_OK) st = buffer_write(p->device, p->y, 0, n * sizeof(int32_t), y);
    return st;
}

/* Top-1 / top-5 of the trained layer on the test rows, in chunks that reuse the epoch buffer. */
static Status probe_evaluate(Probe *p, const FeatureSet *test, size_t capacity, ProbeResult *out) {
    size_t chunk = capacity < (size_t)p->batch ? capacity : (size_t)p->batch, right1 = 0, right5 = 0, counted = 0;
    float *logits = malloc(chunk * (size_t)p->classes * sizeof(float));
    Status st = logits ? BC_OK : error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    for (size_t first = 0; st == BC_OK && first < test->count; first += chunk) {
        size_t n = test->count - first < chunk ? test->count - first : chunk;
        st = buffer_write(p->device, p->x, 0, n * (size_t)p->dim * sizeof(float), test->values + first * (size_t)p->dim);
        if (st == BC_OK)
            st = linear_forward(p->device, view_of(p->logits), view_of(p->x), arena_param(p->arena, p->weight),
                                arena_param(p->arena, p->bias), (int)n, p->dim, p->classes);
        if (st == BC_OK) st = buffer_read(p->device, p->logits, 0, n * (size_t)p->classes * sizeof(float), logits);
        for (size_t i = 0; st == BC_OK && i < n; i++) {
            int label = test->labels[first + i];
            if (label < 0 || label >= p->classes) continue;
            const float *row = logits + i * (size_t)p->classes;
            int rank = 0; /* classes ranked above the true one; equal scores go to the lower class */
            for (int c = 0; c < p->classes; c++)
                rank += row[c] > row[label] || (row[c] == row[label] && c < label);
            right1 += rank == 0, right5 += rank < 5, counted++;
        }
    }
    free(logits);
    out->top1 = counted ? (double)right1 / (double)counted : NAN;
    out->top5 = p->classes > 10 && counted ? (double)right5 / (double)counted : NAN;
    return st;
}

Status linear_probe_run(Device *device, const ProbeConfig *config, const FeatureSet *train, const size_t *rows,
                        size_t row_count, const FeatureSet *test, ProbeResult *out) {
    memset(out, 0, sizeof *out);
    size_t n = rows ? row_count : train->count;
    int classes = train->class_count;
    if (config->epochs < 1 || config->batch < 1 || !(config->lr > 0) || !(config->weight_decay >= 0))
        return error_set(BC_ERR_USAGE, "probe settings: epochs %d, batch %d, lr %g, wd %g (need >= 1, >= 1, > 0, >= 0)",
                         config->epochs, config->batch, config->lr, config->weight_decay);
    if (classes < 2) return error_set(BC_ERR_USAGE, "a linear probe needs labeled data with 2 or more classes");
    if (n == 0) return error_set(BC_ERR_USAGE, "a linear probe needs at least one training row");
    if (test->dim != train->dim) return error_set(BC_ERR_USAGE, "train and test features differ in size");
    for (size_t i = 0; i < n; i++) {
        int32_t label = train->labels[rows ? rows[i] : i];
        if (label < 0 || label >= classes)
            return error_set(BC_ERR_USAGE, "training row %zu has label %d, outside 0..%d", rows ? rows[i] : i, label, classes - 1);
    }
    size_t steps_per_epoch = (n + (size_t)config->batch - 1) / (size_t)config->batch;
    size_t capacity = n > (size_t)config->batch ? n : (size_t)config->batch;
    Probe p;
    Status st = probe_create(&p, device, config, train->dim, classes, capacity, steps_per_epoch);
    size_t *order = malloc(n * sizeof *order);
    float *x = malloc(n * (size_t)train->dim * sizeof *x), *losses = malloc(steps_per_epoch * sizeof *losses);
    int32_t *y = malloc(n * sizeof *y);
    if (st == BC_OK && (!order || !x || !y || !losses)) st = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory for the probe");
    OptimizerConfig opt = {.kind = OPTIMIZER_SGD, .momentum = (float)config->momentum,
                           .weight_decay = (float)config->weight_decay};
    double total = (double)config->epochs * (double)steps_per_epoch, t = 0;
    for (int e = 0; st == BC_OK && e < config->epochs; e++) {
        st = upload_epoch(&p, train, rows, n, config->seed, e, order, x, y);
        for (size_t s = 0; st == BC_OK && s < steps_per_epoch; s++, t++) {
            size_t first = s * (size_t)config->batch;
            int count = (int)(n - first < (size_t)config->batch ? n - first : (size_t)config->batch);
            st = probe_step(&p, &opt, first, count, s, config->lr * 0.5 * (1.0 + cos(M_PI * t / total)));
        }
    }
    if (st == BC_OK) st = buffer_read(device, p.losses, 0, steps_per_epoch * sizeof(float), losses);
    if (st == BC_OK) {
        double sum = 0; /* weighted by batch size: the last batch may be short */
        for (size_t s = 0; s < steps_per_epoch; s++) {
            size_t first = s * (size_t)config->batch;
            sum += losses[s] * (double)(n - first < (size_t)config->batch ? n - first : (size_t)config->batch);
        }
        out->train_loss = sum / (double)n;
        out->train_count = n;
        if (!isfinite(out->train_loss))
            st = error_set(BC_ERR_NUMERIC, "the linear probe diverged (loss %g): lower --probe-lr (now %g)",
                           out->train_loss, config->lr);
    }
    if (st == BC_OK) st = probe_evaluate(&p, test, capacity, out);
    free(order), free(x), free(y), free(losses);
    probe_release(&p);
    return st;
}
