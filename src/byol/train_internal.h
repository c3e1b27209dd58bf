/* train_internal.h — the pieces of `byolcl train` shared by its files: resolving the
 * configuration and saving/loading the training state. */
#ifndef BYOLCL_BYOL_TRAIN_INTERNAL_H
#define BYOLCL_BYOL_TRAIN_INTERNAL_H

#include <stddef.h>

#include "byol/byol_model.h"
#include "byolcl/data.h"
#include "byolcl/train.h"

/* Where a run stands: what a checkpoint must carry besides the model. */
typedef struct {
    int64_t steps_done; /* global steps completed */
    double wall_s;      /* training time so far (for the summary) */
} TrainProgress;

/* Fills `config` from the request, the dataset and the device (the "choose for me" rules
 * live here). steps_per_epoch must already be known. */
Status train_config_resolve(const TrainRequest *request, const DatasetInfo *data,
                            const DeviceInfo *device, TrainConfig *config);
/* Totals that depend on the loader: total, warmup. */
Status train_config_finish(const TrainRequest *request, int64_t steps_per_epoch, TrainConfig *config);
void train_config_print(const TrainConfig *config, FILE *out);

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
 * (which has a section of its own), so older checkpoints keep their size. */
#define TRAIN_CONFIG_STORED_BYTES offsetof(TrainConfig, method)

#define CHECKPOINT_FILE_NAME "checkpoint.ckpt"
/* A checkpoint named by the user: the file itself, or DIR/checkpoint.ckpt for a run folder. */
void train_checkpoint_path(const char *file_or_run_dir, char *out, size_t cap);
Status train_checkpoint_save(const char *path, const TrainConfig *config, const TrainProgress *progress,
                             const ByolModel *model, const char *device_name);
/* Reads only the configuration (to build the model before loading the rest). */
Status train_checkpoint_read_config(const char *path, TrainConfig *config, TrainProgress *progress,
                                    char *device_name, size_t device_name_cap);
Status train_checkpoint_load_state(const char *path, ByolModel *model);
/* Loads only the online encoder (the prefix of the online arena) into `encoder`, an
 * allocated arena built by network_build(encoder, &config->encoder, NULL, NULL), after
 * checking that the checkpoint's layout is the one `config` describes (for evaluation). */
Status train_checkpoint_load_encoder(const char *path, const TrainConfig *config, Arena *encoder);

#endif
