/* bench_step.c — byolcl-bench --step: whole BYOL training steps (both views augmented on the
 * device from a uint8 batch, target forward on both views, online forward and backward per
 * view, optimizer, EMA) timed by the wall clock and broken down by kernel kind from the
 * profiling events: where a step's time goes, how much of it is outside kernels, images/s.
 * --method simclr adds SimCLR's steps (both views forward, NT-Xent, both backward,
 * optimizer) after BYOL's at the same batch and widths; --bn-views concat runs both views
 * as one forward of 2N images, as `byolcl train --bn-views concat` does. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "byol/byol_model.h"
#include "byol/simclr.h"
#include "byolcl/augment.h"
#include "util/clock.h"

/* Kernel kinds, matched by kernel-name substrings in order (first match wins). */
static const struct {
    const char *kind;
    const char *patterns[8];
} kinds[] = {
    {"conv implicit GEMM", {"conv2d_igemm", NULL}},
    {"gemm", {"gemm_", "clblast", NULL}},
    {"conv direct", {"conv2d_direct", NULL}},
    {"padded copies (direct conv, weight gradient)", {"conv2d_pad", NULL}},
    {"im2col", {"im2col", NULL}},
    {"conv weight gradient (direct)", {"conv2d_wgrad", NULL}},
    {"col2im", {"col2im", NULL}},
    {"batchnorm", {"batchnorm", NULL}},
    {"relu", {"relu", NULL}},
    {"residual add", {"residual", NULL}},
    {"pooling", {"pool", NULL}},
    {"linear bias", {"bias_add", "column_sums", NULL}},
    {"NT-Xent softmax", {"ntxent", NULL}},
    {"collapse monitor", {"row_inverse_norms", "normalized_column_std", NULL}},
    {"loss", {"loss", "l2_normalize", "softmax", "mean_of_rows", NULL}},
    {"optimizer", {"sgd", "lars", "nonfinite", "fill_", "scale_", "axpy", NULL}},
    {"ema", {"ema", NULL}},
    {"augment", {"augment", NULL}},
};
enum { KIND_COUNT = sizeof kinds / sizeof kinds[0], KIND_OTHER = KIND_COUNT };

static int kind_of(const char *kernel_name) {
    for (int k = 0; k < KIND_COUNT; k++)
        for (int p = 0; kinds[k].patterns[p]; p++)
            if (strstr(kernel_name, kinds[k].patterns[p])) return k;
    return KIND_OTHER;
}

typedef struct {
    ByolModel model;
    AugmentConfig augment;
    OptimizerConfig optimizer;
    Buffer *images;
    int size, channels, step;
} StepRun;

static Status run_step(Device *device, StepRun *r) {
    Status st = BC_OK;
    for (int view = 0; st == BC_OK && view < 2; view++)
        st = augment_batch(device, &r->augment, view, 1, 0, r->step, byol_model_view(&r->model, view), r->images,
                           r->model.batch, r->size, r->size, r->channels);
    if (st == BC_OK) st = byol_model_step(&r->model, &r->optimizer, 0.05, 0.996);
    r->step++;
    return st;
}

static Status add_step_row(Bench *b, const char *label, const char *name, const char *shape, double *ms,
                           int steps, double step_ms, double images_per_s) {
    BenchRow row = {.section = "step", .rate_kind = RATE_NONE, .host = step_ms < 0};
    snprintf(row.name, sizeof row.name, "%s %s", label, name);
    snprintf(row.shape, sizeof row.shape, "%s", shape);
    BenchTime t;
    bench_summarize(ms, steps, &t);
    bench_row_set_time(&row, &t);
    if (images_per_s > 0) {
        row.images_per_s = images_per_s;
        snprintf(row.impl, sizeof row.impl, "%.1f images/s", images_per_s);
    } else {
        row.share = step_ms > 0 ? row.median_ms / step_ms : 0;
        snprintf(row.impl, sizeof row.impl, "%.1f%% of the step", 100.0 * row.share);
    }
    return bench_add_row(b, &row);
}

static Status bench_one_step(Bench *b, const BenchStepOptions *o, BnViews bn_views, int width, bool simclr) {
    StepRun r = {.size = o->image_size, .channels = o->channels};
    ArchKind arch;
    Status st = arch_parse(o->arch, &arch);
    if (st != BC_OK) return st;
    EncoderConfig encoder;
    encoder_config_defaults(&encoder, arch, o->channels, o->image_size);
    if (width > 0) encoder.width = width;
    bool small = arch == ARCH_SMALL;
    if (o->stages > 0 && (st = encoder_config_set_stages(&encoder, o->stages))) return st;
    HeadConfig projector = {small ? 512 : 4096, small ? 128 : 256}, predictor = projector;
    augment_config_default_for(&r.augment, o->image_size); /* as byolcl train draws them */
    st = optimizer_kind_parse(o->optimizer, &r.optimizer.kind);
    if (st != BC_OK) return st;
    r.optimizer = optimizer_config_default(r.optimizer.kind);
    char label[48], shape[80];
    snprintf(label, sizeof label, "%s-w%d %s", arch_name(arch), encoder.width, simclr ? "simclr" : "byol");
    int used = snprintf(shape, sizeof shape, "n%d %dx%dx%d, %s, bn %s", o->batch, o->image_size, o->image_size,
                        o->channels, optimizer_kind_name(r.optimizer.kind), bn_views_name(bn_views));
    if (small) snprintf(shape + used, sizeof shape - (size_t)used, ", %d stages", encoder.stages);
    if (!bench_selected(b, "step", label)) return BC_OK;
    int steps = o->steps > 0 ? o->steps : b->quick ? 1 : 3;
    size_t pixels = (size_t)o->batch * o->image_size * o->image_size * o->channels;
    uint8_t *images = malloc(pixels ? pixels : 1);
    double *wall = calloc((size_t)steps, sizeof *wall), *kernels = calloc((size_t)steps, sizeof *kernels);
    double *by_kind = calloc((size_t)steps * (KIND_COUNT + 1), sizeof *by_kind);
    if (!images || !wall || !kernels || !by_kind) st = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    float *noise = st == BC_OK ? bench_random(b, pixels, 0.0f, 255.0f) : NULL;
    for (size_t i = 0; noise && i < pixels; i++) images[i] = (uint8_t)noise[i];
    free(noise);
    if (st == BC_OK && simclr)
        st = simclr_model_create(b->device, &encoder, &projector, o->batch, bn_views, 5, 0.5f, &r.model);
    else if (st == BC_OK)
        st = byol_model_create(b->device, &encoder, &projector, &predictor, o->batch, bn_views, 5, &r.model);
    bool created = st == BC_OK;
    if (st == BC_OK) st = buffer_create(b->device, pixels ? pixels : 1, &r.images);
    if (st == BC_OK) st = buffer_write(b->device, r.images, 0, pixels, images);
    /* Warm-up step (kernel builds, first touches), then the check: a finite loss in [0, 8]
     * (BYOL), or not above a little more than log(2 batch - 1), the loss of a collapsed
     * batch (SimCLR; random images give about that). */
    double highest = simclr ? 1.5 * log(2.0 * o->batch - 1.0) : 8.0;
    KernelTiming *rows = NULL;
    int count = 0;
    if (st == BC_OK) st = run_step(b->device, &r);
    double loss = NAN;
    if (st == BC_OK) st = byol_model_read_loss(&r.model, &loss);
    if (st == BC_OK && !(loss >= 0.0 && loss <= highest))
        st = error_set(BC_ERR_NUMERIC, "check failed: %s step loss is %g, outside [0, %g]", label, loss, highest);
    if (st == BC_OK) b->checks_passed++;
    if (st == BC_OK) st = device_collect_timings(b->device, &rows, &count);
    free(rows);
    rows = NULL;
    for (int s = 0; st == BC_OK && !b->check_only && s < steps; s++) {
        double t0 = clock_seconds();
        st = run_step(b->device, &r);
        if (st == BC_OK) st = device_finish(b->device);
        wall[s] = (clock_seconds() - t0) * 1e3;
        if (st == BC_OK) st = device_collect_timings(b->device, &rows, &count);
        for (int i = 0; st == BC_OK && i < count; i++) {
            kernels[s] += rows[i].total_ms;
            by_kind[(size_t)s * (KIND_COUNT + 1) + kind_of(rows[i].kernel_name)] += rows[i].total_ms;
        }
        free(rows);
        rows = NULL;
    }
    if (st == BC_OK && !b->check_only) {
        BenchTime wall_t;
        bench_summarize(wall, steps, &wall_t);
        double step_ms = wall_t.median_ms;
        bench_section_header(b, "step", simclr ? "one SimCLR step (both views augmented, NT-Xent over 2N views, SGD/LARS); kernel time by kind"
                                               : "one BYOL step (both views augmented, SGD/LARS, EMA); kernel time by kind");
        double *column = malloc((size_t)steps * sizeof *column);
        if (!column) st = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
        for (int k = 0; st == BC_OK && k <= KIND_COUNT; k++) {
            for (int s = 0; s < steps; s++) column[s] = by_kind[(size_t)s * (KIND_COUNT + 1) + k];
            BenchTime kind_t;
            bench_summarize(column, steps, &kind_t);
            if (kind_t.min_ms == 0 && kind_t.median_ms == 0) continue;
            st = add_step_row(b, label, k < KIND_COUNT ? kinds[k].kind : "other", shape, column, steps, step_ms, 0);
        }
        for (int s = 0; st == BC_OK && s < steps; s++) column[s] = wall[s] - kernels[s];
        if (st == BC_OK) st = add_step_row(b, label, "outside kernels", shape, column, steps, step_ms, 0);
        if (st == BC_OK) st = add_step_row(b, label, "all kernels", shape, kernels, steps, step_ms, 0);
        if (st == BC_OK) st = add_step_row(b, label, "step (wall clock)", shape, wall, steps, -1, o->batch / (step_ms * 1e-3));
        free(column);
    }
    free(images);
    free(wall);
    free(kernels);
    free(by_kind);
    buffer_release(r.images);
    if (created) byol_model_destroy(&r.model);
    return st == BC_OK ? BC_OK : error_wrap(st, "step %s: ", label);
}

/* BYOL at one width, then SimCLR at the same width and batch when asked. */
static Status bench_methods(Bench *b, const BenchStepOptions *o, BnViews bn_views, int width, bool simclr) {
    Status st = bench_one_step(b, o, bn_views, width, false);
    if (st == BC_OK && simclr) st = bench_one_step(b, o, bn_views, width, true);
    return st;
}

Status bench_step(Bench *b, const BenchStepOptions *o) {
    bool simclr = false;
    if (o->method && strcmp(o->method, "simclr") == 0) simclr = true;
    else if (o->method && strcmp(o->method, "byol") != 0)
        return error_set(BC_ERR_USAGE, "--method: '%s' is not one of byol, simclr", o->method);
    BnViews bn_views = o->bn_views;
    if (o->width > 0) return bench_methods(b, o, bn_views, o->width, simclr);
    ArchKind arch;
    Status st = arch_parse(o->arch, &arch);
    if (st != BC_OK) return st;
    if (arch != ARCH_SMALL) return bench_methods(b, o, bn_views, 0, simclr);
    /* The small ResNet at both widths the speed targets name. */
    st = bench_methods(b, o, bn_views, 16, simclr);
    if (st == BC_OK) st = bench_methods(b, o, bn_views, 32, simclr);
    return st;
}
