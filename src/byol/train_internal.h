/* train_internal.h — the pieces of `byolcl train` shared by its files: resolving the
 * configuration and saving/loading the training state. */
#ifndef BYOLCL_BYOL_TRAIN_INTERNAL_H
#define BYOLCL_BYOL_TRAIN_INTERNAL_H

#include <signal.h>
#include <stddef.h>

#include "byol/byol_model.h"
#include "byolcl/checkpoint.h"
#include "byolcl/data.h"
#include "byolcl/dist.h"
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
/* ... for `batch` images per step (a data-parallel rank's share of config->batch). */
Status train_model_create_for_batch(Device *device, const TrainConfig *config, int batch, ByolModel *model);
/* A collapse-monitor value below this fraction of 1/sqrt(projection size), the spread of
 * random directions, draws a warning: the projections have (nearly) collapsed. */
#define COLLAPSE_WARN_FRACTION 0.1

/* Bytes of TrainConfig in the checkpoint's "config" section: everything before `method`
 * (`method`, `budget` and `bn_views` have sections of their own), so older checkpoints keep their size. */
#define TRAIN_CONFIG_STORED_BYTES offsetof(TrainConfig, method)
/* ... and in checkpoints written before `background` existed (2026-12-03), still read. */
#define TRAIN_CONFIG_BYTES_BEFORE_BACKGROUND offsetof(TrainConfig, background)

/* The data-parallel side of a run (train_dist.c): with one rank every call does nothing. */
typedef struct {
    const DistInfo *info;
    volatile sig_atomic_t *stop_signal; /* this rank's SIGINT/SIGTERM */
    int ranks_stopping;                 /* ranks that had one at the last gradient sum */
    bool sync_bn;
    CrossReplicaSum replicas;           /* --sync-bn: the sum batch norm calls */
    float *grads;                       /* host copy of the gradients, and the stop flag */
    size_t grad_floats;
    int64_t check_every;                /* BYOLCL_DIST_CHECK */
    int64_t steps;                      /* gradient sums so far, and their time: */
    double sum_s, transfer_s;
} TrainDist;
/* The device selector this rank uses (NULL: the default one): a kind or name selector picks
 * among the matching devices of the chosen kind by node-local rank (round robin); N or
 * P:D as given. */
Status train_dist_choose_device(const char *selector, char *out, size_t cap);
/* Hooks the gradient sum into the model's step and, when sync_bn (-1: default on), cross-
 * replica batch norm into its activations. */
Status train_dist_attach(TrainDist *dist, ByolModel *model, volatile sig_atomic_t *stop_signal, int sync_bn);
void train_dist_detach(TrainDist *dist);
/* Whether the run stops at this step: any rank had a signal (all ranks agree). */
bool train_dist_stop_asked(const TrainDist *dist);
/* The loss and collapse monitor of the whole batch: the mean of the ranks' (every rank calls). */
Status train_dist_average_readout(const TrainDist *dist, double *loss, double *collapse);
/* BYOLCL_DIST_CHECK=N: parameters equal on every rank every N steps, else BC_ERR_NUMERIC. */
Status train_dist_check(TrainDist *dist, const ByolModel *model, int64_t step);
/* Every rank trains the same configuration (the printed summary, the network, the
 * dataset's size and --sync-bn agree), else BC_ERR_USAGE on every rank. */
Status train_dist_check_same_run(const TrainDist *dist, const TrainConfig *config, const char *network,
                                 const DatasetInfo *data);
/* Rank 0: the gradient size and the time the sums took per step. */
void train_dist_report(const TrainDist *dist);

Status train_checkpoint_save(const char *path, const TrainConfig *config, const TrainProgress *progress,
                             const ByolModel *model, const char *device_name);
Status train_checkpoint_load_state(const char *path, ByolModel *model);


#endif
