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
 * row-major patches^T (by_pixel) or patches.
 * One work-item writes the `lanes` contiguous floats of one (panel, r): the coordinates are
 * divided out once and then stepped, so the divisions (which CPUs cannot vectorize) are
 * paid once per panel row instead of once per element. */
__kernel void im2col(VIEW(float, cols), VIEW(const float, in), int images, int c_in, int h,
                     int w, int kh, int kw, int stride, int pad, int out_h, int out_w,
                     int lanes, int by_pixel) {
    int item = get_global_id(0);
    int ksize = c_in * kh * kw, npos = images * out_h * out_w;
    int rows = by_pixel ? ksize : npos, qs = by_pixel ? npos : ksize;
    int panels = (qs + lanes - 1) / lanes;
    if (item >= panels * rows) return;
    int panel = item / rows, r = item - panel * rows, q0 = panel * lanes;
    int kidx = by_pixel ? r : q0, pos = by_pixel ? q0 : r;
    int kyx = kidx / kw, kx = kidx - kyx * kw, ci = kyx / kh, ky = kyx - ci * kh;
    int oyx = pos / out_w, ox = pos - oyx * out_w, img = oyx / out_h, oy = oyx - img * out_h;
    int valid = min(lanes, qs - q0);
    const __global float *src = VIEW_PTR(in);
    __global float *out = VIEW_PTR(cols) + (size_t)item * lanes;
    for (int l = 0; l < lanes; l++) {
        float v = 0.0f;
        int y = oy * stride - pad + ky, x = ox * stride - pad + kx;
        if (l < valid && y >= 0 && y < h && x >= 0 && x < w)
            v = src[((size_t)(img * c_in + ci) * h + y) * w + x];
        out[l] = v;
        if (by_pixel) {
            if (++ox == out_w) {
                ox = 0;
                if (++oy == out_h) { oy = 0; img++; }
            }
        } else if (++kx == kw) {
            kx = 0;
            if (++ky == kh) { ky = 0; ci++; }
        }
    }
}

/* d_in (images, c_in, h, w) = (or += with accumulate) the sum of the patch-matrix entries
 * (plain row-major, ksize x ld with pos as column) that were copied from each pixel. The
 * range is (w, h, images * c_in), so a pixel's coordinates cost no division; stride 1 (the
 * common case) needs none in the tap loops either. */
__kernel void col2im(VIEW(float, d_in), VIEW(const float, cols), int ld, int images, int c_in,
                     int h, int w, int kh, int kw, int stride, int pad, int out_h, int out_w,
                     int accumulate) {
    int x = get_global_id(0), y = get_global_id(1), plane = get_global_id(2);
    if (x >= w || y >= h || plane >= images * c_in) return;
    int img = plane / c_in, ci = plane - img * c_in;
    const __global float *cp = VIEW_PTR(cols) + (size_t)img * out_h * out_w;
    float sum = 0.0f;
    for (int ky = 0; ky < kh; ky++) {
        int ty = y + pad - ky;
        int oy = stride == 1 ? ty : ty / stride;
        if (ty < 0 || oy * stride != ty || oy >= out_h) continue;
        const __global float *row = cp + (size_t)((ci * kh + ky) * kw) * ld + oy * out_w;
        for (int kx = 0; kx < kw; kx++) {
            int tx = x + pad - kx;
            int ox = stride == 1 ? tx : tx / stride;
            if (tx < 0 || ox * stride != tx || ox >= out_w) continue;
            sum += row[(size_t)kx * ld + ox];
        }
    }
    __global float *out = VIEW_PTR(d_in) + ((size_t)plane * h + y) * w + x;
    *out = accumulate ? *out + sum : sum;
}

/* ---- CPU-shaped variants (profile CONV_VECTOR = 1): a work-item handles a whole panel of
 * TN lanes (the GEMM's panel width) at once, with the per-lane coordinates divided out once
 * and the taps stepped in the inner loop, so each element costs a few vector operations
 * and the stores are whole contiguous panels. ---- */
#define CONV_TN BC_GEMM_TILE_N
#define conv_storeTN BC_CAT(store_u, CONV_TN)
#define conv_vloadTN BC_CAT(vload, CONV_TN)
/* Positions per work-item of im2col_panels_by_pos. */
#define CONV_POS_CHUNK 32

/* The by_pixel patch matrix of im2col above, TN-wide panels: one work-item per panel of
 * positions walks every kernel tap (ci, ky, kx) and writes its ksize x TN block in order. */
__kernel void im2col_panels_by_pixel(VIEW(float, cols), VIEW(const float, in), int images,
                                     int c_in, int h, int w, int kh, int kw, int stride, int pad,
                                     int out_h, int out_w) {
    int panel = get_global_id(0);
    int npos = images * out_h * out_w, ksize = c_in * kh * kw;
    if (panel * CONV_TN >= npos) return;
    int pos = panel * CONV_TN;
    int oyx = pos / out_w, ox = pos - oyx * out_w, img = oyx / out_h, oy = oyx - img * out_h;
    int base[CONV_TN], y0[CONV_TN], x0[CONV_TN];
    for (int l = 0; l < CONV_TN; l++) {
        bool live = pos + l < npos;
        base[l] = live ? img * c_in * h * w : 0;
        y0[l] = live ? oy * stride - pad : -(1 << 20); /* never inside the image */
        x0[l] = ox * stride - pad;
        if (++ox == out_w) {
            ox = 0;
            if (++oy == out_h) { oy = 0; img++; }
        }
    }
    const __global float *src = VIEW_PTR(in);
    __global float *out = VIEW_PTR(cols) + (size_t)panel * ksize * CONV_TN;
    for (int ci = 0; ci < c_in; ci++, src += h * w)
        for (int ky = 0; ky < kh; ky++)
            for (int kx = 0; kx < kw; kx++, out += CONV_TN) {
                float v[CONV_TN];
                for (int l = 0; l < CONV_TN; l++) {
                    int y = y0[l] + ky, x = x0[l] + kx;
                    bool ok = (uint)y < (uint)h && (uint)x < (uint)w;
                    float t = src[ok ? base[l] + y * w + x : 0];
                    v[l] = ok ? t : 0.0f;
                }
                conv_storeTN(conv_vloadTN(0, v), out);
            }
}

/* The patches^T matrix of im2col above (r = pos, q = kidx), TN-wide panels of taps: one
 * work-item per (panel of taps, CONV_POS_CHUNK positions). */
__kernel void im2col_panels_by_pos(VIEW(float, cols), VIEW(const float, in), int images,
                                   int c_in, int h, int w, int kh, int kw, int stride, int pad,
                                   int out_h, int out_w) {
    int npos = images * out_h * out_w, ksize = c_in * kh * kw;
    int chunks = (npos + CONV_POS_CHUNK - 1) / CONV_POS_CHUNK;
    int item = get_global_id(0);
    int panel = item / chunks, chunk = item - panel * chunks;
    if (panel * CONV_TN >= ksize) return;
    int tap_off[CONV_TN], tap_y[CONV_TN], tap_x[CONV_TN];
    int kidx = panel * CONV_TN;
    int kyx = kidx / kw, kx = kidx - kyx * kw, ci = kyx / kh, ky = kyx - ci * kh;
    for (int l = 0; l < CONV_TN; l++) {
        bool live = kidx + l < ksize;
        tap_off[l] = live ? (ci * h + ky) * w + kx : 0;
        tap_y[l] = live ? ky : -(1 << 20);
        tap_x[l] = kx;
        if (++kx == kw) {
            kx = 0;
            if (++ky == kh) { ky = 0; ci++; }
        }
    }
    int p0 = chunk * CONV_POS_CHUNK, p1 = min(npos, p0 + CONV_POS_CHUNK);
    int oyx = p0 / out_w, ox = p0 - oyx * out_w, img = oyx / out_h, oy = oyx - img * out_h;
    const __global float *src = VIEW_PTR(in);
    __global float *out = VIEW_PTR(cols) + ((size_t)panel * npos + p0) * CONV_TN;
    for (int pos = p0; pos < p1; pos++, out += CONV_TN) {
        int y0 = oy * stride - pad, x0 = ox * stride - pad;
        int corner = (img * c_in * h + y0) * w + x0;
        float v[CONV_TN];
        for (int l = 0; l < CONV_TN; l++) {
            int y = y0 + tap_y[l], x = x0 + tap_x[l];
            bool ok = (uint)y < (uint)h && (uint)x < (uint)w;
            float t = src[ok ? corner + tap_off[l] : 0];
            v[l] = ok ? t : 0.0f;
        }
        conv_storeTN(conv_vloadTN(0, v), out);
        if (++ox == out_w) {
            ox = 0;
            if (++oy == out_h) { oy = 0; img++; }
        }
    }
}

/* col2im above, one work-item per TN consecutive pixels of one (image, channel) plane.
 * A vector division per tap costs more than everything else here, so stride 1 divides
 * nothing and larger strides divide by multiplying with a 16-bit reciprocal: for
 * 0 <= t < 4096 and stride <= 16, (t * ceil(65536 / stride)) >> 16 == t / stride (the
 * host sends larger shapes to col2im). */
__kernel void col2im_panels(VIEW(float, d_in), VIEW(const float, cols), int ld, int images,
                            int c_in, int h, int w, int kh, int kw, int stride, int pad,
                            int out_h, int out_w, int accumulate) {
    int hw = h * w, panels = (hw + CONV_TN - 1) / CONV_TN;
    int item = get_global_id(0);
    int plane = item / panels, panel = item - plane * panels;
    if (plane >= images * c_in) return;
    int img = plane / c_in, ci = plane - img * c_in;
    int p0 = panel * CONV_TN;
    int ys[CONV_TN], xs[CONV_TN];
    float sum[CONV_TN];
    int y = p0 / w, x = p0 - y * w;
    for (int l = 0; l < CONV_TN; l++) {
        ys[l] = p0 + l < hw ? y + pad : -(1 << 20); /* a dead lane never fits */
        xs[l] = x + pad;
        sum[l] = 0.0f;
        if (++x == w) { x = 0; y++; }
    }
    int magic = (65536 + stride - 1) / stride;
    const __global float *cp = VIEW_PTR(cols) + (size_t)img * out_h * out_w;
    for (int ky = 0; ky < kh; ky++)
        for (int kx = 0; kx < kw; kx++) {
            const __global float *row = cp + (size_t)((ci * kh + ky) * kw + kx) * ld;
            for (int l = 0; l < CONV_TN; l++) {
                int ty = ys[l] - ky, tx = xs[l] - kx;
                int oy = ty, ox = tx;
                if (stride != 1) {
                    int cy = max(ty, 0), cx = max(tx, 0);
                    oy = (cy * magic) >> 16;
                    ox = (cx * magic) >> 16;
                }
                bool ok = ty >= 0 && tx >= 0 && oy * stride == ty && ox * stride == tx &&
                          oy < out_h && ox < out_w;
                float t = row[ok ? oy * out_w + ox : 0];
                sum[l] += ok ? t : 0.0f;
            }
        }
    __global float *out = VIEW_PTR(d_in) + (size_t)plane * hw + p0;
    for (int l = 0; l < CONV_TN && p0 + l < hw; l++)
        out[l] = accumulate ? out[l] + sum[l] : sum[l];
}

/* col2im_panels for stride 2, one work-item per run of TN columns of one input row: tap
 * row ky reaches row y only when y + pad - ky is even, alike for the whole run, so half
 * the tap rows are skipped outright, and a lane's output column is a shift, not a
 * division. Same arguments as col2im_panels (stride must be 2). */
__kernel void col2im_stride2(VIEW(float, d_in), VIEW(const float, cols), int ld, int images,
                             int c_in, int h, int w, int kh, int kw, int stride, int pad,
                             int out_h, int out_w, int accumulate) {
    int runs = (w + CONV_TN - 1) / CONV_TN;
    int item = get_global_id(0);
    int row = item / runs, run = item - row * runs; /* row = plane * h + y */
    if (row >= images * c_in * h) return;
    int plane = row / h, y = row - plane * h;
    int img = plane / c_in, ci = plane - img * c_in;
    int x0 = run * CONV_TN, live = min(CONV_TN, w - x0);
    float sum[CONV_TN];
    for (int l = 0; l < CONV_TN; l++) sum[l] = 0.0f;
    const __global float *cp = VIEW_PTR(cols) + (size_t)img * out_h * out_w;
    for (int ky = 0; ky < kh; ky++) {
        int ty = y + pad - ky;
        if (ty < 0 || (ty & 1) || (ty >> 1) >= out_h) continue;
        for (int kx = 0; kx < kw; kx++) {
            const __global float *taps =
                cp + (size_t)((ci * kh + ky) * kw + kx) * ld + (ty >> 1) * out_w;
            for (int l = 0; l < CONV_TN; l++) {
                int tx = x0 + l + pad - kx;
                bool ok = l < live && tx >= 0 && !(tx & 1) && (tx >> 1) < out_w;
                float t = taps[ok ? tx >> 1 : 0];
                sum[l] += ok ? t : 0.0f;
            }
        }
    }
    __global float *out = VIEW_PTR(d_in) + (size_t)row * w + x0;
    for (int l = 0; l < live; l++) out[l] = accumulate ? out[l] + sum[l] : sum[l];
}

/* flipped (c_in, c_out, kh, kw) = weight (c_out, c_in, kh, kw) turned by 180 degrees in
 * space with the channel roles swapped: the kernel whose stride-1 convolution of d_out is
 * the input gradient. */
__kernel void conv2d_flip_weights(VIEW(float, flipped), VIEW(const float, weight), int c_out,
                                  int c_in, int kh, int kw) {
    int i = get_global_id(0);
    if (i >= c_out * c_in * kh * kw) return;
    int q = i / kw, kx = i - q * kw, q2 = q / kh, ky = q - q2 * kh;
    int ci = q2 / c_out, co = q2 - ci * c_out;
    VIEW_PTR(flipped)[i] =
        VIEW_PTR(weight)[((co * c_in + ci) * kh + (kh - 1 - ky)) * kw + (kw - 1 - kx)];
}
