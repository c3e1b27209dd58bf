/* bench_tune.c — byolcl-bench --tune: searches our GEMM's tile and work-group sizes (the
 * device-profile keys GEMM_TILE_M, GEMM_TILE_N, GEMM_WG_M, GEMM_WG_N, which conv2d shares)
 * and the GEMM path (ours or CLBlast) on the model's GEMM shapes, checks every candidate
 * against the double references (plain GEMMs in every transposition, and the three conv
 * passes, which use the tiles through their fused layouts) before timing it, and saves the
 * fastest as this device's profile, which device_open loads from then on. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "bench_gemm_cases.h"
#include "ref/conv2d_ref.h"
#include "ref/gemm_ref.h"

typedef struct {
    int tile_m, tile_n, wg_m, wg_n;
} TileChoice;

static Status apply_choice(Device *device, const TileChoice *c) {
    Status st = device_profile_set(device, "GEMM_TILE_M", c->tile_m);
    if (st == BC_OK) st = device_profile_set(device, "GEMM_TILE_N", c->tile_n);
    if (st == BC_OK) st = device_profile_set(device, "GEMM_WG_M", c->wg_m);
    if (st == BC_OK) st = device_profile_set(device, "GEMM_WG_N", c->wg_n);
    return st;
}

Status bench_tune_check_gemm(Bench *b, GemmPath path, const char *label, int m, int n, int k) {
    Buffer *a = NULL, *bb = NULL, *c = NULL;
    float *ha = NULL, *hb = NULL;
    double *da = NULL, *db = NULL, *want = malloc((size_t)m * n * sizeof *want);
    Status st = want ? BC_OK : error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    if (st == BC_OK) st = bench_upload_random(b, (size_t)m * k, -1, 1, &a, &ha);
    if (st == BC_OK) st = bench_upload_random(b, (size_t)k * n, -1, 1, &bb, &hb);
    if (st == BC_OK) st = buffer_create(b->device, (size_t)m * n * sizeof(float), &c);
    if (st == BC_OK && (!(da = bench_doubles_of(ha, (size_t)m * k)) || !(db = bench_doubles_of(hb, (size_t)k * n))))
        st = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    for (int t = 0; st == BC_OK && t < 4; t++) {
        bool ta = t & 1, tb = t & 2;
        int lda = ta ? m : k, ldb = tb ? k : n;
        st = gemm_with_path(b->device, path, ta, tb, m, n, k, 1.0f, view_of(a), lda, view_of(bb), ldb, 0.0f,
                            view_of(c), n);
        gemm_ref(ta, tb, m, n, k, 1.0, da, lda, db, ldb, 0.0, want, n);
        char what[96];
        snprintf(what, sizeof what, "%s gemm %c%c %dx%dx%d", label, ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k);
        if (st == BC_OK) st = bench_expect_buffer_close(b, what, c, want, (size_t)m * n, 1e-4);
    }
    buffer_release(a);
    buffer_release(bb);
    buffer_release(c);
    free(ha);
    free(hb);
    free(da);
    free(db);
    free(want);
    return st;
}

Status bench_tune_check_conv(Bench *b, const char *label, const Conv2dShape *shape) {
    const Conv2dShape s = *shape;
    size_t in_n = (size_t)s.n * s.c_in * s.h * s.w, w_n = (size_t)s.c_out * s.c_in * s.kernel_h * s.kernel_w;
    size_t out_n = (size_t)s.n * s.c_out * conv2d_out_h(&s) * conv2d_out_w(&s);
    Buffer *in = NULL, *w = NULL, *dout = NULL, *out = NULL, *din = NULL, *dw = NULL;
    float *hin = NULL, *hw = NULL, *hdout = NULL;
    double *want = calloc(in_n + w_n + out_n, sizeof *want), *din_d = NULL, *dw_d = NULL, *dout_d = NULL;
    Status st = want ? BC_OK : error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    if (st == BC_OK) st = bench_upload_random(b, in_n, -1, 1, &in, &hin);
    if (st == BC_OK) st = bench_upload_random(b, w_n, -1, 1, &w, &hw);
    if (st == BC_OK) st = bench_upload_random(b, out_n, -1, 1, &dout, &hdout);
    if (st == BC_OK) st = buffer_create(b->device, out_n * sizeof(float), &out);
    if (st == BC_OK) st = buffer_create(b->device, in_n * sizeof(float), &din);
    if (st == BC_OK) st = buffer_create(b->device, w_n * sizeof(float), &dw);
    if (st == BC_OK) st = buffer_fill_zero(b->device, dw, 0, w_n * sizeof(float));
    if (st == BC_OK && (!(din_d = bench_doubles_of(hin, in_n)) || !(dw_d = bench_doubles_of(hw, w_n)) ||
                        !(dout_d = bench_doubles_of(hdout, out_n))))
        st = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    char what[96];
    if (st == BC_OK) st = conv2d_forward(b->device, view_of(out), view_of(in), view_of(w), &s);
    if (st == BC_OK) {
        conv2d_forward_ref(want, din_d, dw_d, &s);
        snprintf(what, sizeof what, "%s conv2d_forward", label);
        st = bench_expect_buffer_close(b, what, out, want, out_n, 1e-4);
    }
    if (st == BC_OK) st = conv2d_backward_data(b->device, view_of(din), view_of(dout), view_of(w), &s, false);
    if (st == BC_OK) {
        conv2d_backward_data_ref(want, dout_d, dw_d, &s, false);
        snprintf(what, sizeof what, "%s conv2d_backward_data", label);
        st = bench_expect_buffer_close(b, what, din, want, in_n, 1e-4);
    }
    if (st == BC_OK) st = conv2d_backward_weights(b->device, view_of(dw), view_of(dout), view_of(in), &s);
    if (st == BC_OK) {
        for (size_t i = 0; i < w_n; i++) want[i] = 0.0;
        conv2d_backward_weights_ref(want, dout_d, din_d, &s);
        snprintf(what, sizeof what, "%s conv2d_backward_weights", label);
        st = bench_expect_buffer_close(b, what, dw, want, w_n, 1e-4);
    }
    Buffer *all[] = {in, w, dout, out, din, dw};
    for (int i = 0; i < 6; i++) buffer_release(all[i]);
    free(hin);
    free(hw);
    free(hdout);
    free(want);
    free(din_d);
    free(dw_d);
    free(dout_d);
    return st;
}

static Status run_set(Device *device, void *context) {
    TuneSet *t = context;
    Status st = BC_OK;
    for (int i = 0; st == BC_OK && i < t->count; i++) {
        const GemmCase *c = &t->cases[i];
        for (int r = 0; st == BC_OK && r < t->repeats[i]; r++)
            st = gemm_with_path(device, t->path, c->trans_a, c->trans_b, c->m, c->n, c->k, 1.0f, view_of(t->a[i]),
                                gemm_case_lda(c), view_of(t->b[i]), gemm_case_ldb(c), 0.0f, view_of(t->c[i]), c->n);
    }
    return st;
}

Status tune_set_upload(Bench *b, TuneSet *t) {
    t->flops = 0;
    Status st = BC_OK;
    for (int i = 0; st == BC_OK && i < t->count; i++) {
        const GemmCase *c = &t->cases[i];
        t->flops += 2.0 * c->m * c->n * (double)c->k * t->repeats[i];
        st = bench_upload_random(b, (size_t)c->m * c->k, -1, 1, &t->a[i], NULL);
        if (st == BC_OK) st = bench_upload_random(b, (size_t)c->k * c->n, -1, 1, &t->b[i], NULL);
        if (st == BC_OK) st = buffer_create(b->device, (size_t)c->m * c->n * sizeof(float), &t->c[i]);
    }
    return st;
}

/* The small ResNet's heaviest GEMMs in each pass at a reduced batch, and a square. */
static Status tune_set_create(Bench *b, bool wide, TuneSet *t) {
    /* small-w16 stage 1 (16 -> 16, 3x3 over 28x28) and stage 3 (64 -> 64 over 7x7). */
    int batch = b->quick ? 2 : wide ? 64 : 32;
    int np1 = batch * 784, np3 = batch * 49;
    const GemmCase cases[] = {
        {"s1 fwd", 16, np1, 144, false, false},  {"s1 bwd-data", 144, np1, 16, true, false},
        {"s1 bwd-weights", 16, 144, np1, false, true}, {"s3 fwd", 64, np3, 576, false, false},
        {"s3 bwd-data", 576, np3, 64, true, false}, {"s3 bwd-weights", 64, 576, np3, false, true},
        {"square", b->quick ? 96 : 512, b->quick ? 96 : 512, b->quick ? 96 : 512, false, false}};
    t->count = (int)(sizeof cases / sizeof cases[0]);
    for (int i = 0; i < t->count; i++) t->cases[i] = cases[i], t->repeats[i] = 1;
    return tune_set_upload(b, t);
}

void tune_set_release(TuneSet *t) {
    for (int i = 0; i < t->count; i++) {
        buffer_release(t->a[i]);
        buffer_release(t->b[i]);
        buffer_release(t->c[i]);
    }
}

/* The set and a wait for the device: timed by the wall clock, not by device events, so a
 * path's host work per call counts as it does in a training step. On an H200 CLBlast's
 * events summed to a fraction of ours while its step took 3-10x longer. */
Status tune_set_run_and_wait(Device *device, void *context) {
    Status st = run_set(device, context);
    return st == BC_OK ? device_finish(device) : st;
}

Status tune_set_time(Bench *b, TuneSet *set, const char *name, const char *impl, const char *shape,
                     double *median_ms) {
    BenchRow row = {.section = "tune", .rate_kind = RATE_FLOPS, .work = set->flops, .host = true};
    snprintf(row.name, sizeof row.name, "%s", name);
    snprintf(row.shape, sizeof row.shape, "%s", shape);
    snprintf(row.impl, sizeof row.impl, "%s", impl);
    Status st = tune_set_run_and_wait(b->device, set); /* warm-up: kernel builds, first touches */
    if (st == BC_OK) st = bench_measure(b, row, tune_set_run_and_wait, set);
    if (st == BC_OK) *median_ms = b->rows[b->row_count - 1].median_ms;
    return st;
}

static int candidates(bool wide, TileChoice *out, int cap) {
    static const int narrow_m[] = {4, 6, 8, 12}, wide_m[] = {2, 4, 6, 8, 10, 12, 16};
    static const int narrow_n[] = {8, 16}, wide_n[] = {4, 8, 16};
    static const int narrow_wg[][2] = {{1, 1}, {2, 1}, {4, 1}},
                     wide_wg[][2] = {{1, 1}, {2, 1}, {4, 1}, {8, 1}, {1, 2}, {2, 2}, {1, 4}};
    const int *ms = wide ? wide_m : narrow_m, *ns = wide ? wide_n : narrow_n;
    int m_count = wide ? 7 : 4, n_count = wide ? 3 : 2, wg_count = wide ? 7 : 3;
    const int(*wgs)[2] = wide ? wide_wg : narrow_wg;
    int count = 0;
    for (int i = 0; i < m_count; i++)
        for (int j = 0; j < n_count; j++) {
            if (ms[i] * ns[j] > 256) continue; /* accumulators beyond any register file */
            for (int w = 0; w < wg_count && count < cap; w++)
                out[count++] = (TileChoice){ms[i], ns[j], wgs[w][0], wgs[w][1]};
        }
    return count;
}

Status bench_tune(Bench *b, bool wide) {
    bench_section_header(b, "tune", wide ? "wide search over our GEMM's tiles and work-groups, and the GEMM path"
                                         : "our GEMM's tiles and work-groups, and the GEMM path");
    TuneSet set = {0};
    Status st = tune_set_create(b, wide, &set);
    char shape[32];
    snprintf(shape, sizeof shape, "%d model GEMMs", set.count);
    TileChoice list[256];
    int count = candidates(wide, list, 256);
    if (b->quick && count > 3) count = 3;
    TileChoice original = {device_profile_get(b->device, "GEMM_TILE_M"),
                           device_profile_get(b->device, "GEMM_TILE_N"),
                           device_profile_get(b->device, "GEMM_WG_M"),
                           device_profile_get(b->device, "GEMM_WG_N")};
    int original_path = device_profile_get(b->device, "GEMM_PATH");
    TileChoice best = original;
    double best_ms = INFINITY;
    for (int i = 0; st == BC_OK && i < count; i++) {
        char name[64], impl[40];
        snprintf(name, sizeof name, "ours tile %dx%d wg %dx%d", list[i].tile_m, list[i].tile_n, list[i].wg_m, list[i].wg_n);
        st = apply_choice(b->device, &list[i]);
        if (st == BC_OK) st = device_profile_set(b->device, "GEMM_PATH", GEMM_PATH_OURS);
        if (st == BC_OK) st = bench_tune_check_gemm(b, GEMM_PATH_OURS, name, 37, 53, 29);
        if (st == BC_OK) st = bench_tune_check_conv(b, name, &(Conv2dShape){3, 5, 9, 7, 6, 3, 3, 2, 1});
        if (st != BC_OK || b->check_only) continue;
        set.path = GEMM_PATH_OURS;
        gemm_implementation_name(b->device, GEMM_PATH_OURS, impl, sizeof impl);
        double ms;
        st = tune_set_time(b, &set, name, impl, shape, &ms);
        if (st == BC_OK && ms < best_ms) {
            best_ms = ms;
            best = list[i];
        }
    }
    /* CLBlast with its own tuning database, on the same shapes. */
    double clblast_ms = INFINITY;
    if (st == BC_OK) st = bench_tune_check_gemm(b, GEMM_PATH_CLBLAST, "clblast", 37, 53, 29);
    if (st == BC_OK && !b->check_only) {
        set.path = GEMM_PATH_CLBLAST;
        st = tune_set_time(b, &set, "clblast", "clblast", shape, &clblast_ms);
    }
    if (st == BC_OK && b->check_only) {
        st = apply_choice(b->device, &original);
        if (st == BC_OK) st = device_profile_set(b->device, "GEMM_PATH", original_path);
    } else if (st == BC_OK) {
        int path = clblast_ms < best_ms ? GEMM_PATH_CLBLAST : GEMM_PATH_OURS;
        st = apply_choice(b->device, &best);
        if (st == BC_OK) st = device_profile_set(b->device, "GEMM_PATH", path);
        if (st == BC_OK) st = device_profile_save(b->device);
        if (st == BC_OK && b->table)
            fprintf(b->table, "\nbest: GEMM_PATH = %d (%s), GEMM_TILE_M = %d, GEMM_TILE_N = %d, GEMM_WG_M = %d, "
                              "GEMM_WG_N = %d: %.1f GFLOP/s (ours) vs %.1f GFLOP/s (clblast)\nsaved to %s\n",
                    path, path == GEMM_PATH_CLBLAST ? "clblast" : "ours", best.tile_m, best.tile_n, best.wg_m,
                    best.wg_n, set.flops / (best_ms * 1e-3) * 1e-9, set.flops / (clblast_ms * 1e-3) * 1e-9,
                    device_profile_path(b->device));
    }
    tune_set_release(&set);
    return st == BC_OK ? BC_OK : error_wrap(st, "tune: ");
}
