/* conv2d_direct.h — convolution straight from the NCHW input on CPU drivers
 * (cl/conv2d_direct.cl): stride 1 (forward and, as the flipped kernel's forward, input
 * gradients) and 3x3 stride 2 (forward, on the channel-lane kernels). conv2d_forward and
 * conv2d_backward_data take it when it applies. */
#ifndef BYOLCL_OPS_CONV2D_DIRECT_H
#define BYOLCL_OPS_CONV2D_DIRECT_H

#include "byolcl/ops.h"

/* The profile's CONV_DIRECT is on and s has stride 1, a square kernel larger than 1x1 and
 * a weight tile within CONV_DIRECT_MAX_TILE_KB, or is a 3x3 stride-2 layer the channel-lane
 * kernels take (CONV_DIRECT_CHANNEL_LANES, 16+ input channels). */
bool conv2d_direct_applies(const Device *device, const Conv2dShape *s);
/* out = conv(in, weight) + beta * out (beta 0 or 1) for s as above. flip: weight is
 * (c_in, c_out, k, k) of the layer whose input gradient this is, used turned by 180 degrees
 * with the channel roles swapped. */
Status conv2d_direct_into(Device *device, View out, View in, View weight, const Conv2dShape *s,
                          bool flip, float beta);

/* The input gradient of a 3x3, stride-2, pad-1 convolution computed directly (profile
 * CONV_DIRECT with CONV_DIRECT_CHANNEL_LANES, 16+ output channels): d_in = (accumulate ?
 * d_in : 0) + its sums over d_out, without a column matrix and col2im. */
bool conv2d_direct_backward_s2_applies(const Device *device, const Conv2dShape *s);
Status conv2d_direct_backward_s2(Device *device, View d_in, View d_out, View weight, const Conv2dShape *s,
                                 bool accumulate);

#endif
