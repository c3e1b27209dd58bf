/* augment_ref.h — plain-C reference of the augmentation pipeline (double precision), driven
 * by the same packed per-image parameters as the device kernels. */
#ifndef BYOLCL_AUGMENT_REF_H
#define BYOLCL_AUGMENT_REF_H

#include <stdint.h>

/* out (n, c, oh, ow) from images (n, h, w, c) uint8; params n x stride (AUGMENT_P_*). */
void augment_ref(float *out, const uint8_t *images, const float *params, int stride, int n, int h,
                 int w, int c, int oh, int ow, int radius, const float mean[3], const float std[3]);
/* Bilinear resize only (half-pixel centres), values in [0,1]: out (n, c, oh, ow). */
void augment_ref_resize(float *out, const uint8_t *images, int n, int h, int w, int c, int oh, int ow);

#endif
