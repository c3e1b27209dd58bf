/* forward.c — the forward pass: stem, (max pool), residual blocks, global average pool,
 * then the heads, with batch norm in training or evaluation mode. */
#include "nn/network_internal.h"

Conv2dShape conv_bn_shape(const ConvBn *c, int batch) {
    return (Conv2dShape){.n = batch, .c_in = c->c_in, .h = c->in_size, .w = c->in_size,
                         .c_out = c->c_out, .kernel_h = c->kernel, .kernel_w = c->kernel,
                         .stride = c->stride, .pad = c->pad};
}

BatchNormShape conv_bn_norm_shape(const ConvBn *c, int batch, const CrossReplicaSum *replicas) {
    return (BatchNormShape){.n = batch, .c = c->c_out, .spatial = c->out_size * c->out_size,
                            .eps = BN_EPS, .momentum = BN_MOMENTUM, .replicas = replicas};
}

BatchNormShape head_norm_shape(const Head *h, int batch, const CrossReplicaSum *replicas) {
    return (BatchNormShape){.n = batch, .c = h->hidden, .spatial = 1, .eps = BN_EPS, .momentum = BN_MOMENTUM,
                            .replicas = replicas};
}

/* Batch norm, followed by a ReLU in the same pass when relu. */
static Status batchnorm(Device *d, Arena *arena, const BatchNormEntries *bn, BnMode mode, bool relu,
                        View out, View mean, View invstd, View in, const BatchNormShape *s) {
    View gamma = arena_param(arena, bn->gamma), beta = arena_param(arena, bn->beta);
    View running_mean = arena_state(arena, bn->running_mean), running_var = arena_state(arena, bn->running_var);
    if (mode == BN_EVAL)
        return (relu ? batchnorm_relu_forward_eval : batchnorm_forward_eval)(d, out, in, gamma, beta, running_mean,
                                                                             running_var, s);
    return (relu ? batchnorm_relu_forward_train : batchnorm_forward_train)(d, out, mean, invstd, running_mean,
                                                                           running_var, in, gamma, beta, s);
}

static Status conv_bn_forward(Device *d, Arena *arena, const ConvBn *c, ConvBnActs *acts, View in,
                              int batch, BnMode mode, const CrossReplicaSum *replicas) {
    Conv2dShape shape = conv_bn_shape(c, batch);
    Status st = conv2d_forward(d, view_of(acts->conv_out), in, arena_param(arena, c->weight), &shape);
    if (st != BC_OK) return st;
    BatchNormShape bs = conv_bn_norm_shape(c, batch, replicas);
    return batchnorm(d, arena, &c->bn, mode, c->relu, view_of(acts->out), view_of(acts->mean),
                     view_of(acts->invstd), view_of(acts->conv_out), &bs);
}

/* The block's last conv and batch norm, joined with the shortcut and passed through the
 * block's ReLU in the batch norm's normalization (batchnorm_fuses_residual). */
static Status conv_bn_add_relu_forward(Device *d, Arena *arena, const ConvBn *c, ConvBnActs *acts, View in,
                                       View shortcut, int batch, BnMode mode, const CrossReplicaSum *replicas) {
    Conv2dShape shape = conv_bn_shape(c, batch);
    Status st = conv2d_forward(d, view_of(acts->conv_out), in, arena_param(arena, c->weight), &shape);
    if (st != BC_OK) return st;
    BatchNormShape bs = conv_bn_norm_shape(c, batch, replicas);
    View gamma = arena_param(arena, c->bn.gamma), beta = arena_param(arena, c->bn.beta);
    View running_mean = arena_state(arena, c->bn.running_mean), running_var = arena_state(arena, c->bn.running_var);
    if (mode == BN_EVAL)
        return batchnorm_add_relu_forward_eval(d, view_of(acts->out), view_of(acts->conv_out), shortcut, gamma,
                                               beta, running_mean, running_var, &bs);
    return batchnorm_add_relu_forward_train(d, view_of(acts->out), view_of(acts->mean), view_of(acts->invstd),
                                            running_mean, running_var, view_of(acts->conv_out), shortcut, gamma,
                                            beta, &bs);
}

static Status block_forward(Device *d, Arena *arena, const Block *b, BlockActs *acts, View in,
                            int batch, BnMode mode, const CrossReplicaSum *replicas) {
    /* Fused: the shortcut first, so that the last batch norm can add it. */
    bool fuse = batchnorm_fuses_residual(d);
    int last_index = b->conv_count - 1;
    Status st = BC_OK;
    for (int i = 0; i < (fuse ? last_index : b->conv_count) && st == BC_OK; i++)
        st = conv_bn_forward(d, arena, &b->convs[i], &acts->convs[i], block_conv_input(acts, i, in), batch, mode,
                             replicas);
    View shortcut = in;
    if (st == BC_OK && b->projection) {
        st = conv_bn_forward(d, arena, &b->shortcut, &acts->shortcut, in, batch, mode, replicas);
        shortcut = view_of(acts->shortcut.out);
    }
    if (st != BC_OK) return st;
    const ConvBn *last = &b->convs[last_index];
    if (fuse)
        return conv_bn_add_relu_forward(d, arena, last, &acts->convs[last_index],
                                        block_conv_input(acts, last_index, in), shortcut, batch, mode, replicas);
    size_t count = (size_t)batch * (size_t)last->c_out * (size_t)last->out_size * (size_t)last->out_size;
    View out = view_of(acts->out);
    return residual_add_relu_forward(d, out, out, shortcut, count);
}

static Status head_forward(Device *d, Arena *arena, const Head *h, HeadActs *acts, View in,
                           int batch, BnMode mode, const CrossReplicaSum *replicas) {
    Status st = linear_forward(d, view_of(acts->hidden_linear), in, arena_param(arena, h->weight1),
                               arena_param(arena, h->bias1), batch, h->in, h->hidden);
    BatchNormShape bs = head_norm_shape(h, batch, replicas);
    if (st == BC_OK)
        st = batchnorm(d, arena, &h->bn, mode, true, view_of(acts->hidden), view_of(acts->mean),
                       view_of(acts->invstd), view_of(acts->hidden_linear), &bs);
    if (st == BC_OK)
        st = linear_forward(d, view_of(acts->out), view_of(acts->hidden), arena_param(arena, h->weight2),
                            arena_param(arena, h->bias2), batch, h->hidden, h->out);
    return st;
}

Status network_forward(Device *device, const Network *network, Arena *arena,
                       Activations *acts, View input, int batch, NetworkPart upto,
                       BnMode mode, View *output) {
    if (batch < 1 || batch > acts->max_batch)
        return error_set(BC_ERR_USAGE, "batch of %d does not fit activations made for %d", batch, acts->max_batch);
    if ((int)upto > (int)acts->upto)
        return error_set(BC_ERR_USAGE, "activations were made for fewer network parts");
    if (mode == BN_TRAIN && batch < 2)
        return error_set(BC_ERR_USAGE, "training-mode batch norm needs a batch of at least 2");
    acts->last_input = input;
    const CrossReplicaSum *replicas = acts->replicas;
    Status st = conv_bn_forward(device, arena, &network->stem, &acts->stem, input, batch, mode, replicas);
    View x = view_of(acts->stem.out);
    if (st == BC_OK && network->maxpool) {
        PoolShape ps = {batch, network->stem.c_out, network->stem.out_size, network->stem.out_size};
        st = maxpool_forward(device, view_of(acts->pool_out), view_of(acts->pool_argmax), x, &ps);
        x = view_of(acts->pool_out);
    }
    for (int i = 0; i < network->block_count && st == BC_OK; i++) {
        st = block_forward(device, arena, &network->blocks[i], &acts->blocks[i], x, batch, mode, replicas);
        x = view_of(acts->blocks[i].out);
    }
    if (st == BC_OK) {
        PoolShape ps = {batch, network->final_channels, network->final_size, network->final_size};
        st = global_avgpool_forward(device, view_of(acts->features), x, &ps);
        x = view_of(acts->features);
    }
    for (int h = 0; h < (int)upto && st == BC_OK; h++) {
        st = head_forward(device, arena, &network->heads[h], &acts->heads[h], x, batch, mode, replicas);
        x = view_of(acts->heads[h].out);
    }
    if (st == BC_OK) *output = x;
    return st;
}
