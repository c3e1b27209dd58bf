/* npy.h — NumPy's .npy format (version 1.0 header) for arrays byolcl hands to Python:
 * "\x93NUMPY", 1, 0, a little-endian u16 header length, then a Python dict literal
 * padded with spaces and ending in '\n' so the data starts at a multiple of 64 bytes. */
#ifndef BYOLCL_UTIL_NPY_H
#define BYOLCL_UTIL_NPY_H

#include <stddef.h>

#include "byolcl/byolcl.h"

enum { NPY_MAX_DIMS = 4, NPY_ALIGN = 64 };

/* The header (magic to '\n') for a C-order array of `descr` ("<f4", "<i8") with `shape`;
 * returns its length, a multiple of NPY_ALIGN, or 0 when it does not fit in `cap`. */
size_t npy_header(char *out, size_t cap, const char *descr, const size_t *shape, int ndim);
/* Writes header and data atomically. `data` holds the product of `shape` elements,
 * `item_bytes` each, little-endian. */
Status npy_write(const char *path, const char *descr, size_t item_bytes, const size_t *shape, int ndim,
                 const void *data);

#endif
