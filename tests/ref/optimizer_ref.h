/* optimizer_ref.h — the optimizer step on the host in double: PyTorch SGD with momentum,
 * or optax.lars, biases and BatchNorm parameters excluded from decay and adaptation — the
 * reference the training-step tests apply to the reference network's gradients. */
#ifndef BYOLCL_OPTIMIZER_REF_H
#define BYOLCL_OPTIMIZER_REF_H

#include "byolcl/arena.h"
#include "byolcl/optimizer.h"

/* w, g, v: the arena's PARAMS, GRADS and MOMENTUM layouts. */
void optimizer_ref_step(const Arena *arena, const OptimizerConfig *config, double lr, double *w, const double *g,
                        double *v);

#endif
