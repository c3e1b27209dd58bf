/* test_linear.c — linear forward and backward (with and without bias, with and without an
 * input gradient) on the device against the double reference, through both GEMM paths, on
 * odd sizes and views at offsets; finite-difference checks of the reference's backward.
 * BYOLCL_OCLGRIND_TEST */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/ops.h"
#include "ref/linear_ref.h"
#include "ref/gradcheck.h"
#include "test_util.h"

typedef struct {
    int batch, in_f, out_f;
} Sizes;

static const Sizes full_sizes[] = {{1, 1, 1}, {3, 7, 10}, {5, 33, 17}, {3, 130, 9}, {64, 20, 48}};
static const Sizes small_sizes[] = {{1, 1, 1}, {3, 7, 10}, {5, 18, 17}};

static Buffer *upload_at(const float *x, size_t n, size_t offset) {
    float *padded = test_alloc_uniform(n + offset, 98, -1, 1);
    memcpy(padded + offset, x, n * sizeof *x);
    Buffer *b = test_upload(padded, n + offset);
    free(padded);
    return b;
}

static void expect(const Buffer *b, size_t offset, const double *want_d, size_t n, double atol,
                   const char *what) {
    float *all = test_download(b, n + offset), *want = ref_floats_from_doubles(want_d, n);
    test_assert_close(all + offset, want, n, atol, 1e-4, what);
    free(all), free(want);
}

static void check_case(Sizes z, bool with_bias, bool with_d_in, uint64_t seed) {
    Device *dev = test_device();
    size_t n_in = (size_t)z.batch * z.in_f, n_out = (size_t)z.batch * z.out_f;
    size_t n_w = (size_t)z.out_f * z.in_f;
    const size_t off = 3;
    float *in = test_alloc_uniform(n_in, seed, -1, 1), *w = test_alloc_uniform(n_w, seed + 1, -1, 1);
    float *bias = test_alloc_uniform((size_t)z.out_f, seed + 2, -1, 1);
    float *g = test_alloc_uniform(n_out, seed + 3, -1, 1);
    float *dw0 = test_alloc_uniform(n_w, seed + 4, -1, 1);
    float *db0 = test_alloc_uniform((size_t)z.out_f, seed + 5, -1, 1);
    Buffer *b_in = upload_at(in, n_in, off), *b_w = upload_at(w, n_w, off);
    Buffer *b_bias = upload_at(bias, (size_t)z.out_f, off), *b_g = upload_at(g, n_out, off);
    Buffer *b_out = upload_at(g, n_out, off), *b_din = upload_at(in, n_in, off);
    Buffer *b_dw = upload_at(dw0, n_w, off), *b_db = upload_at(db0, (size_t)z.out_f, off);
    View bias_v = with_bias ? (View){b_bias, off} : VIEW_NONE;
    View db_v = with_bias ? (View){b_db, off} : VIEW_NONE;
    View din_v = with_d_in ? (View){b_din, off} : VIEW_NONE;

    TEST_CHECK(linear_forward(dev, (View){b_out, off}, (View){b_in, off}, (View){b_w, off}, bias_v,
                              z.batch, z.in_f, z.out_f));
    TEST_CHECK(linear_backward(dev, din_v, (View){b_dw, off}, db_v, (View){b_g, off},
                               (View){b_in, off}, (View){b_w, off}, z.batch, z.in_f, z.out_f));

    double *r_in = ref_doubles_from_floats(in, n_in), *r_w = ref_doubles_from_floats(w, n_w);
    double *r_bias = ref_doubles_from_floats(bias, (size_t)z.out_f), *r_g = ref_doubles_from_floats(g, n_out);
    double *r_out = malloc(n_out * sizeof *r_out), *r_din = ref_doubles_from_floats(in, n_in);
    double *r_dw = ref_doubles_from_floats(dw0, n_w), *r_db = ref_doubles_from_floats(db0, (size_t)z.out_f);
    linear_forward_ref(r_out, r_in, r_w, with_bias ? r_bias : NULL, z.batch, z.in_f, z.out_f);
    linear_backward_ref(with_d_in ? r_din : NULL, r_dw, with_bias ? r_db : NULL, r_g, r_in, r_w,
                        z.batch, z.in_f, z.out_f);
    char what[160];
    int len = snprintf(what, sizeof what, "batch=%d in=%d out=%d bias=%d d_in=%d path=%d: ",
                       z.batch, z.in_f, z.out_f, with_bias, with_d_in,
                       device_profile_get(dev, "GEMM_PATH"));
    snprintf(what + len, sizeof what - len, "out");
    expect(b_out, off, r_out, n_out, 1e-5 * (z.in_f + 2), what);
    snprintf(what + len, sizeof what - len, "d_in (untouched when not wanted)");
    expect(b_din, off, r_din, n_in, 1e-5 * (z.out_f + 2), what);
    snprintf(what + len, sizeof what - len, "d_weight");
    expect(b_dw, off, r_dw, n_w, 1e-5 * (z.batch + 2), what);
    snprintf(what + len, sizeof what - len, "d_bias (untouched when not wanted)");
    expect(b_db, off, r_db, (size_t)z.out_f, 1e-5 * (z.batch + 2), what);

    free(in), free(w), free(bias), free(g), free(dw0), free(db0);
    free(r_in), free(r_w), free(r_bias), free(r_g), free(r_out), free(r_din), free(r_dw), free(r_db);
    buffer_release(b_in), buffer_release(b_w), buffer_release(b_bias), buffer_release(b_g);
    buffer_release(b_out), buffer_release(b_din), buffer_release(b_dw), buffer_release(b_db);
}

static void test_linear_matches_reference(void **state) {
    (void)state;
    Device *dev = test_device();
    const Sizes *sizes = test_small() ? small_sizes : full_sizes;
    size_t count = test_small() ? sizeof small_sizes / sizeof *small_sizes
                                : sizeof full_sizes / sizeof *full_sizes;
    int path = device_profile_get(dev, "GEMM_PATH");
    for (int p = 0; p < 2; p++) {
        TEST_CHECK(device_profile_set(dev, "GEMM_PATH", p ? GEMM_PATH_CLBLAST : GEMM_PATH_OURS));
        for (size_t i = 0; i < count; i++)
            for (int variant = 0; variant < 4; variant++)
                check_case(sizes[i], variant & 1, variant & 2, 1000 * p + 10 * i + variant);
    }
    TEST_CHECK(device_profile_set(dev, "GEMM_PATH", path));
}

/* sum(linear(in) * g) */
static double loss_ref(const double *in, const double *w, const double *bias, const double *g,
                       Sizes z) {
    size_t n_out = (size_t)z.batch * z.out_f;
    double *out = malloc(n_out * sizeof *out), total = 0.0;
    linear_forward_ref(out, in, w, bias, z.batch, z.in_f, z.out_f);
    for (size_t i = 0; i < n_out; i++) total += out[i] * g[i];
    free(out);
    return total;
}

/* Perturbs each of x[0..n) and compares the central difference of the loss with grad. */
static void check_fd(double *x, const double *grad, size_t n, const double *in, const double *w,
                     const double *bias, const double *g, Sizes z, const char *what) {
    const double eps = 1e-4;
    for (size_t i = 0; i < n; i++) {
        double keep = x[i];
        x[i] = keep + eps;
        double up = loss_ref(in, w, bias, g, z);
        x[i] = keep - eps;
        double down = loss_ref(in, w, bias, g, z);
        x[i] = keep;
        double fd = (up - down) / (2 * eps);
        if (fabs(fd - grad[i]) > 1e-6 * (1 + fabs(fd)))
            fail_msg("%s[%zu]: backward %.10g, finite difference %.10g", what, i, grad[i], fd);
    }
}

static void test_reference_gradients_match_finite_differences(void **state) {
    (void)state;
    Sizes z = {3, 5, 4};
    size_t n_in = 15, n_w = 20, n_out = 12;
    float *f = test_alloc_uniform(n_in + n_w + 4 + n_out, 11, -1, 1);
    double *all = ref_doubles_from_floats(f, n_in + n_w + 4 + n_out);
    double *in = all, *w = all + n_in, *bias = w + n_w, *g = bias + 4;
    double *d_in = calloc(n_in, sizeof *d_in), *d_w = calloc(n_w, sizeof *d_w);
    double *d_b = calloc(4, sizeof *d_b);
    linear_backward_ref(d_in, d_w, d_b, g, in, w, z.batch, z.in_f, z.out_f);
    check_fd(in, d_in, n_in, in, w, bias, g, z, "d_in");
    check_fd(w, d_w, n_w, in, w, bias, g, z, "d_weight");
    check_fd(bias, d_b, 4, in, w, bias, g, z, "d_bias");
    free(f), free(all), free(d_in), free(d_w), free(d_b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_matches_reference),
        cmocka_unit_test(test_reference_gradients_match_finite_differences),
    };
    return cmocka_run_group_tests(tests, NULL, test_teardown_device);
}
