/* ref_array.h — moving test data between the device's float and the references' double. */
#ifndef BYOLCL_REF_ARRAY_H
#define BYOLCL_REF_ARRAY_H

#include <stdlib.h>

static inline double *ref_doubles(const float *x, size_t n) {
    double *d = malloc((n ? n : 1) * sizeof *d);
    if (!d) abort();
    for (size_t i = 0; i < n; i++) d[i] = x[i];
    return d;
}

static inline float *ref_floats(const double *x, size_t n) {
    float *f = malloc((n ? n : 1) * sizeof *f);
    if (!f) abort();
    for (size_t i = 0; i < n; i++) f[i] = (float)x[i];
    return f;
}

#endif
