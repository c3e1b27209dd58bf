/* checkpoint.h — the checkpoint container: named sections, each with its own checksum,
 * behind a versioned header; written atomically (temp file, fsync, rename) so a crash or
 * a kill at any moment leaves the previous checkpoint intact. What goes into the sections
 * (parameters, optimizer state, step, configuration) is the trainer's business. */
#ifndef BYOLCL_CHECKPOINT_H
#define BYOLCL_CHECKPOINT_H

#include <stddef.h>

#include "byolcl/byolcl.h"

#define CHECKPOINT_FORMAT_VERSION 1u
#define CHECKPOINT_NAME_MAX 32

typedef struct {
    const char *name; /* at most CHECKPOINT_NAME_MAX - 1 characters */
    const void *data;
    size_t bytes;
} CheckpointSection;

Status checkpoint_write(const char *path, const CheckpointSection *sections, int count);

typedef struct Checkpoint Checkpoint;
/* Reads and verifies the whole file: BC_ERR_IO when unreadable, BC_ERR_FORMAT (naming the
 * file and what is wrong) for a wrong magic, another format version, truncation, or a
 * section whose checksum does not match. */
Status checkpoint_read(const char *path, Checkpoint **out);
/* BC_ERR_FORMAT naming the file and section when it is absent. The data stays owned by
 * the checkpoint. */
Status checkpoint_section(const Checkpoint *checkpoint, const char *name, const void **data,
                          size_t *bytes);
/* Like checkpoint_section, but the section must hold exactly `bytes` bytes. */
Status checkpoint_section_exact(const Checkpoint *checkpoint, const char *name, void *dst,
                                size_t bytes);
const char *checkpoint_path(const Checkpoint *checkpoint);
void checkpoint_free(Checkpoint *checkpoint);

#endif
