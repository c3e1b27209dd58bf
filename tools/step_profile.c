/* step_profile.c — times the BYOL training step of the small ResNet on one device and,
 * with --profile, shows where the time goes (per-kernel totals from profiling events, and
 * the share of the step spent outside kernels). Used by tools/pytorch_compare.sh.
 *
 *   byolcl-step-profile [--device SEL] [--width 16] [--batch 256] [--size 28]
 *                       [--steps 5] [--warmup 1] [--profile] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "byol/byol_model.h"
#include "byolcl/device.h"
#include "byolcl/init.h"

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct {
    const char *device;
    int width, batch, size, steps, warmup;
    int profile;
} Options;

static int parse(int argc, char **argv, Options *o) {
    *o = (Options){.device = NULL, .width = 16, .batch = 256, .size = 28, .steps = 5, .warmup = 1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--profile") == 0) { o->profile = 1; continue; }
        if (!v) { fprintf(stderr, "%s needs a value\n", a); return 2; }
        if (strcmp(a, "--device") == 0) o->device = v;
        else if (strcmp(a, "--width") == 0) o->width = atoi(v);
        else if (strcmp(a, "--batch") == 0) o->batch = atoi(v);
        else if (strcmp(a, "--size") == 0) o->size = atoi(v);
        else if (strcmp(a, "--steps") == 0) o->steps = atoi(v);
        else if (strcmp(a, "--warmup") == 0) o->warmup = atoi(v);
        else { fprintf(stderr, "unknown flag %s\n", a); return 2; }
        i++;
    }
    if (o->width < 1 || o->batch < 2 || o->size < 4 || o->steps < 1 || o->warmup < 0) {
        fprintf(stderr, "bad sizes\n");
        return 2;
    }
    return 0;
}

static Status fill_views(ByolModel *m, int floats) {
    float *host = malloc((size_t)floats * sizeof(float));
    if (!host) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    Status st = BC_OK;
    uint32_t x = 12345u;
    for (int v = 0; v < 2 && st == BC_OK; v++) {
        for (int i = 0; i < floats; i++) {
            x = x * 1664525u + 1013904223u;
            host[i] = (float)(x >> 8) / 16777216.0f * 2.0f - 1.0f;
        }
        st = buffer_write(m->device, m->views[v], 0, (size_t)floats * sizeof(float), host);
    }
    free(host);
    return st;
}

static Status run(const Options *o) {
    Device *device;
    DeviceOptions dopt = {.profiling = o->profile != 0};
    Status st = device_open(o->device ? o->device : device_default_selector(), &dopt, &device);
    if (st != BC_OK) return st;
    EncoderConfig enc;
    encoder_config_defaults(&enc, ARCH_SMALL, 1, o->size);
    enc.width = o->width;
    HeadConfig proj = {512, 128}, pred = {512, 128};
    OptimizerConfig opt = optimizer_config_default(OPTIMIZER_SGD);
    ByolModel m;
    st = byol_model_create(device, &enc, &proj, &pred, o->batch, 1, &m);
    if (st != BC_OK) {
        device_close(device);
        return st;
    }
    st = fill_views(&m, o->batch * o->size * o->size);
    for (int i = 0; i < o->warmup && st == BC_OK; i++) st = byol_model_step(&m, &opt, 0.05, 0.99);
    if (st == BC_OK) st = device_finish(device);
    if (st == BC_OK && o->profile) { /* forget the warm-up launches */
        KernelTiming *t;
        int n;
        st = device_collect_timings(device, &t, &n);
        if (st == BC_OK) free(t);
    }
    double t0 = now_seconds();
    for (int i = 0; i < o->steps && st == BC_OK; i++) st = byol_model_step(&m, &opt, 0.05, 0.99);
    if (st == BC_OK) st = device_finish(device);
    double seconds = now_seconds() - t0;
    double loss = 0.0;
    if (st == BC_OK) st = byol_model_read_loss(&m, &loss);
    if (st == BC_OK) {
        printf("device: %s\n", device_info(device)->name);
        printf("small w%d, batch %d, %dx%dx1, SGD: %.1f ms/step, %.1f images/s (loss %.4f)\n",
               o->width, o->batch, o->size, o->size, 1e3 * seconds / o->steps,
               o->batch * o->steps / seconds, loss);
    }
    if (st == BC_OK && o->profile) {
        KernelTiming *t;
        int n;
        st = device_collect_timings(device, &t, &n);
        if (st == BC_OK) {
            double total = 0.0;
            for (int i = 0; i < n; i++) total += t[i].total_ms;
            printf("%-32s %8s %10s %7s\n", "kernel", "launches", "ms/step", "share");
            for (int i = 0; i < n; i++)
                printf("%-32s %8d %10.2f %6.1f%%\n", t[i].kernel_name, t[i].launches / o->steps,
                       t[i].total_ms / o->steps, 100.0 * t[i].total_ms / total);
            printf("kernels %.1f ms/step of %.1f ms/step wall (%.1f%% outside kernels)\n",
                   total / o->steps, 1e3 * seconds / o->steps,
                   100.0 * (1.0 - total / (1e3 * seconds)));
            free(t);
        }
    }
    byol_model_destroy(&m);
    device_close(device);
    return st;
}

int main(int argc, char **argv) {
    Options o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc;
    Status st = run(&o);
    if (st != BC_OK) {
        fprintf(stderr, "byolcl-step-profile: %s\n", error_last());
        return 1;
    }
    return 0;
}
