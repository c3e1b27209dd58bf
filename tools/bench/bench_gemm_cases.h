/* bench_gemm_cases.h — the GEMM shapes byolcl-bench measures and tunes on: the im2col
 * GEMMs of the small ResNet's convolutions (28x28x1, batch 256, width 16 and 32) in the
 * three passes, and square sizes. */
#ifndef BYOLCL_BENCH_GEMM_CASES_H
#define BYOLCL_BENCH_GEMM_CASES_H

#include <stdbool.h>
#include <stddef.h>

#include "bench.h"
#include "bench_models.h"
#include "byolcl/ops.h"

/* C (m x n, ldc = n) = op(A) op(B), both stored row-major and densely. */
typedef struct {
    char name[96];
    int m, n, k;
    bool trans_a, trans_b;
} GemmCase;

enum { GEMM_MAX_CASES = 96 };

static inline int gemm_case_lda(const GemmCase *c) { return c->trans_a ? c->m : c->k; }
static inline int gemm_case_ldb(const GemmCase *c) { return c->trans_b ? c->k : c->n; }
void gemm_case_shape_text(const GemmCase *c, char *out, size_t cap);

/* Distinct cases: model shapes first, then squares. quick: batch 3, width 16, small squares.
 * gpu (and not quick): ResNet-18's shapes (batch 32) and a 4096 square as well. */
int gemm_model_cases(bool quick, bool gpu, GemmCase *out, int cap);
/* The im2col GEMMs (three passes) of each distinct conv of `model`, appended to out[0, count)
 * unless already there; with repeats, repeats[i] counts how often the network runs case i.
 * Returns the new count. */
int gemm_conv_cases(const ModelSpec *model, GemmCase *out, int *repeats, int cap, int count);

/* "ours 8x16 wg2x1" or "clblast", from the device's current profile. */
void gemm_implementation_name(Device *device, GemmPath path, char *out, size_t cap);

/* What a tuner times: `count` GEMMs, case i run repeats[i] times, with their operands; each
 * C dense (ldc = n). */
enum { TUNE_SET_MAX = 48 };
typedef struct {
    GemmCase cases[TUNE_SET_MAX];
    int repeats[TUNE_SET_MAX];
    int count;
    Buffer *a[TUNE_SET_MAX], *b[TUNE_SET_MAX], *c[TUNE_SET_MAX];
    GemmPath path;
    double flops; /* per run of the whole set */
} TuneSet;

/* Random operands for cases[0, count) on the device, and the set's flops (bench_tune.c). */
Status tune_set_upload(Bench *b, TuneSet *t);
void tune_set_release(TuneSet *t);
/* Times the set through t->path by the wall clock up to a wait for the device (a path's host
 * work per call counts, as in a training step), after a warm-up; adds a "tune" row. */
Status tune_set_time(Bench *b, TuneSet *set, const char *name, const char *impl, const char *shape,
                     double *median_ms);
/* One run of the set (context: a TuneSet) and a wait for the device: what tune_set_time times. */
Status tune_set_run_and_wait(Device *device, void *context);

#endif
