/* elementwise_ref.h — plain-C ReLU and residual add in double: the reference for
 * cl/elementwise.cl. */
#ifndef BYOLCL_ELEMENTWISE_REF_H
#define BYOLCL_ELEMENTWISE_REF_H

#include <stddef.h>

void relu_ref_forward(double *out, const double *in, size_t count);
/* d_in = d_out where out > 0 */
void relu_ref_backward(double *d_in, const double *d_out, const double *out, size_t count);
void residual_add_ref_forward(double *out, const double *a, const double *b, size_t count);
/* d_x += d_out */
void residual_add_ref_backward(double *d_x, const double *d_out, size_t count);

#endif
