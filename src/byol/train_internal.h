/* train_internal.h — the pieces of `byolcl train` shared by its files: resolving the
 * configuration and saving/loading the training state. */
#ifndef BYOLCL_BYOL_TRAIN_INTERNAL_H
#define BYOLCL_BYOL_TRAIN_INTERNAL_H

#include <stddef.h>

#include "byol/byol_model.h"
#include "byolcl/checkpoint.h"
#include "byolcl/data.h"
#include "byolcl/train.h"

/* Fills `config` from the request, the dataset and the device (the "choose for me" rules
 * live here). steps_per_epoch must already be known. */
Status train_config_resolve(const TrainRequest *request, const DatasetInfo *data,
                            const DeviceInfo *device, TrainConfig *config);
/* Totals that depend on the loader: total, warmup. */
void train_config_finish(int64_t steps_per_epoch, TrainConfig *config);
/* Sets the run's length and the warmup that follows from it (--warmup-epochs, or 10 epochs
 * but at most a tenth of the run). */
void train_config_set_length(TrainConfig *config, int64_t total_steps);
void train_config_print(const TrainConfig *config, FILE *out);

/* The training checkpoint's public readers (train_checkpoint_path, _read_config,
 * _load_encoder) are in byolcl/checkpoint.h. */
/* The non-finite guard (train_guard.c): every step's loss checked on the device. */
typedef struct {
    Device *device;
    Buffer *first_bad;       /* 1 int: the first step with a non-finite loss, -1 = none */
    int64_t last_saved_step; /* the step of the newest checkpoint on disk, -1 = none */
} TrainGuard;
Status train_guard_create(Device *device, int64_t last_saved_step, TrainGuard *guard);
void train_guard_destroy(TrainGuard *guard);
/* Queues the check of the `terms` loss floats of `step` (no wait). */
Status train_guard_after_step(TrainGuard *guard, Buffer *loss, int terms, int64_t step);
void train_guard_saved(TrainGuard *guard, int64_t step);
/* Reads the flag back (waits for the queue): BC_ERR_NUMERIC naming the first bad step and
 * saying truthfully which checkpoint, if any, was kept. */
Status train_guard_check(TrainGuard *guard, const TrainConfig *config, const char *checkpoint_path);

/* The run folder (run_folder.c): one run at a time, stale temporary files removed, and a
 * resumed run copied to a new --out. */
typedef struct {
    int lock_fd; /* -1 when not held */
} RunFolderLock;
/* Takes an exclusive lock on DIR/lock (flock, released when the process ends, even by
 * SIGKILL); a held lock is refused with BC_ERR_USAGE naming the holder's PID, host and
 * start time. */
Status run_folder_lock(const char *dir, RunFolderLock *lock);
void run_folder_unlock(RunFolderLock *lock);
/* Removes DIR's temporary files (NAME.tmp.PID.N) left by processes that no longer run;
 * returns how many. */
int run_folder_remove_stale_temps(const char *dir);
/* Copies a run's checkpoint and metrics into another folder (which must hold no checkpoint). */
Status run_folder_copy(const char *from_dir, const char *from_checkpoint, const char *to_dir);

/* The method part of the configuration (method.c): kind, predictor and temperature from
 * the request, the temperature's default from the image size. */
Status method_config_resolve(const TrainRequest *request, int image_size, MethodConfig *method);
/* The predictor the online network has: NULL for SimCLR and the --no-predictor ablation. */
const HeadConfig *train_config_predictor(const TrainConfig *config);
/* The model `config` trains, allocated for its batch and initialized from its seed. */
Status train_model_create(Device *device, const TrainConfig *config, ByolModel *model);
/* A collapse-monitor value below this fraction of 1/sqrt(projection size), the spread of
 * random directions, draws a warning: the projections have (nearly) collapsed. */
#define COLLAPSE_WARN_FRACTION 0.1

/* Bytes of TrainConfig in the checkpoint's "config" section: everything before `method`
 * (`method`, `budget` and `bn_views` have sections of their own), so older checkpoints keep their size. */
#define TRAIN_CONFIG_STORED_BYTES offsetof(TrainConfig, method)
/* ... and in checkpoints written before `background` existed (2026-12-03), still read. */
#define TRAIN_CONFIG_BYTES_BEFORE_BACKGROUND offsetof(TrainConfig, background)

Status train_checkpoint_save(const char *path, const TrainConfig *config, const TrainProgress *progress,
                             const ByolModel *model, const char *device_name);
Status train_checkpoint_load_state(const char *path, ByolModel *model);


#endif
