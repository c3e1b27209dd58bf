/* byol_model.h — the BYOL model on a device: the online network (encoder | projector |
 * predictor) and its EMA target (encoder | projector), their arenas and activations, the
 * two views, and one training step: target forward on both views, online forward and
 * backward against the other view's target projection, optimizer step, EMA. The forwards
 * run per view (BN_VIEWS_SEPARATE) or once over both views as one batch of 2B images
 * (BN_VIEWS_CONCAT: batch norm over both views), the loss is the same either way.
 * The same struct carries the ablation without a predictor and, through simclr.h, SimCLR
 * (online encoder | projector only, no target). Every step also leaves the collapse
 * monitor of the online projections on the device, read back with the loss. */
#ifndef BYOLCL_BYOL_MODEL_H
#define BYOLCL_BYOL_MODEL_H

#include "byolcl/arena.h"
#include "byolcl/nn.h"
#include "byolcl/optimizer.h"
#include "byolcl/train.h"

typedef struct SimclrState SimclrState;

typedef struct {
    Device *device;
    Network *online_net, *target_net; /* target_net NULL for SimCLR */
    Arena *online, *target;
    Activations *online_acts, *target_acts; /* for one forward pass: batch images, 2 batch with CONCAT */
    int batch, out_dim;
    BnViews bn_views;
    /* (2 batch, channels, size, size) floats: view 0's images, then view 1's (a host write
     * must cover both from the start: oclgrind 21.10 leaves one past the start uninitialized) */
    Buffer *view_pair;
    Buffer *targets[2];  /* (batch, out_dim): target projection of view 0 and view 1 */
    Buffer *d_prediction;/* (rows of one forward pass, out_dim) */
    Buffer *loss;        /* MODEL_READOUT_FLOATS: see below */
    SimclrState *simclr; /* not NULL: a SimCLR model (simclr.h) */
    /* Data-parallel runs: called after the backward passes, before the update, to average
     * the online gradients over the ranks; NULL for one process. */
    Status (*sync_gradients)(void *context, Arena *online);
    void *sync_context;
} ByolModel;

/* model->loss holds the loss of each view's prediction (SimCLR: the NT-Xent loss, 0), then
 * the collapse monitor of each view's online projections: one read-back gives both. */
enum { MODEL_READOUT_FLOATS = 4, MODEL_READOUT_COLLAPSE = 2 };

/* The part both methods share: the online network and arena (initialized from `seed`),
 * its activations, the views and the read-back buffer. predictor may be NULL. */
Status byol_model_create_online(Device *device, const EncoderConfig *encoder, const HeadConfig *projector,
                                const HeadConfig *predictor, int batch, BnViews bn_views, uint64_t seed,
                                ByolModel *model);

/* Builds both networks, allocates everything for `batch` (two views each) and `bn_views`,
 * initializes the online network from `seed` and copies it into the target. predictor
 * NULL: the ablation without one (the online projection is compared with the target's
 * directly). */
Status byol_model_create(Device *device, const EncoderConfig *encoder, const HeadConfig *projector,
                         const HeadConfig *predictor, int batch, BnViews bn_views, uint64_t seed,
                         ByolModel *model);
void byol_model_destroy(ByolModel *model);

/* Where view v (0 or 1) lies in model->view_pair: the augmentations write it there. */
View byol_model_view(const ByolModel *model, int v);
/* Views per forward pass (1 SEPARATE, 2 CONCAT) and the images (rows) of one pass. */
int byol_model_views_per_pass(const ByolModel *model);
int byol_model_pass_rows(const ByolModel *model);

/* One step on the views already in model->view_pair: the symmetric loss goes to model->loss
 * (not read back), the online network is updated with `learning_rate`, the target moves
 * with `tau`. Nothing waits for the device. */
Status byol_model_step(ByolModel *model, const OptimizerConfig *optimizer, double learning_rate,
                       double tau);

/* Reads back the symmetric loss of the last step (both terms added: 0 to 8; SimCLR: the
 * NT-Xent loss, log(2 batch - 1) for a collapsed batch). */
Status byol_model_read_loss(ByolModel *model, double *loss);
/* The loss as above and the collapse monitor (the mean of both views'), in one transfer. */
Status byol_model_read_step(ByolModel *model, double *loss, double *collapse);

#endif
