/* safetensors.c — the safetensors writer: the JSON header built in memory, then one atomic
 * write of length, header and every tensor's bytes. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/json.h"
#include "util/safetensors.h"

size_t safetensors_dtype_bytes(const char *dtype) {
    if (strcmp(dtype, "F32") == 0) return 4;
    if (strcmp(dtype, "I64") == 0) return 8;
    return 0;
}

static size_t tensor_bytes(const SafetensorsTensor *t) {
    size_t n = safetensors_dtype_bytes(t->dtype);
    for (int d = 0; d < t->ndim; d++) n *= (size_t)t->shape[d];
    return n;
}

/* The JSON header, unpadded, into a malloc'd string. */
static Status build_header(const SafetensorsTensor *tensors, int count, const SafetensorsMeta *meta,
                           int meta_count, char **out, size_t *out_bytes) {
    FILE *f = open_memstream(out, out_bytes);
    if (!f) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory building a safetensors header");
    fputc('{', f);
    if (meta_count > 0) {
        fputs("\"__metadata__\":{", f);
        for (int i = 0; i < meta_count; i++) {
            if (i) fputc(',', f);
            json_write_string(f, meta[i].key);
            fputc(':', f);
            json_write_string(f, meta[i].value);
        }
        fputc('}', f);
    }
    size_t offset = 0;
    for (int i = 0; i < count; i++) {
        if (i || meta_count > 0) fputc(',', f);
        json_write_string(f, tensors[i].name);
        fprintf(f, ":{\"dtype\":\"%s\",\"shape\":[", tensors[i].dtype);
        for (int d = 0; d < tensors[i].ndim; d++) fprintf(f, "%s%" PRId64, d ? "," : "", tensors[i].shape[d]);
        size_t bytes = tensor_bytes(&tensors[i]);
        fprintf(f, "],\"data_offsets\":[%zu,%zu]}", offset, offset + bytes);
        offset += bytes;
    }
    fputc('}', f);
    return fclose(f) == 0 ? BC_OK : error_set(BC_ERR_OUT_OF_MEMORY, "out of memory building a safetensors header");
}

Status safetensors_write(const char *path, const SafetensorsTensor *tensors, int count,
                         const SafetensorsMeta *meta, int meta_count) {
    for (int i = 0; i < count; i++) {
        const SafetensorsTensor *t = &tensors[i];
        if (safetensors_dtype_bytes(t->dtype) == 0 || t->ndim < 0 || t->ndim > SAFETENSORS_MAX_DIMS)
            return error_set(BC_ERR_USAGE, "%s: tensor '%s' has dtype %s and %d dimensions (unsupported)", path,
                             t->name, t->dtype, t->ndim);
    }
    char *json = NULL;
    size_t json_bytes = 0;
    Status st = build_header(tensors, count, meta, meta_count, &json, &json_bytes);
    if (st != BC_OK) return st;
    /* The spec allows trailing spaces in the header: pad so the data starts 8-aligned. */
    size_t padded = (json_bytes + SAFETENSORS_ALIGN - 1) / SAFETENSORS_ALIGN * SAFETENSORS_ALIGN;
    char *header = malloc(padded);
    FsPart *parts = calloc((size_t)count + 2, sizeof *parts);
    if (!header || !parts) {
        free(json);
        free(header);
        free(parts);
        return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory writing %s", path);
    }
    memcpy(header, json, json_bytes);
    memset(header + json_bytes, ' ', padded - json_bytes);
    unsigned char length[8];
    for (int b = 0; b < 8; b++) length[b] = (unsigned char)((uint64_t)padded >> (8 * b));
    parts[0] = (FsPart){length, sizeof length};
    parts[1] = (FsPart){header, padded};
    for (int i = 0; i < count; i++) parts[2 + i] = (FsPart){tensors[i].data, tensor_bytes(&tensors[i])};
    st = fs_write_atomic(path, parts, count + 2);
    free(json);
    free(header);
    free(parts);
    return st;
}
