/* bench_data.c — random operands for the benchmarks and the spot checks that prove each
 * measured call computes the right thing: sampled outputs against plain-C formulas in double. */
#include <math.h>
#include <stdlib.h>

#include "bench.h"

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

float *bench_random(Bench *b, size_t n, float lo, float hi) {
    float *x = malloc((n ? n : 1) * sizeof *x);
    if (!x) return NULL;
    for (size_t i = 0; i < n; i++)
        x[i] = lo + (hi - lo) * (float)((double)(splitmix64(&b->seed) >> 40) / 16777216.0);
    return x;
}

Status bench_upload_random(Bench *b, size_t n, float lo, float hi, Buffer **buffer, float **host) {
    *buffer = NULL;
    float *x = bench_random(b, n, lo, hi);
    if (!x) return error_set(BC_ERR_OUT_OF_MEMORY, "out of host memory for %zu floats", n);
    Status st = buffer_create(b->device, (n ? n : 1) * sizeof(float), buffer);
    if (st == BC_OK) st = buffer_write(b->device, *buffer, 0, n * sizeof(float), x);
    if (st != BC_OK || !host) free(x);
    if (st != BC_OK) {
        buffer_release(*buffer);
        *buffer = NULL;
        return st;
    }
    if (host) *host = x;
    return BC_OK;
}

Status bench_download(Device *device, const Buffer *buffer, size_t n, float **host) {
    *host = malloc((n ? n : 1) * sizeof **host);
    if (!*host) return error_set(BC_ERR_OUT_OF_MEMORY, "out of host memory for %zu floats", n);
    Status st = buffer_read(device, buffer, 0, n * sizeof(float), *host);
    if (st != BC_OK) {
        free(*host);
        *host = NULL;
    }
    return st;
}

Status bench_expect_close(Bench *b, const char *what, size_t index, float got, double want,
                          double magnitude) {
    /* Float accumulation over long sums drifts with the size of the terms, not the result. */
    double tolerance = 1e-4 * magnitude + 1e-5;
    if (!(fabs((double)got - want) <= tolerance))
        return error_set(BC_ERR_NUMERIC, "check failed: %s element %zu is %.7g, expected %.7g "
                         "(tolerance %.3g)", what, index, (double)got, want, tolerance);
    b->checks_passed++;
    return BC_OK;
}

Status bench_expect_buffer_close(Bench *b, const char *what, const Buffer *buffer, const double *want,
                                 size_t n, double rtol) {
    float *got;
    Status st = bench_download(b->device, buffer, n, &got);
    for (size_t i = 0; st == BC_OK && i < n; i++)
        if (!(fabs((double)got[i] - want[i]) <= 1e-4 + rtol * fabs(want[i])))
            st = error_set(BC_ERR_NUMERIC, "check failed: %s element %zu is %.7g, expected %.7g", what, i,
                           (double)got[i], want[i]);
    if (st == BC_OK) b->checks_passed++;
    free(got);
    return st;
}

double *bench_doubles_of(const float *x, size_t n) {
    double *d = calloc(n ? n : 1, sizeof *d);
    if (d && x)
        for (size_t i = 0; i < n; i++) d[i] = x[i];
    return d;
}
