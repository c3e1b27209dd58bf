/* param_shapes.c — the tensor shape behind each arena entry of a network (the arena itself
 * records only element counts), for writing parameters out in PyTorch's layouts. */
#include "nn/network_internal.h"

static int bn_shape(const BatchNormEntries *bn, int channels, int entry, int64_t shape[4]) {
    if (entry != bn->gamma && entry != bn->beta && entry != bn->running_mean && entry != bn->running_var) return 0;
    shape[0] = channels;
    return 1;
}

static int conv_bn_shape_of(const ConvBn *c, int entry, int64_t shape[4]) {
    if (entry == c->weight) {
        shape[0] = c->c_out, shape[1] = c->c_in, shape[2] = c->kernel, shape[3] = c->kernel;
        return 4;
    }
    return bn_shape(&c->bn, c->c_out, entry, shape);
}

static int head_shape_of(const Head *h, int entry, int64_t shape[4]) {
    if (entry == h->weight1 || entry == h->weight2) {
        shape[0] = entry == h->weight1 ? h->hidden : h->out;
        shape[1] = entry == h->weight1 ? h->in : h->hidden;
        return 2;
    }
    if (entry == h->bias1 || entry == h->bias2) {
        shape[0] = entry == h->bias1 ? h->hidden : h->out;
        return 1;
    }
    return bn_shape(&h->bn, h->hidden, entry, shape);
}

int network_param_shape(const Network *n, int entry, int64_t shape[4]) {
    int ndim = conv_bn_shape_of(&n->stem, entry, shape);
    for (int b = 0; b < n->block_count && !ndim; b++) {
        const Block *blk = &n->blocks[b];
        for (int i = 0; i < blk->conv_count && !ndim; i++) ndim = conv_bn_shape_of(&blk->convs[i], entry, shape);
        if (!ndim && blk->projection) ndim = conv_bn_shape_of(&blk->shortcut, entry, shape);
    }
    for (int h = 0; h < n->head_count && !ndim; h++) ndim = head_shape_of(&n->heads[h], entry, shape);
    return ndim;
}
