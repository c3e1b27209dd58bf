/* batchnorm_planes.cl — CPU-shaped batch norm (profile BN_PLANES=1) for spatial > 1: work
 * goes by (image, channel) planes, each `spatial` contiguous floats read with float16
 * loads. The reductions give a work-item a run of images (few, heavy work-items: PoCL
 * runs a work-group as a loop on one core), the element kernels one plane each with the
 * channel's constants hoisted. The reductions write the same partials as
 * cl/batchnorm.cl's, whose finalize kernels merge them. Optional fused ReLU: forward
 * writes max(0, bn(x)), backward masks d_out where the fused output was not positive. */

#define BN_LANES 16

/* Sum of (x - shift) over one plane. */
static float bn_plane_shifted_sum(__global const float *x, int spatial, float shift) {
    float16 acc = (float16)(0.0f);
    int k = 0;
    for (; k + BN_LANES <= spatial; k += BN_LANES) acc += vload16(0, x + k) - shift;
    float s = lane_sum16(acc);
    for (; k < spatial; k++) s += x[k] - shift;
    return s;
}

/* Sum of ((x - shift) - center)^2 over one plane: the plane is still in L1 here. */
static float bn_plane_shifted_m2(__global const float *x, int spatial, float shift, float center) {
    float16 acc = (float16)(0.0f);
    int k = 0;
    for (; k + BN_LANES <= spatial; k += BN_LANES) {
        float16 d = (vload16(0, x + k) - shift) - center;
        acc += d * d;
    }
    float s = lane_sum16(acc);
    for (; k < spatial; k++) {
        float d = (x[k] - shift) - center;
        s += d * d;
    }
    return s;
}

/* partial[(ch * parts + part) * 3 + {0, 1, 2}] = (count, mean - shift, M2) of images
 * [part * per_part, min(n, (part + 1) * per_part)) of channel ch, shift = the channel's
 * first value (as batchnorm_partial_stats). A work-item owns a run of images, all
 * channels, so it streams through contiguous memory. Each plane's mean and M2 come from two
 * passes over the plane (the second from L1) and join the channel's (count, mean, M2) by
 * Chan et al.'s update: the input is read from memory once and no variance is taken as
 * E[x^2] - E[x]^2. */
__kernel void batchnorm_plane_partial_stats(__global float *partial, VIEW(const float, in), int n,
                                            int c, int spatial, int parts, int per_part) {
    int part = get_global_id(0);
    if (part >= parts) return;
    int begin = part * per_part, end = min(n, begin + per_part);
    float plane_count = (float)spatial;
    for (int i = begin; i < end; i++)
        for (int ch = 0; ch < c; ch++) {
            __global const float *x = VIEW_PTR(in) + ((size_t)i * c + ch) * spatial;
            float shift = VIEW_PTR(in)[(size_t)ch * spatial];
            float plane_mean = bn_plane_shifted_sum(x, spatial, shift) / plane_count;
            float plane_m2 = bn_plane_shifted_m2(x, spatial, shift, plane_mean);
            __global float *p = partial + ((size_t)ch * parts + part) * 3;
            if (i == begin) {
                p[0] = plane_count;
                p[1] = plane_mean;
                p[2] = plane_m2;
                continue;
            }
            float count = p[0], mean = p[1];
            float total = count + plane_count;
            float delta = plane_mean - mean;
            p[0] = total;
            p[1] = mean + delta * (plane_count / total);
            p[2] += plane_m2 + delta * delta * (count * plane_count / total);
        }
}

/* y = (x - mu) * scale + shift over one plane, then max(0, y) when relu (as a comparison,
 * so a NaN passes through like relu_forward's). */
static void bn_plane_apply(__global float *y, __global const float *x, int spatial, float mu,
                           float scale, float shift, int relu) {
    int k = 0;
    for (; k + BN_LANES <= spatial; k += BN_LANES) {
        float16 v = (vload16(0, x + k) - mu) * scale + shift;
        if (relu) v = select(v, (float16)(0.0f), v < (float16)(0.0f));
        store_u16(v, y + k);
    }
    for (; k < spatial; k++) {
        float v = (x[k] - mu) * scale + shift;
        y[k] = relu && v < 0.0f ? 0.0f : v;
    }
}

/* One work-item per (image, channel) plane, planes = n * c. */
__kernel void batchnorm_plane_normalize(VIEW(float, out), VIEW(const float, in),
                                        VIEW(const float, mean), VIEW(const float, invstd),
                                        VIEW(const float, gamma), VIEW(const float, beta), int c,
                                        int spatial, int planes, int relu) {
    int id = get_global_id(0);
    if (id >= planes) return;
    int ch = id - (id / c) * c;
    size_t base = (size_t)id * spatial;
    bn_plane_apply(VIEW_PTR(out) + base, VIEW_PTR(in) + base, spatial, VIEW_PTR(mean)[ch],
                   VIEW_PTR(invstd)[ch] * VIEW_PTR(gamma)[ch], VIEW_PTR(beta)[ch], relu);
}

/* Evaluation mode: the running statistics. */
__kernel void batchnorm_plane_normalize_running(VIEW(float, out), VIEW(const float, in),
                                                VIEW(const float, running_mean),
                                                VIEW(const float, running_var),
                                                VIEW(const float, gamma), VIEW(const float, beta),
                                                int c, int spatial, int planes, float eps,
                                                int relu) {
    int id = get_global_id(0);
    if (id >= planes) return;
    int ch = id - (id / c) * c;
    size_t base = (size_t)id * spatial;
    float scale = rsqrt(VIEW_PTR(running_var)[ch] + eps) * VIEW_PTR(gamma)[ch];
    bn_plane_apply(VIEW_PTR(out) + base, VIEW_PTR(in) + base, spatial, VIEW_PTR(running_mean)[ch],
                   scale, VIEW_PTR(beta)[ch], relu);
}

/* partial[(ch * parts + part) * 2 + {0, 1}] = sums of dy and dy * xhat over the run of
 * images (all channels, as batchnorm_plane_partial_stats), dy = d_out, or d_out masked
 * where out <= 0 when relu (as relu_backward). */
__kernel void batchnorm_plane_partial_grad_sums(__global float *partial, VIEW(const float, d_out),
                                                VIEW(const float, out), VIEW(const float, in),
                                                VIEW(const float, mean), VIEW(const float, invstd),
                                                int n, int c, int spatial, int parts,
                                                int per_part, int relu) {
    int part = get_global_id(0);
    if (part >= parts) return;
    int begin = part * per_part, end = min(n, begin + per_part);
    for (int i = begin; i < end; i++)
        for (int ch = 0; ch < c; ch++) {
            size_t base = ((size_t)i * c + ch) * spatial;
            __global const float *dy = VIEW_PTR(d_out) + base, *x = VIEW_PTR(in) + base;
            __global const float *y = VIEW_PTR(out) + base;
            float mu = VIEW_PTR(mean)[ch];
            float16 sum_dy = (float16)(0.0f), sum_dy_x = (float16)(0.0f);
            float tail_dy = 0.0f, tail_dy_x = 0.0f;
            int k = 0;
            for (; k + BN_LANES <= spatial; k += BN_LANES) {
                float16 g = vload16(0, dy + k);
                if (relu) g = select((float16)(0.0f), g, vload16(0, y + k) > (float16)(0.0f));
                sum_dy += g;
                sum_dy_x += g * (vload16(0, x + k) - mu);
            }
            for (; k < spatial; k++) {
                float g = dy[k], o = relu ? y[k] : 1.0f;
        g = o > 0.0f ? g : 0.0f;
                tail_dy += g;
                tail_dy_x += g * (x[k] - mu);
            }
            float plane_dy = lane_sum16(sum_dy) + tail_dy;
            float plane_dy_x = (lane_sum16(sum_dy_x) + tail_dy_x) * VIEW_PTR(invstd)[ch];
            __global float *p = partial + ((size_t)ch * parts + part) * 2;
            p[0] = i == begin ? plane_dy : p[0] + plane_dy;
            p[1] = i == begin ? plane_dy_x : p[1] + plane_dy_x;
        }
}

/* d_in = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)), one plane per
 * work-item; dy as in batchnorm_plane_partial_grad_sums. */
__kernel void batchnorm_plane_backward_input(VIEW(float, d_in), VIEW(const float, d_out),
                                             VIEW(const float, out), VIEW(const float, in),
                                             VIEW(const float, mean), VIEW(const float, invstd),
                                             VIEW(const float, gamma), __global const float *sums,
                                             int c, int spatial, int planes, float inv_count,
                                             int relu) {
    int id = get_global_id(0);
    if (id >= planes) return;
    int ch = id - (id / c) * c;
    size_t base = (size_t)id * spatial;
    __global const float *dy = VIEW_PTR(d_out) + base, *x = VIEW_PTR(in) + base;
    __global const float *y = VIEW_PTR(out) + base;
    __global float *dx = VIEW_PTR(d_in) + base;
    float is = VIEW_PTR(invstd)[ch], mu = VIEW_PTR(mean)[ch];
    float k_all = VIEW_PTR(gamma)[ch] * is;
    float mean_dy = sums[2 * ch] * inv_count;
    float slope = sums[2 * ch + 1] * inv_count * is; /* mean(dy * xhat) * invstd */
    int k = 0;
    for (; k + BN_LANES <= spatial; k += BN_LANES) {
        float16 g = vload16(0, dy + k);
        if (relu) g = select((float16)(0.0f), g, vload16(0, y + k) > (float16)(0.0f));
        store_u16(k_all * ((g - mean_dy) - (vload16(0, x + k) - mu) * slope), dx + k);
    }
    for (; k < spatial; k++) {
        float g = dy[k], o = relu ? y[k] : 1.0f;
        g = o > 0.0f ? g : 0.0f;
        dx[k] = k_all * ((g - mean_dy) - (x[k] - mu) * slope);
    }
}
