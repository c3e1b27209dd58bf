/* pca.c — the 2-D view of a representation: projection onto the top two principal
 * components, found by power iteration on the centered rows (X^T X v without forming the
 * covariance, so wide features cost no dim^2 memory), in double. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/eval.h"

enum { PCA_MAX_ITERATIONS = 500 };

/* out = X_c^T (X_c v), with X_c the rows minus mean. */
static void covariance_times(const FeatureSet *s, const double *mean, const double *v, double *out) {
    int dim = s->dim;
    memset(out, 0, (size_t)dim * sizeof *out);
    for (size_t i = 0; i < s->count; i++) {
        const float *row = s->values + i * (size_t)dim;
        double dot = 0;
        for (int d = 0; d < dim; d++) dot += (row[d] - mean[d]) * v[d];
        for (int d = 0; d < dim; d++) out[d] += (row[d] - mean[d]) * dot;
    }
}

static double normalize(double *v, int dim) {
    double norm = 0;
    for (int d = 0; d < dim; d++) norm += v[d] * v[d];
    norm = sqrt(norm);
    if (norm > 0)
        for (int d = 0; d < dim; d++) v[d] /= norm;
    return norm;
}

/* Leading eigenvector of the covariance restricted to the complement of `orth` (may be NULL). */
static void leading_component(const FeatureSet *s, const double *mean, const double *orth, double *v, double *tmp) {
    int dim = s->dim;
    for (int d = 0; d < dim; d++) v[d] = 1.0 + 0.01 * (double)(d % 7); /* fixed start: deterministic */
    for (int it = 0; it < PCA_MAX_ITERATIONS; it++) {
        if (orth) {
            double p = 0;
            for (int d = 0; d < dim; d++) p += v[d] * orth[d];
            for (int d = 0; d < dim; d++) v[d] -= p * orth[d];
        }
        if (normalize(v, dim) == 0) return;
        covariance_times(s, mean, v, tmp);
        if (orth) {
            double p = 0;
            for (int d = 0; d < dim; d++) p += tmp[d] * orth[d];
            for (int d = 0; d < dim; d++) tmp[d] -= p * orth[d];
        }
        if (normalize(tmp, dim) == 0) return;
        double change = 0;
        for (int d = 0; d < dim; d++) change += fabs(tmp[d] - v[d]);
        memcpy(v, tmp, (size_t)dim * sizeof *v);
        if (change < 1e-10 * dim) break;
    }
    int biggest = 0;
    for (int d = 1; d < dim; d++)
        if (fabs(v[d]) > fabs(v[biggest])) biggest = d;
    if (v[biggest] < 0)
        for (int d = 0; d < dim; d++) v[d] = -v[d];
}

Status pca_project_2d(const FeatureSet *s, double *x, double *y) {
    int dim = s->dim;
    double *mean = calloc((size_t)dim, sizeof *mean), *v1 = calloc((size_t)dim, sizeof *v1);
    double *v2 = calloc((size_t)dim, sizeof *v2), *tmp = calloc((size_t)dim, sizeof *tmp);
    Status st = mean && v1 && v2 && tmp ? BC_OK : error_set(BC_ERR_OUT_OF_MEMORY, "PCA: out of memory");
    if (st == BC_OK) {
        for (size_t i = 0; i < s->count; i++)
            for (int d = 0; d < dim; d++) mean[d] += s->values[i * (size_t)dim + (size_t)d];
        for (int d = 0; d < dim; d++) mean[d] /= s->count ? (double)s->count : 1.0;
        leading_component(s, mean, NULL, v1, tmp);
        leading_component(s, mean, v1, v2, tmp);
        for (size_t i = 0; i < s->count; i++) {
            const float *row = s->values + i * (size_t)dim;
            double a = 0, b = 0;
            for (int d = 0; d < dim; d++) a += (row[d] - mean[d]) * v1[d], b += (row[d] - mean[d]) * v2[d];
            x[i] = a, y[i] = b;
        }
    }
    free(mean), free(v1), free(v2), free(tmp);
    return st;
}
