/* bench_gemm.c — SGEMM on the shapes the models run (the im2col GEMMs of the small ResNet's
 * convolutions: forward, backward-data, backward-weights, as conv2d.c forms them) and on
 * square sizes: our kernels vs CLBlast on the device, and OpenBLAS on the host when the
 * bench is built with it, side by side. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bench_gemm_cases.h"
#include "byolcl/ops.h"
#include "ops/gemm_gpu.h"
#ifdef BYOLCL_HAVE_OPENBLAS
#include <cblas.h>
#endif

typedef struct {
    GemmCase c;
    GemmPath path;
    Buffer *a, *b, *out;
    float *ha, *hb, *hc;
} GemmRun;

static Status run_device_gemm(Device *device, void *context) {
    GemmRun *r = context;
    const GemmCase *c = &r->c;
    return gemm_with_path(device, r->path, c->trans_a, c->trans_b, c->m, c->n, c->k, 1.0f,
                          view_of(r->a), gemm_case_lda(c), view_of(r->b), gemm_case_ldb(c), 0.0f,
                          view_of(r->out), c->n);
}

#ifdef BYOLCL_HAVE_OPENBLAS
static Status run_openblas(Device *device, void *context) {
    (void)device;
    GemmRun *r = context;
    const GemmCase *c = &r->c;
    cblas_sgemm(CblasRowMajor, c->trans_a ? CblasTrans : CblasNoTrans,
                c->trans_b ? CblasTrans : CblasNoTrans, c->m, c->n, c->k, 1.0f, r->ha,
                gemm_case_lda(c), r->hb, gemm_case_ldb(c), 0.0f, r->hc, c->n);
    return BC_OK;
}
#endif

/* Sampled elements of C against dot products in double. */
static Status check_product(Bench *b, const GemmCase *c, const float *ha, const float *hb,
                            const float *got, const char *what) {
    int lda = gemm_case_lda(c), ldb = gemm_case_ldb(c);
    Status st = BC_OK;
    for (int s = 0; st == BC_OK && s < 24; s++) {
        /* Corners and edges first (partial tiles live there), then spread inside. */
        int i = s < 4 ? (s & 1) * (c->m - 1) : (int)(((long long)s * 7919) % c->m);
        int j = s < 4 ? (s >> 1) * (c->n - 1) : (int)(((long long)s * 104729) % c->n);
        double want = 0, magnitude = 0;
        for (int p = 0; p < c->k; p++) {
            double x = c->trans_a ? ha[(size_t)p * lda + i] : ha[(size_t)i * lda + p];
            double y = c->trans_b ? hb[(size_t)j * ldb + p] : hb[(size_t)p * ldb + j];
            want += x * y;
            magnitude += fabs(x * y);
        }
        st = bench_expect_close(b, what, (size_t)i * c->n + j, got[(size_t)i * c->n + j], want, magnitude);
    }
    return st;
}

static Status check_device_gemm(Bench *b, GemmRun *r, const char *what) {
    float *got;
    Status st = buffer_fill_zero(b->device, r->out, 0, (size_t)r->c.m * r->c.n * sizeof(float));
    if (st == BC_OK) st = run_device_gemm(b->device, r);
    if (st == BC_OK) st = bench_download(b->device, r->out, (size_t)r->c.m * r->c.n, &got);
    if (st != BC_OK) return st;
    st = check_product(b, &r->c, r->ha, r->hb, got, what);
    free(got);
    return st;
}

void gemm_implementation_name(Device *device, GemmPath path, char *out, size_t cap) {
    if (path == GEMM_PATH_CLBLAST) {
        snprintf(out, cap, "clblast");
        return;
    }
    if (gemm_gpu_enabled(device)) {
        GemmGpuParams p = gemm_gpu_params(device);
        snprintf(out, cap, "ours gpu %dx%dx%d wg%dx%d vw%d", p.mwg, p.nwg, p.kwg, p.mdimc, p.ndimc, p.vw);
        return;
    }
    snprintf(out, cap, "ours %dx%d wg%dx%d%s", device_profile_get(device, "GEMM_TILE_M"),
             device_profile_get(device, "GEMM_TILE_N"), device_profile_get(device, "GEMM_WG_M"),
             device_profile_get(device, "GEMM_WG_N"),
             device_profile_get(device, "GEMM_PACK_A") ? " packed-A" : "");
}

/* Our row's implementation text: the tile and which of our kernels ran this shape. */
static void ours_row_text(Device *device, const GemmCase *c, char *out, size_t cap) {
    char route[32];
    gemm_route_text(device, c->trans_a, c->trans_b, c->m, c->n, c->k, route, sizeof route);
    if (gemm_gpu_enabled(device)) {
        snprintf(out, cap, "ours %.31s", route);
        return;
    }
    snprintf(out, cap, "ours %dx%d %.31s", device_profile_get(device, "GEMM_TILE_M"),
             device_profile_get(device, "GEMM_TILE_N"), route);
}

/* Our path checked and timed, and CLBlast's; with OpenBLAS, ours and OpenBLAS are timed in
 * alternation, and our row carries the per-pair speed ratio. */
static Status bench_one_case(Bench *b, const GemmCase *c) {
    GemmRun r = {.c = *c};
    size_t a_count = (size_t)c->m * c->k, b_count = (size_t)c->k * c->n, c_count = (size_t)c->m * c->n;
    Status st = bench_upload_random(b, a_count, -1.0f, 1.0f, &r.a, &r.ha);
    if (st == BC_OK) st = bench_upload_random(b, b_count, -1.0f, 1.0f, &r.b, &r.hb);
    if (st == BC_OK) st = buffer_create(b->device, c_count * sizeof(float), &r.out);
    BenchRow row = {.section = "gemm", .rate_kind = RATE_FLOPS, .work = 2.0 * c->m * c->n * (double)c->k};
    snprintf(row.name, sizeof row.name, "%.60s", c->name);
    gemm_case_shape_text(c, row.shape, sizeof row.shape);
    BenchRow ours = row, clblast = row, host = row;
    ours_row_text(b->device, c, ours.impl, sizeof ours.impl);
    gemm_implementation_name(b->device, GEMM_PATH_CLBLAST, clblast.impl, sizeof clblast.impl);
    snprintf(host.impl, sizeof host.impl, "openblas (host)");
    host.host = true;
    char what[256];
    snprintf(what, sizeof what, "gemm %s %s (%s)", row.name, row.shape, ours.impl);
    r.path = GEMM_PATH_OURS;
    if (st == BC_OK) st = check_device_gemm(b, &r, what);
#ifdef BYOLCL_HAVE_OPENBLAS
    if (st == BC_OK) {
        r.hc = calloc(c_count ? c_count : 1, sizeof *r.hc);
        if (!r.hc) st = error_set(BC_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    if (st == BC_OK) {
        run_openblas(b->device, &r);
        st = check_product(b, c, r.ha, r.hb, r.hc, "gemm (openblas)");
    }
    if (st == BC_OK && !b->check_only) {
        BenchTime ours_t, host_t;
        st = bench_time_paired(b, run_device_gemm, run_openblas, &r, &ours_t, &host_t, &ours.speedup);
        ours.paired_with = "openblas";
        bench_row_set_time(&ours, &ours_t);
        bench_row_set_time(&host, &host_t);
        if (st == BC_OK) st = bench_add_row(b, &ours);
    }
#else
    if (st == BC_OK && !b->check_only) st = bench_measure(b, ours, run_device_gemm, &r);
#endif
    r.path = GEMM_PATH_CLBLAST;
    snprintf(what, sizeof what, "gemm %s %s (%s)", row.name, row.shape, clblast.impl);
    if (st == BC_OK) st = check_device_gemm(b, &r, what);
    if (st == BC_OK && !b->check_only) st = bench_measure(b, clblast, run_device_gemm, &r);
#ifdef BYOLCL_HAVE_OPENBLAS
    if (st == BC_OK && !b->check_only) st = bench_add_row(b, &host);
#endif
    free(r.ha);
    free(r.hb);
    free(r.hc);
    buffer_release(r.a);
    buffer_release(r.b);
    buffer_release(r.out);
    return st;
}

Status bench_gemm(Bench *b) {
#ifdef BYOLCL_HAVE_OPENBLAS
    bench_section_header(b, "gemm", "C = op(A) op(B); ours and CLBlast on the device, OpenBLAS cblas_sgemm on the host");
#else
    bench_section_header(b, "gemm", "C = op(A) op(B); ours and CLBlast on the device (built without OpenBLAS)");
#endif
    GemmCase cases[GEMM_MAX_CASES];
    int count = gemm_model_cases(b->quick, device_info(b->device)->kind != DEVICE_CPU, cases, GEMM_MAX_CASES);
    Status st = BC_OK;
    for (int i = 0; st == BC_OK && i < count; i++)
        if (bench_selected(b, "gemm", cases[i].name)) st = bench_one_case(b, &cases[i]);
    return st == BC_OK ? BC_OK : error_wrap(st, "gemm: ");
}
