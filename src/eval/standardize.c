/* standardize.c — zero mean, unit variance per feature dimension, with statistics from the
 * training features only, so the probe's learning rate means the same for any encoder. */
#include <math.h>
#include <stdlib.h>

#include "byolcl/eval.h"

Status features_standardize(const FeatureSet *fit, FeatureSet *const *sets, int count) {
    int dim = fit->dim;
    double *sum = calloc((size_t)dim, sizeof *sum), *sq = calloc((size_t)dim, sizeof *sq);
    float *mean = malloc((size_t)dim * sizeof *mean), *inv = malloc((size_t)dim * sizeof *inv);
    Status st = sum && sq && mean && inv ? BC_OK : error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    for (int s = 0; st == BC_OK && s < count; s++)
        if (sets[s]->dim != dim)
            st = error_set(BC_ERR_USAGE, "features_standardize: %d dimensions, the fitted set has %d", sets[s]->dim, dim);
    if (st == BC_OK) {
        for (size_t i = 0; i < fit->count; i++) {
            const float *row = fit->values + i * (size_t)dim;
            for (int d = 0; d < dim; d++) sum[d] += row[d];
        }
        double n = fit->count ? (double)fit->count : 1.0;
        for (int d = 0; d < dim; d++) sum[d] /= n;
        /* Two passes: the variance of large-mean features survives float inputs. */
        for (size_t i = 0; i < fit->count; i++) {
            const float *row = fit->values + i * (size_t)dim;
            for (int d = 0; d < dim; d++) sq[d] += (row[d] - sum[d]) * (row[d] - sum[d]);
        }
        for (int d = 0; d < dim; d++) {
            double sd = sqrt(sq[d] / n);
            mean[d] = (float)sum[d];
            inv[d] = sd > 1e-12 * (1.0 + fabs(sum[d])) ? (float)(1.0 / sd) : 1.0f;
        }
        for (int s = 0; s < count; s++)
            for (size_t i = 0; i < sets[s]->count; i++) {
                float *row = sets[s]->values + i * (size_t)dim;
                for (int d = 0; d < dim; d++) row[d] = (row[d] - mean[d]) * inv[d];
            }
    }
    free(sum), free(sq), free(mean), free(inv);
    return st;
}
