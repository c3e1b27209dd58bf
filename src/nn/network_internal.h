/* network_internal.h — the structs behind Network and Activations, shared by the files of
 * src/nn/ that build, run and differentiate networks. */
#ifndef BYOLCL_NN_NETWORK_INTERNAL_H
#define BYOLCL_NN_NETWORK_INTERNAL_H

#include "byolcl/nn.h"

#define BN_MOMENTUM 0.1f

/* conv (no bias) -> batch norm -> optional ReLU */
typedef struct {
    int weight;            /* arena entry of (c_out, c_in, kernel, kernel) */
    BatchNormEntries bn;
    int c_in, c_out, kernel, stride, pad;
    int in_size, out_size; /* square spatial sizes */
    bool relu;
} ConvBn;

/* A residual block: 2 convs (basic) or 3 (bottleneck); ReLU after the residual add. */
typedef struct {
    ConvBn convs[3];
    int conv_count;
    bool projection; /* 1x1 conv + BN shortcut when the shape changes, identity otherwise */
    ConvBn shortcut;
} Block;

/* Linear -> BN -> ReLU -> Linear */
typedef struct {
    int weight1, bias1, weight2, bias2;
    BatchNormEntries bn;
    int in, hidden, out;
} Head;

struct Network {
    EncoderConfig config;
    ConvBn stem;
    bool maxpool;
    int pool_out_size;
    Block *blocks;
    int block_count;
    int final_channels, final_size; /* before global average pooling */
    Head heads[2];                  /* [0] projector, [1] predictor */
    int head_count;
};

typedef struct {
    Buffer *conv_out; /* BN input, saved for BN backward */
    Buffer *out;      /* BN (+ ReLU) output; for a block's last conv, the block output */
    Buffer *mean, *invstd;
} ConvBnActs;

typedef struct {
    ConvBnActs convs[3];
    ConvBnActs shortcut;
    Buffer *out; /* relu(main path + shortcut) */
} BlockActs;

typedef struct {
    Buffer *hidden_linear; /* first linear's output (BN input) */
    Buffer *hidden;        /* BN + ReLU output (second linear's input) */
    Buffer *mean, *invstd;
    Buffer *out;
} HeadActs;

enum { GRAD_BUFFERS = 3, MAX_OWNED_BUFFERS = 1024 };

struct Activations {
    int max_batch;
    NetworkPart upto;
    bool for_backward;
    ConvBnActs stem;
    Buffer *pool_out, *pool_argmax;
    BlockActs *blocks;
    Buffer *features;
    HeadActs heads[2];
    Buffer *grads[GRAD_BUFFERS]; /* ping-pong gradients, each of the largest activation */
    size_t grad_floats;
    View last_input; /* the input of the last forward pass (for weight gradients) */
    Buffer *owned[MAX_OWNED_BUFFERS];
    int owned_count;
    size_t bytes;
    const CrossReplicaSum *replicas; /* training-mode batch norm across replicas; NULL: this batch */
};

/* forward.c: the op shapes of a ConvBn for a batch. */
Conv2dShape conv_bn_shape(const ConvBn *c, int batch);
BatchNormShape conv_bn_norm_shape(const ConvBn *c, int batch, const CrossReplicaSum *replicas);
BatchNormShape head_norm_shape(const Head *h, int batch, const CrossReplicaSum *replicas);

/* The input view a block's i-th conv reads during forward, given the block input. */
static inline View block_conv_input(const BlockActs *acts, int i, View block_input) {
    return i == 0 ? block_input : view_of(acts->convs[i - 1].out);
}

#endif
