/* bench_gemm_cases.h — the GEMM shapes byolcl-bench measures and tunes on: the im2col
 * GEMMs of the small ResNet's convolutions (28x28x1, batch 256, width 16 and 32) in the
 * three passes, and square sizes. */
#ifndef BYOLCL_BENCH_GEMM_CASES_H
#define BYOLCL_BENCH_GEMM_CASES_H

#include <stdbool.h>
#include <stddef.h>

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

/* Distinct cases: model shapes first, then squares. quick: batch 3, width 16, small squares. */
int gemm_model_cases(bool quick, GemmCase *out, int cap);

/* "ours 8x16 wg2x1" or "clblast", from the device's current profile. */
void gemm_implementation_name(Device *device, GemmPath path, char *out, size_t cap);

#endif
