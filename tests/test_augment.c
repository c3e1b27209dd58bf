/* test_augment.c — BYOL augmentations: Philox known answers, per-image parameters (ranges,
 * frequencies, reproducibility), device kernels against tests/ref/augment_ref.c on RGB and
 * gray, odd sizes and batch 1, the transform properties, two devices agreeing, the --aug
 * flags, and the PNG preview.
 * Tolerance: device vs reference within 2e-4 absolute on normalized outputs (std ~0.25,
 * i.e. ~5e-5 in pixel units): float vs double rounding in bilinear weights, jitter and blur.
 * BYOLCL_OCLGRIND_TEST */
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/augment.h"
#include "ref/augment_ref.h"
#include "test_util.h"
#include "util/png_write.h"

static const double TOLERANCE = 2e-4;

/* For the identities: exact up to float division, which OpenCL allows 2.5 ulp. */
static bool same_pixel(float got, double want) { return fabs(got - want) < 1e-6; }

static uint8_t *random_images(size_t bytes, uint64_t seed) {
    float *u = test_alloc_uniform(bytes, seed, 0, 256);
    uint8_t *img = malloc(bytes);
    assert_non_null(img);
    for (size_t i = 0; i < bytes; i++) img[i] = (uint8_t)(u[i] >= 255 ? 255 : (int)u[i]);
    free(u);
    return img;
}

static void set(AugmentConfig *config, const char *key, const char *value) {
    Status st = augment_config_set(config, key, value);
    if (st != BC_OK) fail_msg("augment_config_set(%s, %s): %s", key, value, error_last());
}

/* A config with dataset-like statistics, so normalization is exercised. */
static AugmentConfig stats_config(void) {
    AugmentConfig config;
    augment_config_default(&config);
    set(&config, "aug-mean", "0.49,0.48,0.45");
    set(&config, "aug-std", "0.25,0.24,0.26");
    return config;
}

/* Every transform off: what remains is crop + resize and normalization. */
static AugmentConfig plain_config(int h, int w) {
    AugmentConfig config;
    augment_config_default(&config);
    char aspect[64];
    snprintf(aspect, sizeof aspect, "%.9g,%.9g", (double)w / h, (double)w / h);
    set(&config, "aug-crop-area", "1,1");
    set(&config, "aug-crop-aspect", aspect);
    const char *off[] = {"aug-flip-prob", "aug-jitter-prob", "aug-grayscale-prob", "aug-blur-prob",
                         "aug-solarize-prob"};
    for (size_t i = 0; i < sizeof off / sizeof off[0]; i++) set(&config, off[i], "0");
    return config;
}

static int out_floats(const AugmentConfig *config, int n, int h, int w, int c) {
    int oh, ow;
    augment_output_size(config, h, w, &oh, &ow);
    return n * c * oh * ow;
}

static float *params_for(const AugmentConfig *config, int view, uint64_t seed, int epoch, int step,
                         int n, int h, int w) {
    int oh, ow;
    augment_output_size(config, h, w, &oh, &ow);
    float *p = malloc((size_t)n * augment_param_stride(config, oh, ow) * sizeof *p);
    assert_non_null(p);
    augment_params_compute(config, view, seed, epoch, step, 0, n, h, w, p);
    return p;
}

/* Input and output buffers per device, created once and kept, and the device's scratch
 * slots grown once up front: oclgrind 21.10's uninitialized-value tracking goes wrong when a
 * buffer is released while kernels are queued and another one is created right after. */
enum { POOL_IN_BYTES = 1 << 16, POOL_OUT_FLOATS = 1 << 16 };
static struct {
    Device *device;
    Buffer *in, *out;
} pools[2];

static void pool_get(Device *dev, Buffer **in, Buffer **out) {
    for (int i = 0; i < 2; i++) {
        if (!pools[i].device) {
            pools[i].device = dev;
            TEST_CHECK(buffer_create(dev, POOL_IN_BYTES, &pools[i].in));
            TEST_CHECK(buffer_create(dev, POOL_OUT_FLOATS * sizeof(float), &pools[i].out));
            Buffer *scratch;
            TEST_CHECK(device_scratch(dev, 0, POOL_OUT_FLOATS * sizeof(float), &scratch));
            TEST_CHECK(device_scratch(dev, 1, POOL_IN_BYTES, &scratch));
        }
        if (pools[i].device == dev) {
            *in = pools[i].in;
            *out = pools[i].out;
            return;
        }
    }
    fail_msg("more than two test devices");
}

static void pool_release(Device *dev) {
    for (int i = 0; i < 2; i++)
        if (pools[i].device == dev) {
            buffer_release(pools[i].in);
            buffer_release(pools[i].out);
            pools[i].device = NULL;
        }
}

/* Runs the device pipeline: explicit params when given, else augment_batch's own draw. */
static float *run_device(Device *dev, const AugmentConfig *config, const float *params, int view,
                         uint64_t seed, int epoch, int step, const uint8_t *images, int n, int h,
                         int w, int c) {
    size_t bytes = (size_t)n * h * w * c, floats = (size_t)out_floats(config, n, h, w, c);
    assert_true(bytes <= POOL_IN_BYTES && floats + 3 <= POOL_OUT_FLOATS);
    Buffer *in = NULL, *out = NULL;
    pool_get(dev, &in, &out);
    TEST_CHECK(buffer_write(dev, in, 0, bytes, images));
    View view_out = view_at(view_of(out), 3); /* not at the start of its buffer */
    if (params)
        TEST_CHECK(augment_batch_with_params(dev, config, view_out, params, in, n, h, w, c));
    else
        TEST_CHECK(augment_batch(dev, config, view, seed, epoch, step, view_out, in, n, h, w, c));
    float *host = malloc(floats * sizeof *host);
    assert_non_null(host);
    TEST_CHECK(buffer_read(dev, out, 3 * sizeof(float), floats * sizeof(float), host));
    return host;
}

static float *run_reference(const AugmentConfig *config, const float *params, const uint8_t *images,
                            int n, int h, int w, int c) {
    int oh, ow;
    augment_output_size(config, h, w, &oh, &ow);
    float *out = malloc((size_t)out_floats(config, n, h, w, c) * sizeof *out);
    assert_non_null(out);
    augment_ref(out, images, params, augment_param_stride(config, oh, ow), n, h, w, c, oh, ow,
                augment_blur_radius(config, oh, ow), config->mean, config->std);
    return out;
}

/* augment_batch (its own parameter draw) against the reference with the same parameters. */
static void check_against_reference(const AugmentConfig *config, int view, int step, int n, int h,
                                    int w, int c, const char *what) {
    uint8_t *images = random_images((size_t)n * h * w * c, 1000 + step + 7 * c);
    float *params = params_for(config, view, 42, 3, step, n, h, w);
    float *got = run_device(test_device(), config, NULL, view, 42, 3, step, images, n, h, w, c);
    float *want = run_reference(config, params, images, n, h, w, c);
    test_assert_close(got, want, (size_t)out_floats(config, n, h, w, c), TOLERANCE, 0, what);
    free(images);
    free(params);
    free(got);
    free(want);
}

static void test_philox_matches_known_answers(void **state) {
    (void)state;
    /* Random123's kat_vectors for philox4x32-10. */
    const uint32_t cases[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {~0u, ~0u, ~0u, ~0u, ~0u, ~0u, 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09,
         0x94fdcceb, 0x5001e420, 0x24126ea1},
    };
    for (int i = 0; i < 3; i++) {
        uint32_t out[4];
        philox4x32_10(cases[i], cases[i] + 4, out);
        for (int k = 0; k < 4; k++) assert_int_equal(out[k], cases[i][6 + k]);
    }
}

static void test_params_are_reproducible_and_per_image(void **state) {
    (void)state;
    AugmentConfig config;
    augment_config_default(&config);
    const int n = 16, h = 32, w = 32, stride = augment_param_stride(&config, h, w);
    size_t bytes = (size_t)n * stride * sizeof(float);
    float *a = params_for(&config, 0, 7, 2, 5, n, h, w), *b = params_for(&config, 0, 7, 2, 5, n, h, w);
    assert_memory_equal(a, b, bytes);
    /* Each key component changes the draw. */
    float *other[4] = {params_for(&config, 1, 7, 2, 5, n, h, w), params_for(&config, 0, 8, 2, 5, n, h, w),
                       params_for(&config, 0, 7, 3, 5, n, h, w), params_for(&config, 0, 7, 2, 6, n, h, w)};
    for (int k = 0; k < 4; k++) {
        assert_memory_not_equal(a, other[k], bytes);
        free(other[k]);
    }
    /* Image i's parameters depend on its index only, not on where the batch starts... */
    float *tail = malloc((size_t)(n - 5) * stride * sizeof(float));
    augment_params_compute(&config, 0, 7, 2, 5, 5, n - 5, h, w, tail);
    assert_memory_equal(a + (size_t)5 * stride, tail, (size_t)(n - 5) * stride * sizeof(float));
    /* ...and no two images share their crop. */
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            assert_memory_not_equal(a + (size_t)i * stride, a + (size_t)j * stride, 4 * sizeof(float));
    free(tail);
    free(a);
    free(b);
}

static void test_params_follow_the_distributions(void **state) {
    (void)state;
    AugmentConfig config;
    augment_config_default(&config);
    const int n = test_small() ? 400 : 4000, h = 24, w = 40;
    const int stride = augment_param_stride(&config, h, w);
    for (int view = 0; view < 2; view++) {
        const AugmentViewConfig *v = &config.view[view];
        float *p = params_for(&config, view, 99, 0, 0, n, h, w);
        double count[5] = {0}; /* flip, jitter, grayscale, blur, solarize */
        for (int i = 0; i < n; i++) {
            const float *q = p + (size_t)i * stride;
            int x = (int)q[AUGMENT_P_CROP_X], y = (int)q[AUGMENT_P_CROP_Y];
            int cw = (int)q[AUGMENT_P_CROP_W], ch = (int)q[AUGMENT_P_CROP_H];
            assert_true(x >= 0 && y >= 0 && cw >= 1 && ch >= 1 && x + cw <= w && y + ch <= h);
            double area = (double)cw * ch / (h * w), aspect = (double)cw / ch;
            /* Rounding the box to whole pixels moves area and aspect a little. */
            assert_true(area > 0.08 * 0.8 && area <= 1.0);
            assert_true(aspect > 0.75 * 0.85 && aspect < 4.0 / 3.0 * 1.15);
            if (q[AUGMENT_P_JITTER] != 0) {
                assert_true(q[AUGMENT_P_BRIGHTNESS] >= 0.6f && q[AUGMENT_P_BRIGHTNESS] <= 1.4f);
                assert_true(q[AUGMENT_P_CONTRAST] >= 0.6f && q[AUGMENT_P_CONTRAST] <= 1.4f);
                assert_true(q[AUGMENT_P_SATURATION] >= 0.8f && q[AUGMENT_P_SATURATION] <= 1.2f);
                assert_true(fabsf(q[AUGMENT_P_HUE]) <= 0.1f);
                int seen = 0;
                for (int k = 0; k < 4; k++) seen |= 1 << (int)q[AUGMENT_P_ORDER + k];
                assert_int_equal(seen, 15); /* a permutation of the four ops */
            }
            if (q[AUGMENT_P_BLUR] != 0) {
                assert_true(q[AUGMENT_P_SIGMA] >= 0.1f && q[AUGMENT_P_SIGMA] <= 2.0f);
                double sum = q[AUGMENT_P_WEIGHTS];
                for (int k = 1; k <= augment_blur_radius(&config, h, w); k++) sum += 2 * q[AUGMENT_P_WEIGHTS + k];
                assert_true(fabs(sum - 1) < 1e-5);
            }
            count[0] += q[AUGMENT_P_FLIP];
            count[1] += q[AUGMENT_P_JITTER];
            count[2] += q[AUGMENT_P_GRAYSCALE];
            count[3] += q[AUGMENT_P_BLUR];
            count[4] += q[AUGMENT_P_SOLARIZE];
        }
        const float want[5] = {v->flip_prob, v->jitter_prob, v->grayscale_prob, v->blur_prob, v->solarize_prob};
        double slack = test_small() ? 0.08 : 0.03;
        for (int k = 0; k < 5; k++)
            if (fabs(count[k] / n - want[k]) > slack)
                fail_msg("view %d, transform %d: frequency %.3f, probability %.2f", view, k, count[k] / n, want[k]);
        free(p);
    }
}

static void test_device_matches_reference_rgb(void **state) {
    (void)state;
    AugmentConfig config = stats_config();
    int size = test_small() ? 12 : 32, n = test_small() ? 2 : 5;
    for (int view = 0; view < 2; view++)
        for (int step = 0; step < (test_small() ? 1 : 3); step++)
            check_against_reference(&config, view, step, n, size, size, 3, "RGB view");
}

static void test_device_matches_reference_gray(void **state) {
    (void)state;
    AugmentConfig config = stats_config();
    int size = test_small() ? 10 : 28, n = test_small() ? 2 : 5;
    for (int view = 0; view < 2; view++)
        check_against_reference(&config, view, 1, n, size, size, 1, "gray view");
}

/* Odd sizes, batch 1, a resize to another shape, every transform switched on. */
static void test_device_matches_reference_odd_sizes_all_transforms(void **state) {
    (void)state;
    AugmentConfig config = stats_config();
    set(&config, "aug-size", "11x9");
    set(&config, "aug-jitter-prob", "1");
    set(&config, "aug-blur-prob", "1");
    set(&config, "aug-solarize-prob", "1");
    set(&config, "aug-grayscale-prob", "0.5");
    for (int c = 1; c <= 3; c += 2)
        for (int step = 0; step < (test_small() ? 2 : 8); step++)
            check_against_reference(&config, step % 2, step, 1, 13, 17, c, "13x17 -> 11x9 batch 1");
    /* No image blurred: the colour pass finishes the views alone. */
    set(&config, "aug-blur-prob", "0");
    check_against_reference(&config, 0, 0, 3, 13, 17, 3, "13x17 -> 11x9 without blur");
}

static void test_full_crop_without_transforms_is_a_pure_resize(void **state) {
    (void)state;
    const int n = 2, h = 13, w = 17, c = 3;
    uint8_t *images = random_images((size_t)n * h * w * c, 5);
    AugmentConfig config = plain_config(h, w);
    float *same = run_device(test_device(), &config, NULL, 0, 1, 0, 0, images, n, h, w, c);
    for (int i = 0; i < n; i++) /* same size: the input itself */
        for (int k = 0; k < c; k++)
            for (int p = 0; p < h * w; p++)
                assert_true(same_pixel(same[((size_t)i * c + k) * h * w + p], images[((size_t)i * h * w + p) * c + k] / 255.0));
    set(&config, "aug-size", "11x9");
    float *resized = run_device(test_device(), &config, NULL, 1, 1, 0, 0, images, n, h, w, c);
    float *want = malloc((size_t)n * c * 11 * 9 * sizeof *want);
    augment_ref_resize(want, images, n, h, w, c, 11, 9);
    test_assert_close(resized, want, (size_t)n * c * 11 * 9, 1e-6, 0, "13x17 -> 11x9 resize");
    free(images);
    free(same);
    free(resized);
    free(want);
}

static void test_flipping_twice_is_the_identity(void **state) {
    (void)state;
    const int h = 7, w = 9, c = 3, plane = h * w;
    uint8_t *images = random_images((size_t)h * w * c, 6);
    AugmentConfig config = plain_config(h, w);
    float params[64];
    assert_true(augment_param_stride(&config, h, w) <= 64);
    augment_params_identity(&config, h, w, params);
    params[AUGMENT_P_FLIP] = 1;
    float *once = run_device(test_device(), &config, params, 0, 0, 0, 0, images, 1, h, w, c);
    uint8_t flipped[7 * 9 * 3];
    for (int k = 0; k < c; k++)
        for (int p = 0; p < plane; p++) {
            int y = p / w, x = p % w;
            assert_true(same_pixel(once[k * plane + p], images[(y * w + (w - 1 - x)) * c + k] / 255.0));
            flipped[p * c + k] = (uint8_t)lrintf(once[k * plane + p] * 255);
        }
    float *twice = run_device(test_device(), &config, params, 0, 0, 0, 0, flipped, 1, h, w, c);
    for (int k = 0; k < c; k++)
        for (int p = 0; p < plane; p++) assert_true(same_pixel(twice[k * plane + p], images[p * c + k] / 255.0));
    free(images);
    free(once);
    free(twice);
}

static void test_solarize_and_grayscale_match_their_formulas(void **state) {
    (void)state;
    const int h = 6, w = 5, c = 3, plane = h * w;
    uint8_t *images = random_images((size_t)h * w * c, 7);
    AugmentConfig config = plain_config(h, w);
    float params[64];
    augment_params_identity(&config, h, w, params);
    params[AUGMENT_P_SOLARIZE] = 1;
    params[AUGMENT_P_SOLARIZE_THRESHOLD] = 0.5f;
    float *solarized = run_device(test_device(), &config, params, 0, 0, 0, 0, images, 1, h, w, c);
    for (int k = 0; k < c; k++)
        for (int p = 0; p < plane; p++) {
            double x = images[p * c + k] / 255.0;
            assert_true(same_pixel(solarized[k * plane + p], x >= 0.5 ? 1.0 - x : x));
        }
    params[AUGMENT_P_SOLARIZE] = 0;
    params[AUGMENT_P_GRAYSCALE] = 1;
    float *gray = run_device(test_device(), &config, params, 0, 0, 0, 0, images, 1, h, w, c);
    for (int p = 0; p < plane; p++) {
        const uint8_t *px = images + p * c;
        double want = (0.2989 * px[0] + 0.5870 * px[1] + 0.1140 * px[2]) / 255.0;
        for (int k = 0; k < c; k++) assert_true(fabs(gray[k * plane + p] - want) < 1e-6);
    }
    free(images);
    free(solarized);
    free(gray);
}

static void test_tiny_sigma_blur_is_the_identity(void **state) {
    (void)state;
    const int n = 2, h = 9, w = 8, c = 3;
    uint8_t *images = random_images((size_t)n * h * w * c, 8);
    AugmentConfig config = plain_config(h, w);
    set(&config, "aug-blur-prob", "1");
    set(&config, "aug-blur-sigma", "0.1,0.1");
    set(&config, "aug-blur-kernel-fraction", "0.5"); /* a wide kernel: radius 2 */
    float *params = params_for(&config, 0, 3, 0, 0, n, h, w);
    assert_true(params[AUGMENT_P_BLUR] == 1);
    float *got = run_device(test_device(), &config, NULL, 0, 3, 0, 0, images, n, h, w, c);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < c; k++)
            for (int p = 0; p < h * w; p++)
                assert_true(fabs(got[((size_t)i * c + k) * h * w + p] -
                                 images[((size_t)i * h * w + p) * c + k] / 255.0) < 1e-6);
    /* ...while sigma 2 really blurs (the test can fail). */
    set(&config, "aug-blur-sigma", "2,2");
    float *blurred = run_device(test_device(), &config, NULL, 0, 3, 0, 0, images, n, h, w, c);
    double change = 0;
    for (int p = 0; p < n * c * h * w; p++) change = fmax(change, fabs(blurred[p] - got[p]));
    assert_true(change > 0.05);
    free(images);
    free(params);
    free(got);
    free(blurred);
}

static void test_zero_strength_jitter_is_the_identity(void **state) {
    (void)state;
    const int n = 2, h = 7, w = 6;
    for (int c = 1; c <= 3; c += 2) {
        uint8_t *images = random_images((size_t)n * h * w * c, 9);
        AugmentConfig config = plain_config(h, w);
        set(&config, "aug-jitter-prob", "1");
        const char *ops[] = {"aug-brightness", "aug-contrast", "aug-saturation", "aug-hue"};
        for (int k = 0; k < 4; k++) set(&config, ops[k], "0");
        float *got = run_device(test_device(), &config, NULL, 0, 4, 0, 0, images, n, h, w, c);
        for (int i = 0; i < n; i++)
            for (int k = 0; k < c; k++)
                for (int p = 0; p < h * w; p++)
                    assert_true(same_pixel(got[((size_t)i * c + k) * h * w + p], images[((size_t)i * h * w + p) * c + k] / 255.0));
        free(images);
        free(got);
    }
}

static void test_identical_images_get_different_views(void **state) {
    (void)state;
    const int n = test_small() ? 3 : 8, h = 12, w = 12, c = 3, each = c * h * w;
    uint8_t *one = random_images((size_t)h * w * c, 10), *images = malloc((size_t)n * h * w * c);
    for (int i = 0; i < n; i++) memcpy(images + (size_t)i * h * w * c, one, (size_t)h * w * c);
    AugmentConfig config;
    augment_config_default(&config);
    for (int view = 0; view < 2; view++) {
        float *got = run_device(test_device(), &config, NULL, view, 11, 0, 0, images, n, h, w, c);
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) {
                double diff = 0;
                for (int k = 0; k < each; k++) diff = fmax(diff, fabs(got[i * each + k] - got[j * each + k]));
                if (diff < 1e-3) fail_msg("view %d: images %d and %d got the same augmentation", view, i, j);
            }
        free(got);
    }
    free(one);
    free(images);
}

/* Same key on a second device (PoCL's basic device next to pthread): the same parameters by
 * construction (host Philox), and outputs equal to each other and to the reference. */
static void test_two_devices_give_the_same_views(void **state) {
    (void)state;
    if (test_small()) skip(); /* oclgrind shows one device; the reference tests cover it */
    Device *first = test_device(), *second;
    const char *other = strstr(device_info(first)->name, "basic") ? "pthread" : "basic";
    if (device_open(other, NULL, &second) != BC_OK) {
        printf("no second device '%s' (%s): skipping\n", other, error_last());
        skip();
    }
    printf("second device: %s\n", device_info(second)->name);
    AugmentConfig config = stats_config();
    set(&config, "aug-size", "24");
    const int n = 4, h = 32, w = 32, c = 3;
    size_t floats = (size_t)out_floats(&config, n, h, w, c);
    uint8_t *images = random_images((size_t)n * h * w * c, 12);
    for (int view = 0; view < 2; view++) {
        float *a = run_device(first, &config, NULL, view, 2024, 5, 77, images, n, h, w, c);
        float *b = run_device(second, &config, NULL, view, 2024, 5, 77, images, n, h, w, c);
        float *params = params_for(&config, view, 2024, 5, 77, n, h, w);
        float *want = run_reference(&config, params, images, n, h, w, c);
        test_assert_close(a, want, floats, TOLERANCE, 0, "first device vs reference");
        test_assert_close(b, want, floats, TOLERANCE, 0, "second device vs reference");
        test_assert_close(a, b, floats, 1e-5, 0, "first vs second device");
        printf("view %d: the two devices are %s\n", view,
               memcmp(a, b, floats * sizeof(float)) == 0 ? "bitwise identical" : "equal within 1e-5");
        free(a);
        free(b);
        free(params);
        free(want);
    }
    free(images);
    pool_release(second);
    device_close(second);
}

static void test_flags_set_every_setting(void **state) {
    (void)state;
    AugmentConfig config;
    augment_config_default(&config);
    assert_true(config.view[0].blur_prob == 1.0f && config.view[1].blur_prob == 0.1f);
    assert_true(config.view[0].solarize_prob == 0.0f && config.view[1].solarize_prob == 0.2f);
    char *argv[] = {"train", "--aug-flip-prob", "0.25", "--epochs=3", "--aug2-blur-prob=0.3",
                    "--aug1-crop-area", "0.2,0.9", "--aug-size", "24x20", "--aug-mean=0.5",
                    "--aug-hue", "0.05", "--batch", "8", NULL};
    int argc = 14;
    AugmentFlags flags;
    TEST_CHECK(augment_flags_take(&flags, &argc, argv));
    TEST_CHECK(augment_flags_apply(&flags, &config));
    assert_int_equal(argc, 4);
    assert_string_equal(argv[1], "--epochs=3");
    assert_string_equal(argv[2], "--batch");
    assert_true(config.view[0].flip_prob == 0.25f && config.view[1].flip_prob == 0.25f);
    assert_true(config.view[0].blur_prob == 1.0f && config.view[1].blur_prob == 0.3f);
    assert_true(config.view[0].crop_area_min == 0.2f && config.view[0].crop_area_max == 0.9f);
    assert_true(config.view[1].crop_area_min == 0.08f);
    assert_true(config.out_h == 24 && config.out_w == 20);
    assert_true(config.mean[0] == 0.5f && config.mean[2] == 0.5f);
    assert_true(config.view[1].hue == 0.05f);

    AugmentConfig before = config;
    assert_int_equal(augment_config_set(&config, "aug-flip-prob", "1.5"), BC_ERR_USAGE);
    assert_non_null(strstr(error_last(), "flip-prob"));
    assert_int_equal(augment_config_set(&config, "aug-crop-area", "0.9,0.2"), BC_ERR_USAGE);
    assert_int_equal(augment_config_set(&config, "aug-blur-sigma", "1"), BC_ERR_USAGE);
    assert_int_equal(augment_config_set(&config, "aug-std", "0"), BC_ERR_USAGE);
    assert_int_equal(augment_config_set(&config, "aug-size", "x"), BC_ERR_USAGE);
    assert_int_equal(augment_config_set(&config, "aug-bogus", "1"), BC_ERR_USAGE);
    assert_int_equal(augment_config_set(&config, "epochs", "1"), BC_ERR_NOT_FOUND);
    assert_memory_equal(&before, &config, sizeof config); /* failures change nothing */
    char *bad[] = {"train", "--aug-nonsense", "1", NULL};
    int bad_argc = 3;
    assert_int_equal(augment_flags_take(&flags, &bad_argc, bad), BC_ERR_USAGE);
}

/* Small images get no blur by default; flags kept for later override whatever the default is. */
static void test_small_image_defaults_and_deferred_flags(void **state) {
    (void)state;
    AugmentConfig paper, large, small;
    augment_config_default(&paper);
    augment_config_default_for(&large, SMALL_IMAGE_MAX_SIDE + 1);
    assert_memory_equal(&paper, &large, sizeof paper);
    augment_config_default_for(&small, SMALL_IMAGE_MAX_SIDE);
    for (int v = 0; v < 2; v++) {
        assert_true(small.view[v].blur_prob == 0.0f && small.view[v].crop_area_min == SMALL_IMAGE_CROP_AREA_MIN);
        small.view[v].blur_prob = paper.view[v].blur_prob, small.view[v].crop_area_min = paper.view[v].crop_area_min;
    }
    assert_memory_equal(&paper, &small, sizeof paper); /* nothing else differs */

    char *argv[] = {"train", "--aug1-blur-prob", "1", "--steps", "2", "--aug-mean=0.4", NULL};
    int argc = 6;
    AugmentFlags flags;
    TEST_CHECK(augment_flags_take(&flags, &argc, argv));
    assert_int_equal(argc, 3);
    assert_int_equal(flags.count, 2);
    assert_true(augment_flags_given(&flags, "blur-prob") && augment_flags_given(&flags, "mean"));
    assert_false(augment_flags_given(&flags, "std") || augment_flags_given(&flags, "blur"));
    augment_config_default_for(&small, 28);
    TEST_CHECK(augment_flags_apply(&flags, &small));
    assert_true(small.view[0].blur_prob == 1.0f && small.view[1].blur_prob == 0.0f);
    assert_true(small.mean[1] == 0.4f);

    char *bad[] = {"train", "--aug2-blur-prob", "2", NULL};
    int bad_argc = 3;
    assert_int_equal(augment_flags_take(&flags, &bad_argc, bad), BC_ERR_USAGE);
    assert_non_null(strstr(error_last(), "aug2-blur-prob"));
}

/* Reads a PNG back with libpng's simplified API. */
static uint8_t *read_png(const char *path, int *width, int *height, int channels) {
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&image, path)) fail_msg("%s: %s", path, image.message);
    image.format = channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
    uint8_t *pixels = malloc(PNG_IMAGE_SIZE(image));
    if (!png_image_finish_read(&image, NULL, pixels, 0, NULL)) fail_msg("%s: %s", path, image.message);
    *width = (int)image.width;
    *height = (int)image.height;
    return pixels;
}

static void output_path(char *path, size_t cap, const char *name) {
    const char *dir = getenv("BYOLCL_BINARY_DIR");
    snprintf(path, cap, "%s/%s", dir && dir[0] ? dir : ".", name);
}

static void test_png_write_round_trips(void **state) {
    (void)state;
    char path[1024];
    output_path(path, sizeof path, "test_png_write.png");
    for (int c = 1; c <= 3; c += 2) {
        const int w = 5, h = 3;
        uint8_t *pixels = random_images((size_t)w * h * c, 13);
        TEST_CHECK(png_write(path, pixels, w, h, c));
        int rw, rh;
        uint8_t *back = read_png(path, &rw, &rh, c);
        assert_int_equal(rw, w);
        assert_int_equal(rh, h);
        assert_memory_equal(back, pixels, (size_t)w * h * c);
        free(pixels);
        free(back);
    }
    assert_int_equal(png_write(path, NULL, 0, 3, 3), BC_ERR_USAGE);
    remove(path);
}

/* Synthetic pictures with structure a person can judge: a coloured disc on a gradient. */
static uint8_t *synthetic_images(int n, int h, int w, int c) {
    uint8_t *img = malloc((size_t)n * h * w * c);
    for (int i = 0; i < n; i++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double cx = w * (0.3 + 0.1 * i), cy = h * 0.45, r = h * 0.25;
                bool disc = (x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r;
                double rgb[3] = {disc ? 0.9 : 0.2 + 0.6 * x / w, disc ? 0.3 + 0.15 * i : 0.25,
                                 disc ? 0.1 : 0.3 + 0.5 * y / h};
                if (x < w / 6) rgb[0] = rgb[1] = rgb[2] = 0.95; /* a bar: shows the flips */
                for (int k = 0; k < c; k++)
                    img[(((size_t)i * h + y) * w + x) * c + k] =
                        (uint8_t)(255 * (c == 1 ? 0.3 * rgb[0] + 0.6 * rgb[1] + 0.1 * rgb[2] : rgb[k]));
            }
    return img;
}

static void test_preview_writes_a_grid(void **state) {
    (void)state;
    const int n = test_small() ? 1 : 4, size = test_small() ? 8 : 48, views = test_small() ? 2 : 6;
    /* Under oclgrind one preview only: it creates and releases its buffers, which oclgrind
     * 21.10 mis-tracks when buffers are created again afterwards (see pool_get). */
    for (int c = test_small() ? 3 : 1; c <= 3; c += 2) {
        char path[1024];
        output_path(path, sizeof path, c == 3 ? "augment_preview_rgb.png" : "augment_preview_gray.png");
        uint8_t *images = synthetic_images(n, size, size, c);
        AugmentConfig config = stats_config(); /* the preview shows pixels, not normalized values */
        TEST_CHECK(augment_preview(test_device(), &config, images, n, size, size, c, views, 1, path));
        int w, h;
        uint8_t *back = read_png(path, &w, &h, c);
        assert_int_equal(w, 2 + (1 + views) * (size + 2));
        assert_int_equal(h, 2 + n * (size + 2));
        /* The first cell of each row is the original. */
        for (int i = 0; i < n; i++)
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                    for (int k = 0; k < c; k++)
                        assert_int_equal(back[((size_t)(2 + i * (size + 2) + y) * w + 2 + x) * c + k],
                                         images[(((size_t)i * size + y) * size + x) * c + k]);
        free(images);
        free(back);
    }
}

static void test_bad_shapes_are_errors(void **state) {
    (void)state;
    if (test_small()) skip(); /* deliberate misuse */
    Device *dev = test_device();
    AugmentConfig config;
    augment_config_default(&config);
    Buffer *in, *out;
    TEST_CHECK(buffer_create(dev, 4 * 4 * 2, &in));
    TEST_CHECK(buffer_create(dev, 4 * 4 * 3 * sizeof(float), &out));
    assert_int_equal(augment_batch(dev, &config, 0, 1, 0, 0, view_of(out), in, 1, 4, 4, 2), BC_ERR_USAGE);
    assert_int_equal(augment_batch(dev, &config, 0, 1, 0, 0, view_of(out), in, 1, 4, 4, 3), BC_ERR_USAGE);
    assert_non_null(strstr(error_last(), "image buffer"));
    assert_int_equal(augment_batch(dev, &config, 2, 1, 0, 0, view_of(out), in, 1, 4, 4, 1), BC_ERR_USAGE);
    buffer_release(in);
    buffer_release(out);
}

static int teardown(void **state) {
    if (pools[0].device) pool_release(pools[0].device);
    return test_teardown_device(state);
}

int main(void) {
    /* A second PoCL device for the reproducibility test; PoCL reads this at platform init,
     * before this process makes its first OpenCL call. */
    if (!test_small()) setenv("POCL_DEVICES", "pthread basic", 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_philox_matches_known_answers),
        cmocka_unit_test(test_params_are_reproducible_and_per_image),
        cmocka_unit_test(test_params_follow_the_distributions),
        cmocka_unit_test(test_device_matches_reference_rgb),
        cmocka_unit_test(test_device_matches_reference_gray),
        cmocka_unit_test(test_device_matches_reference_odd_sizes_all_transforms),
        cmocka_unit_test(test_full_crop_without_transforms_is_a_pure_resize),
        cmocka_unit_test(test_flipping_twice_is_the_identity),
        cmocka_unit_test(test_solarize_and_grayscale_match_their_formulas),
        cmocka_unit_test(test_tiny_sigma_blur_is_the_identity),
        cmocka_unit_test(test_zero_strength_jitter_is_the_identity),
        cmocka_unit_test(test_identical_images_get_different_views),
        cmocka_unit_test(test_two_devices_give_the_same_views),
        cmocka_unit_test(test_flags_set_every_setting),
        cmocka_unit_test(test_small_image_defaults_and_deferred_flags),
        cmocka_unit_test(test_png_write_round_trips),
        cmocka_unit_test(test_preview_writes_a_grid),
        cmocka_unit_test(test_bad_shapes_are_errors),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
