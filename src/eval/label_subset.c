/* label_subset.c — the semi-supervised setting: a class-balanced fraction of the labels,
 * the same subset for the same seed on every machine (a splitmix64 Fisher-Yates). */
#include <math.h>
#include <stdlib.h>

#include "byolcl/eval.h"
#include "byolcl/init.h"

static int compare_size(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

Status label_subset_select(const int32_t *labels, size_t count, int class_count, double fraction,
                           uint64_t seed, size_t **indices, size_t *subset_count) {
    *indices = NULL;
    *subset_count = 0;
    if (!(fraction > 0 && fraction <= 1))
        return error_set(BC_ERR_USAGE, "--fractions: %g is not in (0, 1]", fraction);
    if (class_count < 1) return error_set(BC_ERR_USAGE, "the data has no labels: a probe needs labeled images");
    size_t labeled = 0, present = 0;
    for (size_t i = 0; i < count; i++) labeled += labels[i] >= 0 && labels[i] < class_count;
    for (int c = 0; c < class_count; c++) {
        size_t i = 0;
        while (i < count && labels[i] != c) i++;
        present += i < count;
    }
    size_t *out = malloc((labeled ? labeled : 1) * sizeof *out);
    size_t *rows = malloc((count ? count : 1) * sizeof *rows);
    if (!out || !rows) {
        free(out), free(rows);
        return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    }
    /* Classes without images (a dataset that declares more than it holds) take no share. */
    size_t per_class = present ? (size_t)llround(fraction * (double)labeled / (double)present) : 0, n = 0;
    if (per_class < 1) per_class = 1;
    for (int c = 0; c < class_count; c++) {
        size_t m = 0;
        for (size_t i = 0; i < count; i++)
            if (labels[i] == c) rows[m++] = i;
        size_t take = fraction >= 1 ? m : (per_class < m ? per_class : m);
        /* The first `take` of a seeded Fisher-Yates shuffle, one stream per class. */
        uint64_t key = init_entry_key(seed, "label_subset") + (uint64_t)c * 0x9E3779B97F4A7C15ull;
        for (size_t i = 0; i < take; i++) {
            size_t j = i + (size_t)(rng_uniform(key, i) * (double)(m - i));
            if (j >= m) j = m - 1;
            size_t t = rows[i];
            rows[i] = rows[j], rows[j] = t;
            out[n++] = rows[i];
        }
    }
    free(rows);
    qsort(out, n, sizeof *out, compare_size);
    *indices = out;
    *subset_count = n;
    return BC_OK;
}
