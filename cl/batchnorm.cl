/* batchnorm.cl — batch normalization over (n, c, spatial): per-channel statistics by a
 * two-stage reduction (chunk partials, then one work-item per channel combines them),
 * normalization, and the backward pass, each element kernel also with a fused ReLU. The
 * kernels for GPUs and for spatial = 1 (cl/batchnorm_planes.cl has the CPU ones for
 * spatial > 1, which share the finalize kernels here). No atomics and no local-memory
 * trees: on CPU drivers those become real memory traffic, and the chunk loops suit GPUs
 * too. */

/* Element j of channel ch's n*spatial values is sample j / spatial, position j % spatial.
 * The chunk of work-item (ch, part) is [part * chunk, min(count, (part + 1) * chunk)). */
#define BN_CHUNK_BOUNDS(part, chunk, count, begin, end)                                      \
    int begin = (part) * (chunk);                                                            \
    int end = min((count), begin + (chunk))

/* partial[(ch * parts + part) * 3 + {0, 1, 2}] = (count, mean - shift, M2) of one chunk,
 * where shift is the channel's first value, the same for every chunk of the channel: the
 * chunk means then keep all their digits even under a large common offset (where a mean
 * near 1e4 would be rounded to 1e-3), and M2 is taken in a second pass around the mean, so
 * it never suffers from cancellation. */
__kernel void batchnorm_partial_stats(__global float *partial, VIEW(const float, in), int n,
                                      int c, int spatial, int parts, int chunk) {
    int id = get_global_id(0);
    if (id >= c * parts) return;
    int ch = id / parts, part = id - ch * parts;
    int count = n * spatial;
    BN_CHUNK_BOUNDS(part, chunk, count, begin, end);
    int len = max(end - begin, 0);
    float mean = 0.0f, m2 = 0.0f;
    if (len > 0) {
        float shift = VIEW_PTR(in)[(size_t)ch * spatial];
        int i0 = begin / spatial, s0 = begin - i0 * spatial;
        __global const float *first = VIEW_PTR(in) + ((size_t)i0 * c + ch) * spatial;
        __global const float *plane = first;
        float sum = 0.0f;
        for (int j = begin, s = s0; j < end; j++) {
            sum += plane[s] - shift;
            if (++s == spatial) { s = 0; plane += (size_t)c * spatial; }
        }
        mean = sum / (float)len;
        plane = first;
        for (int j = begin, s = s0; j < end; j++) {
            float d = (plane[s] - shift) - mean;
            m2 += d * d;
            if (++s == spatial) { s = 0; plane += (size_t)c * spatial; }
        }
    }
    __global float *p = partial + (size_t)id * 3;
    p[0] = (float)len;
    p[1] = mean;
    p[2] = m2;
}

/* Merges channel ch's chunk partials (Chan et al.'s pairwise update) into its count, mean
 * and M2 (sum of squared deviations from the mean), the shift undone. */
static void bn_merge_partials(__global const float *partial, VIEW(const float, in), int ch, int spatial,
                              int parts, float *count_out, float *mean_out, float *m2_out) {
    __global const float *p = partial + (size_t)ch * parts * 3;
    float count = 0.0f, mean = 0.0f, m2 = 0.0f;
    for (int k = 0; k < parts; k++, p += 3) {
        float nb = p[0];
        if (nb == 0.0f) continue;
        float total = count + nb;
        float delta = p[1] - mean;
        mean += delta * (nb / total);
        m2 += p[2] + delta * delta * (count * nb / total);
        count = total;
    }
    *count_out = count;
    *mean_out = mean + VIEW_PTR(in)[(size_t)ch * spatial]; /* undo the shift of batchnorm_partial_stats */
    *m2_out = m2;
}

/* Saves mean and 1/sqrt(biased var + eps) for backward and moves the running statistics
 * toward the batch (unbiased var), as PyTorch does. */
static void bn_save_stats(VIEW(float, save_mean), VIEW(float, save_invstd), VIEW(float, running_mean),
                          VIEW(float, running_var), int ch, float mean, float var, float unbiased, float eps,
                          float momentum) {
    VIEW_PTR(save_mean)[ch] = mean;
    VIEW_PTR(save_invstd)[ch] = rsqrt(var + eps);
    __global float *rm = VIEW_PTR(running_mean), *rv = VIEW_PTR(running_var);
    rm[ch] = (1.0f - momentum) * rm[ch] + momentum * mean;
    rv[ch] = (1.0f - momentum) * rv[ch] + momentum * unbiased;
}

/* One work-item per channel: the batch's statistics from the chunk partials. */
__kernel void batchnorm_finalize_stats(VIEW(float, save_mean), VIEW(float, save_invstd),
                                       VIEW(float, running_mean), VIEW(float, running_var),
                                       __global const float *partial, VIEW(const float, in),
                                       int c, int spatial, int parts, float eps, float momentum) {
    int ch = get_global_id(0);
    if (ch >= c) return;
    float count, mean, m2;
    bn_merge_partials(partial, in_base, in_offset, ch, spatial, parts, &count, &mean, &m2);
    float var = count > 0.0f ? m2 / count : 0.0f;
    /* A single value per channel has no unbiased variance; PyTorch refuses to train on it,
     * here the biased one (0) keeps the running statistics finite. */
    float unbiased = count > 1.0f ? m2 / (count - 1.0f) : var;
    bn_save_stats(save_mean_base, save_mean_offset, save_invstd_base, save_invstd_offset, running_mean_base,
                  running_mean_offset, running_var_base, running_var_offset, ch, mean, var, unbiased, eps,
                  momentum);
}

/* Cross-replica batch norm, first half: moments[3 ch + {0, 1, 2}] = this replica's count,
 * mean and M2 of channel ch, which the host sums over the replicas. */
__kernel void batchnorm_local_moments(__global float *moments, __global const float *partial,
                                      VIEW(const float, in), int c, int spatial, int parts) {
    int ch = get_global_id(0);
    if (ch >= c) return;
    float count, mean, m2;
    bn_merge_partials(partial, in_base, in_offset, ch, spatial, parts, &count, &mean, &m2);
    moments[3 * ch] = count;
    moments[3 * ch + 1] = mean;
    moments[3 * ch + 2] = m2;
}

/* ... second half: stats[3 ch + {0, 1, 2}] = the mean, biased and unbiased variance of
 * every replica's values together. */
__kernel void batchnorm_apply_stats(VIEW(float, save_mean), VIEW(float, save_invstd),
                                    VIEW(float, running_mean), VIEW(float, running_var),
                                    __global const float *stats, int c, float eps, float momentum) {
    int ch = get_global_id(0);
    if (ch >= c) return;
    bn_save_stats(save_mean_base, save_mean_offset, save_invstd_base, save_invstd_offset, running_mean_base,
                  running_mean_offset, running_var_base, running_var_offset, ch, stats[3 * ch],
                  stats[3 * ch + 1], stats[3 * ch + 2], eps, momentum);
}

/* The per-element kernels run over a 3-D range (spatial, c, n): the channel is a work-item
 * coordinate, so no element pays for an integer division to find it. */
#define BN_ELEMENT_INDEX(i, ch, c, spatial)                                                  \
    int ch = get_global_id(1);                                                               \
    size_t i = ((size_t)get_global_id(2) * (c) + ch) * (spatial) + get_global_id(0)

/* max(0, y) when relu, as a comparison so that a NaN passes through (as relu_forward). */
#define BN_RELU(y, relu) ((relu) && (y) < 0.0f ? 0.0f : (y))

/* The output gradient g through an optional fused ReLU with output y: zero where y was not
 * positive (as relu_backward). Both are loaded before the choice: a conditional load
 * keeps CPU drivers from vectorizing across work-items. */
static float bn_masked_grad(float g, float y, bool relu) { return !relu || y > 0.0f ? g : 0.0f; }

/* Each element kernel below comes twice, without and with the fused ReLU (batchnorm_relu_*):
 * a helper taking `relu` as a constant, so that neither variant pays for a per-element
 * branch (CPU drivers vectorize across work-items only without one). */
#define VIEW_ARGS(name) name##_base, name##_offset

/* out = (in - mean) * invstd * gamma + beta, then max(0, out) when relu */
static void bn_normalize(VIEW(float, out), VIEW(const float, in), VIEW(const float, mean),
                         VIEW(const float, invstd), VIEW(const float, gamma),
                         VIEW(const float, beta), int c, int spatial, bool relu) {
    BN_ELEMENT_INDEX(i, ch, c, spatial);
    float scale = VIEW_PTR(invstd)[ch] * VIEW_PTR(gamma)[ch];
    float y = (VIEW_PTR(in)[i] - VIEW_PTR(mean)[ch]) * scale + VIEW_PTR(beta)[ch];
    VIEW_PTR(out)[i] = BN_RELU(y, relu);
}

#define BN_NORMALIZE_KERNEL(name, relu)                                                      \
    __kernel void name(VIEW(float, out), VIEW(const float, in), VIEW(const float, mean),     \
                       VIEW(const float, invstd), VIEW(const float, gamma),                  \
                       VIEW(const float, beta), int c, int spatial) {                        \
        bn_normalize(VIEW_ARGS(out), VIEW_ARGS(in), VIEW_ARGS(mean), VIEW_ARGS(invstd),      \
                     VIEW_ARGS(gamma), VIEW_ARGS(beta), c, spatial, relu);                   \
    }
BN_NORMALIZE_KERNEL(batchnorm_normalize, false)
BN_NORMALIZE_KERNEL(batchnorm_relu_normalize, true)

/* Evaluation mode: the running statistics, so each sample is independent of its batch. */
static void bn_normalize_running(VIEW(float, out), VIEW(const float, in),
                                 VIEW(const float, running_mean), VIEW(const float, running_var),
                                 VIEW(const float, gamma), VIEW(const float, beta), int c,
                                 int spatial, float eps, bool relu) {
    BN_ELEMENT_INDEX(i, ch, c, spatial);
    float scale = rsqrt(VIEW_PTR(running_var)[ch] + eps) * VIEW_PTR(gamma)[ch];
    float y = (VIEW_PTR(in)[i] - VIEW_PTR(running_mean)[ch]) * scale + VIEW_PTR(beta)[ch];
    VIEW_PTR(out)[i] = BN_RELU(y, relu);
}

#define BN_NORMALIZE_RUNNING_KERNEL(name, relu)                                              \
    __kernel void name(VIEW(float, out), VIEW(const float, in),                              \
                       VIEW(const float, running_mean), VIEW(const float, running_var),      \
                       VIEW(const float, gamma), VIEW(const float, beta), int c, int spatial,\
                       float eps) {                                                          \
        bn_normalize_running(VIEW_ARGS(out), VIEW_ARGS(in), VIEW_ARGS(running_mean),         \
                             VIEW_ARGS(running_var), VIEW_ARGS(gamma), VIEW_ARGS(beta), c,   \
                             spatial, eps, relu);                                            \
    }
BN_NORMALIZE_RUNNING_KERNEL(batchnorm_normalize_running, false)
BN_NORMALIZE_RUNNING_KERNEL(batchnorm_relu_normalize_running, true)

/* partial[(ch * parts + part) * 2 + {0, 1}] = chunk sums of dy and dy * xhat, dy = d_out
 * masked by the fused ReLU's output when relu. */
static void bn_partial_grad_sums(__global float *partial, VIEW(const float, d_out),
                                 VIEW(const float, out), VIEW(const float, in),
                                 VIEW(const float, mean), VIEW(const float, invstd), int n, int c,
                                 int spatial, int parts, int chunk, bool relu) {
    int id = get_global_id(0);
    if (id >= c * parts) return;
    int ch = id / parts, part = id - ch * parts;
    int count = n * spatial;
    BN_CHUNK_BOUNDS(part, chunk, count, begin, end);
    float mu = VIEW_PTR(mean)[ch], is = VIEW_PTR(invstd)[ch];
    float sum_dy = 0.0f, sum_dy_xhat = 0.0f;
    if (begin < end) {
        int i = begin / spatial, s = begin - i * spatial;
        size_t base = ((size_t)i * c + ch) * spatial;
        __global const float *dy = VIEW_PTR(d_out) + base, *x = VIEW_PTR(in) + base;
        __global const float *y = VIEW_PTR(out) + base;
        for (int j = begin; j < end; j++) {
            float g = bn_masked_grad(dy[s], relu ? y[s] : 0.0f, relu);
            sum_dy += g;
            sum_dy_xhat += g * (x[s] - mu);
            if (++s == spatial) {
                s = 0;
                dy += (size_t)c * spatial;
                x += (size_t)c * spatial;
                y += (size_t)c * spatial;
            }
        }
    }
    partial[(size_t)id * 2] = sum_dy;
    partial[(size_t)id * 2 + 1] = sum_dy_xhat * is;
}

#define BN_PARTIAL_GRAD_SUMS_KERNEL(name, relu)                                              \
    __kernel void name(__global float *partial, VIEW(const float, d_out),                    \
                       VIEW(const float, out), VIEW(const float, in), VIEW(const float, mean), \
                       VIEW(const float, invstd), int n, int c, int spatial, int parts,      \
                       int chunk) {                                                          \
        bn_partial_grad_sums(partial, VIEW_ARGS(d_out), VIEW_ARGS(out), VIEW_ARGS(in),       \
                             VIEW_ARGS(mean), VIEW_ARGS(invstd), n, c, spatial, parts, chunk,\
                             relu);                                                          \
    }
BN_PARTIAL_GRAD_SUMS_KERNEL(batchnorm_partial_grad_sums, false)
BN_PARTIAL_GRAD_SUMS_KERNEL(batchnorm_relu_partial_grad_sums, true)

/* One work-item per channel: sums[ch * 2 + {0, 1}] = totals for the input gradient;
 * d_beta += sum d_out, d_gamma += sum d_out * xhat. */
__kernel void batchnorm_finalize_grad_sums(__global float *sums, VIEW(float, d_gamma),
                                           VIEW(float, d_beta), __global const float *partial,
                                           int c, int parts) {
    int ch = get_global_id(0);
    if (ch >= c) return;
    __global const float *p = partial + (size_t)ch * parts * 2;
    float sum_dy = 0.0f, sum_dy_xhat = 0.0f;
    for (int k = 0; k < parts; k++) {
        sum_dy += p[2 * k];
        sum_dy_xhat += p[2 * k + 1];
    }
    sums[2 * ch] = sum_dy;
    sums[2 * ch + 1] = sum_dy_xhat;
    VIEW_PTR(d_beta)[ch] += sum_dy;
    VIEW_PTR(d_gamma)[ch] += sum_dy_xhat;
}

/* d_in = gamma * invstd / N * (N * dy - sum dy - xhat * sum dy * xhat), dy as in
 * batchnorm_partial_grad_sums */
static void bn_backward_input(VIEW(float, d_in), VIEW(const float, d_out),
                              VIEW(const float, out), VIEW(const float, in),
                              VIEW(const float, mean), VIEW(const float, invstd),
                              VIEW(const float, gamma), __global const float *sums, int c,
                              int spatial, float inv_count, bool relu) {
    BN_ELEMENT_INDEX(i, ch, c, spatial);
    float is = VIEW_PTR(invstd)[ch];
    float xhat = (VIEW_PTR(in)[i] - VIEW_PTR(mean)[ch]) * is;
    float mean_dy = sums[2 * ch] * inv_count, mean_dy_xhat = sums[2 * ch + 1] * inv_count;
    float g = bn_masked_grad(VIEW_PTR(d_out)[i], relu ? VIEW_PTR(out)[i] : 0.0f, relu);
    VIEW_PTR(d_in)[i] = VIEW_PTR(gamma)[ch] * is * (g - mean_dy - xhat * mean_dy_xhat);
}

#define BN_BACKWARD_INPUT_KERNEL(name, relu)                                                 \
    __kernel void name(VIEW(float, d_in), VIEW(const float, d_out), VIEW(const float, out),  \
                       VIEW(const float, in), VIEW(const float, mean),                       \
                       VIEW(const float, invstd), VIEW(const float, gamma),                  \
                       __global const float *sums, int c, int spatial, float inv_count) {    \
        bn_backward_input(VIEW_ARGS(d_in), VIEW_ARGS(d_out), VIEW_ARGS(out), VIEW_ARGS(in),  \
                          VIEW_ARGS(mean), VIEW_ARGS(invstd), VIEW_ARGS(gamma), sums, c,     \
                          spatial, inv_count, relu);                                         \
    }
BN_BACKWARD_INPUT_KERNEL(batchnorm_backward_input, false)
BN_BACKWARD_INPUT_KERNEL(batchnorm_relu_backward_input, true)
