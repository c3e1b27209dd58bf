/* program_cache.c — the on-disk cache of compiled program binaries. A file holds a magic,
 * the format version, the 128-bit key, the binary's size and checksum, then the binary;
 * anything that does not check out is reported as corrupt so the caller rebuilds it. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device/device_internal.h"
#include "util/fs.h"
#include "util/hash.h"

#define CACHE_MAGIC "BYOLCLK\x01"
#define CACHE_FORMAT_VERSION 1u

typedef struct {
    char magic[8];
    uint32_t format_version, reserved;
    uint64_t key_hi, key_lo;
    uint64_t binary_bytes;
    uint64_t binary_checksum;
} CacheHeader;

CacheKey cache_key_compute(const char *source, const char *options, const DeviceInfo *info) {
    const char *fields[] = {source, options, info->platform_name, info->platform_version,
                            info->name, info->vendor, info->driver_version};
    uint32_t version = CACHE_FORMAT_VERSION;
    CacheKey key = {FNV64_OFFSET, 0x84222325cbf29ce4ULL}; /* two seeds: 128 bits of key */
    key.hi = hash_fnv1a(key.hi, &version, sizeof version);
    key.lo = hash_fnv1a(key.lo, &version, sizeof version);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        key.hi = hash_string(key.hi, fields[i]);
        key.lo = hash_string(key.lo ^ (key.hi >> 7), fields[i]);
    }
    return key;
}

void cache_entry_path(const char *cache_dir, CacheKey key, char *out, size_t cap) {
    snprintf(out, cap, "%s/kernels/%016" PRIx64 "%016" PRIx64 ".bin", cache_dir, key.hi, key.lo);
}

Status cache_read(const char *cache_dir, CacheKey key, unsigned char **binary, size_t *bytes) {
    char path[4300];
    cache_entry_path(cache_dir, key, path, sizeof path);
    if (!fs_exists(path)) return BC_ERR_NOT_FOUND;
    char *data;
    size_t size;
    Status st = fs_read_file(path, &data, &size);
    if (st != BC_OK) return st;
    CacheHeader h;
    bool ok = size >= sizeof h;
    if (ok) {
        memcpy(&h, data, sizeof h);
        ok = memcmp(h.magic, CACHE_MAGIC, 8) == 0 && h.format_version == CACHE_FORMAT_VERSION &&
             h.key_hi == key.hi && h.key_lo == key.lo && h.binary_bytes > 0 &&
             h.binary_bytes == size - sizeof h &&
             hash_fnv1a(FNV64_OFFSET, data + sizeof h, h.binary_bytes) == h.binary_checksum;
    }
    if (!ok) {
        free(data);
        return error_set(BC_ERR_FORMAT, "%s: corrupt kernel cache entry", path);
    }
    memmove(data, data + sizeof h, h.binary_bytes);
    *binary = (unsigned char *)data;
    *bytes = h.binary_bytes;
    return BC_OK;
}

Status cache_write(const char *cache_dir, CacheKey key, const unsigned char *binary,
                   size_t bytes) {
    char folder[4200], path[4300];
    snprintf(folder, sizeof folder, "%s/kernels", cache_dir);
    Status st = fs_mkdir_p(folder);
    if (st != BC_OK) return st;
    cache_entry_path(cache_dir, key, path, sizeof path);
    CacheHeader h = {.format_version = CACHE_FORMAT_VERSION,
                     .key_hi = key.hi,
                     .key_lo = key.lo,
                     .binary_bytes = bytes,
                     .binary_checksum = hash_fnv1a(FNV64_OFFSET, binary, bytes)};
    memcpy(h.magic, CACHE_MAGIC, 8);
    FsPart parts[] = {{&h, sizeof h}, {binary, bytes}};
    return fs_write_atomic(path, parts, 2);
}
