/* test_loss.c — L2 normalization, the BYOL loss and softmax cross-entropy on the device
 * against tests/ref/loss_ref.c (odd sizes, views at offsets, int labels), their properties
 * (identical vectors give 0, opposite ones 4, scale invariance, extreme logits stay finite),
 * and the reference's gradients against finite differences.
 * BYOLCL_OCLGRIND_TEST */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref/gradcheck.h"
#include "ref/loss_ref.h"
#include "test_util.h"

#include "byolcl/ops.h"

typedef struct {
    int batch, dim;
} Rows;

static const Rows full_rows[] = {{1, 1}, {3, 257}, {1, 3}, {64, 256}, {7, 10}, {256, 33}};
static const Rows small_rows[] = {{1, 1}, {3, 257}, {2, 3}, {7, 10}};

static size_t row_count(void) {
    return test_small() ? sizeof small_rows / sizeof small_rows[0]
                        : sizeof full_rows / sizeof full_rows[0];
}
static Rows rows_at(size_t i) { return test_small() ? small_rows[i] : full_rows[i]; }

static float read_one(Buffer *b, size_t offset, const char *what) {
    float *got = test_download_at(b, 1, offset, what);
    float v = got[0];
    free(got);
    return v;
}

static void expect_matches(Buffer *b, size_t n, size_t offset, const double *want, double atol,
                           double rtol, const char *what) {
    float *got = test_download_at(b, n, offset, what);
    float *wantf = ref_floats_from_doubles(want, n);
    test_assert_close(got, wantf, n, atol, rtol, what);
    free(got);
    free(wantf);
}

static void test_l2_normalize_matches_reference(void **state) {
    (void)state;
    for (size_t k = 0; k < row_count(); k++) {
        Rows r = rows_at(k);
        size_t n = (size_t)r.batch * r.dim;
        float *in = test_alloc_uniform(n, 10 + k, -2, 2);
        for (int j = 0; j < r.dim; j++) in[j] = 0.0f; /* a zero row stays zero (norm clamped) */
        Buffer *b_in = test_upload_at(in, n, 3), *b_out = test_upload_at(in, n, 2);
        TEST_CHECK(l2_normalize_forward(test_device(), view_at(view_of(b_out), 2),
                                        view_at(view_of(b_in), 3), r.batch, r.dim));
        double *din = ref_doubles_from_floats(in, n), *out = malloc(n * sizeof *out);
        assert_true(din && out);
        l2_normalize_ref_forward(out, din, r.batch, r.dim);
        expect_matches(b_out, n, 2, out, 1e-6, 1e-5, "l2 normalize");
        free(in); free(din); free(out);
        buffer_release(b_in); buffer_release(b_out);
    }
}

static void test_byol_loss_matches_reference(void **state) {
    (void)state;
    Device *dev = test_device();
    for (size_t k = 0; k < row_count(); k++) {
        Rows r = rows_at(k);
        size_t n = (size_t)r.batch * r.dim;
        float *p = test_alloc_uniform(n, 20 + k, -1, 1), *z = test_alloc_uniform(n, 30 + k, -1, 1);
        float *junk = test_alloc_uniform(n, 40 + k, 5, 6);
        Buffer *b_p = test_upload_at(p, n, 1), *b_z = test_upload_at(z, n, 4);
        Buffer *b_loss = test_upload_at(junk, 1, 3), *b_d_p = test_upload_at(junk, n, 2);
        const float scale = 0.75f;
        TEST_CHECK(byol_loss_forward(dev, view_at(view_of(b_loss), 3), view_at(view_of(b_p), 1),
                                     view_at(view_of(b_z), 4), r.batch, r.dim));
        TEST_CHECK(byol_loss_backward(dev, view_at(view_of(b_d_p), 2), view_at(view_of(b_p), 1),
                                      view_at(view_of(b_z), 4), r.batch, r.dim, scale));
        double *dp = ref_doubles_from_floats(p, n), *dz = ref_doubles_from_floats(z, n);
        double *d_p = malloc(n * sizeof *d_p);
        assert_true(dp && dz && d_p);
        double want = byol_loss_ref_forward(dp, dz, r.batch, r.dim);
        byol_loss_ref_backward(d_p, dp, dz, r.batch, r.dim, scale);
        float got = read_one(b_loss, 3, "byol loss");
        if (fabs(got - want) > 1e-5 + 1e-5 * fabs(want))
            fail_msg("byol loss (%d x %d): got %.9g, want %.9g", r.batch, r.dim, got, want);
        expect_matches(b_d_p, n, 2, d_p, 1e-6, 1e-4, "byol loss d_p");
        free(p); free(z); free(junk); free(dp); free(dz); free(d_p);
        buffer_release(b_p); buffer_release(b_z); buffer_release(b_loss); buffer_release(b_d_p);
    }
}

/* 2 - 2 cos: 0 for p = z (also p = 3z: the loss ignores length) and 4 for p = -z. */
static void test_byol_loss_of_identical_and_opposite_vectors(void **state) {
    (void)state;
    Device *dev = test_device();
    const int batch = 5, dim = 17;
    size_t n = (size_t)batch * dim;
    float *z = test_alloc_uniform(n, 50, -1, 1), *p = malloc(n * sizeof *p);
    assert_non_null(p);
    Buffer *b_z = test_upload(z, n), *b_loss = test_alloc_device(1), *b_d_p = test_alloc_device(n);
    const float factors[] = {1.0f, 3.0f, -1.0f, -0.5f};
    const float wants[] = {0.0f, 0.0f, 4.0f, 4.0f};
    for (int f = 0; f < 4; f++) {
        for (size_t i = 0; i < n; i++) p[i] = factors[f] * z[i];
        Buffer *b_p = test_upload(p, n);
        TEST_CHECK(byol_loss_forward(dev, view_of(b_loss), view_of(b_p), view_of(b_z), batch, dim));
        float got = read_one(b_loss, 0, "byol loss");
        if (fabsf(got - wants[f]) > 1e-6f) fail_msg("p = %g z: loss %.9g, want %g", factors[f], got, wants[f]);
        /* At both extremes the loss is stationary: the gradient vanishes. */
        TEST_CHECK(byol_loss_backward(dev, view_of(b_d_p), view_of(b_p), view_of(b_z), batch, dim, 1.0f));
        float *g = test_download(b_d_p, n);
        for (size_t i = 0; i < n; i++)
            if (fabsf(g[i]) > 1e-5f) fail_msg("p = %g z: gradient %zu is %g", factors[f], i, g[i]);
        free(g);
        buffer_release(b_p);
    }
    free(z);
    free(p);
    buffer_release(b_z); buffer_release(b_loss); buffer_release(b_d_p);
}

static void test_softmax_cross_entropy_matches_reference(void **state) {
    (void)state;
    Device *dev = test_device();
    for (size_t k = 0; k < row_count(); k++) {
        Rows r = rows_at(k); /* dim = classes */
        size_t n = (size_t)r.batch * r.dim;
        float *logits = test_alloc_uniform(n, 60 + k, -4, 4), *junk = test_alloc_uniform(n, 70 + k, 5, 6);
        float *pick = test_alloc_uniform((size_t)r.batch, 80 + k, 0, 1);
        int *labels = malloc((size_t)r.batch * sizeof *labels);
        assert_non_null(labels);
        for (int i = 0; i < r.batch; i++) labels[i] = (int)(pick[i] * (float)r.dim) % r.dim;
        if (k == 1) logits[5] = 80.0f; /* a large logit: exp would overflow without the max */
        Buffer *b_logits = test_upload_at(logits, n, 2), *b_labels = test_upload_ints_at(labels, (size_t)r.batch, 5);
        Buffer *b_probs = test_upload_at(junk, n, 1), *b_loss = test_upload_at(junk, 1, 4);
        Buffer *b_d = test_upload_at(junk, n, 3);
        TEST_CHECK(softmax_cross_entropy_forward(dev, view_at(view_of(b_loss), 4), view_at(view_of(b_probs), 1),
                                                 view_at(view_of(b_logits), 2), view_at(view_of(b_labels), 5),
                                                 r.batch, r.dim));
        TEST_CHECK(softmax_cross_entropy_backward(dev, view_at(view_of(b_d), 3), view_at(view_of(b_probs), 1),
                                                  view_at(view_of(b_labels), 5), r.batch, r.dim));
        double *dl = ref_doubles_from_floats(logits, n), *probs = malloc(n * sizeof *probs);
        double *d = malloc(n * sizeof *d);
        assert_true(dl && probs && d);
        double want = softmax_cross_entropy_ref_forward(probs, dl, labels, r.batch, r.dim);
        softmax_cross_entropy_ref_backward(d, probs, labels, r.batch, r.dim);
        float got = read_one(b_loss, 4, "cross-entropy loss");
        if (!(fabs(got - want) <= 1e-5 + 1e-5 * fabs(want)))
            fail_msg("cross-entropy (%d x %d): got %.9g, want %.9g", r.batch, r.dim, got, want);
        expect_matches(b_probs, n, 1, probs, 1e-7, 1e-5, "softmax probs");
        expect_matches(b_d, n, 3, d, 1e-8, 1e-5, "cross-entropy d_logits");
        free(logits); free(junk); free(pick); free(labels); free(dl); free(probs); free(d);
        buffer_release(b_logits); buffer_release(b_labels); buffer_release(b_probs);
        buffer_release(b_loss); buffer_release(b_d);
    }
}

/* L(p) = byol loss (z fixed) or L(logits) = cross-entropy. */
typedef struct {
    Rows r;
    double *x, *z;
    int *labels;
    bool byol;
} LossCtx;

static double loss_of(void *ctx) {
    LossCtx *l = ctx;
    return l->byol ? byol_loss_ref_forward(l->x, l->z, l->r.batch, l->r.dim)
                   : softmax_cross_entropy_ref_forward(NULL, l->x, l->labels, l->r.batch, l->r.dim);
}

static void test_reference_gradients_match_finite_differences(void **state) {
    (void)state;
    const Rows shapes[] = {{3, 5}, {1, 1}, {4, 2}};
    for (size_t k = 0; k < 3; k++)
        for (int byol = 0; byol < 2; byol++) {
            Rows r = shapes[k];
            size_t n = (size_t)r.batch * r.dim;
            float *fx = test_alloc_uniform(n, 90 + k, -2, 2), *fz = test_alloc_uniform(n, 100 + k, -2, 2);
            int labels[4];
            for (int i = 0; i < r.batch; i++) labels[i] = (i * 7 + 1) % r.dim;
            LossCtx l = {r, ref_doubles_from_floats(fx, n), ref_doubles_from_floats(fz, n), labels, byol};
            double *grad = malloc(n * sizeof *grad), *probs = malloc(n * sizeof *probs);
            assert_true(l.x && l.z && grad && probs);
            if (byol) {
                byol_loss_ref_backward(grad, l.x, l.z, r.batch, r.dim, 1.0);
            } else {
                softmax_cross_entropy_ref_forward(probs, l.x, labels, r.batch, r.dim);
                softmax_cross_entropy_ref_backward(grad, probs, labels, r.batch, r.dim);
            }
            size_t worst;
            double e = gradcheck_max_error(loss_of, &l, l.x, n, grad, 1e-6, &worst);
            if (e > 1e-7) fail_msg("%s gradient (%d x %d): error %g at %zu", byol ? "byol" : "cross-entropy",
                                   r.batch, r.dim, e, worst);
            free(fx); free(fz); free(l.x); free(l.z); free(grad); free(probs);
        }
}

static void test_bad_sizes_are_usage_errors(void **state) {
    (void)state;
    assert_int_equal(byol_loss_forward(test_device(), VIEW_NONE, VIEW_NONE, VIEW_NONE, 0, 4), BC_ERR_USAGE);
    assert_int_equal(softmax_cross_entropy_backward(test_device(), VIEW_NONE, VIEW_NONE, VIEW_NONE, 2, -1),
                     BC_ERR_USAGE);
}

/* A sequence of steps whose losses turn NaN, then infinite, then finite again: the guard
 * keeps the first bad step, as the reference does; loss and flag sit at odd offsets. */
static void test_loss_guard_keeps_the_first_bad_step(void **state) {
    (void)state;
    const float inf = INFINITY, nan = NAN;
    const float losses[][3] = {{0.5f, 1.0f, 2.0f}, {3.0f, 1e30f, 0.0f}, {1.0f, nan, 1.0f},
                               {inf, 1.0f, 1.0f}, {1.0f, 1.0f, 1.0f}};
    for (int count = 1; count <= 3; count += 2) {
        int none = -1, want = -1;
        Buffer *flag = test_upload_ints_at(&none, 1, 5);
        for (int s = 0; s < 5; s++) {
            Buffer *loss = test_upload_at(losses[s], 3, 3);
            TEST_CHECK(loss_guard_update(test_device(), view_at(view_of(loss), 3), count,
                                         view_at(view_of(flag), 5), 10 + s));
            want = loss_guard_ref(want, losses[s], count, 10 + s);
            int got;
            TEST_CHECK(buffer_read(test_device(), flag, 5 * sizeof(int), sizeof got, &got));
            assert_int_equal(got, want);
            buffer_release(loss);
        }
        assert_int_equal(want, count == 1 ? 13 : 12); /* the NaN is in the second term */
        buffer_release(flag);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_l2_normalize_matches_reference),
        cmocka_unit_test(test_byol_loss_matches_reference),
        cmocka_unit_test(test_byol_loss_of_identical_and_opposite_vectors),
        cmocka_unit_test(test_softmax_cross_entropy_matches_reference),
        cmocka_unit_test(test_reference_gradients_match_finite_differences),
        cmocka_unit_test(test_bad_sizes_are_usage_errors),
        cmocka_unit_test(test_loss_guard_keeps_the_first_bad_step),
    };
    return cmocka_run_group_tests(tests, NULL, test_teardown_device);
}
