/* train_internal.h — the pieces of `byolcl train` shared by its files: resolving the
 * configuration and saving/loading the training state. */
#ifndef BYOLCL_BYOL_TRAIN_INTERNAL_H
#define BYOLCL_BYOL_TRAIN_INTERNAL_H

#include "byol/byol_model.h"
#include "byolcl/checkpoint.h"
#include "byolcl/data.h"
#include "byolcl/train.h"

/* Fills `config` from the request, the dataset and the device (the "choose for me" rules
 * live here). steps_per_epoch must already be known. */
Status train_config_resolve(const TrainRequest *request, const DatasetInfo *data,
                            const DeviceInfo *device, TrainConfig *config);
/* Totals that depend on the loader: total, warmup. */
Status train_config_finish(const TrainRequest *request, int64_t steps_per_epoch, TrainConfig *config);
void train_config_print(const TrainConfig *config, FILE *out);

/* The training checkpoint's public readers (train_checkpoint_path, _read_config,
 * _load_encoder) are in byolcl/checkpoint.h. */
Status train_checkpoint_save(const char *path, const TrainConfig *config, const TrainProgress *progress,
                             const ByolModel *model, const char *device_name);
Status train_checkpoint_load_state(const char *path, ByolModel *model);

#endif
