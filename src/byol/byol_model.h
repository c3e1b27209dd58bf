/* byol_model.h — the BYOL model on a device: the online network (encoder | projector |
 * predictor) and its EMA target (encoder | projector), their arenas and activations, the
 * two views, and one training step: target forward on both views, online forward and
 * backward per view against the other view's target projection, optimizer step, EMA. */
#ifndef BYOLCL_BYOL_MODEL_H
#define BYOLCL_BYOL_MODEL_H

#include "byolcl/arena.h"
#include "byolcl/nn.h"
#include "byolcl/optimizer.h"

typedef struct {
    Device *device;
    Network *online_net, *target_net;
    Arena *online, *target;
    Activations *online_acts, *target_acts;
    int batch, out_dim;
    Buffer *views[2];    /* (batch, channels, size, size) floats: the augmented views */
    Buffer *targets[2];  /* (batch, out_dim): target projection of view 0 and view 1 */
    Buffer *d_prediction;/* (batch, out_dim) */
    Buffer *loss;        /* 2 floats: the loss of each view's prediction */
} ByolModel;

/* Builds both networks, allocates everything for `batch`, initializes the online network
 * from `seed` and copies it into the target. */
Status byol_model_create(Device *device, const EncoderConfig *encoder, const HeadConfig *projector,
                         const HeadConfig *predictor, int batch, uint64_t seed, ByolModel *model);
void byol_model_destroy(ByolModel *model);

/* One step on the views already in model->views: the symmetric loss goes to model->loss
 * (not read back), the online network is updated with `learning_rate`, the target moves
 * with `tau`. Nothing waits for the device. */
Status byol_model_step(ByolModel *model, const OptimizerConfig *optimizer, double learning_rate,
                       double tau);

/* Reads back the symmetric loss of the last step (both terms added: 0 to 8). */
Status byol_model_read_loss(ByolModel *model, double *loss);

#endif
