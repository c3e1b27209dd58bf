/* bench_peak.c — the device's achievable peak, the yardstick of every other row: the
 * fastest of several FMA-chain kernels (GFLOP/s) and of several copy kernels (GB/s). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

typedef struct {
    Kernel *kernel;
    Buffer *out;
    size_t items;
    int iterations;
} FmaRun;

static const float FMA_A = 0.9999f, FMA_B = 1e-4f;

static Status run_fma(Device *device, void *context) {
    FmaRun *r = context;
    return KERNEL_LAUNCH_1D(device, r->kernel, r->items, ARG_BUF(r->out), ARG_I(r->iterations),
                            ARG_F(FMA_A), ARG_F(FMA_B));
}

/* The value work-item `gid` writes, computed the way the kernel does (all lanes are equal,
 * so the horizontal sum is width x the lane sum, exactly). */
static double fma_expected(int gid, int width, int chains, int iterations) {
    float s = 0.0f;
    for (int c = 0; c < chains; c++) {
        float x = (float)(gid % 1024) * 1e-4f + (float)(c * width) * 1e-3f;
        for (int i = 0; i < iterations; i++) x = fmaf(x, FMA_A, FMA_B);
        s = c == 0 ? x : s + x;
    }
    return (double)width * s;
}

static Status check_fma(Bench *b, FmaRun *r, int width, int chains, const char *name) {
    float *got;
    Status st = run_fma(b->device, r);
    if (st == BC_OK) st = bench_download(b->device, r->out, r->items, &got);
    if (st != BC_OK) return st;
    size_t samples[3] = {0, r->items / 2 + 1, r->items - 1};
    for (int i = 0; st == BC_OK && i < 3; i++) {
        double want = fma_expected((int)samples[i], width, chains, r->iterations);
        st = bench_expect_close(b, name, samples[i], got[samples[i]], want, 1e-3 * fabs(want));
    }
    free(got);
    return st;
}

typedef struct {
    Kernel *kernel;
    Buffer *src, *dst;
    int n; /* vectors */
} CopyRun;

static Status run_copy(Device *device, void *context) {
    CopyRun *r = context;
    return KERNEL_LAUNCH_1D(device, r->kernel, (size_t)r->n, ARG_BUF(r->src), ARG_BUF(r->dst),
                            ARG_I(r->n));
}

static Status check_copy(Bench *b, CopyRun *r, const float *src, size_t floats, const char *name) {
    float *got;
    Status st = run_copy(b->device, r);
    if (st == BC_OK) st = bench_download(b->device, r->dst, floats, &got);
    if (st != BC_OK) return st;
    if (memcmp(got, src, floats * sizeof *got) != 0)
        st = error_set(BC_ERR_NUMERIC, "check failed: %s did not copy its input", name);
    else b->checks_passed++;
    free(got);
    return st;
}

static Status measure_fma(Bench *b) {
    static const struct { const char *kernel; int width, chains; } variants[] = {
        {"peak_fma_float", 1, 16}, {"peak_fma_float4", 4, 8},
        {"peak_fma_float8", 8, 8}, {"peak_fma_float16", 16, 4},
        {"peak_fma_float16_c8", 16, 8}, {"peak_fma_float16_c12", 16, 12}};
    unsigned units = device_info(b->device)->compute_units;
    FmaRun r = {.items = (size_t)(units ? units : 1) * (b->quick ? 256 : 2048),
                .iterations = b->quick ? 64 : 2048};
    Status st = buffer_create(b->device, r.items * sizeof(float), &r.out);
    for (size_t v = 0; st == BC_OK && v < sizeof variants / sizeof variants[0]; v++) {
        st = kernel_get(b->device, "bench", variants[v].kernel, &r.kernel);
        if (st == BC_OK) st = check_fma(b, &r, variants[v].width, variants[v].chains, variants[v].kernel);
        if (st != BC_OK || b->check_only) continue;
        BenchRow row = {.section = "peak", .rate_kind = RATE_FLOPS, .impl = "bench.cl"};
        int name_length = (int)strcspn(variants[v].kernel + 9, "_"); /* "float16" of "..._c8" */
        snprintf(row.name, sizeof row.name, "fma %.*s x%d", name_length, variants[v].kernel + 9,
                 variants[v].chains);
        snprintf(row.shape, sizeof row.shape, "%zu items x %d iter", r.items, r.iterations);
        row.work = 2.0 * variants[v].width * variants[v].chains * (double)r.iterations * (double)r.items;
        st = bench_measure(b, row, run_fma, &r);
        if (st == BC_OK && bench_row_rate(&b->rows[b->row_count - 1]) > b->peak_gflops)
            b->peak_gflops = bench_row_rate(&b->rows[b->row_count - 1]);
    }
    buffer_release(r.out);
    return st;
}

static Status measure_copy(Bench *b) {
    static const struct { const char *kernel; int width; } variants[] = {
        {"peak_copy_float", 1}, {"peak_copy_float4", 4}, {"peak_copy_float16", 16}};
    /* Far beyond the caches, so the copy streams from memory. */
    size_t floats = (size_t)(b->quick ? 1 : 16) << 20;
    CopyRun r = {0};
    float *src = NULL;
    Status st = bench_upload_random(b, floats, -1.0f, 1.0f, &r.src, &src);
    if (st == BC_OK) st = buffer_create(b->device, floats * sizeof(float), &r.dst);
    for (size_t v = 0; st == BC_OK && v < sizeof variants / sizeof variants[0]; v++) {
        r.n = (int)(floats / (size_t)variants[v].width);
        st = kernel_get(b->device, "bench", variants[v].kernel, &r.kernel);
        if (st == BC_OK) st = buffer_fill_zero(b->device, r.dst, 0, floats * sizeof(float));
        if (st == BC_OK) st = check_copy(b, &r, src, floats, variants[v].kernel);
        if (st != BC_OK || b->check_only) continue;
        BenchRow row = {.section = "peak", .rate_kind = RATE_BYTES, .impl = "bench.cl"};
        snprintf(row.name, sizeof row.name, "copy %s", variants[v].kernel + 10);
        snprintf(row.shape, sizeof row.shape, "%zu MiB -> %zu MiB", floats * 4 >> 20, floats * 4 >> 20);
        row.work = 2.0 * (double)floats * sizeof(float);
        st = bench_measure(b, row, run_copy, &r);
        if (st == BC_OK && bench_row_rate(&b->rows[b->row_count - 1]) > b->peak_gbs)
            b->peak_gbs = bench_row_rate(&b->rows[b->row_count - 1]);
    }
    free(src);
    buffer_release(r.src);
    buffer_release(r.dst);
    return st;
}

Status bench_peak(Bench *b) {
    bench_section_header(b, "peak", "the device's achievable peak; every % below is of the best row here");
    Status st = measure_fma(b);
    if (st == BC_OK) st = measure_copy(b);
    if (st == BC_OK && b->table && !b->check_only)
        fprintf(b->table, "measured peak: %.2f GFLOP/s, %.2f GB/s\n", b->peak_gflops, b->peak_gbs);
    return st == BC_OK ? BC_OK : error_wrap(st, "peak: ");
}
