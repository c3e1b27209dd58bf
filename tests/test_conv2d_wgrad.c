/* test_conv2d_wgrad.c — the direct 3x3 stride-1 weight gradient (CONV_WGRAD_DIRECT, the CPU
 * default; oclgrind presents itself as a GPU, so it is forced on here) against the double
 * reference: planes smaller and larger than a vector, widths below and above the lane
 * count, odd channel counts (a duplicated last channel), one image and several chunks,
 * planes of whole vectors (read in place) and of partial ones (copied and padded),
 * accumulation into an existing gradient, views at non-zero offsets. Shapes the direct
 * kernel does not take (stride 2, pad 0, 5x5) must still go through im2col + GEMM.
 * BYOLCL_OCLGRIND_TEST */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/ops.h"
#include "ref/conv2d_ref.h"
#include "ref/gradcheck.h"
#include "test_util.h"

static size_t in_count(const Conv2dShape *s) { return (size_t)s->n * s->c_in * s->h * s->w; }
static size_t out_count(const Conv2dShape *s) {
    return (size_t)s->n * s->c_out * conv2d_out_h(s) * conv2d_out_w(s);
}
static size_t weight_count(const Conv2dShape *s) {
    return (size_t)s->c_out * s->c_in * s->kernel_h * s->kernel_w;
}

static void check_shape(const Conv2dShape *s, uint64_t seed) {
    const size_t off = 3;
    float *x = test_alloc_uniform(in_count(s), seed, -1, 1);
    float *g = test_alloc_uniform(out_count(s), seed + 1, -1, 1);
    float *w0 = test_alloc_uniform(weight_count(s), seed + 2, -1, 1); /* accumulated onto */
    Buffer *bx = test_upload_at(x, in_count(s), off), *bg = test_upload_at(g, out_count(s), off);
    Buffer *bw = test_upload_at(w0, weight_count(s), off);
    TEST_CHECK(conv2d_backward_weights(test_device(), (View){bw, off}, (View){bg, off},
                                       (View){bx, off}, s));
    char what[160];
    snprintf(what, sizeof what, "weight gradient n=%d c_in=%d %dx%d c_out=%d k%d stride %d pad %d",
             s->n, s->c_in, s->h, s->w, s->c_out, s->kernel_h, s->stride, s->pad);
    float *got = test_download_at(bw, weight_count(s), off, what);
    double *rx = ref_doubles_from_floats(x, in_count(s)), *rg = ref_doubles_from_floats(g, out_count(s));
    double *want = ref_doubles_from_floats(w0, weight_count(s));
    conv2d_backward_weights_ref(want, rg, rx, s);
    test_assert_close_scaled(got, want, weight_count(s), 2e-5, 1.0, what);
    free(x), free(g), free(w0), free(got), free(rx), free(rg), free(want);
    buffer_release(bx), buffer_release(bg), buffer_release(bw);
}

static void test_direct_weight_gradient_matches_reference(void **state) {
    (void)state;
    Device *dev = test_device();
    int saved = device_profile_get(dev, "CONV_WGRAD_DIRECT");
    TEST_CHECK(device_profile_set(dev, "CONV_WGRAD_DIRECT", 1));
    /* n, c_in, h, w, c_out, kh, kw, stride, pad */
    /* The direct kernel takes planes of at least 128 pixels and at least 8 input channels;
     * the rest (and stride 2, pad 0, 5x5) stay on im2col + GEMM. */
    static const Conv2dShape full[] = {
        {1, 8, 12, 11, 1, 3, 3, 1, 1},   {3, 9, 5, 30, 3, 3, 3, 1, 1},
        {2, 8, 13, 13, 5, 3, 3, 1, 1},   {5, 11, 14, 14, 7, 3, 3, 1, 1},
        {3, 8, 28, 28, 2, 3, 3, 1, 1},   {40, 8, 9, 20, 4, 3, 3, 1, 1},
        {2, 8, 6, 40, 3, 3, 3, 1, 1},    {2, 3, 7, 7, 5, 3, 3, 1, 1},
        {2, 3, 9, 9, 4, 3, 3, 2, 1},     {2, 3, 9, 9, 4, 3, 3, 1, 0},
        {2, 2, 8, 8, 3, 5, 5, 1, 2},
    };
    static const Conv2dShape small[] = {
        {1, 8, 12, 11, 1, 3, 3, 1, 1}, {2, 8, 4, 33, 3, 3, 3, 1, 1}, {1, 8, 8, 16, 2, 3, 3, 1, 1},
        {1, 2, 7, 7, 3, 3, 3, 1, 1},
    };
    const Conv2dShape *cases = test_small() ? small : full;
    size_t count = test_small() ? sizeof small / sizeof *small : sizeof full / sizeof *full;
    for (size_t i = 0; i < count; i++) check_shape(&cases[i], 31 + 7 * i);
    TEST_CHECK(device_profile_set(dev, "CONV_WGRAD_DIRECT", saved));
}

/* The lanes follow the profile's GEMM_TILE_N (a tuned profile may pick 8 or 4): other
 * widths, an odd one included, give the same gradients. */
static void test_other_lane_widths_match_reference(void **state) {
    (void)state;
    Device *dev = test_device();
    int saved = device_profile_get(dev, "CONV_WGRAD_DIRECT"), tile_n = device_profile_get(dev, "GEMM_TILE_N");
    TEST_CHECK(device_profile_set(dev, "CONV_WGRAD_DIRECT", 1));
    static const int widths[] = {8, 3};
    static const Conv2dShape shapes[] = {{2, 8, 13, 13, 3, 3, 3, 1, 1}, {1, 8, 8, 16, 2, 3, 3, 1, 1}};
    for (int wi = 0; wi < (test_small() ? 1 : 2); wi++) {
        TEST_CHECK(device_profile_set(dev, "GEMM_TILE_N", widths[wi]));
        for (int i = 0; i < 2; i++) check_shape(&shapes[i], 101 + 7 * i + wi);
    }
    TEST_CHECK(device_profile_set(dev, "GEMM_TILE_N", tile_n));
    TEST_CHECK(device_profile_set(dev, "CONV_WGRAD_DIRECT", saved));
}

/* Every WGRAD_CO the kernel takes, on channel counts that leave a partial last group. */
static void test_channels_per_item_match_reference(void **state) {
    (void)state;
    Device *dev = test_device();
    int saved = device_profile_get(dev, "CONV_WGRAD_DIRECT"), co = device_profile_get(dev, "WGRAD_CO");
    TEST_CHECK(device_profile_set(dev, "CONV_WGRAD_DIRECT", 1));
    static const Conv2dShape shapes[] = {{2, 8, 13, 13, 5, 3, 3, 1, 1}, {1, 9, 12, 11, 7, 3, 3, 1, 1}};
    for (int per_item = 1; per_item <= 3; per_item += test_small() ? 2 : 1) {
        TEST_CHECK(device_profile_set(dev, "WGRAD_CO", per_item));
        for (int i = 0; i < 2; i++) check_shape(&shapes[i], 211 + 7 * i + per_item);
    }
    TEST_CHECK(device_profile_set(dev, "WGRAD_CO", co));
    TEST_CHECK(device_profile_set(dev, "CONV_WGRAD_DIRECT", saved));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_direct_weight_gradient_matches_reference),
        cmocka_unit_test(test_channels_per_item_match_reference),
        cmocka_unit_test(test_other_lane_widths_match_reference),
    };
    return cmocka_run_group_tests(tests, NULL, test_teardown_device);
}
