/* conv2d_ref.h — plain-C reference convolution (NCHW, no bias) in double. */
#ifndef BYOLCL_CONV2D_REF_H
#define BYOLCL_CONV2D_REF_H

#include <stdbool.h>

#include "byolcl/ops.h"

/* out (n, c_out, out_h, out_w) = conv(in, weight) */
void conv2d_forward_ref(double *out, const double *in, const double *weight, const Conv2dShape *s);
/* d_in = (or += with accumulate) the gradient of sum(out * d_out) with respect to in */
void conv2d_backward_data_ref(double *d_in, const double *d_out, const double *weight,
                              const Conv2dShape *s, bool accumulate);
/* d_weight += the gradient of sum(out * d_out) with respect to weight */
void conv2d_backward_weights_ref(double *d_weight, const double *d_out, const double *in,
                                 const Conv2dShape *s);

#endif
