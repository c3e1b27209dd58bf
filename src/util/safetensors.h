/* safetensors.h — writing the safetensors format (Hugging Face): an 8-byte little-endian
 * header length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {...}}
 * padded with spaces to a multiple of 8 bytes, then the tensors' little-endian bytes back
 * to back in the order given. Written atomically. */
#ifndef BYOLCL_UTIL_SAFETENSORS_H
#define BYOLCL_UTIL_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "byolcl/byolcl.h"

enum { SAFETENSORS_MAX_DIMS = 4, SAFETENSORS_ALIGN = 8 };

typedef struct {
    char name[128];
    const char *dtype; /* "F32", "I64" */
    int64_t shape[SAFETENSORS_MAX_DIMS];
    int ndim;          /* 0 for a scalar */
    const void *data;  /* product(shape) elements of the dtype's size */
} SafetensorsTensor;

typedef struct {
    const char *key, *value;
} SafetensorsMeta;

/* Bytes per element of a dtype this writer knows ("F32" 4, "I64" 8), else 0. */
size_t safetensors_dtype_bytes(const char *dtype);
Status safetensors_write(const char *path, const SafetensorsTensor *tensors, int count,
                         const SafetensorsMeta *meta, int meta_count);

#endif
