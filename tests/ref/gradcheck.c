/* gradcheck.c — finite-difference gradient checks and float/double copies (see gradcheck.h). */
#include <math.h>
#include <stdlib.h>

#include "ref/gradcheck.h"

double gradcheck_max_error(GradcheckFn f, void *ctx, double *x, size_t n, const double *analytic,
                           double h, size_t *worst) {
    double max_error = 0;
    if (worst) *worst = 0;
    for (size_t i = 0; i < n; i++) {
        double saved = x[i];
        x[i] = saved + h;
        double up = f(ctx);
        x[i] = saved - h;
        double down = f(ctx);
        x[i] = saved;
        double numeric = (up - down) / (2 * h);
        double error = fabs(numeric - analytic[i]) / fmax(1.0, fabs(numeric));
        if (!(error <= max_error)) { /* also catches NaN */
            max_error = isnan(error) ? INFINITY : error;
            if (worst) *worst = i;
        }
    }
    return max_error;
}

double *ref_doubles_from_floats(const float *x, size_t n) {
    double *y = malloc((n ? n : 1) * sizeof *y);
    if (y)
        for (size_t i = 0; i < n; i++) y[i] = x[i];
    return y;
}

float *ref_floats_from_doubles(const double *x, size_t n) {
    float *y = malloc((n ? n : 1) * sizeof *y);
    if (y)
        for (size_t i = 0; i < n; i++) y[i] = (float)x[i];
    return y;
}

double ref_weighted_sum(const double *w, const double *x, size_t n) {
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += w[i] * x[i];
    return sum;
}
