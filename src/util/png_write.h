/* png_write.h — 8-bit gray or RGB images to PNG files (libpng), written atomically. */
#ifndef BYOLCL_UTIL_PNG_WRITE_H
#define BYOLCL_UTIL_PNG_WRITE_H

#include <stdint.h>

#include "byolcl/byolcl.h"

/* pixels: height rows of width x channels bytes (channels 1 = gray, 3 = RGB). */
Status png_write(const char *path, const uint8_t *pixels, int width, int height, int channels);

#endif
