/* simclr.h — SimCLR on the same model struct as BYOL: the online encoder | projector only
 * (no predictor, no target), both views through it (each with its own activations, or
 * with BN_VIEWS_CONCAT as one batch of 2N), and the NT-Xent loss over the 2N projections
 * of the batch. */
#ifndef BYOLCL_BYOL_SIMCLR_H
#define BYOLCL_BYOL_SIMCLR_H

#include "byol/byol_model.h"

/* Builds the online network, allocates everything for `batch` images (2 batch views) and
 * initializes it from `seed`; temperature > 0. Under mpirun (dist.h: several ranks) the
 * loss spans every rank's batch: `batch` is this rank's share. */
Status simclr_model_create(Device *device, const EncoderConfig *encoder, const HeadConfig *projector, int batch,
                           BnViews bn_views, uint64_t seed, float temperature, ByolModel *model);
/* One step on the views in model->view_pair: NT-Xent loss to model->loss, collapse monitor,
 * gradients of both views, optimizer step. Nothing waits for the device. */
Status simclr_model_step(ByolModel *model, const OptimizerConfig *optimizer, double learning_rate);
void simclr_state_destroy(SimclrState *state); /* NULL is fine */
/* Cross-replica batch norm for the second view's forward as well (train_dist.c). */
void simclr_set_cross_replica(SimclrState *state, const CrossReplicaSum *replicas);

#endif
