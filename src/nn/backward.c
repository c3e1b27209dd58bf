/* backward.c — the backward pass through the heads and the encoder. Parameter gradients
 * accumulate into the arena's GRADS; activation gradients move through three rotating
 * buffers (a residual block needs its output gradient, a temporary and a destination). */
#include "nn/network_internal.h"

static size_t conv_out_count(const ConvBn *c, int batch) {
    return (size_t)batch * (size_t)c->c_out * (size_t)c->out_size * (size_t)c->out_size;
}

/* d_out is the gradient after a ReLU whose output is relu_out (the conv's own ReLU or a
 * block's final one), masked inside the batch norm backward; without a ReLU relu_out is
 * VIEW_NONE. d_in may be VIEW_NONE. */
static Status conv_bn_backward(Device *d, Arena *arena, const ConvBn *c, const ConvBnActs *acts,
                               View d_out, View relu_out, View in, View temp, View d_in, bool accumulate,
                               int batch, const CrossReplicaSum *replicas) {
    BatchNormShape bs = conv_bn_norm_shape(c, batch, replicas);
    View d_gamma = arena_grad(arena, c->bn.gamma), d_beta = arena_grad(arena, c->bn.beta);
    View gamma = arena_param(arena, c->bn.gamma);
    Status st = relu_out.buffer
                    ? batchnorm_relu_backward(d, temp, d_gamma, d_beta, d_out, relu_out, view_of(acts->conv_out),
                                              view_of(acts->mean), view_of(acts->invstd), gamma, &bs)
                    : batchnorm_backward(d, temp, d_gamma, d_beta, d_out, view_of(acts->conv_out),
                                         view_of(acts->mean), view_of(acts->invstd), gamma, &bs);
    Conv2dShape shape = conv_bn_shape(c, batch);
    if (st == BC_OK) st = conv2d_backward_weights(d, arena_grad(arena, c->weight), temp, in, &shape);
    if (st == BC_OK && d_in.buffer)
        st = conv2d_backward_data(d, d_in, temp, arena_param(arena, c->weight), &shape, accumulate);
    return st;
}

static int third(int a, int b) { return 3 - a - b; }

/* The block output's gradient is in grads[cur]; returns where the input's gradient is. */
static Status block_backward(Device *d, Arena *arena, const Block *b, const BlockActs *acts,
                             View block_in, Buffer *const *grads, int cur, int batch,
                             const CrossReplicaSum *replicas, int *out_index) {
    int e = (cur + 1) % 3, t = third(cur, e);
    View D = view_of(grads[cur]), E = view_of(grads[e]), T = view_of(grads[t]);
    const ConvBn *last = &b->convs[b->conv_count - 1];
    /* D is the gradient after the block's final ReLU; the last conv and the shortcut each
     * mask it by the block's output as they read it, so it is never masked in a pass of
     * its own. */
    View block_out = view_of(acts->out);
    Status st = BC_OK;
    for (int i = b->conv_count - 1; i >= 0 && st == BC_OK; i--) {
        bool is_last = i == b->conv_count - 1;
        View relu_out = is_last ? block_out : b->convs[i].relu ? view_of(acts->convs[i].out) : VIEW_NONE;
        st = conv_bn_backward(d, arena, &b->convs[i], &acts->convs[i], is_last ? D : E, relu_out,
                              block_conv_input(acts, i, block_in), T, E, false, batch, replicas);
    }
    if (st != BC_OK) return st;
    if (b->projection)
        st = conv_bn_backward(d, arena, &b->shortcut, &acts->shortcut, D, block_out, block_in, T, E, true, batch,
                              replicas);
    else
        st = residual_add_relu_backward(d, E, D, block_out, conv_out_count(last, batch));
    *out_index = e;
    return st;
}

static Status head_backward(Device *d, Arena *arena, const Head *h, const HeadActs *acts,
                            View d_out, View in, View t1, View t2, int batch, const CrossReplicaSum *replicas) {
    Status st = linear_backward(d, t1, arena_grad(arena, h->weight2), arena_grad(arena, h->bias2), d_out,
                                view_of(acts->hidden), arena_param(arena, h->weight2), batch, h->hidden, h->out);
    BatchNormShape bs = head_norm_shape(h, batch, replicas);
    if (st == BC_OK)
        st = batchnorm_relu_backward(d, t2, arena_grad(arena, h->bn.gamma), arena_grad(arena, h->bn.beta), t1,
                                     view_of(acts->hidden), view_of(acts->hidden_linear), view_of(acts->mean),
                                     view_of(acts->invstd), arena_param(arena, h->bn.gamma), &bs);
    /* The head input's gradient lands in t1, free again once the BN backward read it. */
    if (st == BC_OK)
        st = linear_backward(d, t1, arena_grad(arena, h->weight1), arena_grad(arena, h->bias1), t2, in,
                             arena_param(arena, h->weight1), batch, h->in, h->hidden);
    return st;
}

/* The input of head h during the last forward pass. */
static View head_input(const Activations *acts, int h) {
    return h == 0 ? view_of(acts->features) : view_of(acts->heads[h - 1].out);
}

/* The input of block i during the last forward pass. */
static View block_input(const Network *n, const Activations *acts, int i) {
    if (i > 0) return view_of(acts->blocks[i - 1].out);
    return n->maxpool ? view_of(acts->pool_out) : view_of(acts->stem.out);
}

Status network_backward(Device *device, const Network *network, Arena *arena,
                        Activations *acts, View d_output, int batch, NetworkPart upto,
                        View d_input) {
    if (!acts->for_backward) return error_set(BC_ERR_USAGE, "activations were made without gradient buffers");
    if ((int)upto > (int)acts->upto || batch < 1 || batch > acts->max_batch)
        return error_set(BC_ERR_USAGE, "backward does not match the activations (part or batch)");
    Buffer *const *G = acts->grads;
    int cur = -1; /* -1: the gradient is still the caller's d_output */
    View d = d_output;
    Status st = BC_OK;
    for (int h = (int)upto - 1; h >= 0 && st == BC_OK; h--) {
        int t1 = cur < 0 ? 0 : (cur + 1) % 3, t2 = cur < 0 ? 1 : third(cur, t1);
        st = head_backward(device, arena, &network->heads[h], &acts->heads[h], d, head_input(acts, h),
                           view_of(G[t1]), view_of(G[t2]), batch, acts->replicas);
        cur = t1;
        d = view_of(G[cur]);
    }
    if (st != BC_OK) return st;
    int next = cur < 0 ? 0 : (cur + 1) % 3;
    PoolShape ps = {batch, network->final_channels, network->final_size, network->final_size};
    st = global_avgpool_backward(device, view_of(G[next]), d, &ps);
    cur = next;
    for (int i = network->block_count - 1; i >= 0 && st == BC_OK; i--)
        st = block_backward(device, arena, &network->blocks[i], &acts->blocks[i],
                            block_input(network, acts, i), G, cur, batch, acts->replicas, &cur);
    if (st == BC_OK && network->maxpool) {
        next = (cur + 1) % 3;
        PoolShape pool = {batch, network->stem.c_out, network->stem.out_size, network->stem.out_size};
        st = maxpool_backward(device, view_of(G[next]), view_of(G[cur]), view_of(acts->pool_argmax), &pool);
        cur = next;
    }
    if (st == BC_OK) {
        int t = (cur + 1) % 3;
        View relu_out = network->stem.relu ? view_of(acts->stem.out) : VIEW_NONE;
        st = conv_bn_backward(device, arena, &network->stem, &acts->stem, view_of(G[cur]), relu_out,
                              acts->last_input, view_of(G[t]), d_input, false, batch, acts->replicas);
    }
    return st;
}
