/* optim.cl — flat kernels over a parameter arena: LARS per-entry trust ratios (a segmented
 * reduction over the arena's table) and update, SGD with momentum, the target EMA, and a
 * non-finite counter. Table rows are (offset, count, flags), see arena.h. */

#define ARENA_FLAG_DECAY 1
#define ARENA_FLAG_ADAPT 2

/* One work-group of BC_WG_1D items per table entry. Each item sums a fixed stride of the
 * entry and the group folds the partial sums in a fixed tree, so the result depends only on
 * the data and BC_WG_1D (deterministic run to run). trust[e] = eta * ||w|| / ||g + wd*w||
 * for entries with ARENA_FLAG_ADAPT, 1 for the rest and when either norm is 0 (optax). */
__kernel __attribute__((reqd_work_group_size(BC_WG_1D, 1, 1)))
void lars_trust_ratios(__global float *trust, VIEW(const float, w), VIEW(const float, g),
                       __global const int *table, int entries, float weight_decay,
                       float trust_coefficient) {
    __local float sum_w[BC_WG_1D], sum_u[BC_WG_1D];
    int e = get_group_id(0), lid = get_local_id(0);
    if (e >= entries) return; /* the whole group leaves together */
    int offset = table[3 * e], count = table[3 * e + 1], flags = table[3 * e + 2];
    if (!(flags & ARENA_FLAG_ADAPT)) {
        if (lid == 0) trust[e] = 1.0f;
        return;
    }
    float decay = (flags & ARENA_FLAG_DECAY) ? weight_decay : 0.0f;
    __global const float *we = VIEW_PTR(w) + offset, *ge = VIEW_PTR(g) + offset;
    float aw = 0.0f, au = 0.0f;
    for (int i = lid; i < count; i += BC_WG_1D) {
        float wi = we[i], ui = ge[i] + decay * wi;
        aw += wi * wi;
        au += ui * ui;
    }
    sum_w[lid] = aw;
    sum_u[lid] = au;
    barrier(CLK_LOCAL_MEM_FENCE);
    int span = 1;
    while (2 * span <= BC_WG_1D) span *= 2; /* largest power of two <= the group size */
    if (span < BC_WG_1D) {
        if (lid + span < BC_WG_1D) {
            sum_w[lid] += sum_w[lid + span];
            sum_u[lid] += sum_u[lid + span];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (span /= 2; span > 0; span /= 2) {
        if (lid < span) {
            sum_w[lid] += sum_w[lid + span];
            sum_u[lid] += sum_u[lid + span];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) {
        float norm_w = sqrt(sum_w[0]), norm_u = sqrt(sum_u[0]);
        trust[e] = (norm_w == 0.0f || norm_u == 0.0f) ? 1.0f : trust_coefficient * norm_w / norm_u;
    }
}

/* optax.lars after the trust ratios: u = (g + wd*w [decay]) * trust [adapt];
 * t = -lr*u + momentum*t; w += t. `chunk_map` names the entry of each `chunk` floats. */
__kernel void lars_apply(VIEW(float, w), VIEW(const float, g), VIEW(float, t),
                         __global const int *chunk_map, int chunk, __global const int *table,
                         __global const float *trust, int n, float weight_decay, float lr,
                         float momentum) {
    int i = get_global_id(0);
    if (i >= n) return;
    int e = chunk_map[i / chunk], flags = table[3 * e + 2];
    float wi = VIEW_PTR(w)[i], u = VIEW_PTR(g)[i];
    if (flags & ARENA_FLAG_DECAY) u += weight_decay * wi;
    if (flags & ARENA_FLAG_ADAPT) u *= trust[e];
    float ti = -lr * u + momentum * VIEW_PTR(t)[i];
    VIEW_PTR(t)[i] = ti;
    VIEW_PTR(w)[i] = wi + ti;
}

/* PyTorch SGD: d = g + wd*w [decay]; v = momentum*v + d; w -= lr*v. */
__kernel void sgd_apply(VIEW(float, w), VIEW(const float, g), VIEW(float, v),
                        __global const int *chunk_map, int chunk, __global const int *table,
                        int n, float weight_decay, float lr, float momentum) {
    int i = get_global_id(0);
    if (i >= n) return;
    int e = chunk_map[i / chunk];
    float wi = VIEW_PTR(w)[i], d = VIEW_PTR(g)[i];
    if (table[3 * e + 2] & ARENA_FLAG_DECAY) d += weight_decay * wi;
    float vi = momentum * VIEW_PTR(v)[i] + d;
    VIEW_PTR(v)[i] = vi;
    VIEW_PTR(w)[i] = wi - lr * vi;
}

/* target = tau * target + (1 - tau) * online; both factors come from the host in double. */
__kernel void ema_update(VIEW(float, target), VIEW(const float, online), int n, float tau,
                         float one_minus_tau) {
    int i = get_global_id(0);
    if (i < n) VIEW_PTR(target)[i] = tau * VIEW_PTR(target)[i] + one_minus_tau * VIEW_PTR(online)[i];
}

/* count += number of NaN/Inf in x. Tests the exponent bits, so it holds even under
 * relaxed-math build options. */
__kernel void count_nonfinite(__global int *count, VIEW(const float, x), int n) {
    int i = get_global_id(0);
    if (i < n && (as_uint(VIEW_PTR(x)[i]) & 0x7f800000u) == 0x7f800000u) atomic_inc(count);
}
