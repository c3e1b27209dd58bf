/* bench_tune_split.c — byolcl-bench --tune on a GPU, split-k: searches GEMM_SPLIT_K and
 * GEMM_SPLIT_RATIO (how gemm() cuts a depth that is long next to the output into chunks whose
 * partial products are summed after) on the GEMMs of that shape the model has: the weight
 * gradients of ResNet-18's convolutions in their im2col form (32x32x3, batch 64, each as often
 * as the network runs it; --quick: the small ResNet, batch 4), through the GEMM path and sizes
 * the GEMM search chose. The profile as loaded is the first candidate; each is checked against
 * the double reference on a product deep enough to be split before it is timed. The fastest
 * stays applied for the caller to save, and a table compares it with the profile as loaded. */
#include <math.h>
#include <stdio.h>

#include "bench.h"
#include "bench_gemm_cases.h"
#include "util/clock.h"

#define COUNT(array) ((int)(sizeof array / sizeof *array))

typedef struct {
    int chunk, ratio; /* GEMM_SPLIT_K (0: off), GEMM_SPLIT_RATIO */
} SplitChoice;

static Status choice_apply(Device *device, const SplitChoice *c) {
    Status st = device_profile_set(device, "GEMM_SPLIT_K", c->chunk);
    return st == BC_OK ? device_profile_set(device, "GEMM_SPLIT_RATIO", c->ratio) : st;
}

static void choice_text(const SplitChoice *c, char *out, size_t cap) {
    if (c->chunk == 0) snprintf(out, cap, "split-k off");
    else snprintf(out, cap, "split-k %d ratio %d", c->chunk, c->ratio);
}

/* The loaded setting, then chunks of 256 to 8192 with ratios 2 to 16 and no split at all in a
 * seeded random order (--quick: three of them). */
static int choices(const Bench *b, const SplitChoice *loaded, SplitChoice *out, int cap) {
    static const int chunks[] = {256, 512, 1024, 2048, 4096, 8192}, ratios[] = {2, 4, 8, 16};
    static const SplitChoice quick[] = {{256, 4}, {1024, 2}, {0, 4}};
    int count = 0;
    out[count++] = *loaded;
    SplitChoice all[COUNT(chunks) * COUNT(ratios) + 1];
    int n = 0;
    if (b->quick)
        for (int i = 0; i < COUNT(quick); i++) all[n++] = quick[i];
    else {
        for (int i = 0; i < COUNT(chunks); i++)
            for (int j = 0; j < COUNT(ratios); j++) all[n++] = (SplitChoice){chunks[i], ratios[j]};
        all[n++] = (SplitChoice){0, loaded->ratio};
        bench_tune_shuffle(all, n, sizeof *all, b->seed + 2);
    }
    for (int i = 0; i < n && count < cap; i++)
        if (!(all[i].chunk == loaded->chunk && (all[i].ratio == loaded->ratio || loaded->chunk == 0)))
            out[count++] = all[i];
    return count;
}

/* The weight-gradient GEMMs (d_out x patches^T: long k, small m x n). */
static Status set_create(Bench *b, TuneSet *t) {
    ModelSpec model = b->quick ? (ModelSpec){"small-w16", MODEL_SMALL, 1, 28, 16, 4, 512, 128}
                               : (ModelSpec){"resnet18", MODEL_RESNET18, 3, 32, 64, 64, 4096, 256};
    GemmCase all[TUNE_SET_MAX];
    int repeats[TUNE_SET_MAX];
    int n = gemm_conv_cases(&model, all, repeats, TUNE_SET_MAX, 0);
    t->count = 0;
    for (int i = 0; i < n; i++)
        if (!all[i].trans_a && all[i].trans_b) t->cases[t->count] = all[i], t->repeats[t->count++] = repeats[i];
    return tune_set_upload(b, t);
}

static const char *set_shape(const Bench *b) {
    return b->quick ? "small-w16 n4 weight-gradient GEMMs" : "resnet18 n64 weight-gradient GEMMs";
}

/* The shape of the weight gradients with a depth that splits into at least two chunks. */
static Status check_choice(Bench *b, GemmPath path, const SplitChoice *c, const char *label) {
    int k = c->chunk > 0 && 2 * c->chunk + 37 > 2048 ? 2 * c->chunk + 37 : 2048;
    return bench_tune_check_gemm(b, path, label, 24, 40, k);
}

/* Wall-clock milliseconds of each case alone under choice c, into ms[]. */
static Status time_each(Bench *b, const TuneSet *t, const SplitChoice *c, double *ms) {
    Status st = choice_apply(b->device, c);
    for (int i = 0; st == BC_OK && i < t->count; i++) {
        TuneSet one = {.count = 1, .path = t->path};
        one.cases[0] = t->cases[i], one.repeats[0] = 1;
        one.a[0] = t->a[i], one.b[0] = t->b[i], one.c[0] = t->c[i];
        BenchTime time;
        st = tune_set_run_and_wait(b->device, &one);
        if (st == BC_OK) st = bench_time_host(b, tune_set_run_and_wait, &one, &time);
        if (st == BC_OK) ms[i] = time.median_ms;
    }
    return st;
}

static Status compare(Bench *b, const TuneSet *t, const SplitChoice *before, const SplitChoice *after) {
    double before_ms[TUNE_SET_MAX], after_ms[TUNE_SET_MAX];
    Status st = time_each(b, t, before, before_ms);
    if (st == BC_OK) st = time_each(b, t, after, after_ms);
    if (st != BC_OK || !b->table) return st;
    bench_tune_comparison_header(b, "weight-gradient GEMMs, wall clock of one call and a wait");
    for (int i = 0; i < t->count; i++) {
        char name[128], shape[80];
        snprintf(name, sizeof name, "%.80s (x%d)", t->cases[i].name, t->repeats[i]);
        gemm_case_shape_text(&t->cases[i], shape, sizeof shape);
        bench_tune_comparison_line(b, name, shape, before_ms[i], after_ms[i]);
    }
    return BC_OK;
}

Status bench_tune_split(Bench *b, bool wide, double seconds) {
    (void)wide; /* the whole space is 25 settings */
    bench_section_header(b, "tune", "split-k of gemm() (GEMM_SPLIT_K, GEMM_SPLIT_RATIO) on the weight-gradient GEMMs");
    SplitChoice loaded = {device_profile_get(b->device, "GEMM_SPLIT_K"), device_profile_get(b->device, "GEMM_SPLIT_RATIO")};
    SplitChoice list[32], best = loaded;
    int count = choices(b, &loaded, list, COUNT(list));
    GemmPath path = device_profile_get(b->device, "GEMM_PATH") == GEMM_PATH_CLBLAST ? GEMM_PATH_CLBLAST : GEMM_PATH_OURS;
    TuneSet set = {.path = path};
    Status st = set_create(b, &set);
    double start = clock_seconds(), best_ms = INFINITY;
    for (int i = 0; st == BC_OK && i < count; i++) {
        if (bench_tune_time_is_up(b, start, seconds, best_ms < INFINITY, count - i, count)) break;
        char name[64];
        choice_text(&list[i], name, sizeof name);
        st = choice_apply(b->device, &list[i]);
        if (st == BC_OK) st = check_choice(b, path, &list[i], name);
        if (bench_tune_skipped(b, name, &st)) continue;
        if (st != BC_OK || b->check_only) continue;
        double ms;
        st = tune_set_time(b, &set, name, path == GEMM_PATH_CLBLAST ? "clblast" : "ours", set_shape(b), &ms);
        if (st == BC_OK && ms < best_ms) best_ms = ms, best = list[i];
    }
    if (st == BC_OK && b->check_only) st = choice_apply(b->device, &loaded);
    else if (st == BC_OK) {
        st = compare(b, &set, &loaded, &best);
        char text[64];
        choice_text(&best, text, sizeof text);
        if (st == BC_OK && b->table)
            fprintf(b->table, "\nbest: GEMM_SPLIT_K = %d, GEMM_SPLIT_RATIO = %d (%s)\n", best.chunk, best.ratio, text);
    }
    tune_set_release(&set);
    return st == BC_OK ? BC_OK : error_wrap(st, "tune split-k: ");
}
