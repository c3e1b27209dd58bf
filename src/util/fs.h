/* fs.h — file helpers: whole-file reads, recursive mkdir, and atomic writes
 * (temp file in the same folder, fsync, rename) so a crash never leaves half a file. */
#ifndef BYOLCL_UTIL_FS_H
#define BYOLCL_UTIL_FS_H

#include <stdbool.h>
#include <stddef.h>

#include "byolcl/byolcl.h"

/* Reads a whole file; *out is malloc'd with one extra 0 byte after the content. */
Status fs_read_file(const char *path, char **out, size_t *out_bytes);
Status fs_mkdir_p(const char *path);
/* Writes `parts` (count pieces) to path atomically. */
typedef struct {
    const void *data;
    size_t bytes;
} FsPart;
Status fs_write_atomic(const char *path, const FsPart *parts, int count);
bool fs_exists(const char *path);
bool fs_is_dir(const char *path);
/* Both paths exist and name the same file or folder (same device and inode). */
bool fs_same_file(const char *a, const char *b);

#endif
