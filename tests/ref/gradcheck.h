/* gradcheck.h — finite-difference gradient checks of the references (in double), and the
 * float <-> double copies that connect the device's float data to them. */
#ifndef BYOLCL_GRADCHECK_H
#define BYOLCL_GRADCHECK_H

#include <stddef.h>

/* A scalar function of some arrays held by ctx; gradcheck perturbs one of them in place. */
typedef double (*GradcheckFn)(void *ctx);

/* Central differences f(x + h e_i) - f(x - h e_i) / 2h for every i of x (x is restored),
 * compared with `analytic`. Returns the largest |numeric - analytic| / max(1, |numeric|)
 * and stores its index in *worst (may be NULL). */
double gradcheck_max_error(GradcheckFn f, void *ctx, double *x, size_t n, const double *analytic,
                           double h, size_t *worst);

/* Freshly allocated copies (free with free()). */
double *ref_doubles_from_floats(const float *x, size_t n);
float *ref_floats_from_doubles(const double *x, size_t n);
/* sum_i w[i] * x[i]: turns an output into the scalar loss a gradient check needs. */
double ref_weighted_sum(const double *w, const double *x, size_t n);

#endif
