/* test_conv2d.c — conv2d forward, backward data and backward weights on the device against
 * the direct double reference (odd shapes, strides, paddings, kernel sizes, views at
 * offsets; our fused GEMM path in one chunk and in many, and the generic path through
 * CLBlast, each with the element-wise and the panel-at-a-time (CONV_VECTOR) im2col/col2im
 * kernels; the direct stride-1 kernels (CONV_DIRECT) on a sweep of odd shapes, kernel sizes
 * and paddings; the implicit GEMMs of GPUs (CONV_IGEMM) under several tile shapes and with
 * the weight gradient's depth split), and finite-difference checks of the reference's
 * backward passes.
 * BYOLCL_OCLGRIND_TEST */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/ops.h"
#include "ref/conv2d_ref.h"
#include "ref/gradcheck.h"
#include "test_util.h"

/* n, c_in, h, w, c_out, kernel_h, kernel_w, stride, pad */
static const Conv2dShape full_cases[] = {
    {1, 1, 1, 1, 1, 1, 1, 1, 0},    /* 1x1 everything */
    {3, 3, 7, 7, 5, 3, 3, 1, 1},    /* 7x7 input, 3x3 pad 1 */
    {3, 2, 9, 9, 17, 3, 3, 2, 1},   /* stride 2 on an odd input */
    {1, 3, 7, 7, 4, 7, 7, 1, 3},    /* 7x7 kernel, pad 3 */
    {3, 5, 11, 11, 19, 1, 1, 2, 0}, /* 1x1 stride 2 (a downsampling shortcut) */
    {2, 17, 7, 7, 9, 3, 3, 1, 0},   /* pad 0 */
    {3, 1, 13, 10, 8, 7, 7, 2, 3},  /* ImageNet-like stem, not square */
    {2, 20, 6, 5, 33, 3, 3, 1, 1},
    {2, 3, 10, 8, 5, 5, 3, 3, 2},   /* stride 3, kernel not square */
    {2, 3, 6, 37, 5, 3, 3, 2, 1},   /* stride 2, rows wider than two 16-lane runs */
    {2, 4, 5, 34, 3, 1, 1, 2, 0},   /* 1x1 stride 2, wide rows */
};
static const Conv2dShape small_cases[] = {
    {1, 1, 1, 1, 1, 1, 1, 1, 0},
    {3, 2, 5, 5, 3, 3, 3, 2, 1},
    {1, 2, 7, 7, 3, 7, 7, 1, 3},
    {1, 2, 3, 20, 2, 3, 3, 2, 1},
};

typedef enum {
    MODE_OURS, MODE_OURS_CHUNKED, MODE_GENERIC,
    MODE_OURS_VECTOR, MODE_OURS_VECTOR_CHUNKED, MODE_GENERIC_VECTOR, MODE_DIRECT, MODE_IGEMM, MODE_COUNT
} Mode;
static const char *mode_names[] = {"ours", "ours, one image per chunk", "generic (CLBlast)",
                                   "ours, panel kernels", "ours, panel kernels, one image per chunk",
                                   "generic (CLBlast), panel col2im", "direct", "implicit GEMM"};

static void set_mode(Mode mode) {
    Device *dev = test_device();
    bool generic = mode == MODE_GENERIC || mode == MODE_GENERIC_VECTOR;
    bool chunked = mode == MODE_OURS_CHUNKED || mode == MODE_OURS_VECTOR_CHUNKED;
    TEST_CHECK(device_profile_set(dev, "GEMM_PATH", generic ? GEMM_PATH_CLBLAST : GEMM_PATH_OURS));
    TEST_CHECK(device_profile_set(dev, "CONV_SCRATCH_KB", chunked ? 1 : 65536));
    TEST_CHECK(device_profile_set(dev, "CONV_VECTOR", mode >= MODE_OURS_VECTOR && mode != MODE_IGEMM));
    TEST_CHECK(device_profile_set(dev, "CONV_DIRECT", mode == MODE_DIRECT));
    TEST_CHECK(device_profile_set(dev, "CONV_IGEMM", mode == MODE_IGEMM));
}

static size_t in_count(const Conv2dShape *s) { return (size_t)s->n * s->c_in * s->h * s->w; }
static size_t out_count(const Conv2dShape *s) {
    return (size_t)s->n * s->c_out * conv2d_out_h(s) * conv2d_out_w(s);
}
static size_t weight_count(const Conv2dShape *s) {
    return (size_t)s->c_out * s->c_in * s->kernel_h * s->kernel_w;
}

/* Uploads x behind `offset` floats of padding, so the op sees a view mid-buffer. */
static Buffer *upload_at(const float *x, size_t n, size_t offset) {
    float *padded = test_alloc_uniform(n + offset, 99, -1, 1);
    memcpy(padded + offset, x, n * sizeof *x);
    Buffer *b = test_upload(padded, n + offset);
    free(padded);
    return b;
}

static float *download_at(const Buffer *b, size_t n, size_t offset) {
    float *all = test_download(b, n + offset);
    memmove(all, all + offset, n * sizeof *all);
    return all;
}

static void check_case(const Conv2dShape *s, Mode mode, uint64_t seed) {
    Device *dev = test_device();
    size_t ni = in_count(s), no = out_count(s), nw = weight_count(s);
    const size_t in_off = 3, out_off = 5, w_off = 7;
    float *in = test_alloc_uniform(ni, seed, -1, 1), *w = test_alloc_uniform(nw, seed + 1, -1, 1);
    float *g = test_alloc_uniform(no, seed + 2, -1, 1);     /* d_out */
    float *d_in0 = test_alloc_uniform(ni, seed + 3, -1, 1); /* what accumulate adds to */
    float *d_w0 = test_alloc_uniform(nw, seed + 4, -1, 1);
    Buffer *b_in = upload_at(in, ni, in_off), *b_w = upload_at(w, nw, w_off);
    Buffer *b_g = upload_at(g, no, out_off), *b_out = upload_at(g, no, out_off);
    Buffer *b_din = upload_at(d_in0, ni, in_off), *b_dw = upload_at(d_w0, nw, w_off);
    View in_v = {b_in, in_off}, w_v = {b_w, w_off}, g_v = {b_g, out_off}, out_v = {b_out, out_off};
    View din_v = {b_din, in_off}, dw_v = {b_dw, w_off};

    double *r_in = ref_doubles_from_floats(in, ni), *r_w = ref_doubles_from_floats(w, nw), *r_g = ref_doubles_from_floats(g, no);
    double *r_out = malloc(no * sizeof *r_out), *r_din = ref_doubles_from_floats(d_in0, ni);
    double *r_dw = ref_doubles_from_floats(d_w0, nw);
    int ksize = s->c_in * s->kernel_h * s->kernel_w;
    double atol = 1e-5 * (ksize + s->c_out + 10), rtol = 1e-4;
    char what[200];
    int len = snprintf(what, sizeof what, "[%s] n=%d c_in=%d %dx%d c_out=%d k=%dx%d s=%d p=%d: ",
                       mode_names[mode], s->n, s->c_in, s->h, s->w, s->c_out, s->kernel_h,
                       s->kernel_w, s->stride, s->pad);

    TEST_CHECK(conv2d_forward(dev, out_v, in_v, w_v, s));
    conv2d_forward_ref(r_out, r_in, r_w, s);
    float *got = download_at(b_out, no, out_off), *want = ref_floats_from_doubles(r_out, no);
    snprintf(what + len, sizeof what - len, "forward");
    test_assert_close(got, want, no, atol, rtol, what);
    free(got), free(want);

    /* d_in += (accumulate) then d_in = (overwrite), each against the reference. */
    for (int acc = 1; acc >= 0; acc--) {
        TEST_CHECK(conv2d_backward_data(dev, din_v, g_v, w_v, s, acc));
        conv2d_backward_data_ref(r_din, r_g, r_w, s, acc);
        got = download_at(b_din, ni, in_off), want = ref_floats_from_doubles(r_din, ni);
        snprintf(what + len, sizeof what - len, "backward data (accumulate %d)", acc);
        test_assert_close(got, want, ni, atol, rtol, what);
        free(got), free(want);
    }

    TEST_CHECK(conv2d_backward_weights(dev, dw_v, g_v, in_v, s));
    conv2d_backward_weights_ref(r_dw, r_g, r_in, s);
    got = download_at(b_dw, nw, w_off), want = ref_floats_from_doubles(r_dw, nw);
    snprintf(what + len, sizeof what - len, "backward weights");
    /* Sums over n * out_h * out_w products. */
    test_assert_close(got, want, nw, 1e-5 * (double)(no / s->c_out + 10), rtol, what);
    free(got), free(want);

    free(in), free(w), free(g), free(d_in0), free(d_w0);
    free(r_in), free(r_w), free(r_g), free(r_out), free(r_din), free(r_dw);
    buffer_release(b_in), buffer_release(b_w), buffer_release(b_g), buffer_release(b_out);
    buffer_release(b_din), buffer_release(b_dw);
}

static void test_conv2d_matches_reference(void **state) {
    (void)state;
    const Conv2dShape *cases = test_small() ? small_cases : full_cases;
    size_t count = test_small() ? sizeof small_cases / sizeof *small_cases
                                : sizeof full_cases / sizeof *full_cases;
    Device *dev = test_device();
    int path = device_profile_get(dev, "GEMM_PATH");
    int scratch_kb = device_profile_get(dev, "CONV_SCRATCH_KB");
    int vector = device_profile_get(dev, "CONV_VECTOR");
    int direct = device_profile_get(dev, "CONV_DIRECT");
    int igemm = device_profile_get(dev, "CONV_IGEMM");
    for (int mode = 0; mode < MODE_COUNT; mode++) {
        /* oclgrind is slow: the chunked and the generic panel modes add no kernel there. */
        if (test_small() && (mode == MODE_OURS_CHUNKED || mode == MODE_GENERIC_VECTOR)) continue;
        set_mode((Mode)mode);
        for (size_t i = 0; i < count; i++) check_case(&cases[i], (Mode)mode, 100 * i + 10 * mode + 1);
    }
    TEST_CHECK(device_profile_set(dev, "GEMM_PATH", path));
    TEST_CHECK(device_profile_set(dev, "CONV_SCRATCH_KB", scratch_kb));
    TEST_CHECK(device_profile_set(dev, "CONV_VECTOR", vector));
    TEST_CHECK(device_profile_set(dev, "CONV_DIRECT", direct));
    TEST_CHECK(device_profile_set(dev, "CONV_IGEMM", igemm));
}

/* The implicit GEMMs (CONV_IGEMM) on kernels 1x1 to 7x7, strides 1 to 3, paddings 0 to 3,
 * batch 1 and odd channel counts and spatial sizes, under the GPU default tiles (64 x 64,
 * one tile or a partial one per shape) and under small odd tiles (work-groups of 4 x 8
 * and 2 x 3 work-items, register tiles 3 x 2 and 1 x 5, depth slices of 5 and 1), so
 * every shape spans several tiles cut at odd places, and the weight gradient's depth
 * split into slices as shallow as one step (then reduced). */
static void test_conv2d_implicit_gemm_matches_reference(void **state) {
    (void)state;
    Device *dev = test_device();
    /* The first eight are set here, the rest by set_mode: all are restored. */
    const char *keys[] = {"CONV_IGEMM_WG_M", "CONV_IGEMM_WG_N", "CONV_IGEMM_TILE_M",
                          "CONV_IGEMM_TILE_N", "CONV_IGEMM_TILE_K", "CONV_IGEMM_PAD",
                          "CONV_IGEMM_WGRAD_GROUPS", "CONV_IGEMM_WGRAD_MIN_K", "CONV_IGEMM",
                          "GEMM_PATH", "CONV_SCRATCH_KB", "CONV_VECTOR", "CONV_DIRECT"};
    enum { KEYS = sizeof keys / sizeof *keys, SET = 8, SETTINGS = 3 };
    static const int settings[SETTINGS][SET] = {
        {16, 16, 4, 4, 16, 1, 1, 1024}, /* the GPU defaults, depth never split */
        {4, 8, 3, 2, 5, 0, 1 << 20, 1}, /* 12 x 16 tiles, the weight gradient split per step */
        {2, 3, 1, 5, 1, 2, 7, 3},
    };
    int saved[KEYS];
    for (int i = 0; i < KEYS; i++) saved[i] = device_profile_get(dev, keys[i]);
    static const Conv2dShape shapes[] = {
        {1, 3, 7, 7, 5, 3, 3, 1, 1},    {2, 5, 9, 11, 7, 3, 3, 2, 1}, {1, 3, 11, 9, 4, 7, 7, 2, 3},
        {3, 7, 5, 6, 3, 1, 1, 1, 0},    {2, 5, 9, 9, 19, 1, 1, 2, 0}, {2, 17, 6, 5, 9, 3, 3, 1, 0},
        {1, 2, 10, 8, 3, 5, 3, 3, 2},   {2, 20, 8, 8, 70, 3, 3, 1, 1}, {1, 1, 1, 1, 1, 1, 1, 1, 0},
        {2, 3, 7, 7, 4, 7, 7, 1, 3},    {2, 3, 2, 2, 4, 3, 3, 3, 1}, /* phases with no pixel */
    };
    static const Conv2dShape small_shapes[] = {
        {1, 3, 5, 5, 5, 3, 3, 1, 1}, {2, 3, 7, 6, 3, 3, 3, 2, 1}, {1, 2, 7, 7, 3, 7, 7, 2, 3},
        {2, 3, 4, 5, 3, 1, 1, 1, 0}, {2, 3, 5, 5, 3, 1, 1, 2, 0}, /* phases with no tap */
    };
    const Conv2dShape *cases = test_small() ? small_shapes : shapes;
    size_t count = test_small() ? sizeof small_shapes / sizeof *small_shapes : sizeof shapes / sizeof *shapes;
    set_mode(MODE_IGEMM);
    for (int k = 0; k < SETTINGS; k++) {
        for (int i = 0; i < SET; i++) TEST_CHECK(device_profile_set(dev, keys[i], settings[k][i]));
        for (size_t i = 0; i < count; i++) check_case(&cases[i], MODE_IGEMM, 7000 + 100 * (uint64_t)k + i);
    }
    for (int i = 0; i < KEYS; i++) TEST_CHECK(device_profile_set(dev, keys[i], saved[i]));
}

/* Weight gradients through our GEMM with split-k forced on (chunks of 4 pixels): the
 * chunks cut the per-image groups of d_out's NCHW rows, which the kernels read in place
 * (one or two panels per work-item) or pack. */
static void test_conv2d_split_k_weight_gradients_match_reference(void **state) {
    (void)state;
    Device *dev = test_device();
    /* The first four are set here, the rest by set_mode: all are restored. */
    const char *keys[] = {"GEMM_SPLIT_K", "GEMM_SPLIT_RATIO", "GEMM_TILE_NP", "CONV_WGRAD_DIRECT",
                          "GEMM_PATH", "CONV_SCRATCH_KB", "CONV_VECTOR", "CONV_DIRECT"};
    const int values[] = {4, 1, 2, 0};
    int saved[8];
    for (int i = 0; i < 8; i++) saved[i] = device_profile_get(dev, keys[i]);
    for (int i = 0; i < 4; i++) TEST_CHECK(device_profile_set(dev, keys[i], values[i]));
    set_mode(MODE_OURS_VECTOR);
    /* Pixels of the batch (the depth) exceed ksize and c_out, so every case splits. */
    const Conv2dShape cases[] = {{3, 2, 5, 5, 3, 3, 3, 2, 1}, {3, 3, 7, 7, 5, 3, 3, 1, 1}, {2, 4, 9, 9, 33, 3, 3, 1, 1}};
    for (int i = 0; i < (test_small() ? 1 : 3); i++) check_case(&cases[i], MODE_OURS_VECTOR, 500 + (uint64_t)i);
    for (int i = 0; i < 8; i++) TEST_CHECK(device_profile_set(dev, keys[i], saved[i]));
}

/* The direct kernels have a literal-size variant per kernel size 1, 3, 5, 7 and a generic
 * one, rows of 8 or 16 lanes or (rows up to 8 wide) 16 lanes across rows, chosen by the
 * output width, and tiles of 16 output channels x 1 vector or (3x3) 8 channels x 3 rows
 * and 6 channels x 4 vectors: sweep spatial sizes (1x1 up to wider than two segments), kernel sizes, every
 * padding up to k - 1, and channel counts that are not multiples of the tile, in forward,
 * backward data (itself a direct convolution with the flipped kernel, also accumulating)
 * and backward weights; the im2col path on the same shapes for comparison. */
static void test_conv2d_direct_sweep_matches_reference(void **state) {
    (void)state;
    Device *dev = test_device();
    int vector = device_profile_get(dev, "CONV_VECTOR");
    int direct = device_profile_get(dev, "CONV_DIRECT");
    static const int sizes[][2] = {{1, 1}, {2, 5}, {7, 7}, {28, 28}, {9, 20}};
    static const int small_sizes[][2] = {{1, 1}, {2, 5}, {7, 9}, {2, 20}}; /* 20 wide: 8-lane rows */
    static const int kernels[] = {1, 3, 5, 2, 4};
    static const int ns[] = {1, 3}, c_ins[] = {1, 3, 5}, c_outs[] = {1, 7, 17};
    int size_count = test_small() ? 4 : 5, kernel_count = test_small() ? 2 : 5;
    int blocked = device_profile_get(dev, "CONV_DIRECT_BLOCKED");
    int index = 0;
    /* mode 0: im2col; 1 and 2: direct with 3x3 kernels on 16-channel x 1-vector tiles and on
     * the blocked ones (CONV_DIRECT_BLOCKED: 8 channels x 3 rows, 6 x 4 vectors). */
    for (int mode = test_small() ? 1 : 0; mode < 3; mode++) {
        set_mode(mode ? MODE_DIRECT : MODE_OURS_VECTOR);
        TEST_CHECK(device_profile_set(dev, "CONV_DIRECT_BLOCKED", mode == 2));
        for (int si = 0; si < size_count; si++)
            for (int ki = 0; ki < kernel_count; ki++) {
                int k = kernels[ki];
                for (int pad = 0; pad < k; pad++, index++) {
                    const int *hw = test_small() ? small_sizes[si] : sizes[si];
                    Conv2dShape s = {ns[index & 1], c_ins[index % 3], hw[0], hw[1],
                                     c_outs[(index / 3) % 3], k, k, 1, pad};
                    if (test_small()) s.c_out = s.c_out > 7 ? 7 : s.c_out;
                    if (s.h + 2 * pad < k || s.w + 2 * pad < k) continue;
                    check_case(&s, mode ? MODE_DIRECT : MODE_OURS_VECTOR, 1000 + (uint64_t)index);
                }
            }
    }
    TEST_CHECK(device_profile_set(dev, "CONV_VECTOR", vector));
    TEST_CHECK(device_profile_set(dev, "CONV_DIRECT", direct));
    TEST_CHECK(device_profile_set(dev, "CONV_DIRECT_BLOCKED", blocked));
}

/* The channel-lane kernels (CONV_DIRECT_CHANNEL_LANES: 16 output channels per vector, or 8
 * with CONV_LANES=8, each width run) on the shapes that take them (16+ input channels, rows
 * that fill pixel vectors badly): 32
 * channels x 7 pixels with pad 0, 1 and 2 (7x7 outputs), a channel tile half full (40 = 32
 * + 8) on 21-wide rows, and 16 x 14 pixels with a row's last segment 12 of 14 wide; stride
 * 2 with 7x7, 5x14 and 3x3 outputs, pad 1 and 0; batch 1 to 3. Backward data of the
 * stride-1 shapes (the flipped kernel) takes whichever family wins for its own shape:
 * channel lanes for the 21-wide and the pad-2 cases, the blocked kernels for the others;
 * of the stride-2 pad-1 shapes the direct input-gradient kernel (16 input channels x 14
 * pixels: one tile, two tiles with the second 1 of 16, a tile of 5; rows of 14, 27 = 14 +
 * 13 and 16 = 14 + 2 pixels, even and odd heights). */
static void test_conv2d_direct_channel_lanes_match_reference(void **state) {
    (void)state;
    Device *dev = test_device();
    int vector = device_profile_get(dev, "CONV_VECTOR");
    int direct = device_profile_get(dev, "CONV_DIRECT");
    int blocked = device_profile_get(dev, "CONV_DIRECT_BLOCKED");
    int lanes = device_profile_get(dev, "CONV_DIRECT_CHANNEL_LANES");
    set_mode(MODE_DIRECT);
    TEST_CHECK(device_profile_set(dev, "CONV_DIRECT_BLOCKED", 1));
    TEST_CHECK(device_profile_set(dev, "CONV_DIRECT_CHANNEL_LANES", 1));
    const Conv2dShape shapes[] = {
        {1, 16, 7, 7, 32, 3, 3, 1, 1}, {2, 16, 9, 9, 32, 3, 3, 1, 0}, {1, 18, 5, 5, 32, 3, 3, 1, 2},
        {3, 20, 5, 21, 40, 3, 3, 1, 1}, {2, 17, 9, 12, 16, 3, 3, 1, 1}, {2, 16, 13, 14, 32, 3, 3, 2, 1},
        {1, 17, 9, 27, 40, 3, 3, 2, 1},  {3, 16, 8, 8, 16, 3, 3, 2, 0},   {2, 5, 15, 16, 16, 3, 3, 2, 1},
    };
    int saved_width = device_profile_get(dev, "CONV_LANES");
    static const int widths[] = {16, 8}; /* AVX-512 and AVX2 tiles, whichever the device is */
    for (int wi = 0; wi < 2; wi++) {
        TEST_CHECK(device_profile_set(dev, "CONV_LANES", widths[wi]));
        for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
            check_case(&shapes[i], MODE_DIRECT, 3000 + (uint64_t)i);
    }
    TEST_CHECK(device_profile_set(dev, "CONV_LANES", saved_width));
    TEST_CHECK(device_profile_set(dev, "CONV_VECTOR", vector));
    TEST_CHECK(device_profile_set(dev, "CONV_DIRECT", direct));
    TEST_CHECK(device_profile_set(dev, "CONV_DIRECT_BLOCKED", blocked));
    TEST_CHECK(device_profile_set(dev, "CONV_DIRECT_CHANNEL_LANES", lanes));
}

/* sum(conv(in, w) * g): the scalar whose gradients the backward passes compute. */
static double loss_ref(const double *in, const double *w, const double *g, const Conv2dShape *s) {
    size_t no = out_count(s);
    double *out = malloc(no * sizeof *out), total = 0.0;
    conv2d_forward_ref(out, in, w, s);
    for (size_t i = 0; i < no; i++) total += out[i] * g[i];
    free(out);
    return total;
}

static void check_finite_differences(const Conv2dShape *s) {
    size_t ni = in_count(s), no = out_count(s), nw = weight_count(s);
    float *fin = test_alloc_uniform(ni, 5, -1, 1), *fw = test_alloc_uniform(nw, 6, -1, 1);
    float *fg = test_alloc_uniform(no, 7, -1, 1);
    double *in = ref_doubles_from_floats(fin, ni), *w = ref_doubles_from_floats(fw, nw), *g = ref_doubles_from_floats(fg, no);
    double *d_in = calloc(ni, sizeof *d_in), *d_w = calloc(nw, sizeof *d_w);
    conv2d_backward_data_ref(d_in, g, w, s, false);
    conv2d_backward_weights_ref(d_w, g, in, s);
    const double eps = 1e-4;
    for (size_t i = 0; i < ni; i++) {
        double keep = in[i];
        in[i] = keep + eps;
        double up = loss_ref(in, w, g, s);
        in[i] = keep - eps;
        double down = loss_ref(in, w, g, s);
        in[i] = keep;
        double fd = (up - down) / (2 * eps);
        if (fabs(fd - d_in[i]) > 1e-6 * (1 + fabs(fd)))
            fail_msg("d_in[%zu]: backward %.10g, finite difference %.10g", i, d_in[i], fd);
    }
    for (size_t i = 0; i < nw; i++) {
        double keep = w[i];
        w[i] = keep + eps;
        double up = loss_ref(in, w, g, s);
        w[i] = keep - eps;
        double down = loss_ref(in, w, g, s);
        w[i] = keep;
        double fd = (up - down) / (2 * eps);
        if (fabs(fd - d_w[i]) > 1e-6 * (1 + fabs(fd)))
            fail_msg("d_weight[%zu]: backward %.10g, finite difference %.10g", i, d_w[i], fd);
    }
    free(fin), free(fw), free(fg), free(in), free(w), free(g), free(d_in), free(d_w);
}

static void test_reference_gradients_match_finite_differences(void **state) {
    (void)state;
    const Conv2dShape cases[] = {{2, 2, 5, 5, 3, 3, 3, 2, 1}, {1, 3, 4, 6, 2, 1, 1, 1, 0},
                                 {1, 1, 5, 4, 2, 5, 3, 2, 2}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) check_finite_differences(&cases[i]);
}

static void test_bad_shapes_are_errors(void **state) {
    (void)state;
    Device *dev = test_device();
    Buffer *x = test_alloc_device(16);
    View v = view_of(x);
    Conv2dShape too_big = {1, 1, 2, 2, 1, 5, 5, 1, 0};
    assert_int_equal(conv2d_forward(dev, v, v, v, &too_big), BC_ERR_USAGE);
    Conv2dShape zero_stride = {1, 1, 2, 2, 1, 1, 1, 0, 0};
    assert_int_equal(conv2d_backward_data(dev, v, v, v, &zero_stride, false), BC_ERR_USAGE);
    buffer_release(x);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv2d_matches_reference),
        cmocka_unit_test(test_conv2d_direct_sweep_matches_reference),
        cmocka_unit_test(test_conv2d_direct_channel_lanes_match_reference),
        cmocka_unit_test(test_conv2d_split_k_weight_gradients_match_reference),
        cmocka_unit_test(test_conv2d_implicit_gemm_matches_reference),
        cmocka_unit_test(test_reference_gradients_match_finite_differences),
        cmocka_unit_test(test_bad_shapes_are_errors),
    };
    return cmocka_run_group_tests(tests, NULL, test_teardown_device);
}
