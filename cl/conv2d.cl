/* conv2d.cl — the memory-shuffling half of convolution as GEMM: im2col (input patches to
 * columns, written straight into the GEMM's packed-panel layout) and col2im (columns back
 * to an input gradient, as a gather so no two work-items write the same element). */

/* Index arithmetic avoids %: LLVM pairs it with / through a freeze instruction, which
 * oclgrind's uninitialized-value checker cannot handle. */

/* Patch matrix of `images` NCHW images: element (kidx, pos), kidx = (ci * kh + ky) * kw + kx,
 * pos = (img * out_h + oy) * out_w + ox, is the input pixel under that kernel tap (0 in the
 * padding). It is stored as X (R x Q) in column panels of `lanes` floats:
 * X[r, q] at (q / lanes) * R * lanes + r * lanes + q % lanes, q padded with zeros to a whole
 * panel. by_pixel: X = patches (r = kidx, q = pos: the forward GEMM's B); otherwise
 * X = patches^T (r = pos, q = kidx: the weight-gradient GEMM's B). lanes = 1 gives plain
 * row-major patches^T (by_pixel) or patches. */
__kernel void im2col(VIEW(float, cols), VIEW(const float, in), int images, int c_in, int h,
                     int w, int kh, int kw, int stride, int pad, int out_h, int out_w,
                     int lanes, int by_pixel) {
    int idx = get_global_id(0);
    int ksize = c_in * kh * kw, npos = images * out_h * out_w;
    int rows = by_pixel ? ksize : npos, qs = by_pixel ? npos : ksize;
    int panels = (qs + lanes - 1) / lanes;
    if (idx >= panels * lanes * rows) return;
    int lane_row = idx / lanes, lane = idx - lane_row * lanes;
    int panel = lane_row / rows, r = lane_row - panel * rows, q = panel * lanes + lane;
    float v = 0.0f;
    if (q < qs) {
        int kidx = by_pixel ? r : q, pos = by_pixel ? q : r;
        int kyx = kidx / kw, kx = kidx - kyx * kw, ci = kyx / kh, ky = kyx - ci * kh;
        int oyx = pos / out_w, ox = pos - oyx * out_w, img = oyx / out_h, oy = oyx - img * out_h;
        int y = oy * stride - pad + ky, x = ox * stride - pad + kx;
        if (y >= 0 && y < h && x >= 0 && x < w)
            v = VIEW_PTR(in)[((size_t)(img * c_in + ci) * h + y) * w + x];
    }
    VIEW_PTR(cols)[idx] = v;
}

/* d_in (images, c_in, h, w) = (or += with accumulate) the sum of the patch-matrix entries
 * (plain row-major, ksize x ld with pos as column) that were copied from each pixel. */
__kernel void col2im(VIEW(float, d_in), VIEW(const float, cols), int ld, int images, int c_in,
                     int h, int w, int kh, int kw, int stride, int pad, int out_h, int out_w,
                     int accumulate) {
    int idx = get_global_id(0);
    if (idx >= images * c_in * h * w) return;
    int row = idx / w, x = idx - row * w, plane = row / h, y = row - plane * h;
    int img = plane / c_in, ci = plane - img * c_in;
    const __global float *cp = VIEW_PTR(cols);
    float sum = 0.0f;
    for (int ky = 0; ky < kh; ky++) {
        int ty = y + pad - ky;
        int oy = ty / stride;
        if (ty < 0 || oy * stride != ty || oy >= out_h) continue;
        for (int kx = 0; kx < kw; kx++) {
            int tx = x + pad - kx;
            int ox = tx / stride;
            if (tx < 0 || ox * stride != tx || ox >= out_w) continue;
            int kidx = (ci * kh + ky) * kw + kx;
            int pos = (img * out_h + oy) * out_w + ox;
            sum += cp[(size_t)kidx * ld + pos];
        }
    }
    __global float *out = VIEW_PTR(d_in) + idx;
    *out = accumulate ? *out + sum : sum;
}
