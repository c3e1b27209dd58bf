/* ops.h — the layer ops: each a forward/backward pair of thin host functions that launch
 * kernels from cl/. Layout NCHW, float32. Argument order everywhere: outputs, saved state,
 * inputs, parameters, sizes; backward prefixes gradients with d_. Parameter gradients
 * accumulate (+=); activation gradients overwrite (=) unless a flag says accumulate (where
 * two paths meet, e.g. a residual block's input). Nothing here waits for the device. */
#ifndef BYOLCL_OPS_H
#define BYOLCL_OPS_H

#include <stdbool.h>
#include <stddef.h>

#include "byolcl/device.h"

/* A View whose buffer is NULL means "not wanted" where a comment allows it. */
#define VIEW_NONE ((View){NULL, 0})

/* ---- GEMM (row-major): C = alpha * op(A) * op(B) + beta * C, op(X) = X or X^T ---- */
typedef enum { GEMM_PATH_OURS = 0, GEMM_PATH_CLBLAST = 1 } GemmPath;
/* Dispatches on the device profile's GEMM_PATH. */
Status gemm(Device *device, bool trans_a, bool trans_b, int m, int n, int k, float alpha, View a,
            int lda, View b, int ldb, float beta, View c, int ldc);
Status gemm_with_path(Device *device, GemmPath path, bool trans_a, bool trans_b, int m, int n,
                      int k, float alpha, View a, int lda, View b, int ldb, float beta, View c,
                      int ldc);
/* How our kernels compute this product on this device ("packed-A", "local-B", "A in place",
 * with ", swapped" for A * B^T as (B * A^T)^T and ", split-k"): what byolcl-bench reports. */
void gemm_route_text(const Device *device, bool trans_a, bool trans_b, int m, int n, int k, char *out, size_t cap);

/* ---- conv2d, no bias: weight (c_out, c_in, kernel_h, kernel_w) ---- */
typedef struct {
    int n, c_in, h, w;
    int c_out, kernel_h, kernel_w, stride, pad;
} Conv2dShape;
static inline int conv2d_out_h(const Conv2dShape *s) { return (s->h + 2 * s->pad - s->kernel_h) / s->stride + 1; }
static inline int conv2d_out_w(const Conv2dShape *s) { return (s->w + 2 * s->pad - s->kernel_w) / s->stride + 1; }
/* out (n, c_out, out_h, out_w) = conv(in (n, c_in, h, w), weight) */
Status conv2d_forward(Device *device, View out, View in, View weight, const Conv2dShape *s);
/* d_in = (or += when accumulate) conv^T(d_out, weight) */
Status conv2d_backward_data(Device *device, View d_in, View d_out, View weight,
                            const Conv2dShape *s, bool accumulate);
/* d_weight += correlation of d_out with in */
Status conv2d_backward_weights(Device *device, View d_weight, View d_out, View in,
                               const Conv2dShape *s);

/* ---- linear: weight (out_features, in_features) as in PyTorch; bias may be VIEW_NONE ---- */
/* out (batch, out_features) = in (batch, in_features) * weight^T + bias */
Status linear_forward(Device *device, View out, View in, View weight, View bias, int batch,
                      int in_features, int out_features);
/* d_in = d_out * weight (skipped when d_in is VIEW_NONE); d_weight += d_out^T * in;
 * d_bias += column sums of d_out (skipped when VIEW_NONE) */
Status linear_backward(Device *device, View d_in, View d_weight, View d_bias, View d_out,
                       View in, View weight, int batch, int in_features, int out_features);

/* ---- batch norm over (n, c, spatial): spatial = h*w for 2-D, 1 for 1-D (n, c) ---- */
/* Cross-replica (synchronized) batch norm in a data-parallel run: `sum` adds `count`
 * doubles over every replica in place (byol passes dist.h's MPI sum; ops never sees MPI).
 * Every replica normalizes a batch of the same n. */
typedef struct {
    Status (*sum)(void *context, double *values, size_t count);
    void *context;
    int replicas;
} CrossReplicaSum;
typedef struct {
    int n, c, spatial;
    float eps;      /* 1e-5 */
    float momentum; /* running = (1 - momentum) * running + momentum * batch; 0.1 */
    /* NULL: the statistics of this batch. Otherwise those of every replica's batch together:
     * the forward's per-channel count, sum and sum of squares, and the backward's sums of dy
     * and dy * xhat, are summed over the replicas (a read-back and a sum per batch norm).
     * d_gamma and d_beta stay this replica's: the caller averages gradients as a whole. */
    const CrossReplicaSum *replicas;
} BatchNormShape;
/* Batch statistics; saves mean and 1/sqrt(var + eps) (c each, biased var) for backward and
 * updates running_mean / running_var (unbiased var), as PyTorch does. */
Status batchnorm_forward_train(Device *device, View out, View save_mean, View save_invstd,
                               View running_mean, View running_var, View in, View gamma,
                               View beta, const BatchNormShape *s);
/* Running statistics: each sample independent of the batch (batch size 1 works). */
Status batchnorm_forward_eval(Device *device, View out, View in, View gamma, View beta,
                              View running_mean, View running_var, const BatchNormShape *s);
/* d_in =; d_gamma, d_beta += */
Status batchnorm_backward(Device *device, View d_in, View d_gamma, View d_beta, View d_out,
                          View in, View save_mean, View save_invstd, View gamma,
                          const BatchNormShape *s);
/* Batch norm with the following ReLU fused: out = max(0, batchnorm(in)), one pass instead
 * of two (a NaN passes through, as in relu_forward). Same arguments as without. */
Status batchnorm_relu_forward_train(Device *device, View out, View save_mean, View save_invstd,
                                    View running_mean, View running_var, View in, View gamma,
                                    View beta, const BatchNormShape *s);
Status batchnorm_relu_forward_eval(Device *device, View out, View in, View gamma, View beta,
                                   View running_mean, View running_var, const BatchNormShape *s);
/* Backward through ReLU and batch norm: d_out is the gradient of the ReLU's output `out`
 * (that of batchnorm_relu_forward_train) and is masked where out <= 0, as relu_backward
 * would; d_out itself is left unchanged. d_in =; d_gamma, d_beta += */
Status batchnorm_relu_backward(Device *device, View d_in, View d_gamma, View d_beta, View d_out,
                               View out, View in, View save_mean, View save_invstd, View gamma,
                               const BatchNormShape *s);

/* A residual block's last batch norm with the join and the block's ReLU fused: out =
 * max(0, batchnorm(in) + residual), one pass instead of two (residual_add_relu_forward
 * after batchnorm_forward_train). Its backward is batchnorm_relu_backward with `out` as the
 * ReLU's output, plus residual_add_relu_backward for the shortcut. */
Status batchnorm_add_relu_forward_train(Device *device, View out, View save_mean, View save_invstd,
                                        View running_mean, View running_var, View in, View residual,
                                        View gamma, View beta, const BatchNormShape *s);
Status batchnorm_add_relu_forward_eval(Device *device, View out, View in, View residual, View gamma,
                                       View beta, View running_mean, View running_var,
                                       const BatchNormShape *s);
/* Whether the network should take the fused join above (the profile's BN_GPU): on CPU
 * drivers the plane kernels and the separate join stay. */
bool batchnorm_fuses_residual(const Device *device);

/* ---- elementwise ---- */
Status relu_forward(Device *device, View out, View in, size_t count); /* out may equal in */
Status relu_backward(Device *device, View d_in, View d_out, View out, size_t count);
/* out = a + b (the residual join) */
Status residual_add_forward(Device *device, View out, View a, View b, size_t count);
/* d_x += d_out: the gradient reaching a residual block's input through the shortcut */
Status residual_add_backward(Device *device, View d_x, View d_out, size_t count);
/* out = max(0, a + b): the join and the block's ReLU in one pass; out may be a or b */
Status residual_add_relu_forward(Device *device, View out, View a, View b, size_t count);
/* d_x += d_out where out > 0: the shortcut's gradient through the block's ReLU (out is
 * residual_add_relu_forward's output) without masking d_out in a pass of its own */
Status residual_add_relu_backward(Device *device, View d_x, View d_out, View out, size_t count);

/* ---- pooling ---- */
/* Max pool 3x3, stride 2, pad 1 (the ImageNet stem). argmax holds, per output, the index
 * (as int) of the chosen input within its (n, c) plane. */
typedef struct {
    int n, c, h, w;
} PoolShape;
int maxpool_out_size(int size); /* (size + 2*1 - 3) / 2 + 1 */
Status maxpool_forward(Device *device, View out, View argmax, View in, const PoolShape *s);
Status maxpool_backward(Device *device, View d_in, View d_out, View argmax, const PoolShape *s);
/* out (n, c) = mean over h*w of in (n, c, h, w) */
Status global_avgpool_forward(Device *device, View out, View in, const PoolShape *s);
Status global_avgpool_backward(Device *device, View d_in, View d_out, const PoolShape *s);

/* ---- losses ---- */
/* out rows = in rows / max(||row||, 1e-12) */
Status l2_normalize_forward(Device *device, View out, View in, int batch, int dim);
/* loss (1 float) = mean over rows of 2 - 2 cos(p_i, z_i); z is a constant (target). */
Status byol_loss_forward(Device *device, View loss, View p, View z, int batch, int dim);
/* d_p = scale * dL/dp (overwrites); z gets no gradient */
Status byol_loss_backward(Device *device, View d_p, View p, View z, int batch, int dim,
                          float scale);
/* first_bad (1 int, -1 = none yet) = step when it is -1 and any of the `count` floats at
 * `loss` is NaN or infinite; sticky afterwards. Checks every step without a read-back. */
Status loss_guard_update(Device *device, View loss, int count, View first_bad, int step);
/* loss (1 float) = mean cross-entropy of softmax(logits) against labels (ints);
 * probs (batch, classes) saved for backward. */
Status softmax_cross_entropy_forward(Device *device, View loss, View probs, View logits,
                                     View labels, int batch, int classes);
/* d_logits = (probs - onehot(labels)) / batch */
Status softmax_cross_entropy_backward(Device *device, View d_logits, View probs, View labels,
                                      int batch, int classes);

/* ---- optimizer updates (cl/optim.cl): flat kernels over a table of parameter entries ----
 * Semantics (PyTorch's SGD, optax.lars) in optimizer.h; which parameters and which
 * schedule are the trainer's. */
typedef struct {
    const Buffer *table;     /* `entries` rows of ints (offset, count, flags), arena.h's layout */
    int entries;
    const Buffer *chunk_map; /* the entry (row) owning each `chunk` floats of w */
    int chunk;
} ParamTable;
/* trust[e] (a float per entry) = eta * ||w_e|| / ||g_e + wd*w_e|| for entries flagged ADAPT
 * (decay only where flagged DECAY), 1 for the others and where either norm is 0. */
Status lars_trust_ratios(Device *device, Buffer *trust, View w, View g, const ParamTable *table,
                         float weight_decay, float trust_coefficient);
/* u = (g + wd*w [DECAY]) * trust [ADAPT]; trace = -lr*u + momentum*trace; w += trace. */
Status lars_apply(Device *device, View w, View g, View trace, const ParamTable *table,
                  const Buffer *trust, size_t n, float weight_decay, float learning_rate, float momentum);
/* velocity = momentum*velocity + (g + wd*w [DECAY]); w -= lr*velocity. */
Status sgd_apply(Device *device, View w, View g, View velocity, const ParamTable *table, size_t n,
                 float weight_decay, float learning_rate, float momentum);
/* target[i] = tau*target[i] + (1 - tau)*online[i] for i < n; tau and 1 - tau are formed in
 * double and rounded separately, so tau = 1 leaves the target exactly unchanged. */
Status ema_update(Device *device, View target, View online, size_t n, double tau);
/* count[0] (an int in a device buffer) = number of NaN/Inf among x[0..n). Asynchronous:
 * read count back only where the host must decide (e.g. every N steps). */
Status count_nonfinite(Device *device, Buffer *count, View x, size_t n);
/* out[0..count) = value (a kernel, not clEnqueueFillBuffer: oclgrind then knows the memory
 * is initialized, see arena.c). */
Status fill_floats(Device *device, View out, size_t count, float value);

/* ---- SimCLR's NT-Xent (cl/ntxent.cl) ---- */
/* z_first and z_second (images, dim) are the two views' projections of the same images:
 * each row's positive is the same row of the other view, the other 2N - 2 rows of both are
 * its negatives. loss (1 float) = mean over the 2N rows of -log(exp(s_ip / t) /
 * sum_{k != i} exp(s_ik / t)), s = cosine similarity, t = temperature. Saves normalized
 * (2 images, dim), both views' L2-normalized rows one above the other, and d_logits
 * (2 images, 2 images) = dL/d(s / t) for the backward. */
Status ntxent_forward(Device *device, View loss, View normalized, View d_logits, View z_first, View z_second,
                      int images, int dim, float temperature);
/* d_first, d_second = dL/dz of each view (overwrite) from ntxent_forward's saved state;
 * d_normalized (2 images, dim) is working space the caller provides. */
Status ntxent_backward(Device *device, View d_first, View d_second, View d_normalized, View d_logits,
                       View normalized, View z_first, View z_second, int images, int dim, float temperature);
/* d_in = the gradient through l2_normalize_forward (overwrites) */
Status l2_normalize_backward(Device *device, View d_in, View d_out, View in, int batch, int dim);

/* ---- collapse monitor (cl/collapse.cl) ---- */
/* out (1 float) = mean over the dim columns of the sample standard deviation over the
 * batch (>= 2) of z's L2-normalized rows: about 1/sqrt(dim) for spread rows, 0 when all
 * rows point the same way. */
Status collapse_monitor_forward(Device *device, View out, View z, int batch, int dim);

#endif
