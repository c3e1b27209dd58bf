/* conv2d_igemm.h — convolutions as implicit GEMMs for GPUs (cl/conv2d_igemm.cl): forward,
 * input gradient and weight gradient of whole batches straight from the NCHW tensors,
 * which conv2d_forward / _backward_data / _backward_weights take when the profile's
 * CONV_IGEMM is on. */
#ifndef BYOLCL_OPS_CONV2D_IGEMM_H
#define BYOLCL_OPS_CONV2D_IGEMM_H

#include <stddef.h>

#include "byolcl/ops.h"

/* The kernels' sizes (the profile's CONV_IGEMM_* keys, in the struct's order): WG_M x WG_N
 * work-items, each TILE_M x TILE_N outputs, TILE_K depths per local-memory slice, PAD floats
 * of padding per local row; the weight gradient's depth split (WGRAD_GROUPS, WGRAD_MIN_K). */
typedef struct {
    int wg_m, wg_n, tile_m, tile_n, tile_k, pad, wgrad_groups, wgrad_min_k;
} ConvIgemmParams;

extern const char *const conv2d_igemm_param_keys[8];

ConvIgemmParams conv2d_igemm_params(const Device *device);
Status conv2d_igemm_params_apply(Device *device, const ConvIgemmParams *p);
/* Local memory a work-group of p uses, in bytes. */
size_t conv2d_igemm_local_bytes(const ConvIgemmParams *p);
/* NULL when a device with `info` launches p's work-groups, else why not (static text). */
const char *conv2d_igemm_params_problem(const ConvIgemmParams *p, const DeviceInfo *info);

/* CONV_IGEMM is on, the device takes the profile's work-group, and every tensor of s is
 * addressable with int indices. */
bool conv2d_igemm_applies(const Device *device, const Conv2dShape *s);
/* out = conv(in, weight) + beta * out (beta 0 or 1). */
Status conv2d_igemm_forward(Device *device, View out, View in, View weight, const Conv2dShape *s,
                            float beta);
/* d_in = (or += when accumulate) the input gradient. */
Status conv2d_igemm_backward_data(Device *device, View d_in, View d_out, View weight,
                                  const Conv2dShape *s, bool accumulate);
/* d_weight += the weight gradient, the depth n * out_h * out_w split over enough
 * work-groups to fill the device (CONV_IGEMM_WGRAD_GROUPS, splits at least
 * CONV_IGEMM_WGRAD_MIN_K deep) and the partials summed by a second pass. */
Status conv2d_igemm_backward_weights(Device *device, View d_weight, View d_out, View in,
                                     const Conv2dShape *s);

#endif
