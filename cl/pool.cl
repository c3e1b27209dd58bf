/* pool.cl — max pool 3x3 stride 2 pad 1 (the ImageNet stem) and global average pool,
 * forward and backward. Backward passes gather (one work-item per input) so that no two
 * work-items write the same address: no atomics. */

/* One work-item per output; argmax is the chosen input's index within its (n, c) plane. */
__kernel void maxpool3s2_forward(VIEW(float, out), VIEW(int, argmax), VIEW(const float, in),
                                 int planes, int h, int w, int out_h, int out_w) {
    int i = get_global_id(0);
    if (i >= planes * out_h * out_w) return;
    int plane = i / (out_h * out_w), o = i - plane * (out_h * out_w);
    int oy = o / out_w, ox = o - oy * out_w;
    __global const float *x = VIEW_PTR(in) + (size_t)plane * h * w;
    /* The window's centre (2*oy, 2*ox) is always inside the input, so best is always set. */
    float best = 0.0f;
    int best_index = -1;
    for (int dy = -1; dy <= 1; dy++) {
        int y = 2 * oy + dy;
        if (y < 0 || y >= h) continue;
        for (int dx = -1; dx <= 1; dx++) {
            int xx = 2 * ox + dx;
            if (xx < 0 || xx >= w) continue;
            float v = x[y * w + xx];
            /* The first maximum in scan order wins ties; a NaN is taken (and then kept, as
             * nothing compares greater) so that it spreads instead of vanishing. */
            if (best_index < 0 || v > best || isnan(v)) {
                best = v;
                best_index = y * w + xx;
            }
        }
    }
    VIEW_PTR(out)[i] = best;
    VIEW_PTR(argmax)[i] = best_index;
}

/* One work-item per input: sums d_out over the (at most 2x2) windows that chose it. */
__kernel void maxpool3s2_backward(VIEW(float, d_in), VIEW(const float, d_out),
                                  VIEW(const int, argmax), int planes, int h, int w, int out_h,
                                  int out_w) {
    int i = get_global_id(0);
    if (i >= planes * h * w) return;
    int plane = i / (h * w), at = i - plane * (h * w);
    int y = at / w, x = at - y * w;
    /* Output oy covers inputs 2*oy-1 .. 2*oy+1. */
    int oy0 = y / 2, oy1 = min((y + 1) / 2, out_h - 1);
    int ox0 = x / 2, ox1 = min((x + 1) / 2, out_w - 1);
    size_t base = (size_t)plane * out_h * out_w;
    __global const float *g = VIEW_PTR(d_out) + base;
    __global const int *a = VIEW_PTR(argmax) + base;
    float sum = 0.0f;
    for (int oy = oy0; oy <= oy1; oy++)
        for (int ox = ox0; ox <= ox1; ox++)
            if (a[oy * out_w + ox] == at) sum += g[oy * out_w + ox];
    VIEW_PTR(d_in)[i] = sum;
}

/* out[plane] = mean of in's plane; one work-item per (n, c) plane. */
__kernel void global_avgpool_forward(VIEW(float, out), VIEW(const float, in), int planes,
                                     int spatial) {
    int plane = get_global_id(0);
    if (plane >= planes) return;
    __global const float *x = VIEW_PTR(in) + (size_t)plane * spatial;
    float sum = 0.0f;
    for (int s = 0; s < spatial; s++) sum += x[s];
    VIEW_PTR(out)[plane] = sum / (float)spatial;
}

__kernel void global_avgpool_backward(VIEW(float, d_in), VIEW(const float, d_out), int planes,
                                      int spatial) {
    int i = get_global_id(0);
    if (i >= planes * spatial) return;
    VIEW_PTR(d_in)[i] = VIEW_PTR(d_out)[i / spatial] / (float)spatial;
}
