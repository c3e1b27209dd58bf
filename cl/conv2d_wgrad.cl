/* conv2d_wgrad.cl — the weight gradient of a 3x3, stride-1, pad-1 convolution straight
 * from the input and the output gradient, for CPU drivers (profile CONV_WGRAD_DIRECT):
 * no patch matrix is written and read back (im2col + GEMM moved ~3x the tensor's bytes
 * per tap through memory). With pad 1 the output plane has the input's shape, so tap
 * (ky, kx) of output pixel p is input pixel p + (ky - 1) * w + (kx - 1): a shifted vector
 * load of the input plane. conv2d_wgrad_pad first copies both tensors into planes with
 * zero margins, so those loads never leave a plane and rows above and below the image
 * read zeros: the hot loop has no branches and no gathers, only the row ends need masks.
 * Lanes run over consecutive pixels; each work-item keeps WGRAD_CO output channels x 9
 * taps of vector accumulators and sums its lanes once at the end. */
#define WL BC_GEMM_TILE_N
#define floatWL BC_CAT(float, WL)
#define intWL BC_CAT(int, WL)
#define vloadWL BC_CAT(vload, WL)
#define vstoreWL BC_CAT(vstore, WL)
#define convert_intWL BC_CAT(convert_int, WL)
#define convert_floatWL BC_CAT(convert_float, WL)

/* dst plane i (stride dst_stride) = `front` zeros, src plane i (hw values), zeros to the
 * end of the plane. One work-item per destination element. */
__kernel void conv2d_wgrad_pad(__global float *dst, VIEW(const float, src), int planes, int hw,
                               int front, int dst_stride) {
    int i = get_global_id(0);
    if (i >= planes * dst_stride) return;
    int plane = i / dst_stride, q = i - plane * dst_stride - front;
    bool inside = q >= 0 && q < hw;
    float v = VIEW_PTR(src)[inside ? (size_t)plane * hw + q : 0];
    dst[i] = inside ? v : 0.0f;
}

/* Output channels per work-item: 2 x 9 vector accumulators still fit AVX-512's 32
 * registers next to the loads. */
#ifndef BC_WGRAD_CO
#define BC_WGRAD_CO 2
#endif
#define WCO BC_WGRAD_CO

/* partial[(chunk * c_out + co) * c_in * 9 + ci * 9 + ky * 3 + kx] = sum over the images
 * [chunk * images_per_chunk, ...) and pixels of d_out[img, co, p] * in[img, ci, tap of p],
 * from the padded copies: x planes of x_stride floats with the image at x_front, d_out
 * planes of g_stride (a whole number of vectors, zero past the image; d_out itself when
 * its planes are whole vectors already). Work-item (channel group + ci * groups, chunk);
 * the work-items of one chunk share its images, which a chunk keeps few enough of to stay
 * in cache. */
__kernel void conv2d_wgrad_3x3(__global float *partial, VIEW(const float, g_padded),
                               __global const float *x_padded, int n, int c_in, int c_out,
                               int h, int w, int g_stride, int x_stride, int x_front,
                               int images_per_chunk) {
    int groups = (c_out + WCO - 1) / WCO;
    int item = get_global_id(0), chunk = get_global_id(1);
    if (item >= groups * c_in) return;
    int ci = item / groups, co0 = (item - ci * groups) * WCO;
    int hw = h * w;
    int img_end = min(n, (chunk + 1) * images_per_chunk);
    int lane_index[WL];
    for (int l = 0; l < WL; l++) lane_index[l] = l;
    intWL iota = vloadWL(0, lane_index);
    float inv_w = 1.0f / (float)w;
    floatWL acc[WCO][9];
#pragma unroll
    for (int o = 0; o < WCO; o++)
#pragma unroll
        for (int t = 0; t < 9; t++) acc[o][t] = (floatWL)(0.0f);
    for (int img = chunk * images_per_chunk; img < img_end; img++) {
        const __global float *g[WCO];
#pragma unroll
        for (int o = 0; o < WCO; o++) /* a missing last channel repeats one, never stored */
            g[o] = VIEW_PTR(g_padded) + ((size_t)img * c_out + min(co0 + o, c_out - 1)) * g_stride;
        const __global float *x = x_padded + ((size_t)img * c_in + ci) * x_stride + x_front;
        for (int p0 = 0; p0 < hw; p0 += WL) {
            /* Column of each lane: a float quotient, off by at most one, then corrected
             * (exact for planes far below 2^22 pixels; no integer vector division). */
            intWL q = p0 + iota;
            intWL ox = q - convert_intWL(convert_floatWL(q) * inv_w) * w;
            ox += (ox < 0) & w;
            ox -= (ox >= w) & w;
            intWL has_left = ox >= 1, has_right = ox < w - 1;
            floatWL gv[WCO];
#pragma unroll
            for (int o = 0; o < WCO; o++) gv[o] = vloadWL(0, g[o] + p0);
#pragma unroll
            for (int ky = 0; ky < 3; ky++) {
                const __global float *row = x + p0 + (ky - 1) * w;
                floatWL v[3];
                v[0] = select((floatWL)(0.0f), vloadWL(0, row - 1), has_left);
                v[1] = vloadWL(0, row);
                v[2] = select((floatWL)(0.0f), vloadWL(0, row + 1), has_right);
#pragma unroll
                for (int kx = 0; kx < 3; kx++)
#pragma unroll
                    for (int o = 0; o < WCO; o++)
                        acc[o][ky * 3 + kx] = fma(gv[o], v[kx], acc[o][ky * 3 + kx]);
            }
        }
    }
    int ksize = c_in * 9;
#pragma unroll
    for (int o = 0; o < WCO; o++) {
        if (co0 + o >= c_out) continue; /* the repeated channel (continue: unrollable) */
        __global float *out = partial + ((size_t)chunk * c_out + co0 + o) * ksize + ci * 9;
#pragma unroll
        for (int t = 0; t < 9; t++) out[t] = BC_CAT(lane_sum, WL)(acc[o][t]);
    }
}

/* d_weight[i] += the chunks' partials of element i (count elements per chunk). */
__kernel void conv2d_wgrad_reduce(VIEW(float, d_weight), __global const float *partial,
                                  int count, int chunks) {
    int i = get_global_id(0);
    if (i >= count) return;
    float sum = 0.0f;
    for (int c = 0; c < chunks; c++) sum += partial[(size_t)c * count + i];
    VIEW_PTR(d_weight)[i] += sum;
}
