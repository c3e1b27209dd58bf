/* gemm_ref.h — plain-C reference GEMM in double (row-major, BLAS semantics). */
#ifndef BYOLCL_GEMM_REF_H
#define BYOLCL_GEMM_REF_H

#include <stdbool.h>

/* C = alpha * op(A) * op(B) + beta * C; beta == 0 ignores what C held (NaN included). */
void gemm_ref(bool trans_a, bool trans_b, int m, int n, int k, double alpha, const double *a,
              int lda, const double *b, int ldb, double beta, double *c, int ldc);

#endif
