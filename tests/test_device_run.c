/* test_device_run.c — on the real OpenCL device: open it, build a program, launch kernels
 * with buffer, view, int and float arguments, and read the results back.
 * BYOLCL_OCLGRIND_TEST */
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static void test_device_reports_itself(void **state) {
    (void)state;
    const DeviceInfo *info = device_info(test_device());
    assert_true(strlen(info->name) > 0);
    assert_true(info->compute_units > 0);
    assert_true(info->max_alloc_bytes > 0);
    assert_true(info->c_major >= 1);
}

static void test_fill_scale_axpy_match_host(void **state) {
    (void)state;
    Device *dev = test_device();
    /* Odd sizes: not multiples of any work-group size; the view starts mid-buffer. */
    const int sizes[] = {1, 3, 97, 1000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int n = sizes[s], offset = 5;
        float *x = test_alloc_uniform((size_t)n, 1 + s, -1, 1);
        float *y = test_alloc_uniform((size_t)n + offset, 100 + s, -1, 1);
        Buffer *bx = test_upload(x, (size_t)n), *by = test_upload(y, (size_t)n + offset);
        Kernel *axpy, *scale;
        TEST_CHECK(kernel_get(dev, "basic", "axpy_float", &axpy));
        TEST_CHECK(kernel_get(dev, "basic", "scale_float", &scale));
        TEST_CHECK(KERNEL_LAUNCH_1D(dev, axpy, (size_t)n, ARG_VIEW_OF(by, offset), ARG_VIEW_OF(bx, 0),
                                    ARG_I(n), ARG_F(0.5f)));
        TEST_CHECK(KERNEL_LAUNCH_1D(dev, scale, (size_t)n, ARG_VIEW_OF(by, offset), ARG_I(n), ARG_F(-2.0f)));
        float *got = test_download(by, (size_t)n + offset);
        for (int i = 0; i < n; i++) y[offset + i] = -2.0f * (y[offset + i] + 0.5f * x[i]);
        test_assert_close(got, y, (size_t)n + offset, 1e-6, 1e-6, "axpy then scale");
        free(got);
        free(x);
        free(y);
        buffer_release(bx);
        buffer_release(by);
    }
}

static void test_fill_and_copy(void **state) {
    (void)state;
    Device *dev = test_device();
    const int n = 33;
    Buffer *a = test_alloc_device(n), *b = test_alloc_device(n);
    Kernel *fill;
    TEST_CHECK(kernel_get(dev, "basic", "fill_float", &fill));
    TEST_CHECK(KERNEL_LAUNCH_1D(dev, fill, n, ARG_VIEW_OF(a, 0), ARG_I(n), ARG_F(3.25f)));
    TEST_CHECK(buffer_copy(dev, a, 4, b, 8, (n - 2) * sizeof(float)));
    float *got = test_download(b, n);
    for (int i = 0; i < n; i++) assert_true(got[i] == (i >= 2 ? 3.25f : 0.0f));
    free(got);
    buffer_release(a);
    buffer_release(b);
}

static void test_bad_ranges_and_names_are_errors(void **state) {
    (void)state;
    if (test_small()) skip(); /* deliberate API misuse: oclgrind --check-api would flag it */
    Device *dev = test_device();
    Buffer *a = test_alloc_device(4);
    float x[8] = {0};
    assert_int_equal(buffer_write(dev, a, 8, sizeof x, x), BC_ERR_USAGE);
    assert_non_null(strstr(error_last(), "overruns"));
    Kernel *k;
    assert_int_equal(kernel_get(dev, "basic", "no_such_kernel", &k), BC_ERR_NOT_FOUND);
    assert_non_null(strstr(error_last(), "no_such_kernel"));
    assert_int_equal(kernel_get(dev, "no_such_program", "x", &k), BC_ERR_NOT_FOUND);
    buffer_release(a);
}

/* A profile value the kernels cannot take, or a key that does not exist, is refused with the
 * key named, whether set through the API (an error) or through BYOLCL_PROFILE (a warning;
 * the default stands). */
static void test_bad_profile_values_are_refused(void **state) {
    (void)state;
    if (test_small()) skip(); /* host-side checks only: nothing for oclgrind to see */
    Device *dev = test_device();
    static const struct {
        const char *key;
        int value;
    } bad[] = {{"GEMM_TILE_M", 0}, {"GEMM_TILE_N", 5}, {"GEMM_TILE_N", 1}, {"WGRAD_CO", 4},
               {"WG_1D", 0}, {"GEMM_PATH", 2}, {"BN_PLANE_ITEMS", -1}, {"CONV_LANES", 12}, {"CONV_LANES", 4}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int before = device_profile_get(dev, bad[i].key);
        assert_int_equal(device_profile_set(dev, bad[i].key, bad[i].value), BC_ERR_USAGE);
        assert_non_null(strstr(error_last(), bad[i].key));
        assert_int_equal(device_profile_get(dev, bad[i].key), before);
    }
    TEST_CHECK(device_profile_set(dev, "GEMM_TILE_N", device_profile_get(dev, "GEMM_TILE_N")));
    /* Only the keys profile_keys.def declares exist. */
    assert_int_equal(device_profile_set(dev, "NO_SUCH_KEY", 1), BC_ERR_USAGE);
    assert_non_null(strstr(error_last(), "NO_SUCH_KEY"));
    /* This device kind's defaults, which the refused values below must leave in place. */
    int tile_m = device_profile_get(dev, "GEMM_TILE_M"), tile_n = device_profile_get(dev, "GEMM_TILE_N");

    test_device_release();
    setenv("BYOLCL_PROFILE", "GEMM_TILE_M=0,NO_SUCH_KEY=3,WG_1D=32,GEMM_TILE_N=7", 1);
    dev = test_device();
    unsetenv("BYOLCL_PROFILE");
    assert_int_equal(device_profile_get(dev, "GEMM_TILE_M"), tile_m);
    assert_int_equal(device_profile_get(dev, "GEMM_TILE_N"), tile_n);
    assert_int_equal(device_profile_get(dev, "WG_1D"), 32);
    test_device_release();
}

static void test_profiling_collects_timings(void **state) {
    (void)state;
    Device *dev;
    DeviceOptions options = {.profiling = true};
    TEST_CHECK(device_open(getenv("BYOLCL_TEST_DEVICE"), &options, &dev));
    Buffer *a;
    TEST_CHECK(buffer_create(dev, 64 * sizeof(float), &a));
    Kernel *fill;
    TEST_CHECK(kernel_get(dev, "basic", "fill_float", &fill));
    for (int i = 0; i < 3; i++)
        TEST_CHECK(KERNEL_LAUNCH_1D(dev, fill, 64, ARG_VIEW_OF(a, 0), ARG_I(64), ARG_F(1.0f)));
    KernelTiming *rows;
    int count;
    TEST_CHECK(device_collect_timings(dev, &rows, &count));
    assert_int_equal(count, 1);
    assert_string_equal(rows[0].kernel_name, "fill_float");
    assert_int_equal(rows[0].launches, 3);
    assert_true(rows[0].total_ms >= 0.0 && rows[0].min_ms <= rows[0].total_ms);
    free(rows);
    buffer_release(a);
    device_close(dev);
}

static void test_scratch_grows_and_is_reused(void **state) {
    (void)state;
    Device *dev = test_device();
    Buffer *a, *b, *c, *other;
    TEST_CHECK(device_scratch(dev, 0, 100, &a));
    TEST_CHECK(device_scratch(dev, 0, 50, &b));
    assert_ptr_equal(a, b); /* big enough: reused */
    TEST_CHECK(device_scratch(dev, 0, 1000, &c));
    assert_true(buffer_bytes(c) >= 1000);
    TEST_CHECK(device_scratch(dev, 1, 10, &other));
    assert_ptr_not_equal(other, c);
    assert_int_equal(device_scratch(dev, DEVICE_SCRATCH_SLOTS, 10, &other), BC_ERR_USAGE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_device_reports_itself),
        cmocka_unit_test(test_fill_scale_axpy_match_host),
        cmocka_unit_test(test_fill_and_copy),
        cmocka_unit_test(test_bad_ranges_and_names_are_errors),
        cmocka_unit_test(test_bad_profile_values_are_refused),
        cmocka_unit_test(test_profiling_collects_timings),
        cmocka_unit_test(test_scratch_grows_and_is_reused),
    };
    return cmocka_run_group_tests(tests, NULL, test_teardown_device);
}
