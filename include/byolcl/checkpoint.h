/* checkpoint.h — the checkpoint container: named sections, each with its own checksum,
 * behind a versioned header; written atomically (temp file, fsync, rename) so a crash or
 * a kill at any moment leaves the previous checkpoint intact. What goes into the sections
 * (parameters, optimizer state, step, configuration) is the trainer's business; the
 * readers of a training checkpoint that evaluation and export need are at the end. */
#ifndef BYOLCL_CHECKPOINT_H
#define BYOLCL_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "byolcl/arena.h"
#include "byolcl/byolcl.h"
#include "byolcl/train.h"

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

/* ---- a training checkpoint (src/byol/train_checkpoint.c writes it) ---- */

/* Where a run stands: what a checkpoint must carry besides the model. */
typedef struct {
    int64_t steps_done; /* global steps completed */
    double wall_s;      /* training time so far (for the summary) */
} TrainProgress;

#define CHECKPOINT_FILE_NAME "checkpoint.ckpt"
/* A checkpoint named by the user: the file itself, or DIR/checkpoint.ckpt for a run folder. */
void train_checkpoint_path(const char *file_or_run_dir, char *out, size_t cap);
/* Reads only the configuration (to build the model before loading the rest). */
Status train_checkpoint_read_config(const char *path, TrainConfig *config, TrainProgress *progress,
                                    char *device_name, size_t device_name_cap);
/* Loads only the online encoder (the prefix of the online arena) into `encoder`, an
 * allocated arena built by network_build(encoder, &config->encoder, NULL, NULL), after
 * checking that the checkpoint's layout is the one `config` describes (for evaluation). */
Status train_checkpoint_load_encoder(const char *path, const TrainConfig *config, Arena *encoder);

/* One network's arrays as stored (host copies, in the arena layout of that network). */
typedef struct {
    float *params, *state;
    size_t param_floats, state_floats;
} CheckpointNetwork;
/* Reads the online (or, with `target`, the target) network's parameters and BN running
 * statistics after checking the checkpoint's layout against `config`; no device needed. */
Status train_checkpoint_read_network(const char *path, const TrainConfig *config, bool target,
                                     CheckpointNetwork *out);
void checkpoint_network_free(CheckpointNetwork *network);

#endif
