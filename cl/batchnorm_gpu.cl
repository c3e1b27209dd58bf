/* batchnorm_gpu.cl — batch norm's per-channel reductions for GPUs (profile BN_GPU): each
 * work-group of BN_GPU_WG work-items reduces one chunk of one channel's n*spatial values,
 * its work-items reading them in coalesced runs (neighbours take neighbouring values) and
 * merging through local memory; the partials have the layout of cl/batchnorm.cl's chunk
 * kernels, whose per-channel finalize and element kernels complete the op. Also the
 * normalization with the residual join and ReLU fused (a residual block's last batch
 * norm), for every device. */
/* Work-item lid's first value j0 = begin + lid of a chunk, as (sample i, position s), and
 * the step of BC_BN_GPU_WG values as whole samples plus positions: the walk then needs
 * no division per value. */
typedef struct {
    int i, s, step_i, step_s;
} BnWalk;

static BnWalk bn_walk_start(int j0, int spatial) {
    BnWalk w;
    w.i = j0 / spatial;
    w.s = j0 - w.i * spatial;
    w.step_i = BC_BN_GPU_WG / spatial;
    w.step_s = BC_BN_GPU_WG - w.step_i * spatial;
    return w;
}

static void bn_walk_next(BnWalk *w, int spatial) {
    w->i += w->step_i;
    w->s += w->step_s;
    if (w->s >= spatial) {
        w->s -= spatial;
        w->i++;
    }
}

/* partial[(ch * parts + part) * 3 + {0, 1, 2}] = (count, mean - shift, M2) of the chunk,
 * as batchnorm_partial_stats (shift: the channel's first value): each work-item runs
 * Welford's update over its values in one read, then the work-group merges them pairwise
 * (Chan et al.) in a tree. Group (part, ch). */
__kernel __attribute__((reqd_work_group_size(BC_BN_GPU_WG, 1, 1))) void batchnorm_gpu_partial_stats(
    __global float *partial, VIEW(const float, in), int n, int c, int spatial, int parts, int chunk) {
    __local float l_count[BC_BN_GPU_WG], l_mean[BC_BN_GPU_WG], l_m2[BC_BN_GPU_WG];
    int lid = get_local_id(0), part = get_group_id(0), ch = get_group_id(1);
    int begin = part * chunk, end = min(n * spatial, begin + chunk);
    __global const float *x = VIEW_PTR(in) + (size_t)ch * spatial;
    float shift = x[0], count = 0.0f, mean = 0.0f, m2 = 0.0f;
    BnWalk w = bn_walk_start(begin + lid, spatial);
    for (int j = begin + lid; j < end; j += BC_BN_GPU_WG) {
        float v = x[(size_t)w.i * c * spatial + w.s] - shift;
        count += 1.0f;
        float d = v - mean;
        mean += d / count;
        m2 += d * (v - mean);
        bn_walk_next(&w, spatial);
    }
    l_count[lid] = count, l_mean[lid] = mean, l_m2[lid] = m2;
    for (int width = BC_BN_GPU_WG / 2; width > 0; width /= 2) {
        barrier(CLK_LOCAL_MEM_FENCE);
        if (lid < width) {
            float nb = l_count[lid + width], na = l_count[lid], total = na + nb;
            if (nb > 0.0f) {
                float delta = l_mean[lid + width] - l_mean[lid];
                l_mean[lid] += delta * (nb / total);
                l_m2[lid] += l_m2[lid + width] + delta * delta * (na * nb / total);
                l_count[lid] = total;
            }
        }
    }
    if (lid == 0) {
        __global float *p = partial + ((size_t)ch * parts + part) * 3;
        p[0] = l_count[0];
        p[1] = l_mean[0];
        p[2] = l_m2[0];
    }
}

/* partial[(ch * parts + part) * 2 + {0, 1}] = the chunk's sums of dy and dy * xhat, dy =
 * d_out masked by the fused ReLU's output `out` when relu, as batchnorm_partial_grad_sums.
 * Group (part, ch). */
static void bn_gpu_partial_grad_sums(__global float *partial, __global const float *d_out,
                                     __global const float *out, __global const float *in,
                                     float mu, float is, int n, int c, int spatial, int parts,
                                     int chunk, bool relu, __local float *l_dy,
                                     __local float *l_dy_xhat) {
    int lid = get_local_id(0), part = get_group_id(0), ch = get_group_id(1);
    int begin = part * chunk, end = min(n * spatial, begin + chunk);
    size_t base = (size_t)ch * spatial;
    float sum_dy = 0.0f, sum_dy_xhat = 0.0f;
    BnWalk w = bn_walk_start(begin + lid, spatial);
    for (int j = begin + lid; j < end; j += BC_BN_GPU_WG) {
        size_t i = base + (size_t)w.i * c * spatial + w.s;
        float g = d_out[i];
        if (relu && !(out[i] > 0.0f)) g = 0.0f;
        sum_dy += g;
        sum_dy_xhat += g * (in[i] - mu);
        bn_walk_next(&w, spatial);
    }
    l_dy[lid] = sum_dy, l_dy_xhat[lid] = sum_dy_xhat;
    for (int width = BC_BN_GPU_WG / 2; width > 0; width /= 2) {
        barrier(CLK_LOCAL_MEM_FENCE);
        if (lid < width) {
            l_dy[lid] += l_dy[lid + width];
            l_dy_xhat[lid] += l_dy_xhat[lid + width];
        }
    }
    if (lid == 0) {
        __global float *p = partial + ((size_t)ch * parts + part) * 2;
        p[0] = l_dy[0];
        p[1] = l_dy_xhat[0] * is;
    }
}

#define BN_GPU_GRAD_SUMS_KERNEL(name, relu)                                                  \
    __kernel __attribute__((reqd_work_group_size(BC_BN_GPU_WG, 1, 1))) void name(           \
        __global float *partial, VIEW(const float, d_out), VIEW(const float, out),           \
        VIEW(const float, in), VIEW(const float, mean), VIEW(const float, invstd), int n,    \
        int c, int spatial, int parts, int chunk) {                                          \
        __local float l_dy[BC_BN_GPU_WG], l_dy_xhat[BC_BN_GPU_WG];                           \
        int ch = get_group_id(1);                                                            \
        bn_gpu_partial_grad_sums(partial, VIEW_PTR(d_out), VIEW_PTR(out), VIEW_PTR(in),      \
                                 VIEW_PTR(mean)[ch], VIEW_PTR(invstd)[ch], n, c, spatial,    \
                                 parts, chunk, relu, l_dy, l_dy_xhat);                       \
    }
BN_GPU_GRAD_SUMS_KERNEL(batchnorm_gpu_partial_grad_sums, false)
BN_GPU_GRAD_SUMS_KERNEL(batchnorm_gpu_relu_partial_grad_sums, true)

/* out = max(0, (in - mean) * scale + beta + residual), the residual block's last batch
 * norm, its join with the shortcut and the block's ReLU in one pass (a NaN passes through,
 * as relu_forward). scale = invstd * gamma, with invstd = rsqrt(var + eps) when `var` holds
 * running variances (evaluation). Range (spatial, c, n) as cl/batchnorm.cl. */
__kernel void batchnorm_add_relu_normalize(VIEW(float, out), VIEW(const float, in),
                                           VIEW(const float, residual), VIEW(const float, mean),
                                           VIEW(const float, var), VIEW(const float, gamma),
                                           VIEW(const float, beta), int c, int spatial,
                                           int running, float eps) {
    int ch = get_global_id(1);
    size_t i = ((size_t)get_global_id(2) * c + ch) * spatial + get_global_id(0);
    float v = VIEW_PTR(var)[ch];
    float scale = (running ? rsqrt(v + eps) : v) * VIEW_PTR(gamma)[ch];
    float y = (VIEW_PTR(in)[i] - VIEW_PTR(mean)[ch]) * scale + VIEW_PTR(beta)[ch] +
              VIEW_PTR(residual)[i];
    VIEW_PTR(out)[i] = y < 0.0f ? 0.0f : y;
}
