/* png_decode.h — PNG decoding from memory with libpng (errors caught, never a crash) and
 * the resize + center crop that brings every image to the dataset's size. */
#ifndef BYOLCL_DATA_PNG_DECODE_H
#define BYOLCL_DATA_PNG_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "byolcl/byolcl.h"

/* Larger images are refused (a header claiming 100000 x 100000 is corruption or a bomb). */
#define PNG_MAX_SIDE 16384
#define PNG_MAX_PIXELS (64u << 20)

/* Checks the signature and IHDR chunk (the first 33 bytes); `name` goes into errors. */
Status png_read_header(const uint8_t *data, size_t bytes, const char *name, int *width, int *height,
                       bool *has_color);
/* Decodes any PNG (gray, gray+alpha, RGB, RGBA, palette, 1..16 bits, interlaced) to 8-bit
 * HWC pixels with `channels` (1 or 3) channels; transparency is composited onto the RGB
 * `background` (its luminance for 1 channel), as a viewer shows it. *pixels is malloc'd. */
Status png_decode(const uint8_t *data, size_t bytes, const char *name, int channels,
                  const uint8_t background[3], uint8_t **pixels, int *width, int *height);
/* Scales src so that it covers dst_h x dst_w (the shorter side fits), then takes the
 * center: antialiased bilinear (a triangle filter as wide as the scale when shrinking). */
Status image_resize_center_crop(const uint8_t *src, int src_h, int src_w, int channels, uint8_t *dst,
                                int dst_h, int dst_w);

#endif
