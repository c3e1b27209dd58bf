/* optimizer.h — SGD with momentum and LARS as flat kernels over a parameter arena, plus a
 * cheap device-side NaN/Inf counter. One call is one optimizer update; nothing waits for the
 * device and nothing is read back.
 *
 * SGD (PyTorch torch.optim.SGD, dampening 0, no Nesterov):
 *     d = g + wd*w (weights only);  v = momentum*v + d;  w -= lr*v
 * LARS (optax.lars, nesterov off, eps 0): add_decayed_weights(wd, mask) ->
 * scale_by_trust_ratio(eta, mask) -> scale(-lr) -> trace(momentum):
 *     u = g + wd*w (weights only)
 *     u *= eta*||w||/||u|| per entry (weights only; 1 when either norm is 0)
 *     t = -lr*u + momentum*t;  w += t
 * The mask is the entry kind: PARAM_WEIGHT entries get decay and adaptation, biases and
 * BN parameters neither, BN running statistics (the STATE section) are never touched.
 * The momentum part holds v for SGD but the lr-scaled trace t for LARS, so optimizer state
 * is only meaningful for the optimizer that wrote it. Per-entry norms come from one
 * work-group per entry with a fixed reduction order: bitwise reproducible on one device. */
#ifndef BYOLCL_OPTIMIZER_H
#define BYOLCL_OPTIMIZER_H

#include "byolcl/arena.h"
#include "byolcl/ops.h" /* the kernels, and count_nonfinite */

typedef enum { OPTIMIZER_SGD = 0, OPTIMIZER_LARS } OptimizerKind;

typedef struct {
    OptimizerKind kind;
    float momentum;          /* 0.9 */
    float weight_decay;      /* BYOL: 1.5e-6 */
    float trust_coefficient; /* LARS eta: 1e-3 (unused by SGD) */
} OptimizerConfig;

const char *optimizer_kind_name(OptimizerKind kind); /* "sgd", "lars" */
/* "sgd" / "lars" (case-insensitive); BC_ERR_USAGE naming the choices otherwise. */
Status optimizer_kind_parse(const char *text, OptimizerKind *out);
/* The paper's LARS settings: momentum 0.9, wd 1.5e-6, eta 1e-3. */
OptimizerConfig optimizer_config_default(OptimizerKind kind);

/* One update of every trainable entry from the arena's GRADS (a TRAINED arena). */
Status optimizer_step(Arena *arena, const OptimizerConfig *config, float learning_rate);

/* Fills the arena's per-entry scratch with LARS trust ratios (the first half of a LARS
 * step, exposed so tests can check the segmented reduction on its own). */
Status lars_compute_trust_ratios(Arena *arena, const OptimizerConfig *config);

#endif
