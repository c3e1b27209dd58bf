/* gemm_ref.c — plain-C reference GEMM in double. */
#include "ref/gemm_ref.h"

void gemm_ref(bool trans_a, bool trans_b, int m, int n, int k, double alpha, const double *a,
              int lda, const double *b, int ldb, double beta, double *c, int ldc) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double sum = 0.0;
            for (int p = 0; p < k; p++)
                sum += (trans_a ? a[(long)p * lda + i] : a[(long)i * lda + p]) *
                       (trans_b ? b[(long)j * ldb + p] : b[(long)p * ldb + j]);
            double *x = &c[(long)i * ldc + j];
            *x = alpha * sum + (beta == 0.0 ? 0.0 : beta * *x);
        }
}
