/* npy.c — writing NumPy .npy files (format version 1.0). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/fs.h"
#include "util/npy.h"

size_t npy_header(char *out, size_t cap, const char *descr, const size_t *shape, int ndim) {
    char dims[NPY_MAX_DIMS * 24 + 8] = "";
    size_t used = 0;
    for (int i = 0; i < ndim && i < NPY_MAX_DIMS; i++)
        used += (size_t)snprintf(dims + used, sizeof dims - used, "%s%zu", i ? ", " : "", shape[i]);
    if (ndim == 1) snprintf(dims + used, sizeof dims - used, ","); /* (N,) is a tuple, (N) is not */
    char dict[sizeof dims + 128];
    int length = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, dims);
    /* magic (6) + version (2) + length (2) + dict + padding + '\n' */
    size_t total = (10 + (size_t)length + 1 + NPY_ALIGN - 1) / NPY_ALIGN * NPY_ALIGN;
    if (ndim < 1 || ndim > NPY_MAX_DIMS || total > cap || total - 10 > UINT16_MAX) return 0;
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    out[8] = (char)((total - 10) & 0xff);
    out[9] = (char)((total - 10) >> 8);
    memcpy(out + 10, dict, (size_t)length);
    memset(out + 10 + length, ' ', total - 10 - (size_t)length - 1);
    out[total - 1] = '\n';
    return total;
}

Status npy_write(const char *path, const char *descr, size_t item_bytes, const size_t *shape, int ndim,
                 const void *data) {
    char header[512];
    size_t header_bytes = npy_header(header, sizeof header, descr, shape, ndim);
    if (header_bytes == 0) return error_set(BC_ERR_USAGE, "%s: an array of %d dimensions cannot be written", path, ndim);
    size_t bytes = item_bytes;
    for (int i = 0; i < ndim; i++) bytes *= shape[i];
    FsPart parts[2] = {{header, header_bytes}, {data, bytes}};
    return fs_write_atomic(path, parts, 2);
}
