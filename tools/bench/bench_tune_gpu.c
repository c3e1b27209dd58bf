/* bench_tune_gpu.c — byolcl-bench --tune on a GPU (--tune-gemm-gpu on any device): runs the
 * three searches of the GPU kernels in turn, sharing the time bound between them, and saves
 * the winners as this device's profile in one write: our GPU GEMM's sizes (here), split-k
 * (bench_tune_split.c) and the implicit-GEMM convolutions' (bench_tune_conv.c). The GEMM
 * search covers our GPU GEMM's sizes (the profile keys GEMM_GPU_MWG ... GEMM_GPU_DB,
 * cl/gemm_gpu.cl) over a declared space, CLBlast-style in two stages: configurations known to do well first, then
 * the rest of the space in a seeded random order, until the candidate count or the time bound
 * is spent. Every candidate is checked against the double references (odd, vector-aligned and
 * split-k GEMMs in every transposition) before it is timed on ResNet-18's convolution GEMMs
 * (32x32x3, batch 16, each shape as often as the network has it) and a square; one the device
 * cannot build or run is skipped, a wrong result stops the search. CLBlast is timed on the
 * same set, and the fastest stays applied (GEMM_GPU = 1 with the best sizes, or GEMM_PATH =
 * CLBlast). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "bench_gemm_cases.h"
#include "ops/gemm_gpu.h"
#include "util/clock.h"

/* The search space: every combination of these that gemm_gpu_params_problem accepts for the
 * device, with 8 to 128 accumulators per work-item (fewer starve the FMA units on local
 * reads, more spill on every GPU we know). PAD is in units of VW (0 or one vector). */
static const int space_wg[] = {16, 32, 64, 128}, space_kwg[] = {8, 16, 32}, space_dimc[] = {8, 16},
                 space_vw[] = {1, 2, 4, 8}, space_pad_vectors[] = {0, 1}, space_db[] = {0, 1};
#define COUNT(array) ((int)(sizeof array / sizeof *array))

/* Stage one: the generic defaults (profile_keys.def) first, then the shapes GPU.md's sources tuned
 * or chose (as MWG NWG KWG MDIMC NDIMC VW PAD DB): CLBlast's A100 and V100 xgemm entries
 * re-expressed for this kernel, dlprimitives' NVIDIA 128 x 128 / 8 x 8 per work-item, 64 x 128
 * for the 64-channel layers, and the defaults double-buffered. */
static const GemmGpuParams known_good[] = {
    {64, 64, 16, 8, 8, 4, 4, 0},     {32, 64, 32, 8, 16, 4, 0, 0},    {64, 32, 32, 16, 8, 4, 0, 0},
    {128, 128, 16, 16, 16, 4, 4, 0}, {128, 128, 16, 16, 16, 4, 4, 1}, {64, 128, 16, 8, 16, 4, 4, 0},
    {64, 64, 16, 8, 8, 4, 4, 1},     {64, 64, 32, 8, 8, 4, 4, 0},
};

/* --quick (CI on a CPU driver): the defaults, double-buffered, and two small tiles. */
static const GemmGpuParams quick_list[] = {
    {64, 64, 16, 8, 8, 4, 4, 0}, {64, 64, 16, 8, 8, 4, 4, 1}, {16, 32, 8, 4, 8, 1, 1, 0}, {32, 32, 8, 4, 4, 2, 2, 1}};

static bool candidate_usable(const GemmGpuParams *p, const DeviceInfo *info) {
    int accumulators = (p->mwg / p->mdimc) * (p->nwg / p->ndimc);
    return accumulators >= 8 && accumulators <= 128 && !gemm_gpu_params_problem(p, info);
}

static bool same_params(const GemmGpuParams *x, const GemmGpuParams *y) { return memcmp(x, y, sizeof *x) == 0; }

static uint64_t xorshift(uint64_t *s) {
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}

void bench_tune_shuffle(void *items, int count, size_t size, uint64_t seed) {
    unsigned char *base = items, t[256];
    uint64_t s = seed * 2654435761u + 1;
    for (int i = count - 1; i > 0 && size <= sizeof t; i--) {
        int j = (int)(xorshift(&s) % (uint64_t)(i + 1));
        memcpy(t, base + (size_t)i * size, size);
        memcpy(base + (size_t)i * size, base + (size_t)j * size, size);
        memcpy(base + (size_t)j * size, t, size);
    }
}

bool bench_tune_skipped(Bench *b, const char *name, Status *st) {
    if (*st != BC_ERR_BUILD && *st != BC_ERR_OPENCL && *st != BC_ERR_OUT_OF_MEMORY) return false;
    if (b->table) fprintf(b->table, "tune: %s skipped: %s\n", name, error_last());
    error_clear();
    *st = BC_OK;
    return true;
}

bool bench_tune_time_is_up(Bench *b, double start, double seconds, bool timed_one, int left, int count) {
    if (seconds <= 0 || !timed_one || clock_seconds() - start <= seconds) return false;
    if (b->table) fprintf(b->table, "tune: %.1f s spent; %d of %d candidates left untried\n", seconds, left, count);
    return true;
}

void bench_tune_comparison_header(Bench *b, const char *what) {
    if (b->table)
        fprintf(b->table, "\nbefore (the profile as loaded) and after (the winner), %s:\n%-44s %-34s %10s %10s %7s\n",
                what, "name", "shape", "before ms", "after ms", "speedup");
}

void bench_tune_comparison_line(Bench *b, const char *name, const char *shape, double before_ms, double after_ms) {
    if (b->table)
        fprintf(b->table, "%-44s %-34s %10.3f %10.3f %6.2fx\n", name, shape, before_ms, after_ms,
                after_ms > 0 ? before_ms / after_ms : 0.0);
}

/* The candidates in order: stage one, then the rest of the space shuffled by `seed`. */
static int candidates(const DeviceInfo *info, bool quick, uint64_t seed, GemmGpuParams *out, int cap) {
    int count = 0;
    if (quick) {
        for (int i = 0; i < COUNT(quick_list) && count < cap; i++)
            if (!gemm_gpu_params_problem(&quick_list[i], info)) out[count++] = quick_list[i];
        return count;
    }
    for (int i = 0; i < COUNT(known_good) && count < cap; i++)
        if (candidate_usable(&known_good[i], info)) out[count++] = known_good[i];
    int first_random = count;
    for (int a = 0; a < COUNT(space_wg); a++)
        for (int b = 0; b < COUNT(space_wg); b++)
            for (int k = 0; k < COUNT(space_kwg); k++)
                for (int c = 0; c < COUNT(space_dimc); c++)
                    for (int d = 0; d < COUNT(space_dimc); d++)
                        for (int v = 0; v < COUNT(space_vw); v++)
                            for (int p = 0; p < COUNT(space_pad_vectors); p++)
                                for (int e = 0; e < COUNT(space_db) && count < cap; e++) {
                                    GemmGpuParams g = {space_wg[a], space_wg[b], space_kwg[k], space_dimc[c], space_dimc[d],
                                                       space_vw[v], space_pad_vectors[p] * space_vw[v], space_db[e]};
                                    bool known = false;
                                    for (int i = 0; i < first_random; i++) known = known || same_params(&g, &out[i]);
                                    if (!known && candidate_usable(&g, info)) out[count++] = g;
                                }
    bench_tune_shuffle(out + first_random, count - first_random, sizeof *out, seed);
    return count;
}

/* ResNet-18's conv GEMMs at 32x32x3, batch 16 (quick: the small ResNet, batch 1), in the
 * three passes of the im2col formulation (bench_gemm_cases.c), each as often as the network
 * runs it, and a square. */
static Status tune_set_create(Bench *b, TuneSet *t) {
    ModelSpec model = b->quick ? (ModelSpec){"small-w16", MODEL_SMALL, 1, 28, 16, 1, 512, 128}
                               : (ModelSpec){"resnet18", MODEL_RESNET18, 3, 32, 64, 16, 4096, 256};
    int side = b->quick ? 96 : 1024;
    t->count = gemm_conv_cases(&model, t->cases, t->repeats, TUNE_SET_MAX - 1, 0);
    t->cases[t->count] = (GemmCase){"square", side, side, side, false, false};
    t->repeats[t->count++] = 1;
    return tune_set_upload(b, t);
}

static Status time_set(Bench *b, TuneSet *set, const char *name, double *median_ms) {
    return tune_set_time(b, set, name, name, b->quick ? "small-w16 n1 conv GEMMs + square" : "resnet18 n16 conv GEMMs + square",
                         median_ms);
}

/* Odd sizes (the element-wise edges), vector-aligned ones (every dimension a multiple of 8,
 * m and n of no tile: the vector loads and stores next to edges) and a split-k depth. No conv
 * passes: conv2d reaches these kernels only through gemm(), which these checks cover (its
 * fused paths call the CPU kernels' gemm_tiles, which --tune with GEMM_GPU=0 tunes). */
static Status check_candidate(Bench *b, GemmPath path, const char *label) {
    Status st = bench_tune_check_gemm(b, path, label, 37, 53, 29);
    if (st == BC_OK) st = bench_tune_check_gemm(b, path, label, 136, 72, 40);
    if (st == BC_OK) st = bench_tune_check_gemm(b, path, label, 24, 40, 2048);
    return st;
}

static void params_text(const GemmGpuParams *p, char *out, size_t cap) {
    snprintf(out, cap, "gpu %dx%dx%d wi%dx%d vw%d pad%d%s", p->mwg, p->nwg, p->kwg, p->mwg / p->mdimc,
             p->nwg / p->ndimc, p->vw, p->pad, p->db ? " db" : "");
}

/* Times every candidate (checked first) and returns the fastest in *best; stops after
 * `seconds` (0: never) once one has been timed. */
static Status search(Bench *b, TuneSet *set, bool wide, double seconds, GemmGpuParams *best, double *best_ms) {
    static GemmGpuParams list[8192];
    int count = candidates(device_info(b->device), b->quick, b->seed, list, COUNT(list));
    int limit = b->quick || wide ? count : 48;
    double start = clock_seconds();
    Status st = device_profile_set(b->device, "GEMM_GPU", 1);
    if (st == BC_OK) st = device_profile_set(b->device, "GEMM_PATH", GEMM_PATH_OURS);
    set->path = GEMM_PATH_OURS;
    if (limit > count) limit = count;
    for (int i = 0; st == BC_OK && i < limit; i++) {
        if (bench_tune_time_is_up(b, start, seconds, *best_ms < INFINITY, limit - i, limit)) break;
        char name[96];
        params_text(&list[i], name, sizeof name);
        st = gemm_gpu_params_apply(b->device, &list[i]);
        if (st == BC_OK) st = check_candidate(b, GEMM_PATH_OURS, name);
        if (bench_tune_skipped(b, name, &st)) continue;
        if (st != BC_OK || b->check_only) continue;
        double ms;
        st = time_set(b, set, name, &ms);
        if (st == BC_OK && ms < *best_ms) *best_ms = ms, *best = list[i];
    }
    return st;
}

/* The GEMM search: leaves the winner applied (--check-only: the sizes as loaded). */
static Status tune_gemm(Bench *b, bool wide, double seconds) {
    bench_section_header(b, "tune", "our GPU GEMM's sizes (GEMM_GPU_*), then CLBlast, on the model's GEMMs");
    GemmGpuParams original = gemm_gpu_params(b->device), best = original;
    int original_gpu = device_profile_get(b->device, "GEMM_GPU");
    int original_path = device_profile_get(b->device, "GEMM_PATH");
    TuneSet set = {0};
    double best_ms = INFINITY, clblast_ms = INFINITY;
    Status st = tune_set_create(b, &set);
    if (st == BC_OK) st = search(b, &set, wide, seconds, &best, &best_ms);
    if (st == BC_OK) st = check_candidate(b, GEMM_PATH_CLBLAST, "clblast");
    if (st == BC_OK && !b->check_only) {
        set.path = GEMM_PATH_CLBLAST;
        st = time_set(b, &set, "clblast", &clblast_ms);
    }
    if (st == BC_OK && b->check_only) {
        st = gemm_gpu_params_apply(b->device, &original);
        if (st == BC_OK) st = device_profile_set(b->device, "GEMM_GPU", original_gpu);
        if (st == BC_OK) st = device_profile_set(b->device, "GEMM_PATH", original_path);
    } else if (st == BC_OK) {
        int path = clblast_ms < best_ms ? GEMM_PATH_CLBLAST : GEMM_PATH_OURS;
        st = gemm_gpu_params_apply(b->device, &best);
        if (st == BC_OK) st = device_profile_set(b->device, "GEMM_GPU", 1);
        if (st == BC_OK) st = device_profile_set(b->device, "GEMM_PATH", path);
        char text[96];
        params_text(&best, text, sizeof text);
        if (st == BC_OK && b->table)
            fprintf(b->table,
                    "\nbest: GEMM_PATH = %d (%s); GEMM_GPU_MWG = %d, NWG = %d, KWG = %d, MDIMC = %d, NDIMC = %d, VW = %d, "
                    "PAD = %d, DB = %d (%s): %.1f GFLOP/s (ours) vs %.1f GFLOP/s (clblast)\n",
                    path, path == GEMM_PATH_CLBLAST ? "clblast" : "ours", best.mwg, best.nwg, best.kwg, best.mdimc,
                    best.ndimc, best.vw, best.pad, best.db, text, set.flops / (best_ms * 1e-3) * 1e-9,
                    set.flops / (clblast_ms * 1e-3) * 1e-9);
    }
    tune_set_release(&set);
    return st == BC_OK ? BC_OK : error_wrap(st, "tune: ");
}

/* What is left of the bound, shared equally by the searches still to run (0: no bound); a
 * spent bound still lets a search time its first candidate. */
static double share_of(double seconds, double start, int searches_left) {
    if (seconds <= 0) return 0;
    double left = seconds - (clock_seconds() - start);
    return left > 0 ? left / searches_left : 1e-9;
}

Status bench_tune_gpu(Bench *b, bool wide, double seconds) {
    double start = clock_seconds();
    /* Split-k after the GEMM (it runs on the GEMM's winner) and before the convolutions: its
     * 25 settings need no kernel builds and seldom use their share, which then goes to the
     * convolutions' hundreds. */
    Status st = tune_gemm(b, wide, share_of(seconds, start, 3));
    if (st == BC_OK) st = bench_tune_split(b, wide, share_of(seconds, start, 2));
    if (st == BC_OK) st = bench_tune_conv(b, wide, share_of(seconds, start, 1));
    if (st == BC_OK && !b->check_only) st = device_profile_save(b->device);
    if (st == BC_OK && !b->check_only && b->table)
        fprintf(b->table, "\nsearches done in %.0f s; saved to %s\n", clock_seconds() - start,
                device_profile_path(b->device));
    return st;
}
