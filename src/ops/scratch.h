/* scratch.h — which device scratch slot (device_scratch) each op's temporaries use, in one
 * table, and the rule that keeps nested ops apart. Private to src/ops/.
 *
 * An op may call another op while holding scratch: conv2d keeps its patch columns in a
 * slot while gemm() packs B into another, and its flipped-kernel input gradient keeps the
 * flipped weights while the forward pass runs. The rule:
 *   - gemm and its parts (gemm.c, gemm_gpu.c) use slots 3-5 and hold none while calling
 *     another op;
 *   - every other op uses slots 0-2 and may call gemm while holding them;
 *   - an op that calls another op while holding slots wraps the call in
 *     SCRATCH_HOLDING(slots, call); scratch_get then refuses (BC_ERR_USAGE naming the slot)
 *     any of those slots to the callee, so a breach fails the tests instead of silently
 *     overwriting the caller's data.
 * Outside ops, src/augment uses slots 0 and 1 (augment.h) and calls no op meanwhile. */
#ifndef BYOLCL_OPS_SCRATCH_H
#define BYOLCL_OPS_SCRATCH_H

#include "byolcl/device.h"

typedef enum {
    /* Slots 0-2: ops that may call gemm() while holding them. */
    SCRATCH_CONV_COLUMNS = 0,        /* conv2d: im2col patch columns */
    SCRATCH_CONV_PACKED_GRAD = 1,    /* conv2d: the output gradient packed as B */
    SCRATCH_CONV_FLIPPED_WEIGHT = 2, /* conv2d: flipped weights of the input gradient */
    SCRATCH_DIRECT_PADDED = 0,       /* conv2d_direct: zero-padded input planes */
    SCRATCH_DIRECT_PACKED = 2,       /* conv2d_direct: repacked weights */
    SCRATCH_WGRAD_PARTIAL = 0,       /* conv2d_wgrad: per-chunk partial sums */
    SCRATCH_WGRAD_INPUT = 1,         /* conv2d_wgrad: padded input planes */
    SCRATCH_WGRAD_GRAD = 2,          /* conv2d_wgrad: padded output-gradient planes */
    SCRATCH_BN_PARTIAL = 0,          /* batchnorm: per-part partial sums */
    SCRATCH_BN_SUMS = 1,             /* batchnorm: per-channel gradient sums */
    SCRATCH_LOSS_TERMS = 0,          /* losses (and NT-Xent): per-row terms */
    SCRATCH_COLLAPSE_INV_NORMS = 0,  /* collapse monitor: 1 / ||row|| */
    SCRATCH_COLLAPSE_COLUMN_STD = 1, /* collapse monitor: per-dimension spread */
    SCRATCH_IGEMM_PARTIAL = 0,       /* conv2d_igemm: the weight gradient's per-split partials */
    /* Slots 3-5: gemm's own. */
    SCRATCH_GEMM_PACKED_B = 3,
    SCRATCH_GEMM_PACKED_A = 4,
    SCRATCH_GEMM_PARTIAL = 5,
} ScratchSlot;

/* device_scratch for `slot`, unless a calling op holds it (see above). */
Status scratch_get(Device *device, ScratchSlot slot, size_t bytes, Buffer **out);

/* Runs `call` (a statement) with the slots in `slots` (a bit per slot, SCRATCH_BIT) marked
 * as held by the caller. */
#define SCRATCH_BIT(slot) (1u << (slot))
#define SCRATCH_HOLDING(slots, call)                                                           \
    do {                                                                                       \
        unsigned scratch_before_ = scratch_hold(slots);                                        \
        call;                                                                                  \
        scratch_restore(scratch_before_);                                                      \
    } while (0)
unsigned scratch_hold(unsigned slots); /* returns the slots held before */
void scratch_restore(unsigned held_before);

#endif
