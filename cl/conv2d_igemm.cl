/* conv2d_igemm.cl — convolutions as implicit GEMMs for GPUs: forward, input gradient and
 * weight gradient read the NCHW tensors directly (each operand element's address computed
 * from its GEMM row and column, no im2col / col2im buffers), through work-group tiles in
 * local memory and a register tile per work-item. GEMM views (M x N, depth K):
 *   forward:         out (c_out x n*P*Q)   = weight (c_out x c_in*R*S) * patches of in
 *   input gradient:  d_in (c_in x n*H*W)   = flipped weight (c_in x c_out*R*S) * patches of
 *                    d_out gathered backwards, one GEMM per phase (dimension 2) of the
 *                    stride: the input pixels whose (y + pad) % stride is py, (x + pad) %
 *                    stride px, over the taps r = py + j*stride, s = px + i*stride only
 *                    (the others miss the stride: a sub-pixel decomposition)
 *   weight gradient: d_weight (c_out x c_in*R*S) = d_out (c_out x n*P*Q) * patches^T of in,
 *                    the depth cut into splits (dimension 2) whose partials are summed after.
 * Tile sizes come from the profile (CONV_IGEMM_*). Every work-group first tabulates the
 * decoding of its TN columns, then of each TK-deep slice, in local memory, so the tile loads
 * divide by the shape only once per column and per depth step. */

#define IG_WGM BC_CONV_IGEMM_WG_M
#define IG_WGN BC_CONV_IGEMM_WG_N
#define IG_RM BC_CONV_IGEMM_TILE_M
#define IG_RN BC_CONV_IGEMM_TILE_N
#define IG_TK BC_CONV_IGEMM_TILE_K
#define IG_TM (IG_WGM * IG_RM)
#define IG_TN (IG_WGN * IG_RN)
#define IG_WG (IG_WGM * IG_WGN)
/* Local rows padded so the column-wise tile stores do not all hit one bank. */
#define IG_LDA (IG_TM + BC_CONV_IGEMM_PAD)
#define IG_LDB (IG_TN + BC_CONV_IGEMM_PAD)
/* A row offset that puts every tap of an invalid column or depth outside the image. */
#define IG_FAR (1 << 24)

enum { IG_FORWARD = 0, IG_DATA = 1, IG_WEIGHTS = 2 };

typedef struct {
    int n, c_in, h, w, c_out, kh, kw, stride, pad, out_h, out_w;
    /* input gradient: this phase (py, px), its first pixel row / column, its rows and
     * columns, and its taps per kernel row and column (each stride apart) */
    int py, px, y0, x0, hp, wp, rp, sp;
} IgShape;

/* The phase `phase` = py * stride + px of the input gradient (see the header) into s; a
 * phase's count of pixels or taps is 0 where its first lies beyond (y0, py < stride). */
static void ig_phase(IgShape *s, int phase) {
    int st = s->stride, py = phase / st, px = phase - py * st;
    s->py = py, s->px = px, s->y0 = ((py - s->pad) % st + st) % st, s->x0 = ((px - s->pad) % st + st) % st;
    s->hp = (s->h - s->y0 + st - 1) / st, s->wp = (s->w - s->x0 + st - 1) / st;
    s->rp = (s->kh - py + st - 1) / st, s->sp = (s->kw - px + st - 1) / st;
}

/* The four table entries of GEMM column nn (see igemm_tile). */
static int4 ig_column(const int pass, const IgShape *s, int nn, int cols) {
    int hw = s->h * s->w, pq = s->out_h * s->out_w, khw = s->kh * s->kw;
    bool valid = nn < cols;
    if (pass == IG_FORWARD) { /* (image, output pixel) */
        int img = nn / pq, pix = nn - img * pq, oy = pix / s->out_w, ox = pix - oy * s->out_w;
        return (int4)(img * s->c_in * hw, valid ? oy * s->stride - s->pad : -IG_FAR,
                      ox * s->stride - s->pad, img * s->c_out * pq + pix);
    }
    if (pass == IG_DATA) { /* (image, input pixel of the phase): d_out row / column + tap index */
        int php = s->hp * s->wp, img = nn / php, q = nn - img * php, yy = q / s->wp;
        int y = s->y0 + yy * s->stride, x = s->x0 + (q - yy * s->wp) * s->stride;
        return (int4)(img * s->c_out * pq, valid ? (y + s->pad) / s->stride : -IG_FAR,
                      (x + s->pad) / s->stride, img * s->c_in * hw + y * s->w + x);
    }
    /* weights: (input channel, tap row, tap column) */
    int ci = nn / khw, rs = nn - ci * khw, r = rs / s->kw;
    return (int4)(ci * hw, valid ? r : -IG_FAR, rs - r * s->kw, nn);
}

/* The four table entries of depth kk (see igemm_tile). */
static int4 ig_depth(const int pass, const IgShape *s, int kk, bool valid) {
    int hw = s->h * s->w, pq = s->out_h * s->out_w, khw = s->kh * s->kw;
    if (pass == IG_WEIGHTS) { /* (image, output pixel) */
        int img = kk / pq, pix = kk - img * pq, oy = pix / s->out_w, ox = pix - oy * s->out_w;
        return (int4)(img * s->c_in * hw, valid ? oy * s->stride - s->pad : -IG_FAR,
                      ox * s->stride - s->pad, img * s->c_out * pq + pix);
    }
    if (pass == IG_FORWARD) { /* (input channel, tap) */
        int ch = kk / khw, rs = kk - ch * khw, r = rs / s->kw;
        return (int4)(ch * hw, valid ? r : -IG_FAR, rs - r * s->kw, 0);
    }
    /* input gradient: (output channel, tap j, i of the phase) */
    int taps = s->rp * s->sp, ch = kk / taps, t = kk - ch * taps, j = t / s->sp, i = t - j * s->sp;
    int r = s->py + j * s->stride, c = s->px + i * s->stride;
    return (int4)(ch * pq, valid ? j : IG_FAR, i, ch * s->c_in * khw + r * s->kw + c);
}

/* Element (depth entry t, column entry c) of the B operand, 0 where the tap falls outside. */
static float ig_b(const int pass, const IgShape *s, __global const float *b, int4 t, int4 c) {
    if (pass == IG_DATA) { /* the phase's taps all meet the stride: d_out's pixel, or outside */
        int oy = c.y - t.y, ox = c.z - t.z;
        return oy >= 0 && ox >= 0 && oy < s->out_h && ox < s->out_w ? b[c.x + t.x + oy * s->out_w + ox] : 0.0f;
    }
    int y = c.y + t.y, x = c.z + t.z;
    return y >= 0 && y < s->h && x >= 0 && x < s->w ? b[c.x + t.x + y * s->w + x] : 0.0f;
}

/* One work-group's TM x TN tile of C over depths [k_split * group 2, + k_split) of k.
 * col: per column (forward / input gradient: tensor base, row, column, output index;
 * weight gradient: channel offset, tap row, tap column, index); ktab: per depth of the
 * current slice (forward: channel offset, tap row, tap column; input gradient: the same
 * for d_out and the weight offset; weight gradient: image base, row, column and d_out
 * offset). c = acc + beta * c (beta 0: c is not read). */
static void igemm_tile(const int pass, __global float *c, __global const float *a,
                       __global const float *b, const IgShape *s, int rows, int cols, int depth,
                       int k_split, int c_split_stride, float beta, __local float *as,
                       __local float *bs, __local int4 *col, __local int4 *ktab) {
    int lid = get_local_id(0);
    int ty = lid / IG_WGN, tx = lid - ty * IG_WGN;
    int m0 = get_group_id(1) * IG_TM, n0 = get_group_id(0) * IG_TN;
    if (n0 >= cols) return; /* the input gradient's grid covers its largest phase */
    int split = pass == IG_DATA ? 0 : get_group_id(2); /* (the input gradient's: its phase) */
    int k_begin = split * k_split, k_end = min(depth, k_begin + k_split);
    int pq = s->out_h * s->out_w, khw = s->kh * s->kw;
    for (int j = lid; j < IG_TN; j += IG_WG) col[j] = ig_column(pass, s, n0 + j, cols);
    float acc[IG_RM][IG_RN];
#pragma unroll
    for (int i = 0; i < IG_RM; i++)
#pragma unroll
        for (int j = 0; j < IG_RN; j++) acc[i][j] = 0.0f;
    for (int k0 = k_begin; k0 < k_end; k0 += IG_TK) {
        barrier(CLK_LOCAL_MEM_FENCE); /* the previous slice's products are done */
        for (int j = lid; j < IG_TK; j += IG_WG) ktab[j] = ig_depth(pass, s, k0 + j, k0 + j < k_end);
        barrier(CLK_LOCAL_MEM_FENCE);
        /* A: depth fastest (contiguous in the weights and in d_out's planes). */
        for (int e = lid; e < IG_TM * IG_TK; e += IG_WG) {
            int mm = e / IG_TK, kq = e - mm * IG_TK, m = m0 + mm, kk = k0 + kq;
            float v = 0.0f;
            if (m < rows && kk < k_end)
                v = pass == IG_FORWARD ? a[(size_t)m * depth + kk]
                    : pass == IG_DATA  ? a[ktab[kq].w + m * khw]
                                       : a[ktab[kq].w + m * pq];
            as[kq * IG_LDA + mm] = v;
        }
        /* B: columns fastest, except for the weight gradient, whose depth runs along pixels. */
        for (int e = lid; e < IG_TK * IG_TN; e += IG_WG) {
            int kq, nn;
            if (pass == IG_WEIGHTS) nn = e / IG_TK, kq = e - nn * IG_TK;
            else kq = e / IG_TN, nn = e - kq * IG_TN;
            bs[kq * IG_LDB + nn] = ig_b(pass, s, b, ktab[kq], col[nn]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
#pragma unroll
        for (int kq = 0; kq < IG_TK; kq++) {
            float av[IG_RM], bv[IG_RN];
#pragma unroll
            for (int i = 0; i < IG_RM; i++) av[i] = as[kq * IG_LDA + ty + i * IG_WGM];
#pragma unroll
            for (int j = 0; j < IG_RN; j++) bv[j] = bs[kq * IG_LDB + tx + j * IG_WGN];
#pragma unroll
            for (int i = 0; i < IG_RM; i++)
#pragma unroll
                for (int j = 0; j < IG_RN; j++) acc[i][j] = fma(av[i], bv[j], acc[i][j]);
        }
    }
    barrier(CLK_LOCAL_MEM_FENCE); /* the column table, also when the depth range was empty */
    c += (size_t)split * c_split_stride;
    int plane = pass == IG_FORWARD ? pq : s->h * s->w;
#pragma unroll
    for (int i = 0; i < IG_RM; i++) {
        int m = m0 + ty + i * IG_WGM;
#pragma unroll
        for (int j = 0; j < IG_RN; j++) {
            int nl = tx + j * IG_WGN;
            if (m >= rows || n0 + nl >= cols) continue;
            size_t idx = pass == IG_WEIGHTS ? (size_t)m * cols + col[nl].w
                                            : (size_t)col[nl].w + (size_t)m * plane;
            c[idx] = beta != 0.0f ? acc[i][j] + beta * c[idx] : acc[i][j];
        }
    }
}

#define IG_KERNEL(name, pass)                                                                \
    __kernel __attribute__((reqd_work_group_size(IG_WG, 1, 1))) void name(                   \
        VIEW(float, c), VIEW(const float, a), VIEW(const float, b), int n, int c_in, int h,   \
        int w, int c_out, int kh, int kw, int stride, int pad, int out_h, int out_w,         \
        int rows, int cols, int depth, int k_split, int c_split_stride, float beta) {         \
        __local float as[IG_TK * IG_LDA], bs[IG_TK * IG_LDB];                                \
        __local int4 col[IG_TN], ktab[IG_TK];                                                \
        IgShape s = {n, c_in, h, w, c_out, kh, kw, stride, pad, out_h, out_w};              \
        if (pass == IG_DATA) {                                                               \
            ig_phase(&s, get_group_id(2));                                                   \
            cols = n * s.hp * s.wp;                                                          \
            depth = k_split = c_out * s.rp * s.sp;                                           \
        }                                                                                    \
        igemm_tile(pass, VIEW_PTR(c), VIEW_PTR(a), VIEW_PTR(b), &s, rows, cols, depth,       \
                   k_split, c_split_stride, beta, as, bs, col, ktab);                       \
    }
IG_KERNEL(conv2d_igemm_forward, IG_FORWARD)
IG_KERNEL(conv2d_igemm_data, IG_DATA)
IG_KERNEL(conv2d_igemm_weights, IG_WEIGHTS)
