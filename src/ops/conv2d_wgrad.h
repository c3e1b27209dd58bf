/* conv2d_wgrad.h — the direct weight gradient of 3x3 stride-1 pad-1 convolutions on CPU
 * drivers (cl/conv2d_wgrad.cl), which conv2d_backward_weights takes when it applies. */
#ifndef BYOLCL_OPS_CONV2D_WGRAD_H
#define BYOLCL_OPS_CONV2D_WGRAD_H

#include "byolcl/ops.h"

/* The profile's CONV_WGRAD_DIRECT is on and s is a 3x3, stride-1, pad-1 convolution. */
bool conv2d_wgrad_direct_applies(const Device *device, const Conv2dShape *s);
/* d_weight += the weight gradient of s for d_out and in (s must satisfy the above). */
Status conv2d_wgrad_direct(Device *device, View d_weight, View d_out, View in, const Conv2dShape *s);

#endif
