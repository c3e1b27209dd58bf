/* bench_optim.c — the flat kernels over a parameter arena that every training step runs:
 * zeroing the gradients, SGD and LARS updates, the NaN/Inf counter and the target's EMA,
 * over the arenas of real BYOL models (online: encoder | projector | predictor). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "bench_models.h"
#include "byolcl/ema.h"
#include "byolcl/init.h"
#include "byolcl/optimizer.h"

typedef enum { ARENA_OP_ZERO_GRAD, ARENA_OP_SGD, ARENA_OP_LARS, ARENA_OP_NONFINITE, ARENA_OP_EMA } ArenaOp;

typedef struct {
    ArenaOp op;
    Arena *online;
    Buffer *target, *counter;
    size_t target_floats;
    OptimizerConfig config;
} ArenaRun;

static const float LEARNING_RATE = 0.05f;
static const double TAU = 0.996;

static Status run_arena_op(Device *device, void *context) {
    ArenaRun *r = context;
    switch (r->op) {
    case ARENA_OP_ZERO_GRAD: return arena_zero_grad(r->online);
    case ARENA_OP_SGD:
    case ARENA_OP_LARS: return optimizer_step(r->online, &r->config, LEARNING_RATE);
    case ARENA_OP_NONFINITE:
        return count_nonfinite(device, r->counter, view_of(arena_buffer(r->online, ARENA_PARAMS)),
                               arena_floats(r->online, ARENA_PARAMS));
    case ARENA_OP_EMA:
        return ema_update(device, view_of(r->target), view_of(arena_buffer(r->online, ARENA_PARAMS)),
                          r->target_floats, TAU);
    }
    return error_set(BC_ERR_USAGE, "unknown arena op");
}

/* One update from zero momentum, element by element as optimizer.h defines it. */
static Status check_update(Bench *b, ArenaRun *r, const float *w, const float *g, const char *what) {
    size_t floats = arena_floats(r->online, ARENA_PARAMS);
    float *got;
    Status st = buffer_fill_zero(b->device, arena_buffer(r->online, ARENA_MOMENTUM), 0, floats * sizeof(float));
    if (st == BC_OK) st = run_arena_op(b->device, r);
    if (st == BC_OK) st = bench_download(b->device, arena_buffer(r->online, ARENA_PARAMS), floats, &got);
    if (st != BC_OK) return st;
    const OptimizerConfig *c = &r->config;
    for (int e = 0; st == BC_OK && e < arena_entry_count(r->online); e++) {
        const ArenaEntry *entry = arena_entry(r->online, e);
        if (entry->kind == PARAM_BN_STAT) continue;
        bool weight = entry->kind == PARAM_WEIGHT;
        double wd = weight ? c->weight_decay : 0.0, ratio = 1.0;
        if (r->op == ARENA_OP_LARS && weight) {
            double wn = 0, un = 0;
            for (size_t i = 0; i < entry->count; i++) {
                double x = w[entry->offset + i], u = g[entry->offset + i] + wd * x;
                wn += x * x;
                un += u * u;
            }
            if (wn > 0 && un > 0) ratio = c->trust_coefficient * sqrt(wn) / sqrt(un);
        }
        size_t samples[2] = {0, entry->count - 1};
        for (int s = 0; st == BC_OK && s < 2; s++) {
            size_t i = entry->offset + samples[s];
            double u = (g[i] + wd * w[i]) * ratio, want = w[i] - LEARNING_RATE * u;
            st = bench_expect_close(b, what, i, got[i], want, fabs(w[i]) + fabs(LEARNING_RATE * u));
        }
    }
    free(got);
    return st;
}

static Status check_ema(Bench *b, ArenaRun *r, const float *online, const float *target) {
    float *got = NULL;
    Status st = buffer_write(b->device, r->target, 0, r->target_floats * sizeof(float), target);
    if (st == BC_OK) st = run_arena_op(b->device, r);
    if (st == BC_OK) st = bench_download(b->device, r->target, r->target_floats, &got);
    for (size_t s = 0; st == BC_OK && s < 16; s++) {
        size_t i = s * (r->target_floats / 16);
        double want = TAU * target[i] + (1.0 - TAU) * online[i];
        st = bench_expect_close(b, "ema_update", i, got[i], want, fabs(target[i]) + fabs(online[i]));
    }
    free(got);
    return st;
}

static Status check_zero_grad(Bench *b, ArenaRun *r) {
    size_t floats = arena_floats(r->online, ARENA_GRADS);
    float *got = NULL;
    Status st = run_arena_op(b->device, r);
    if (st == BC_OK) st = bench_download(b->device, arena_buffer(r->online, ARENA_GRADS), floats, &got);
    for (size_t i = 0; st == BC_OK && i < floats; i++)
        if (got[i] != 0.0f) st = error_set(BC_ERR_NUMERIC, "check failed: gradient %zu is %g after zero-grad", i, (double)got[i]);
    if (st == BC_OK) b->checks_passed++;
    free(got);
    return st;
}

static Status check_nonfinite(Bench *b, ArenaRun *r) {
    int count = -1;
    Status st = run_arena_op(b->device, r);
    if (st == BC_OK) st = buffer_read(b->device, r->counter, 0, sizeof count, &count);
    if (st == BC_OK && count != 0)
        st = error_set(BC_ERR_NUMERIC, "check failed: count_nonfinite found %d in finite parameters", count);
    if (st == BC_OK) b->checks_passed++;
    return st;
}

/* Random gradients in the arena's layout (padding stays zero). */
static float *random_in_layout(Bench *b, const Arena *arena, float scale) {
    size_t floats = arena_floats(arena, ARENA_PARAMS);
    float *x = calloc(floats ? floats : 1, sizeof *x), *noise = bench_random(b, floats, -scale, scale);
    if (x && noise)
        for (int e = 0; e < arena_entry_count(arena); e++) {
            const ArenaEntry *entry = arena_entry(arena, e);
            if (entry->kind == PARAM_BN_STAT) continue;
            for (size_t i = 0; i < entry->count; i++) x[entry->offset + i] = noise[entry->offset + i];
        }
    free(noise);
    return x;
}

static Status bench_arena(Bench *b, const ModelSpec *model) {
    ArenaRun r = {0};
    Arena *target_layout = NULL;
    float *w = NULL, *g = NULL, *target = NULL;
    Status st = arena_create(&r.online);
    if (st == BC_OK) st = model_add_parameters(model, r.online, true);
    if (st == BC_OK) st = arena_allocate(r.online, b->device, ARENA_TRAINED);
    if (st == BC_OK) st = arena_init_params(r.online, 42);
    /* The target (encoder | projector) is a prefix of the online arena. */
    if (st == BC_OK) st = arena_create(&target_layout);
    if (st == BC_OK) st = model_add_parameters(model, target_layout, false);
    size_t floats = st == BC_OK ? arena_floats(r.online, ARENA_PARAMS) : 0;
    r.target_floats = st == BC_OK ? arena_floats(target_layout, ARENA_PARAMS) : 0;
    if (st == BC_OK) {
        w = malloc(floats * sizeof *w);
        g = random_in_layout(b, r.online, 0.01f);
        target = random_in_layout(b, r.online, 0.1f);
        if (!w || !g || !target) st = error_set(BC_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    if (st == BC_OK) st = arena_download(r.online, ARENA_PARAMS, w);
    if (st == BC_OK) st = arena_upload(r.online, ARENA_GRADS, g);
    if (st == BC_OK) st = buffer_create(b->device, r.target_floats * sizeof(float), &r.target);
    if (st == BC_OK) st = buffer_create(b->device, sizeof(int), &r.counter);
    char shape[80];
    snprintf(shape, sizeof shape, "%.2fM params (target %.2fM)", floats / 1e6, r.target_floats / 1e6);
    static const struct { ArenaOp op; const char *name; double arrays; } ops[] = {
        /* arrays read or written once per element: SGD reads w, g, v and writes w, v;
         * LARS also reads w and g once more for the per-entry norms. */
        {ARENA_OP_ZERO_GRAD, "zero-grad", 1}, {ARENA_OP_SGD, "sgd step", 5},
        {ARENA_OP_LARS, "lars step", 7},      {ARENA_OP_NONFINITE, "nan/inf count", 1},
        {ARENA_OP_EMA, "ema target update", 3}};
    for (size_t o = 0; st == BC_OK && o < sizeof ops / sizeof ops[0]; o++) {
        BenchRow row = {.section = "optimizer", .rate_kind = RATE_BYTES};
        snprintf(row.name, sizeof row.name, "%s %s", model->label, ops[o].name);
        if (!bench_selected(b, "optimizer", row.name)) continue;
        snprintf(row.shape, sizeof row.shape, "%s", shape);
        snprintf(row.impl, sizeof row.impl, ops[o].op == ARENA_OP_EMA ? "ema.h" : ops[o].op == ARENA_OP_ZERO_GRAD ? "arena.h" : "optimizer.h");
        size_t n = ops[o].op == ARENA_OP_EMA ? r.target_floats : floats;
        row.work = ops[o].arrays * (double)n * sizeof(float);
        r.op = ops[o].op;
        r.config = optimizer_config_default(r.op == ARENA_OP_LARS ? OPTIMIZER_LARS : OPTIMIZER_SGD);
        /* Every check starts from the same parameters and gradients. */
        st = arena_upload(r.online, ARENA_PARAMS, w);
        if (st == BC_OK) st = arena_upload(r.online, ARENA_GRADS, g);
        if (st == BC_OK && (r.op == ARENA_OP_SGD || r.op == ARENA_OP_LARS)) st = check_update(b, &r, w, g, row.name);
        if (st == BC_OK && r.op == ARENA_OP_EMA) st = check_ema(b, &r, w, target);
        if (st == BC_OK && r.op == ARENA_OP_NONFINITE) st = check_nonfinite(b, &r);
        if (st == BC_OK && r.op == ARENA_OP_ZERO_GRAD) st = check_zero_grad(b, &r);
        if (st == BC_OK && !b->check_only) st = bench_measure(b, row, run_arena_op, &r);
    }
    free(w);
    free(g);
    free(target);
    buffer_release(r.target);
    buffer_release(r.counter);
    arena_destroy(r.online);
    arena_destroy(target_layout);
    return st;
}

Status bench_optimizer(Bench *b) {
    bench_section_header(b, "optimizer", "flat kernels over the online arena; GB/s counts each array once");
    const ModelSpec models[] = {
        {"small-w16", MODEL_SMALL, 1, 28, 16, 1, 512, 128},
        {"small-w32", MODEL_SMALL, 1, 28, 32, 1, 512, 128},
        {"resnet18", MODEL_RESNET18, 3, 32, 64, 1, 4096, 256},
    };
    Status st = BC_OK;
    for (size_t m = b->quick ? 0u : 1u; st == BC_OK && m < (b->quick ? 1u : 3u); m++) st = bench_arena(b, &models[m]);
    return st == BC_OK ? BC_OK : error_wrap(st, "optimizer: ");
}
