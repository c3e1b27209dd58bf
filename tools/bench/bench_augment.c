/* bench_augment.c — BYOL's augmentation pipeline on the device (crop + resize, flip, colour
 * jitter, grayscale, blur, solarize, normalize; uint8 NHWC in, float NCHW out) for 28x28x1,
 * 32x32x3 and 96x96x3 batches, views T and T', and the host's per-image parameter draw. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "byolcl/augment.h"

typedef struct {
    AugmentConfig config;
    int view, n, size, channels;
    Buffer *images, *out;
    float *params;
} AugmentRun;

static Status run_augment(Device *device, void *context) {
    AugmentRun *r = context;
    return augment_batch(device, &r->config, r->view, 7, 0, 3, view_of(r->out), r->images, r->n, r->size,
                         r->size, r->channels);
}

static Status run_params(Device *device, void *context) {
    (void)device;
    AugmentRun *r = context;
    augment_params_compute(&r->config, r->view, 7, 0, 3, 0, r->n, r->size, r->size, r->params);
    return BC_OK;
}

/* Identity parameters must reproduce the image (scaled to [0, 1], mean 0 / std 1); random
 * ones must stay within [0, 1]. */
static Status check_augment(Bench *b, AugmentRun *r, const uint8_t *images) {
    size_t count = (size_t)r->n * r->channels * r->size * r->size;
    int stride = augment_param_stride(&r->config, r->size, r->size);
    float *params = malloc((size_t)r->n * stride * sizeof *params), *got = NULL;
    Status st = params ? BC_OK : error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    for (int i = 0; st == BC_OK && i < r->n; i++) augment_params_identity(&r->config, r->size, r->size, params + (size_t)i * stride);
    if (st == BC_OK)
        st = augment_batch_with_params(b->device, &r->config, view_of(r->out), params, r->images, r->n, r->size,
                                       r->size, r->channels);
    if (st == BC_OK) st = bench_download(b->device, r->out, count, &got);
    for (size_t i = 0; st == BC_OK && i < count; i++) {
        int x = (int)(i % r->size), y = (int)(i / r->size % r->size);
        int c = (int)(i / ((size_t)r->size * r->size) % r->channels), n = (int)(i / ((size_t)r->size * r->size * r->channels));
        double want = images[(((size_t)n * r->size + y) * r->size + x) * r->channels + c] / 255.0;
        if (!(fabs(got[i] - want) <= 1e-5))
            st = error_set(BC_ERR_NUMERIC, "check failed: identity augmentation of %dx%dx%d changed element %zu "
                           "(%.7g, expected %.7g)", r->size, r->size, r->channels, i, (double)got[i], want);
    }
    free(got);
    got = NULL;
    if (st == BC_OK) b->checks_passed++;
    for (int view = 0; st == BC_OK && view < 2; view++) {
        r->view = view;
        st = run_augment(b->device, r);
        if (st == BC_OK) st = bench_download(b->device, r->out, count, &got);
        for (size_t i = 0; st == BC_OK && i < count; i++)
            if (!(got[i] >= -1e-6f && got[i] <= 1.0f + 1e-6f))
                st = error_set(BC_ERR_NUMERIC, "check failed: view %d of %dx%dx%d has %.7g at %zu, outside [0, 1]",
                               view, r->size, r->size, r->channels, (double)got[i], i);
        free(got);
        got = NULL;
        if (st == BC_OK) b->checks_passed++;
    }
    free(params);
    return st;
}

static Status bench_shape(Bench *b, int size, int channels) {
    char label[32];
    snprintf(label, sizeof label, "%dx%dx%d", size, size, channels);
    if (!bench_selected(b, "augment", label) && !bench_selected(b, "augment", "view") &&
        !bench_selected(b, "augment", "params"))
        return BC_OK;
    AugmentRun r = {.n = b->quick ? 3 : 256, .size = size, .channels = channels};
    augment_config_default(&r.config);
    size_t pixels = (size_t)r.n * size * size * channels;
    uint8_t *images = malloc(pixels);
    r.params = malloc((size_t)r.n * augment_param_stride(&r.config, size, size) * sizeof(float));
    Status st = images && r.params ? BC_OK : error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    float *noise = st == BC_OK ? bench_random(b, pixels, 0.0f, 256.0f) : NULL;
    if (st == BC_OK && !noise) st = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    for (size_t i = 0; st == BC_OK && i < pixels; i++) images[i] = (uint8_t)(noise[i] < 255.0f ? noise[i] : 255.0f);
    free(noise);
    if (st == BC_OK) st = buffer_create(b->device, pixels, &r.images);
    if (st == BC_OK) st = buffer_write(b->device, r.images, 0, pixels, images);
    if (st == BC_OK) st = buffer_create(b->device, pixels * sizeof(float), &r.out);
    if (st == BC_OK) st = check_augment(b, &r, images);
    for (int view = 0; st == BC_OK && !b->check_only && view < 2; view++) {
        r.view = view;
        BenchRow row = {.section = "augment", .rate_kind = RATE_BYTES, .work = (double)pixels * (1 + sizeof(float))};
        snprintf(row.name, sizeof row.name, "%s view %s", label, view ? "T'" : "T");
        snprintf(row.shape, sizeof row.shape, "n%d uint8 NHWC -> float NCHW", r.n);
        snprintf(row.impl, sizeof row.impl, "augment kernels");
        if (bench_selected(b, "augment", row.name)) st = bench_measure(b, row, run_augment, &r);
        row.host = true;
        row.rate_kind = RATE_NONE;
        snprintf(row.name, sizeof row.name, "%s params %s", label, view ? "T'" : "T");
        snprintf(row.shape, sizeof row.shape, "n%d", r.n);
        snprintf(row.impl, sizeof row.impl, "host (philox)");
        if (st == BC_OK && bench_selected(b, "augment", row.name)) {
            st = run_params(b->device, &r); /* warm-up: first touches of the table */
            if (st == BC_OK) st = bench_measure(b, row, run_params, &r);
        }
    }
    free(images);
    free(r.params);
    buffer_release(r.images);
    buffer_release(r.out);
    return st;
}

Status bench_augment(Bench *b) {
    bench_section_header(b, "augment", "BYOL's T and T' with the paper's settings; GB/s counts uint8 in + float out");
    Status st = bench_shape(b, 28, 1);
    if (st == BC_OK) st = bench_shape(b, 32, 3);
    if (st == BC_OK) st = bench_shape(b, 96, 3);
    return st == BC_OK ? BC_OK : error_wrap(st, "augment: ");
}
