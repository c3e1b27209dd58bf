/* test_elementwise.c — ReLU and residual add on the device against tests/ref/elementwise_ref.c
 * (odd sizes, views at offsets, ReLU in place, residual backward accumulating), and the
 * reference's gradients against finite differences.
 * BYOLCL_OCLGRIND_TEST */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref/elementwise_ref.h"
#include "ref/gradcheck.h"
#include "test_util.h"

#include "byolcl/ops.h"

static const size_t full_sizes[] = {1, 3, 257, 1000, 3 * 7 * 49};
static const size_t small_sizes[] = {1, 3, 257};

static size_t size_count(void) {
    return test_small() ? sizeof small_sizes / sizeof small_sizes[0]
                        : sizeof full_sizes / sizeof full_sizes[0];
}
static size_t size_at(size_t i) { return test_small() ? small_sizes[i] : full_sizes[i]; }

static void expect_matches(Buffer *b, size_t n, size_t offset, const double *want, const char *what) {
    float *got = test_download_at(b, n, offset, what);
    float *wantf = ref_floats_from_doubles(want, n);
    test_assert_close(got, wantf, n, 1e-7, 1e-6, what);
    free(got);
    free(wantf);
}

static void test_relu_matches_reference(void **state) {
    (void)state;
    Device *dev = test_device();
    for (size_t k = 0; k < size_count(); k++) {
        size_t n = size_at(k);
        float *in = test_alloc_uniform(n, 10 + k, -1, 1), *d_out = test_alloc_uniform(n, 20 + k, -1, 1);
        Buffer *b_in = test_upload_at(in, n, 3), *b_out = test_upload_at(in, n, 5);
        Buffer *b_d_out = test_upload_at(d_out, n, 2), *b_d_in = test_upload_at(d_out, n, 7);
        TEST_CHECK(relu_forward(dev, view_at(view_of(b_out), 5), view_at(view_of(b_in), 3), n));
        TEST_CHECK(relu_backward(dev, view_at(view_of(b_d_in), 7), view_at(view_of(b_d_out), 2),
                                 view_at(view_of(b_out), 5), n));
        /* In place: the forward overwrites its input, the backward its incoming gradient. */
        TEST_CHECK(relu_forward(dev, view_at(view_of(b_in), 3), view_at(view_of(b_in), 3), n));
        TEST_CHECK(relu_backward(dev, view_at(view_of(b_d_out), 2), view_at(view_of(b_d_out), 2),
                                 view_at(view_of(b_in), 3), n));

        double *din = ref_doubles_from_floats(in, n), *dd_out = ref_doubles_from_floats(d_out, n);
        double *out = malloc(n * sizeof *out), *d_in = malloc(n * sizeof *d_in);
        assert_true(din && dd_out && out && d_in);
        relu_ref_forward(out, din, n);
        relu_ref_backward(d_in, dd_out, out, n);
        expect_matches(b_out, n, 5, out, "relu forward");
        expect_matches(b_d_in, n, 7, d_in, "relu backward");
        expect_matches(b_in, n, 3, out, "relu forward in place");
        expect_matches(b_d_out, n, 2, d_in, "relu backward in place");
        free(in); free(d_out); free(din); free(dd_out); free(out); free(d_in);
        buffer_release(b_in); buffer_release(b_out); buffer_release(b_d_out); buffer_release(b_d_in);
    }
}

static void test_relu_passes_nan_through(void **state) {
    (void)state;
    float x[3] = {NAN, -1.0f, 2.0f};
    Buffer *b = test_upload(x, 3);
    TEST_CHECK(relu_forward(test_device(), view_of(b), view_of(b), 3));
    float *got = test_download(b, 3);
    assert_true(isnan(got[0]));
    assert_true(got[1] == 0.0f && got[2] == 2.0f);
    free(got);
    buffer_release(b);
}

static void test_residual_add_matches_reference(void **state) {
    (void)state;
    Device *dev = test_device();
    for (size_t k = 0; k < size_count(); k++) {
        size_t n = size_at(k);
        float *a = test_alloc_uniform(n, 30 + k, -1, 1), *b = test_alloc_uniform(n, 40 + k, -1, 1);
        float *d_x = test_alloc_uniform(n, 50 + k, -1, 1); /* what the block's own path gave */
        Buffer *b_a = test_upload_at(a, n, 1), *b_b = test_upload_at(b, n, 4), *b_out = test_upload_at(a, n, 6);
        Buffer *b_d_x = test_upload_at(d_x, n, 3);
        TEST_CHECK(residual_add_forward(dev, view_at(view_of(b_out), 6), view_at(view_of(b_a), 1),
                                        view_at(view_of(b_b), 4), n));
        TEST_CHECK(residual_add_backward(dev, view_at(view_of(b_d_x), 3), view_at(view_of(b_b), 4), n));
        double *da = ref_doubles_from_floats(a, n), *db = ref_doubles_from_floats(b, n);
        double *dd_x = ref_doubles_from_floats(d_x, n), *out = malloc(n * sizeof *out);
        assert_true(da && db && dd_x && out);
        residual_add_ref_forward(out, da, db, n);
        residual_add_ref_backward(dd_x, db, n);
        expect_matches(b_out, n, 6, out, "residual add forward");
        expect_matches(b_d_x, n, 3, dd_x, "residual add backward accumulates");
        free(a); free(b); free(d_x); free(da); free(db); free(dd_x); free(out);
        buffer_release(b_a); buffer_release(b_b); buffer_release(b_out); buffer_release(b_d_x);
    }
}

/* The fused join: relu(a + b) in place over a, and d_x += d_out masked by that output,
 * against the reference's residual add followed by ReLU (NaN passes through as well). */
static void test_residual_add_relu_matches_reference(void **state) {
    (void)state;
    Device *dev = test_device();
    for (size_t k = 0; k < size_count(); k++) {
        size_t n = size_at(k);
        float *a = test_alloc_uniform(n, 60 + k, -1, 1), *b = test_alloc_uniform(n, 70 + k, -1, 1);
        float *d_x = test_alloc_uniform(n, 80 + k, -1, 1), *d_out = test_alloc_uniform(n, 90 + k, -1, 1);
        a[0] = NAN;
        Buffer *b_a = test_upload_at(a, n, 2), *b_b = test_upload_at(b, n, 5);
        Buffer *b_d_x = test_upload_at(d_x, n, 1), *b_d_out = test_upload_at(d_out, n, 3);
        TEST_CHECK(residual_add_relu_forward(dev, view_at(view_of(b_a), 2), view_at(view_of(b_a), 2),
                                             view_at(view_of(b_b), 5), n));
        TEST_CHECK(residual_add_relu_backward(dev, view_at(view_of(b_d_x), 1), view_at(view_of(b_d_out), 3),
                                              view_at(view_of(b_a), 2), n));
        double *da = ref_doubles_from_floats(a, n), *db = ref_doubles_from_floats(b, n);
        double *dd_x = ref_doubles_from_floats(d_x, n), *dd_out = ref_doubles_from_floats(d_out, n);
        double *out = malloc(n * sizeof *out), *masked = malloc(n * sizeof *masked);
        assert_true(da && db && dd_x && dd_out && out && masked);
        residual_add_ref_forward(out, da, db, n);
        relu_ref_forward(out, out, n);
        relu_ref_backward(masked, dd_out, out, n);
        residual_add_ref_backward(dd_x, masked, n);
        float *got = test_download_at(b_a, n, 2, "residual add relu forward");
        float *want = ref_floats_from_doubles(out, n);
        assert_true(isnan(got[0]));
        got[0] = want[0] = 0.0f; /* the NaN passed; the rest compares by value */
        test_assert_close(got, want, n, 1e-7, 1e-6, "residual add relu forward");
        expect_matches(b_d_x, n, 1, dd_x, "residual add relu backward accumulates the masked gradient");
        free(got); free(want);
        free(a); free(b); free(d_x); free(d_out); free(da); free(db); free(dd_x); free(dd_out);
        free(out); free(masked);
        buffer_release(b_a); buffer_release(b_b); buffer_release(b_d_x); buffer_release(b_d_out);
    }
}

/* L = sum w * f(x) for f = relu or residual add (with a fixed second operand). */
typedef struct {
    size_t n;
    double *x, *other, *w, *out;
    bool relu;
} ElementLoss;

static double element_loss(void *ctx) {
    ElementLoss *l = ctx;
    if (l->relu) relu_ref_forward(l->out, l->x, l->n);
    else residual_add_ref_forward(l->out, l->x, l->other, l->n);
    return ref_weighted_sum(l->w, l->out, l->n);
}

static void test_reference_gradients_match_finite_differences(void **state) {
    (void)state;
    enum { N = 40 };
    double x[N], other[N], w[N], out[N], grad[N];
    float f[N];
    test_fill_uniform(f, N, 61, 0.1f, 1.0f); /* ReLU checked away from its kink at 0 */
    for (int i = 0; i < N; i++) x[i] = i % 2 ? f[i] : -f[i];
    test_fill_uniform(f, N, 62, -1, 1);
    for (int i = 0; i < N; i++) other[i] = f[i];
    test_fill_uniform(f, N, 63, -1, 1);
    for (int i = 0; i < N; i++) w[i] = f[i];
    for (int relu = 0; relu < 2; relu++) {
        ElementLoss l = {N, x, other, w, out, relu};
        element_loss(&l);
        if (relu) relu_ref_backward(grad, w, out, N);
        else {
            memset(grad, 0, sizeof grad);
            residual_add_ref_backward(grad, w, N);
        }
        size_t worst;
        double e = gradcheck_max_error(element_loss, &l, x, N, grad, 1e-5, &worst);
        if (e > 1e-8) fail_msg("%s gradient: error %g at %zu", relu ? "relu" : "residual add", e, worst);
    }
}

static void test_too_many_elements_is_a_usage_error(void **state) {
    (void)state;
    assert_int_equal(relu_forward(test_device(), VIEW_NONE, VIEW_NONE, (size_t)1 << 40), BC_ERR_USAGE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relu_matches_reference),
        cmocka_unit_test(test_relu_passes_nan_through),
        cmocka_unit_test(test_residual_add_matches_reference),
        cmocka_unit_test(test_residual_add_relu_matches_reference),
        cmocka_unit_test(test_reference_gradients_match_finite_differences),
        cmocka_unit_test(test_too_many_elements_is_a_usage_error),
    };
    return cmocka_run_group_tests(tests, NULL, test_teardown_device);
}
