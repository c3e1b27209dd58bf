/* network_ref.c — the reference network (see network_ref.h). */
#include <stdlib.h>
#include <string.h>

#include "ref/batchnorm_ref.h"
#include "ref/conv2d_ref.h"
#include "ref/elementwise_ref.h"
#include "ref/linear_ref.h"
#include "ref/network_ref.h"
#include "ref/pool_ref.h"

typedef struct {
    double *conv_out, *out, *mean, *invstd;
} ConvBnRef;

typedef struct {
    ConvBnRef convs[3], shortcut;
    double *out;
} BlockRef;

typedef struct {
    double *hidden_linear, *hidden, *mean, *invstd, *out;
} HeadRef;

struct NetworkRef {
    const Network *net;
    const Arena *arena;
    double *params, *state, *grads;
    size_t param_floats, state_floats;
    int batch;
    NetworkPart upto;
    BnMode mode;
    const double *input;
    ConvBnRef stem;
    double *pool_out;
    int *pool_argmax;
    BlockRef *blocks;
    double *features;
    HeadRef heads[2];
};

static double *to_double(const float *x, size_t n) {
    double *d = calloc(n ? n : 1, sizeof *d);
    for (size_t i = 0; i < n; i++) d[i] = x[i];
    return d;
}

static double *P(NetworkRef *r, int entry) { return r->params + arena_entry(r->arena, entry)->offset; }
static double *S(NetworkRef *r, int entry) { return r->state + arena_entry(r->arena, entry)->offset; }
static double *G(NetworkRef *r, int entry) { return r->grads + arena_entry(r->arena, entry)->offset; }

NetworkRef *network_ref_create(const Network *network, const Arena *arena, const float *params,
                               const float *state) {
    NetworkRef *r = calloc(1, sizeof *r);
    r->net = network;
    r->arena = arena;
    r->param_floats = arena_floats(arena, ARENA_PARAMS);
    r->state_floats = arena_floats(arena, ARENA_STATE);
    r->params = to_double(params, r->param_floats);
    r->state = to_double(state, r->state_floats);
    r->grads = calloc(r->param_floats ? r->param_floats : 1, sizeof(double));
    r->blocks = calloc((size_t)network->block_count, sizeof *r->blocks);
    return r;
}

static void free_conv_bn(ConvBnRef *c) {
    free(c->conv_out);
    free(c->out);
    free(c->mean);
    free(c->invstd);
    memset(c, 0, sizeof *c);
}

static void free_saved(NetworkRef *r) {
    free_conv_bn(&r->stem);
    free(r->pool_out);
    free(r->pool_argmax);
    r->pool_out = NULL;
    r->pool_argmax = NULL;
    for (int i = 0; i < r->net->block_count; i++) {
        for (int c = 0; c < 3; c++) free_conv_bn(&r->blocks[i].convs[c]);
        free_conv_bn(&r->blocks[i].shortcut);
        free(r->blocks[i].out);
        r->blocks[i].out = NULL;
    }
    free(r->features);
    r->features = NULL;
    for (int h = 0; h < 2; h++) {
        HeadRef *hr = &r->heads[h];
        free(hr->hidden_linear), free(hr->hidden), free(hr->mean), free(hr->invstd), free(hr->out);
        memset(hr, 0, sizeof *hr);
    }
}

void network_ref_destroy(NetworkRef *r) {
    if (!r) return;
    free_saved(r);
    free(r->blocks);
    free(r->params);
    free(r->state);
    free(r->grads);
    free(r);
}

double *network_ref_params(NetworkRef *r) { return r->params; }
double *network_ref_state(NetworkRef *r) { return r->state; }
double *network_ref_grads(NetworkRef *r) { return r->grads; }

static size_t out_count(const ConvBn *c, int batch) {
    return (size_t)batch * (size_t)c->c_out * (size_t)c->out_size * (size_t)c->out_size;
}

static void conv_bn_forward(NetworkRef *r, const ConvBn *c, ConvBnRef *s, const double *in) {
    size_t n = out_count(c, r->batch);
    s->conv_out = calloc(n, sizeof(double));
    s->out = calloc(n, sizeof(double));
    s->mean = calloc((size_t)c->c_out, sizeof(double));
    s->invstd = calloc((size_t)c->c_out, sizeof(double));
    Conv2dShape shape = conv_bn_shape(c, r->batch);
    conv2d_forward_ref(s->conv_out, in, P(r, c->weight), &shape);
    int spatial = c->out_size * c->out_size;
    if (r->mode == BN_TRAIN)
        batchnorm_ref_forward_train(s->out, s->mean, s->invstd, S(r, c->bn.running_mean),
                                    S(r, c->bn.running_var), s->conv_out, P(r, c->bn.gamma),
                                    P(r, c->bn.beta), r->batch, c->c_out, spatial, BN_EPS, BN_MOMENTUM);
    else
        batchnorm_ref_forward_eval(s->out, s->conv_out, P(r, c->bn.gamma), P(r, c->bn.beta),
                                   S(r, c->bn.running_mean), S(r, c->bn.running_var), r->batch,
                                   c->c_out, spatial, BN_EPS);
    if (c->relu) relu_ref_forward(s->out, s->out, n);
}

static const double *block_forward(NetworkRef *r, const Block *b, BlockRef *s, const double *in) {
    const double *x = in;
    for (int i = 0; i < b->conv_count; i++) {
        conv_bn_forward(r, &b->convs[i], &s->convs[i], x);
        x = s->convs[i].out;
    }
    const double *shortcut = in;
    if (b->projection) {
        conv_bn_forward(r, &b->shortcut, &s->shortcut, in);
        shortcut = s->shortcut.out;
    }
    size_t n = out_count(&b->convs[b->conv_count - 1], r->batch);
    s->out = calloc(n, sizeof(double));
    residual_add_ref_forward(s->out, x, shortcut, n);
    relu_ref_forward(s->out, s->out, n);
    return s->out;
}

static const double *head_forward(NetworkRef *r, const Head *h, HeadRef *s, const double *in) {
    size_t hidden = (size_t)r->batch * (size_t)h->hidden;
    s->hidden_linear = calloc(hidden, sizeof(double));
    s->hidden = calloc(hidden, sizeof(double));
    s->mean = calloc((size_t)h->hidden, sizeof(double));
    s->invstd = calloc((size_t)h->hidden, sizeof(double));
    s->out = calloc((size_t)r->batch * (size_t)h->out, sizeof(double));
    linear_forward_ref(s->hidden_linear, in, P(r, h->weight1), P(r, h->bias1), r->batch, h->in, h->hidden);
    if (r->mode == BN_TRAIN)
        batchnorm_ref_forward_train(s->hidden, s->mean, s->invstd, S(r, h->bn.running_mean),
                                    S(r, h->bn.running_var), s->hidden_linear, P(r, h->bn.gamma),
                                    P(r, h->bn.beta), r->batch, h->hidden, 1, BN_EPS, BN_MOMENTUM);
    else
        batchnorm_ref_forward_eval(s->hidden, s->hidden_linear, P(r, h->bn.gamma), P(r, h->bn.beta),
                                   S(r, h->bn.running_mean), S(r, h->bn.running_var), r->batch,
                                   h->hidden, 1, BN_EPS);
    relu_ref_forward(s->hidden, s->hidden, hidden);
    linear_forward_ref(s->out, s->hidden, P(r, h->weight2), P(r, h->bias2), r->batch, h->hidden, h->out);
    return s->out;
}

const double *network_ref_forward(NetworkRef *r, const double *input, int batch, NetworkPart upto,
                                  BnMode mode) {
    free_saved(r);
    const Network *n = r->net;
    r->batch = batch;
    r->upto = upto;
    r->mode = mode;
    r->input = input;
    conv_bn_forward(r, &n->stem, &r->stem, input);
    const double *x = r->stem.out;
    if (n->maxpool) {
        size_t count = (size_t)batch * (size_t)n->stem.c_out * (size_t)n->pool_out_size * (size_t)n->pool_out_size;
        r->pool_out = calloc(count, sizeof(double));
        r->pool_argmax = calloc(count, sizeof(int));
        maxpool_ref_forward(r->pool_out, r->pool_argmax, x, batch, n->stem.c_out, n->stem.out_size,
                            n->stem.out_size);
        x = r->pool_out;
    }
    for (int i = 0; i < n->block_count; i++) x = block_forward(r, &n->blocks[i], &r->blocks[i], x);
    r->features = calloc((size_t)batch * (size_t)n->final_channels, sizeof(double));
    global_avgpool_ref_forward(r->features, x, batch, n->final_channels, n->final_size, n->final_size);
    x = r->features;
    for (int h = 0; h < (int)upto; h++) x = head_forward(r, &n->heads[h], &r->heads[h], x);
    return x;
}

/* d_out is consumed (modified); d_in (may be NULL) receives the input gradient (+= when
 * accumulate). */
static void conv_bn_backward(NetworkRef *r, const ConvBn *c, const ConvBnRef *s, double *d_out,
                             const double *in, double *d_in, bool accumulate) {
    size_t n = out_count(c, r->batch);
    if (c->relu) relu_ref_backward(d_out, d_out, s->out, n);
    double *d_conv = calloc(n, sizeof(double));
    batchnorm_ref_backward(d_conv, G(r, c->bn.gamma), G(r, c->bn.beta), d_out, s->conv_out, s->mean,
                           s->invstd, P(r, c->bn.gamma), r->batch, c->c_out, c->out_size * c->out_size);
    Conv2dShape shape = conv_bn_shape(c, r->batch);
    conv2d_backward_weights_ref(G(r, c->weight), d_conv, in, &shape);
    if (d_in) conv2d_backward_data_ref(d_in, d_conv, P(r, c->weight), &shape, accumulate);
    free(d_conv);
}

static size_t in_count(const ConvBn *c, int batch) {
    return (size_t)batch * (size_t)c->c_in * (size_t)c->in_size * (size_t)c->in_size;
}

/* d_out (block output gradient) is consumed; returns the malloc'd input gradient. */
static double *block_backward(NetworkRef *r, const Block *b, const BlockRef *s, double *d_out,
                              const double *in) {
    const ConvBn *last = &b->convs[b->conv_count - 1];
    relu_ref_backward(d_out, d_out, s->out, out_count(last, r->batch));
    double *d = malloc(out_count(last, r->batch) * sizeof(double));
    memcpy(d, d_out, out_count(last, r->batch) * sizeof(double));
    for (int i = b->conv_count - 1; i >= 0; i--) {
        const double *x = i == 0 ? in : s->convs[i - 1].out;
        double *d_x = calloc(in_count(&b->convs[i], r->batch), sizeof(double));
        conv_bn_backward(r, &b->convs[i], &s->convs[i], d, x, d_x, false);
        free(d);
        d = d_x;
    }
    if (b->projection) conv_bn_backward(r, &b->shortcut, &s->shortcut, d_out, in, d, true);
    else residual_add_ref_backward(d, d_out, out_count(last, r->batch));
    return d;
}

static double *head_backward(NetworkRef *r, const Head *h, const HeadRef *s, const double *d_out,
                             const double *in) {
    size_t hidden = (size_t)r->batch * (size_t)h->hidden;
    double *d_hidden = calloc(hidden, sizeof(double)), *d_lin = calloc(hidden, sizeof(double));
    double *d_in = calloc((size_t)r->batch * (size_t)h->in, sizeof(double));
    linear_backward_ref(d_hidden, G(r, h->weight2), G(r, h->bias2), d_out, s->hidden, P(r, h->weight2),
                        r->batch, h->hidden, h->out);
    relu_ref_backward(d_hidden, d_hidden, s->hidden, hidden);
    batchnorm_ref_backward(d_lin, G(r, h->bn.gamma), G(r, h->bn.beta), d_hidden, s->hidden_linear, s->mean,
                           s->invstd, P(r, h->bn.gamma), r->batch, h->hidden, 1);
    linear_backward_ref(d_in, G(r, h->weight1), G(r, h->bias1), d_lin, in, P(r, h->weight1), r->batch,
                        h->in, h->hidden);
    free(d_hidden);
    free(d_lin);
    return d_in;
}

void network_ref_backward(NetworkRef *r, const double *d_output, double *d_input) {
    const Network *n = r->net;
    int batch = r->batch;
    size_t out_dim = (size_t)network_output_dim(n, r->upto);
    double *d = malloc((size_t)batch * out_dim * sizeof(double));
    memcpy(d, d_output, (size_t)batch * out_dim * sizeof(double));
    for (int h = (int)r->upto - 1; h >= 0; h--) {
        const double *in = h == 0 ? r->features : r->heads[h - 1].out;
        double *d_in = head_backward(r, &n->heads[h], &r->heads[h], d, in);
        free(d);
        d = d_in;
    }
    size_t final = (size_t)batch * (size_t)n->final_channels * (size_t)n->final_size * (size_t)n->final_size;
    double *d_map = calloc(final, sizeof(double));
    global_avgpool_ref_backward(d_map, d, batch, n->final_channels, n->final_size, n->final_size);
    free(d);
    d = d_map;
    for (int i = n->block_count - 1; i >= 0; i--) {
        const double *in = i > 0 ? r->blocks[i - 1].out : n->maxpool ? r->pool_out : r->stem.out;
        double *d_in = block_backward(r, &n->blocks[i], &r->blocks[i], d, in);
        free(d);
        d = d_in;
    }
    if (n->maxpool) {
        size_t count = out_count(&n->stem, batch);
        double *d_stem = calloc(count, sizeof(double));
        maxpool_ref_backward(d_stem, d, r->pool_argmax, batch, n->stem.c_out, n->stem.out_size, n->stem.out_size);
        free(d);
        d = d_stem;
    }
    conv_bn_backward(r, &n->stem, &r->stem, d, r->input, d_input, false);
    free(d);
}
