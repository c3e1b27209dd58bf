/* conv2d_direct.cl — stride-1 convolution computed directly from the NCHW input (implicit
 * GEMM) for CPU drivers (profile CONV_DIRECT): no patch matrix is written or read back.
 * The input is first copied with its zero padding made explicit (rows widened to whole
 * segments), so the convolution itself has no bounds tests: a work-item owns DIRECT_TM output
 * channels x V consecutive output pixels of one output row in registers, and per input
 * channel and tap does one unaligned vector load and DIRECT_TM vector FMAs with broadcast
 * weights. PoCL runs a work-group as a loop over work-items, so there are no barriers and no
 * local memory. */

/* Index arithmetic avoids %: LLVM pairs it with / through a freeze instruction, which
 * oclgrind's uninitialized-value checker cannot handle. */

#define DIRECT_TM 16

/* packed (c_in, kh * kw, tiles * tm) = the convolution's weights with the output channel
 * innermost, padded with zeros to whole tiles of tm channels, so the weights one tap
 * broadcasts are contiguous. Of weight (c_out, c_in, kh, kw) as is, or (flip) of weight
 * (c_in, c_out, kh, kw) turned by 180 degrees with the channel roles swapped: the kernel
 * whose stride-1 convolution of d_out is the input gradient. */
__kernel void conv2d_direct_weights(VIEW(float, packed), VIEW(const float, weight), int c_in,
                                    int c_out, int taps, int flip, int tm) {
    int tiles = (c_out + tm - 1) / tm, cpad = tiles * tm;
    int i = get_global_id(0);
    if (i >= c_in * taps * cpad) return;
    int q = i / cpad, co = i - q * cpad, ci = q / taps, t = q - ci * taps;
    float v = 0.0f;
    if (co < c_out)
        v = flip ? VIEW_PTR(weight)[(ci * c_out + co) * taps + (taps - 1 - t)]
                 : VIEW_PTR(weight)[(co * c_in + ci) * taps + t];
    VIEW_PTR(packed)[i] = v;
}

#define DIRECT_UNROLL _Pragma("unroll")

/* The tap loop both kernel families share: over input channels (planes plane_step floats
 * apart) and the K x K taps, R input vectors row_step floats apart per tap, each of the
 * tap's TM weights broadcast into R vector FMAs. Uses the kernel's c_in, wp, cpad and
 * advances its src and wk. */
#define DIRECT_TAPS(K, V, TM, R, KX_UNROLL, plane_step, row_step)                              \
    for (int ci = 0; ci < c_in; ci++, src += (plane_step))                                     \
        for (int ky = 0; ky < K; ky++) {                                                       \
            const __global float *sr = src + ky * wp;                                          \
            KX_UNROLL for (int kx = 0; kx < K; kx++, wk += cpad) {                             \
                BC_CAT(float, V) xv[R];                                                        \
                DIRECT_UNROLL for (int r = 0; r < R; r++)                                      \
                    xv[r] = BC_CAT(vload, V)(0, sr + r * (row_step) + kx);                     \
                DIRECT_UNROLL for (int m = 0; m < TM; m++) {                                   \
                    BC_CAT(float, V) wv = (BC_CAT(float, V))(wk[m]);                           \
                    DIRECT_UNROLL for (int r = 0; r < R; r++)                                  \
                        acc[r][m] = fma(wv, xv[r], acc[r][m]);                                 \
                }                                                                              \
            }                                                                                  \
        }

/* out (images, c_out, out_h, out_w) = conv(padded, weight) + beta * out, stride 1, kernel
 * K x K (a literal, its taps unrolled, or the argument k). A work-item owns TM output
 * channels x R output rows x V lanes of one row segment: per tap it loads R input vectors
 * and broadcasts TM weights for TM x R vector FMAs. R = 1, TM = 16 leaves half of
 * AVX-512's registers idle and issues a load per FMA, which the load ports cannot keep up
 * with; TM = 8 x R = 3 keeps 24 accumulators and needs 11 loads per 24 FMAs. padded as
 * conv2d_pad_planes (cl/conv2d_pad.cl) made it: hp rows (out_h rounded up to whole row groups, + K - 1) of
 * wp >= segments * V + K - 1. Work-item order: tile of output channels fastest, then
 * segment, then row group, so neighbouring work-items read the same input rows while they
 * are in cache. */
#define DIRECT_KERNEL(NAME, K, V, TM, R, KX_UNROLL)                                            \
    __kernel void NAME(VIEW(float, out), VIEW(const float, padded), VIEW(const float, packed), \
                       int images, int c_in, int hp, int wp, int c_out, int k, int out_h,      \
                       int out_w, int beta) {                                                  \
        int segs = (out_w + V - 1) / V, tiles = (c_out + TM - 1) / TM, cpad = tiles * TM;      \
        int groups = (out_h + R - 1) / R;                                                      \
        int item = get_global_id(0);                                                           \
        int tile_group = item / tiles, tile = item - tile_group * tiles;                       \
        int group = tile_group / segs, seg = tile_group - group * segs;                        \
        if (group >= images * groups) return;                                                  \
        int img = group / groups, oy0 = (group - img * groups) * R, ox0 = seg * V;             \
        BC_CAT(float, V) acc[R][TM];                                                           \
        DIRECT_UNROLL for (int r = 0; r < R; r++)                                              \
            DIRECT_UNROLL for (int m = 0; m < TM; m++) acc[r][m] = 0.0f;                       \
        const __global float *src = VIEW_PTR(padded) + ((size_t)img * c_in * hp + oy0) * wp + ox0; \
        const __global float *wk = VIEW_PTR(packed) + tile * TM;                               \
        DIRECT_TAPS(K, V, TM, R, KX_UNROLL, (size_t)hp * wp, wp)                               \
        int valid = min(V, out_w - ox0), co0 = tile * TM;                                      \
        size_t plane = (size_t)out_h * out_w;                                                  \
        DIRECT_UNROLL for (int r = 0; r < R; r++) {                                            \
            if (oy0 + r >= out_h) break;                                                       \
            __global float *dst = VIEW_PTR(out) + ((size_t)img * c_out + co0) * plane +        \
                                  (size_t)(oy0 + r) * out_w + ox0;                             \
            DIRECT_UNROLL for (int m = 0; m < TM; m++) {                                       \
                __global float *d = dst + m * plane;                                           \
                if (co0 + m < c_out && valid == V) {                                           \
                    BC_CAT(float, V) v = acc[r][m];                                            \
                    if (beta) v += BC_CAT(vload, V)(0, d);                                     \
                    BC_CAT(store_u, V)(v, d);                                                \
                } else if (co0 + m < c_out) {                                                  \
                    float lanes[V];                                                            \
                    BC_CAT(vstore, V)(acc[r][m], 0, lanes);                                    \
                    for (int l = 0; l < valid; l++) d[l] = beta ? d[l] + lanes[l] : lanes[l];  \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
    }

/* conv2d_direct_k<K>_v<V>: 16 channels x 1 row; ..._m8_r3: 8 channels x 3 rows (3x3 only,
 * the size the ResNets use). */
DIRECT_KERNEL(conv2d_direct_k3_v16, 3, 16, 16, 1, DIRECT_UNROLL)
DIRECT_KERNEL(conv2d_direct_k5_v16, 5, 16, 16, 1, DIRECT_UNROLL)
DIRECT_KERNEL(conv2d_direct_k7_v16, 7, 16, 16, 1, DIRECT_UNROLL)
DIRECT_KERNEL(conv2d_direct_kn_v16, k, 16, 16, 1, )
DIRECT_KERNEL(conv2d_direct_k3_v8, 3, 8, 16, 1, DIRECT_UNROLL)
DIRECT_KERNEL(conv2d_direct_k5_v8, 5, 8, 16, 1, DIRECT_UNROLL)
DIRECT_KERNEL(conv2d_direct_k7_v8, 7, 8, 16, 1, DIRECT_UNROLL)
DIRECT_KERNEL(conv2d_direct_kn_v8, k, 8, 16, 1, )
DIRECT_KERNEL(conv2d_direct_k3_v16_m8_r3, 3, 16, 8, 3, DIRECT_UNROLL)
DIRECT_KERNEL(conv2d_direct_k3_v8_m8_r3, 3, 8, 8, 3, DIRECT_UNROLL)

/* ---- Narrow rows: lanes over consecutive positions of the whole padded plane ----
 * With rows of hp x wp (wp = w + 2 pad), output (oy, ox) is position q = oy * wp + ox and
 * tap (ky, kx) of it is padded position q + ky * wp + kx: one shifted vector load serves
 * DIRECT_FLAT_V positions across row ends, of which the ox >= out_w ones are discarded
 * (7 of 9 lanes used at 7x7, against 7 of 8 in a half-width vector per row). A work-item
 * owns TM output channels x R consecutive vectors of positions (R = 4: a whole 7x7 plane).
 * The padded planes (conv2d_pad_planes with wp = w + 2 pad) are followed by a tail of
 * R * DIRECT_FLAT_V - 1 zeros, so the loads of the last positions stay inside the buffer. */
#define DIRECT_FLAT_V 16
#define DIRECT_FLAT_KERNEL(NAME, K, TM, R, KX_UNROLL)                                           \
    __kernel void NAME(VIEW(float, out), VIEW(const float, padded), VIEW(const float, packed), \
                       int images, int c_in, int plane_stride, int wp, int c_out, int k,        \
                       int out_h, int out_w, int beta) {                                       \
        int span = R * DIRECT_FLAT_V;                                                          \
        int segs = ((out_h - 1) * wp + out_w + span - 1) / span;                               \
        int tiles = (c_out + TM - 1) / TM, cpad = tiles * TM;                                  \
        int item = get_global_id(0);                                                           \
        int tile_seg = item / tiles, tile = item - tile_seg * tiles;                           \
        int img = tile_seg / segs, seg = tile_seg - img * segs;                                \
        if (img >= images) return;                                                             \
        int q0 = seg * span;                                                                   \
        float16 acc[R][TM];                                                                    \
        DIRECT_UNROLL for (int r = 0; r < R; r++)                                              \
            DIRECT_UNROLL for (int m = 0; m < TM; m++) acc[r][m] = 0.0f;                       \
        const __global float *src = VIEW_PTR(padded) + (size_t)img * c_in * plane_stride + q0; \
        const __global float *wk = VIEW_PTR(packed) + tile * TM;                               \
        DIRECT_TAPS(K, 16, TM, R, KX_UNROLL, plane_stride, DIRECT_FLAT_V)                      \
        int co0 = tile * TM, plane = out_h * out_w;                                            \
        __global float *dst = VIEW_PTR(out) + ((size_t)img * c_out + co0) * plane;            \
        DIRECT_UNROLL for (int r = 0; r < R; r++) {                                            \
            int dst_at[DIRECT_FLAT_V];                                                         \
            for (int l = 0; l < DIRECT_FLAT_V; l++) {                                          \
                int q = q0 + r * DIRECT_FLAT_V + l, oy = q / wp, ox = q - oy * wp;             \
                dst_at[l] = ox < out_w && oy < out_h ? oy * out_w + ox : -1;                   \
            }                                                                                  \
            DIRECT_UNROLL for (int m = 0; m < TM; m++) {                                       \
                if (co0 + m >= c_out) continue;                                                \
                float lanes[DIRECT_FLAT_V];                                                    \
                vstore16(acc[r][m], 0, lanes);                                                 \
                __global float *d = dst + (size_t)m * plane;                                   \
                for (int l = 0; l < DIRECT_FLAT_V; l++)                                        \
                    if (dst_at[l] >= 0)                                                        \
                        d[dst_at[l]] = beta ? d[dst_at[l]] + lanes[l] : lanes[l];              \
            }                                                                                  \
        }                                                                                      \
    }

/* conv2d_direct_flat_k<K>: 16 channels x 1 vector; ..._m6_r4: 6 channels x 4 vectors. */
DIRECT_FLAT_KERNEL(conv2d_direct_flat_k3, 3, 16, 1, DIRECT_UNROLL)
DIRECT_FLAT_KERNEL(conv2d_direct_flat_k5, 5, 16, 1, DIRECT_UNROLL)
DIRECT_FLAT_KERNEL(conv2d_direct_flat_k7, 7, 16, 1, DIRECT_UNROLL)
DIRECT_FLAT_KERNEL(conv2d_direct_flat_kn, k, 16, 1, )
DIRECT_FLAT_KERNEL(conv2d_direct_flat_k3_m6_r4, 3, 6, 4, DIRECT_UNROLL)

/* ---- Channel lanes: W (16, or 8 on AVX2) output channels per vector, for planes whose rows
 * fill 16 lanes badly (28 wide: 82% of 2 x 16 lanes in use, 14 wide 82%, 7 wide 74%), and
 * for stride 2 (the input values are broadcast one by one, so their spacing costs nothing) ----
 * A work-item owns CV x W output channels x P consecutive pixels of one output row:
 * CV x P accumulators, each W channels of one pixel. Per input channel and kernel row it
 * loads the (P - 1) S + 3 input values its taps need once (broadcast at use) and, per tap,
 * the CV weight vectors (the packed weights hold a tap's output channels contiguously): at
 * stride 1, 9 + 2 CV x 3 loads per 3 x CV x P FMAs, every lane a real output as long as
 * c_out fills the vectors. The accumulators hold channels in lanes, so the output rows
 * (pixels contiguous per channel) are written through a private transpose, one value at a
 * time. padded as conv2d_pad_planes made it: planes of hp x wp (wp = w + 2 pad) plus a tail
 * of P x S floats, so the last segment's loads stay inside the buffer. Work-item order:
 * channel tile fastest, then segment, row, image (neighbours read the same input rows). */
/* One kernel row's taps (ky) of the channel-lane kernels, two ways. Cached: the row's
 * (P - 1) S + 3 input values loaded once, each broadcast at its uses (AVX-512: 32
 * registers hold them next to the accumulators). Streamed: a rolled loop over kx that
 * loads each value where it is used, 3 P broadcast loads instead of (P - 1) S + 3. On
 * AVX2's 16 registers the 8 x 14 kernel spilled the cached values (about one stack access
 * per FMA); streamed, the w32 layers of 28 and 14 wide rows took 23-30% less time on PoCL's
 * haswell target, while the 16 x 7 kernel (7 wide rows) took 22-34% more, so it caches. */
#define DIRECT_CL_TAPS_CACHED(S, W, CV, P)                                                     \
    {                                                                                          \
        float x[(P - 1) * S + 3];                                                              \
        DIRECT_UNROLL for (int j = 0; j < (P - 1) * S + 3; j++) x[j] = src[ky * wp + j];       \
        DIRECT_UNROLL for (int kx = 0; kx < 3; kx++, wk += cpad) {                             \
            BC_CAT(float, W) wv[CV];                                                           \
            DIRECT_UNROLL for (int v = 0; v < CV; v++) wv[v] = BC_CAT(vload, W)(v, wk);        \
            DIRECT_UNROLL for (int p = 0; p < P; p++)                                          \
                DIRECT_UNROLL for (int v = 0; v < CV; v++)                                     \
                    acc[p][v] = fma((BC_CAT(float, W))(x[p * S + kx]), wv[v], acc[p][v]);      \
        }                                                                                      \
    }
#define DIRECT_CL_TAPS_STREAMED(S, W, CV, P)                                                   \
    _Pragma("unroll 1") for (int kx = 0; kx < 3; kx++, wk += cpad) {                           \
        const __global float *xr = src + ky * wp + kx;                                         \
        BC_CAT(float, W) wv[CV];                                                               \
        DIRECT_UNROLL for (int v = 0; v < CV; v++) wv[v] = BC_CAT(vload, W)(v, wk);            \
        DIRECT_UNROLL for (int p = 0; p < P; p++)                                              \
            DIRECT_UNROLL for (int v = 0; v < CV; v++)                                         \
                acc[p][v] = fma((BC_CAT(float, W))(xr[p * S]), wv[v], acc[p][v]);              \
    }

#define DIRECT_CL_KERNEL(NAME, S, W, CV, P, TAPS)                                              \
    __kernel void NAME(VIEW(float, out), VIEW(const float, padded), VIEW(const float, packed), \
                       int images, int c_in, int plane_stride, int wp, int c_out, int out_h,    \
                       int out_w, int beta) {                                                  \
        int segs = (out_w + P - 1) / P, tiles = (c_out + W * CV - 1) / (W * CV);               \
        int cpad = tiles * W * CV;                                                             \
        int item = get_global_id(0);                                                           \
        int tile_seg = item / tiles, tile = item - tile_seg * tiles;                           \
        int row = tile_seg / segs, seg = tile_seg - row * segs;                                \
        if (row >= images * out_h) return;                                                     \
        int img = row / out_h, oy = row - img * out_h, ox0 = seg * P, co0 = tile * W * CV;     \
        BC_CAT(float, W) acc[P][CV];                                                           \
        DIRECT_UNROLL for (int p = 0; p < P; p++)                                              \
            DIRECT_UNROLL for (int v = 0; v < CV; v++) acc[p][v] = 0.0f;                       \
        const __global float *src = VIEW_PTR(padded) + (size_t)img * c_in * plane_stride +    \
                                    (size_t)oy * S * wp + ox0 * S;                             \
        const __global float *wk = VIEW_PTR(packed) + co0;                                     \
        for (int ci = 0; ci < c_in; ci++, src += plane_stride)                                 \
            DIRECT_UNROLL for (int ky = 0; ky < 3; ky++) TAPS(S, W, CV, P)                     \
        int valid = min(P, out_w - ox0), channels = min(W * CV, c_out - co0);                  \
        float lanes[P][W * CV];                                                                \
        DIRECT_UNROLL for (int p = 0; p < P; p++)                                              \
            DIRECT_UNROLL for (int v = 0; v < CV; v++) BC_CAT(vstore, W)(acc[p][v], v, lanes[p]); \
        size_t plane = (size_t)out_h * out_w;                                                  \
        __global float *dst = VIEW_PTR(out) + ((size_t)img * c_out + co0) * plane +            \
                              (size_t)oy * out_w + ox0;                                        \
        for (int c = 0; c < channels; c++, dst += plane)                                       \
            for (int p = 0; p < valid; p++) dst[p] = beta ? dst[p] + lanes[p][c] : lanes[p][c]; \
    }

/* conv2d_direct_cl_k3_s<S>_w<W>_c<CV>_p<P>: 3x3 kernels, stride S, CV vectors of W
 * channels x P pixels. AVX-512 (W 16): 32 channels x 7 pixels (7, 14 and 28 wide rows
 * split evenly), 16 channels x 14 pixels (16-channel layers). AVX2 (W 8, 16 registers): 8
 * channels x 14 pixels, 14 accumulators next to a weight vector and a broadcast, and 16 x
 * 7 (14 accumulators and two weight vectors: one register short). */
DIRECT_CL_KERNEL(conv2d_direct_cl_k3_s1_w16_c2_p7, 1, 16, 2, 7, DIRECT_CL_TAPS_CACHED)
DIRECT_CL_KERNEL(conv2d_direct_cl_k3_s1_w16_c1_p14, 1, 16, 1, 14, DIRECT_CL_TAPS_CACHED)
DIRECT_CL_KERNEL(conv2d_direct_cl_k3_s2_w16_c2_p7, 2, 16, 2, 7, DIRECT_CL_TAPS_CACHED)
DIRECT_CL_KERNEL(conv2d_direct_cl_k3_s2_w16_c1_p14, 2, 16, 1, 14, DIRECT_CL_TAPS_CACHED)
DIRECT_CL_KERNEL(conv2d_direct_cl_k3_s1_w8_c1_p14, 1, 8, 1, 14, DIRECT_CL_TAPS_STREAMED)
DIRECT_CL_KERNEL(conv2d_direct_cl_k3_s1_w8_c2_p7, 1, 8, 2, 7, DIRECT_CL_TAPS_CACHED)
DIRECT_CL_KERNEL(conv2d_direct_cl_k3_s2_w8_c1_p14, 2, 8, 1, 14, DIRECT_CL_TAPS_STREAMED)
DIRECT_CL_KERNEL(conv2d_direct_cl_k3_s2_w8_c2_p7, 2, 8, 2, 7, DIRECT_CL_TAPS_CACHED)

/* ---- Input gradient of a 3x3, stride-2, pad-1 convolution on channel lanes ----
 * d_in[ci, iy, ix] sums d_out[co, oy, ox] w[co, ci, ky, kx] over iy + 1 = 2 oy + ky and
 * ix + 1 = 2 ox + kx: an even input row takes kernel row 1 (oy = iy / 2), an odd one rows
 * 0 and 2 (oy = (iy + 1) / 2 and (iy - 1) / 2); within a row an even pixel takes kx = 1
 * (ox = ix / 2), an odd one kx = 0 and 2 (ox = ix / 2 + 1 and ix / 2). A work-item owns W
 * (16, or 8 on AVX2) input channels x 14 pixels of one input row, starting at an even ix0:
 * per output channel and kernel row it loads 8 gradient values (ox = ix0 / 2 + m) and 3
 * weight vectors for 21 FMAs, with no patch matrix and no col2im. g_padded as
 * conv2d_pad_planes made it: d_out planes of out_h + 1 rows of g_stride >= out_w + 8
 * floats (zeros right of and below the gradient, where the taps of the last row and
 * segment land). packed: the weights as
 * conv2d_direct_weights packs them for the flipped kernel (c_out, 9 taps turned, c_in
 * padded to W), so tap (ky, kx) sits at 8 - (3 ky + kx). */
#define DIRECT_T2_P 14
#define DIRECT_CL_S2_BACKWARD(NAME, W)                                                                       \
    __kernel void NAME(VIEW(float, d_in), VIEW(const float, g_padded), VIEW(const float, packed),            \
                       int images, int c_in, int h, int w, int c_out, int g_rows, int g_stride,              \
                       int beta) {                                                                           \
        int segs = (w + DIRECT_T2_P - 1) / DIRECT_T2_P, tiles = (c_in + W - 1) / W, cpad = tiles * W;        \
        int item = get_global_id(0);                                                                         \
        int tile_seg = item / tiles, tile = item - tile_seg * tiles;                                         \
        int row = tile_seg / segs, seg = tile_seg - row * segs;                                              \
        if (row >= images * h) return;                                                                       \
        int img = row / h, iy = row - img * h, ix0 = seg * DIRECT_T2_P, ci0 = tile * W;                      \
        BC_CAT(float, W) acc[DIRECT_T2_P];                                                                   \
        DIRECT_UNROLL for (int p = 0; p < DIRECT_T2_P; p++) acc[p] = 0.0f;                                   \
        /* Kernel rows and their gradient rows: one for an even iy, two for an odd one. */                   \
        bool odd = iy - (iy / 2) * 2;                                                                        \
        int ky_first = odd ? 0 : 1, rows_used = odd ? 2 : 1;                                                 \
        size_t plane = (size_t)g_rows * g_stride;                                                            \
        const __global float *g = VIEW_PTR(g_padded) + (size_t)img * c_out * plane + ix0 / 2;                \
        const __global float *wk = VIEW_PTR(packed) + ci0;                                                   \
        for (int co = 0; co < c_out; co++, g += plane, wk += 9 * cpad)                                       \
            for (int j = 0; j < rows_used; j++) {                                                            \
                int ky = ky_first + 2 * j, oy = (iy + 1 - ky) / 2;                                           \
                const __global float *gr = g + (size_t)oy * g_stride;                                        \
                float gv[DIRECT_T2_P / 2 + 1];                                                               \
                DIRECT_UNROLL for (int m = 0; m <= DIRECT_T2_P / 2; m++) gv[m] = gr[m];                      \
                BC_CAT(float, W) w0 = BC_CAT(vload, W)(0, wk + (8 - 3 * ky) * cpad);                         \
                BC_CAT(float, W) w1 = BC_CAT(vload, W)(0, wk + (7 - 3 * ky) * cpad);                         \
                BC_CAT(float, W) w2 = BC_CAT(vload, W)(0, wk + (6 - 3 * ky) * cpad);                         \
                DIRECT_UNROLL for (int m = 0; m < DIRECT_T2_P / 2; m++) {                                    \
                    acc[2 * m] = fma((BC_CAT(float, W))(gv[m]), w1, acc[2 * m]);                             \
                    acc[2 * m + 1] = fma((BC_CAT(float, W))(gv[m + 1]), w0, acc[2 * m + 1]);                 \
                    acc[2 * m + 1] = fma((BC_CAT(float, W))(gv[m]), w2, acc[2 * m + 1]);                     \
                }                                                                                            \
            }                                                                                                \
        int valid = min(DIRECT_T2_P, w - ix0), channels = min(W, c_in - ci0);                                \
        float lanes[DIRECT_T2_P][W];                                                                         \
        DIRECT_UNROLL for (int p = 0; p < DIRECT_T2_P; p++) BC_CAT(vstore, W)(acc[p], 0, lanes[p]);          \
        size_t in_plane = (size_t)h * w;                                                                     \
        __global float *dst = VIEW_PTR(d_in) + ((size_t)img * c_in + ci0) * in_plane + (size_t)iy * w + ix0; \
        for (int c = 0; c < channels; c++, dst += in_plane)                                                  \
            for (int p = 0; p < valid; p++) dst[p] = beta ? dst[p] + lanes[p][c] : lanes[p][c];              \
    }

/* conv2d_direct_cl_k3_s2_backward_w<W>: W input channels per vector (16: AVX-512; 8: AVX2,
 * whose 16 registers hold the 14 accumulators and only some of the three weight vectors). */
DIRECT_CL_S2_BACKWARD(conv2d_direct_cl_k3_s2_backward_w16, 16)
DIRECT_CL_S2_BACKWARD(conv2d_direct_cl_k3_s2_backward_w8, 8)
