/* ema.h — the BYOL target network follows the online one: parameters by an exponential
 * moving average xi <- tau*xi + (1 - tau)*theta (one flat kernel over the target's arena,
 * which is a prefix of the online arena, see arena.h), BatchNorm running statistics by a
 * plain COPY of the online network's (the STATE prefix). */
#ifndef BYOLCL_EMA_H
#define BYOLCL_EMA_H

#include "byolcl/arena.h"
#include "byolcl/ops.h" /* ema_update, the kernel */

/* Target = online (parameters and running statistics): the start of training. */
Status target_copy_from_online(Arena *target, const Arena *online);
/* After each optimizer step: EMA of the parameters with tau (target_tau_at of the step
 * just taken, schedule.h), then the running statistics copied. Both arenas must be
 * allocated on the same device and `target` must be a prefix of `online`. */
Status target_update(Arena *target, const Arena *online, double tau);

#endif
