/* conv2d_wgrad.cl — the weight gradient of a 3x3, stride-1, pad-1 convolution straight
 * from the input and the output gradient, for CPU drivers (profile CONV_WGRAD_DIRECT):
 * no patch matrix is written and read back (im2col + GEMM moved ~3x the tensor's bytes
 * per tap through memory). conv2d_pad_planes (cl/conv2d_pad.cl) first copies both tensors into planes whose
 * rows are w + 2 floats: the input with a zero border all round, the output gradient with
 * two zero columns after each row. Output pixel q = r * (w + 2) + c then finds tap
 * (ky, kx) of its input at q + ky * (w + 2) + kx of the padded input: a shifted vector
 * load, never a mask, and the zero columns of the gradient cancel what the lanes past a
 * row's end pick up. Lanes run over consecutive pixels; each work-item keeps WGRAD_CO
 * output channels x 9 taps of vector accumulators and sums its lanes once at the end. */
#define WL BC_GEMM_TILE_N
#define floatWL BC_CAT(float, WL)
#define vloadWL BC_CAT(vload, WL)

/* Output channels per work-item (profile key WGRAD_CO): 2 x 9 vector accumulators still
 * fit AVX-512's 32 registers next to the loads. */
#define WCO BC_WGRAD_CO

/* partial[(chunk * c_out + co) * c_in * 9 + ci * 9 + ky * 3 + kx] = sum over the images
 * [chunk * images_per_chunk, ...) and pixels of d_out[img, co, p] * in[img, ci, tap of p],
 * from the padded copies (rows of row_stride = w + 2 floats): gradient planes of g_stride
 * floats, `vectors` vectors of pixels each; input planes of x_stride floats. Work-item
 * (channel group + ci * groups, chunk); the work-items of one chunk share its images, which
 * a chunk keeps few enough of to stay in cache. */
__kernel void conv2d_wgrad_3x3(__global float *partial, __global const float *g_padded,
                               __global const float *x_padded, int n, int c_in, int c_out,
                               int row_stride, int vectors, int g_stride, int x_stride,
                               int images_per_chunk) {
    int groups = (c_out + WCO - 1) / WCO;
    int item = get_global_id(0), chunk = get_global_id(1);
    if (item >= groups * c_in) return;
    int ci = item / groups, co0 = (item - ci * groups) * WCO;
    int img_end = min(n, (chunk + 1) * images_per_chunk);
    floatWL acc[WCO][9];
#pragma unroll
    for (int o = 0; o < WCO; o++)
#pragma unroll
        for (int t = 0; t < 9; t++) acc[o][t] = (floatWL)(0.0f);
    for (int img = chunk * images_per_chunk; img < img_end; img++) {
        const __global float *g[WCO];
#pragma unroll
        for (int o = 0; o < WCO; o++) /* a missing last channel repeats one, never stored */
            g[o] = g_padded + ((size_t)img * c_out + min(co0 + o, c_out - 1)) * g_stride;
        const __global float *x = x_padded + ((size_t)img * c_in + ci) * x_stride;
        for (int v = 0; v < vectors; v++) {
            floatWL gv[WCO];
#pragma unroll
            for (int o = 0; o < WCO; o++) gv[o] = vloadWL(v, g[o]);
#pragma unroll
            for (int ky = 0; ky < 3; ky++) {
                const __global float *row = x + v * WL + ky * row_stride;
#pragma unroll
                for (int kx = 0; kx < 3; kx++) {
                    floatWL xv = vloadWL(0, row + kx);
#pragma unroll
                    for (int o = 0; o < WCO; o++)
                        acc[o][ky * 3 + kx] = fma(gv[o], xv, acc[o][ky * 3 + kx]);
                }
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
