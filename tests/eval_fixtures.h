/* eval_fixtures.h — synthetic feature sets for the kNN and linear-probe tests. */
#ifndef BYOLCL_TESTS_EVAL_FIXTURES_H
#define BYOLCL_TESTS_EVAL_FIXTURES_H

#include <stdlib.h>

#include "byolcl/eval.h"
#include "test_util.h"

/* `count` vectors of `dim` values: sample i belongs to class (i * label_step + label_offset)
 * % classes and sits at its class's center (uniform in +-center_range, seed center_seed)
 * plus uniform noise of half-width `spread` (seed noise_seed). */
static inline FeatureSet clustered_features(size_t count, int dim, int classes, float center_range,
                                            uint64_t center_seed, float spread, uint64_t noise_seed,
                                            size_t label_step, size_t label_offset) {
    FeatureSet s = {malloc(count * (size_t)dim * sizeof(float)), malloc(count * sizeof(int32_t)), count, dim, classes};
    float *centers = test_alloc_uniform((size_t)classes * (size_t)dim, center_seed, -center_range, center_range);
    float *noise = test_alloc_uniform(count * (size_t)dim, noise_seed, -spread, spread);
    for (size_t i = 0; i < count; i++) {
        int c = (int)((i * label_step + label_offset) % (size_t)classes);
        s.labels[i] = c;
        for (int d = 0; d < dim; d++)
            s.values[i * (size_t)dim + (size_t)d] = centers[c * dim + d] + noise[i * (size_t)dim + (size_t)d];
    }
    free(centers);
    free(noise);
    return s;
}

#endif
