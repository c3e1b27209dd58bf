/* activations.c — device memory for one forward pass and its backward pass: every tensor
 * the backward pass needs, plus three gradient buffers of the largest activation that
 * the backward pass rotates through (a residual block needs its output gradient, a
 * temporary and a destination at once). */
#include <stdlib.h>
#include <string.h>

#include "nn/network_internal.h"

typedef struct {
    Device *device;
    Activations *acts;
    Status status;
} Allocator;

static Buffer *take(Allocator *a, size_t floats) {
    if (a->status != BC_OK) return NULL;
    if (a->acts->owned_count == MAX_OWNED_BUFFERS) {
        a->status = error_set(BC_ERR_USAGE, "network too deep for the activation table");
        return NULL;
    }
    Buffer *b;
    a->status = buffer_create(a->device, floats * sizeof(float), &b);
    if (a->status != BC_OK) return NULL;
    a->acts->owned[a->acts->owned_count++] = b;
    a->acts->bytes += floats * sizeof(float);
    return b;
}

static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

/* Allocates a ConvBn's tensors; `out` may be given (a block's last conv writes the block
 * output). Returns the largest tensor in floats. */
static size_t take_conv_bn(Allocator *a, ConvBnActs *acts, const ConvBn *c, int batch, Buffer *out) {
    size_t floats = (size_t)batch * (size_t)c->c_out * (size_t)c->out_size * (size_t)c->out_size;
    acts->conv_out = take(a, floats);
    acts->out = out ? out : take(a, floats);
    acts->mean = take(a, (size_t)c->c_out);
    acts->invstd = take(a, (size_t)c->c_out);
    return floats;
}

Status activations_create(Device *device, const Network *network, int max_batch,
                          NetworkPart upto, bool for_backward, Activations **out) {
    *out = NULL;
    if ((int)upto > network->head_count)
        return error_set(BC_ERR_USAGE, "the network has no %s", upto == PART_PREDICTOR ? "predictor" : "projector");
    if (max_batch < 1) return error_set(BC_ERR_USAGE, "batch size must be at least 1");
    Activations *acts = calloc(1, sizeof *acts);
    if (!acts) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    acts->blocks = calloc((size_t)network->block_count, sizeof *acts->blocks);
    if (!acts->blocks) {
        free(acts);
        return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    }
    acts->max_batch = max_batch;
    acts->upto = upto;
    acts->for_backward = for_backward;
    Allocator a = {device, acts, BC_OK};
    size_t largest = take_conv_bn(&a, &acts->stem, &network->stem, max_batch, NULL);
    if (network->maxpool) {
        size_t floats = (size_t)max_batch * (size_t)network->stem.c_out *
                        (size_t)network->pool_out_size * (size_t)network->pool_out_size;
        acts->pool_out = take(&a, floats);
        acts->pool_argmax = take(&a, floats); /* ints, same size as floats */
        largest = max_size(largest, floats);
    }
    for (int i = 0; i < network->block_count; i++) {
        const Block *b = &network->blocks[i];
        BlockActs *ba = &acts->blocks[i];
        const ConvBn *last = &b->convs[b->conv_count - 1];
        ba->out = take(&a, (size_t)max_batch * (size_t)last->c_out * (size_t)last->out_size * (size_t)last->out_size);
        for (int c = 0; c < b->conv_count; c++)
            largest = max_size(largest, take_conv_bn(&a, &ba->convs[c], &b->convs[c], max_batch,
                                                     c == b->conv_count - 1 ? ba->out : NULL));
        if (b->projection)
            largest = max_size(largest, take_conv_bn(&a, &ba->shortcut, &b->shortcut, max_batch, NULL));
    }
    acts->features = take(&a, (size_t)max_batch * (size_t)network->final_channels);
    for (int h = 0; h < (int)upto; h++) {
        const Head *head = &network->heads[h];
        HeadActs *ha = &acts->heads[h];
        ha->hidden_linear = take(&a, (size_t)max_batch * (size_t)head->hidden);
        ha->hidden = take(&a, (size_t)max_batch * (size_t)head->hidden);
        ha->mean = take(&a, (size_t)head->hidden);
        ha->invstd = take(&a, (size_t)head->hidden);
        ha->out = take(&a, (size_t)max_batch * (size_t)head->out);
        largest = max_size(largest, (size_t)max_batch * max_size((size_t)head->hidden, (size_t)head->out));
    }
    if (for_backward) {
        acts->grad_floats = largest;
        for (int g = 0; g < GRAD_BUFFERS; g++) acts->grads[g] = take(&a, largest);
    }
    if (a.status != BC_OK) {
        size_t bytes = acts->bytes;
        activations_destroy(acts);
        if (a.status == BC_ERR_OUT_OF_MEMORY)
            return error_wrap(a.status, "activations for batch %d (%.0f MiB so far): ", max_batch,
                              (double)bytes / 1048576.0);
        return a.status;
    }
    *out = acts;
    return BC_OK;
}

void activations_destroy(Activations *activations) {
    if (!activations) return;
    for (int i = 0; i < activations->owned_count; i++) buffer_release(activations->owned[i]);
    free(activations->blocks);
    free(activations);
}

size_t activations_bytes(const Activations *activations) { return activations->bytes; }

void activations_set_cross_replica(Activations *activations, const CrossReplicaSum *replicas) {
    activations->replicas = replicas;
}

View activations_head_output(const Activations *activations, NetworkPart part) {
    if (part == PART_ENCODER || (int)part > (int)activations->upto) return VIEW_NONE;
    return view_of(activations->heads[part - 1].out);
}
