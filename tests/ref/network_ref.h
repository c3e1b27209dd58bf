/* network_ref.h — the plain-C, double-precision reference of a whole network: walks the
 * same architecture description (src/nn/network_internal.h) with the tests/ref op
 * references, keeping every tensor (no buffer reuse), so the device network's forward and
 * backward — including its gradient-buffer rotation — can be checked end to end. */
#ifndef BYOLCL_NETWORK_REF_H
#define BYOLCL_NETWORK_REF_H

#include "nn/network_internal.h"

typedef struct NetworkRef NetworkRef;

/* params/state: the arena's PARAMS and STATE parts as floats (arena_download layout). */
NetworkRef *network_ref_create(const Network *network, const Arena *arena, const float *params,
                               const float *state);
void network_ref_destroy(NetworkRef *ref);
/* Forward through parts up to `upto`; returns the output (owned by ref; batch x dim). In
 * BN_TRAIN the running statistics in the ref's state move as on the device. */
const double *network_ref_forward(NetworkRef *ref, const double *input, int batch, NetworkPart upto,
                                  BnMode mode);
/* Backward of the last forward; parameter gradients accumulate into network_ref_grads()
 * (PARAMS layout); d_input (may be NULL) receives the input gradient. */
void network_ref_backward(NetworkRef *ref, const double *d_output, double *d_input);
double *network_ref_params(NetworkRef *ref);
double *network_ref_state(NetworkRef *ref);
double *network_ref_grads(NetworkRef *ref);

#endif
