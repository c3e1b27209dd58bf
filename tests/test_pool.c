/* test_pool.c — max pool 3x3/2/1 and global average pool on the device against
 * tests/ref/pool_ref.c (odd and even h/w, 1x1 and 7x7, batch 1 and 3, views at offsets), the
 * device's gather backward against the reference's scatter, and the reference's gradients
 * against finite differences.
 * BYOLCL_OCLGRIND_TEST */
#include <stdlib.h>
#include <string.h>

#include "ref/gradcheck.h"
#include "ref/pool_ref.h"
#include "test_util.h"

#include "byolcl/ops.h"

static const PoolShape full_shapes[] = {{1, 1, 1, 1}, {3, 5, 7, 7},  {1, 3, 5, 9}, {2, 3, 8, 8},
                                        {3, 2, 2, 3}, {2, 4, 28, 27}, {1, 1, 112, 112}};
static const PoolShape small_shapes[] = {{1, 1, 1, 1}, {3, 2, 7, 7}, {1, 3, 5, 9}, {1, 2, 4, 6}};

static size_t shape_count(void) {
    return test_small() ? sizeof small_shapes / sizeof small_shapes[0]
                        : sizeof full_shapes / sizeof full_shapes[0];
}
static PoolShape shape_at(size_t i) { return test_small() ? small_shapes[i] : full_shapes[i]; }

/* A random permutation of evenly spaced values: no ties, so argmax is unambiguous and stays
 * put under the finite-difference step. */
static void fill_distinct(double *x, size_t n, uint64_t seed) {
    float *r = test_alloc_uniform(n, seed, 0, 1);
    for (size_t i = 0; i < n; i++) x[i] = -1.0 + 2.0 * (double)i / (double)(n > 1 ? n - 1 : 1);
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(r[i - 1] * (float)i) % i;
        double t = x[i - 1];
        x[i - 1] = x[j];
        x[j] = t;
    }
    free(r);
}

static void test_maxpool_matches_reference(void **state) {
    (void)state;
    Device *dev = test_device();
    for (size_t k = 0; k < shape_count(); k++) {
        PoolShape s = shape_at(k);
        int oh = maxpool_out_size(s.h), ow = maxpool_out_size(s.w);
        assert_int_equal(oh, (s.h - 1) / 2 + 1);
        size_t n_in = (size_t)s.n * s.c * s.h * s.w, n_out = (size_t)s.n * s.c * oh * ow;
        float *in = test_alloc_uniform(n_in, 10 + k, -1, 1), *d_out = test_alloc_uniform(n_out, 20 + k, -1, 1);
        float *junk = test_alloc_uniform(n_in, 30 + k, 5, 6); /* backward must overwrite */
        Buffer *b_in = test_upload_at(in, n_in, 3), *b_out = test_upload_at(junk, n_out, 1);
        Buffer *b_arg = test_upload_at(junk, n_out, 4), *b_d_out = test_upload_at(d_out, n_out, 2);
        Buffer *b_d_in = test_upload_at(junk, n_in, 5);
        TEST_CHECK(maxpool_forward(dev, view_at(view_of(b_out), 1), view_at(view_of(b_arg), 4),
                                   view_at(view_of(b_in), 3), &s));
        TEST_CHECK(maxpool_backward(dev, view_at(view_of(b_d_in), 5), view_at(view_of(b_d_out), 2),
                                    view_at(view_of(b_arg), 4), &s));

        double *din = ref_doubles_from_floats(in, n_in), *dd_out = ref_doubles_from_floats(d_out, n_out);
        double *out = malloc(n_out * sizeof *out), *d_in = malloc(n_in * sizeof *d_in);
        int *argmax = malloc(n_out * sizeof *argmax);
        assert_true(din && dd_out && out && d_in && argmax);
        maxpool_ref_forward(out, argmax, din, s.n, s.c, s.h, s.w);
        maxpool_ref_backward(d_in, dd_out, argmax, s.n, s.c, s.h, s.w);

        float *got = test_download_at(b_out, n_out, 1, "maxpool out");
        float *want = ref_floats_from_doubles(out, n_out);
        test_assert_close(got, want, n_out, 0, 0, "maxpool out");
        free(got);
        free(want);
        float *got_arg = test_download_at(b_arg, n_out, 4, "maxpool argmax");
        for (size_t i = 0; i < n_out; i++) {
            int a;
            memcpy(&a, &got_arg[i], sizeof a);
            if (a != argmax[i]) fail_msg("maxpool argmax %zu: got %d, want %d", i, a, argmax[i]);
        }
        free(got_arg);
        got = test_download_at(b_d_in, n_in, 5, "maxpool d_in");
        want = ref_floats_from_doubles(d_in, n_in);
        test_assert_close(got, want, n_in, 1e-6, 1e-6, "maxpool d_in");
        free(got);
        free(want);
        free(in); free(d_out); free(junk); free(din); free(dd_out); free(out); free(d_in); free(argmax);
        buffer_release(b_in); buffer_release(b_out); buffer_release(b_arg);
        buffer_release(b_d_out); buffer_release(b_d_in);
    }
}

/* Ties go to the first maximum in scan order (PyTorch's choice); a constant plane shows it. */
static void test_maxpool_ties_pick_the_first(void **state) {
    (void)state;
    PoolShape s = {1, 1, 5, 5};
    float in[25];
    for (int i = 0; i < 25; i++) in[i] = 1.0f;
    Buffer *b_in = test_upload(in, 25), *b_out = test_upload(in, 9), *b_arg = test_upload(in, 9);
    TEST_CHECK(maxpool_forward(test_device(), view_of(b_out), view_of(b_arg), view_of(b_in), &s));
    float *got = test_download(b_arg, 9);
    for (int oy = 0; oy < 3; oy++)
        for (int ox = 0; ox < 3; ox++) {
            int a, want = (oy == 0 ? 0 : 2 * oy - 1) * 5 + (ox == 0 ? 0 : 2 * ox - 1);
            memcpy(&a, &got[oy * 3 + ox], sizeof a);
            assert_int_equal(a, want);
        }
    free(got);
    buffer_release(b_in); buffer_release(b_out); buffer_release(b_arg);
}

static void test_global_avgpool_matches_reference(void **state) {
    (void)state;
    Device *dev = test_device();
    for (size_t k = 0; k < shape_count(); k++) {
        PoolShape s = shape_at(k);
        size_t planes = (size_t)s.n * s.c, n_in = planes * s.h * s.w;
        float *in = test_alloc_uniform(n_in, 40 + k, -1, 1), *d_out = test_alloc_uniform(planes, 50 + k, -1, 1);
        float *junk = test_alloc_uniform(n_in, 60 + k, 5, 6);
        Buffer *b_in = test_upload_at(in, n_in, 2), *b_out = test_upload_at(junk, planes, 3);
        Buffer *b_d_out = test_upload_at(d_out, planes, 1), *b_d_in = test_upload_at(junk, n_in, 6);
        TEST_CHECK(global_avgpool_forward(dev, view_at(view_of(b_out), 3), view_at(view_of(b_in), 2), &s));
        TEST_CHECK(global_avgpool_backward(dev, view_at(view_of(b_d_in), 6), view_at(view_of(b_d_out), 1), &s));
        double *din = ref_doubles_from_floats(in, n_in), *dd_out = ref_doubles_from_floats(d_out, planes);
        double *out = malloc(planes * sizeof *out), *d_in = malloc(n_in * sizeof *d_in);
        assert_true(din && dd_out && out && d_in);
        global_avgpool_ref_forward(out, din, s.n, s.c, s.h, s.w);
        global_avgpool_ref_backward(d_in, dd_out, s.n, s.c, s.h, s.w);
        float *got = test_download_at(b_out, planes, 3, "avgpool out");
        float *want = ref_floats_from_doubles(out, planes);
        test_assert_close(got, want, planes, 1e-6, 1e-5, "avgpool out");
        free(got);
        free(want);
        got = test_download_at(b_d_in, n_in, 6, "avgpool d_in");
        want = ref_floats_from_doubles(d_in, n_in);
        test_assert_close(got, want, n_in, 1e-7, 1e-6, "avgpool d_in");
        free(got);
        free(want);
        free(in); free(d_out); free(junk); free(din); free(dd_out); free(out); free(d_in);
        buffer_release(b_in); buffer_release(b_out); buffer_release(b_d_out); buffer_release(b_d_in);
    }
}

/* L = sum w * pool(x). */
typedef struct {
    PoolShape s;
    bool max;
    double *x, *w, *out;
    int *argmax;
} PoolLoss;

static double pool_loss(void *ctx) {
    PoolLoss *l = ctx;
    size_t n_out;
    if (l->max) {
        maxpool_ref_forward(l->out, l->argmax, l->x, l->s.n, l->s.c, l->s.h, l->s.w);
        n_out = (size_t)l->s.n * l->s.c * maxpool_out_size(l->s.h) * maxpool_out_size(l->s.w);
    } else {
        global_avgpool_ref_forward(l->out, l->x, l->s.n, l->s.c, l->s.h, l->s.w);
        n_out = (size_t)l->s.n * l->s.c;
    }
    return ref_weighted_sum(l->w, l->out, n_out);
}

static void test_reference_gradients_match_finite_differences(void **state) {
    (void)state;
    const PoolShape shapes[] = {{2, 2, 5, 7}, {1, 3, 4, 4}, {1, 1, 1, 1}};
    for (size_t k = 0; k < 3; k++)
        for (int max = 0; max < 2; max++) {
            PoolShape s = shapes[k];
            size_t n_in = (size_t)s.n * s.c * s.h * s.w, n_out = n_in; /* n_out bounds both */
            PoolLoss l = {s, max, malloc(n_in * sizeof(double)), malloc(n_out * sizeof(double)),
                          malloc(n_out * sizeof(double)), malloc(n_out * sizeof(int))};
            double *grad = malloc(n_in * sizeof *grad);
            assert_true(l.x && l.w && l.out && l.argmax && grad);
            fill_distinct(l.x, n_in, 70 + k);
            float *w = test_alloc_uniform(n_out, 80 + k, -1, 1);
            for (size_t i = 0; i < n_out; i++) l.w[i] = w[i];
            free(w);
            pool_loss(&l);
            if (max) maxpool_ref_backward(grad, l.w, l.argmax, s.n, s.c, s.h, s.w);
            else global_avgpool_ref_backward(grad, l.w, s.n, s.c, s.h, s.w);
            size_t worst;
            double e = gradcheck_max_error(pool_loss, &l, l.x, n_in, grad, 1e-6, &worst);
            if (e > 1e-7) fail_msg("%s gradient: error %g at %zu", max ? "maxpool" : "avgpool", e, worst);
            free(l.x); free(l.w); free(l.out); free(l.argmax); free(grad);
        }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maxpool_matches_reference),
        cmocka_unit_test(test_maxpool_ties_pick_the_first),
        cmocka_unit_test(test_global_avgpool_matches_reference),
        cmocka_unit_test(test_reference_gradients_match_finite_differences),
    };
    return cmocka_run_group_tests(tests, NULL, test_teardown_device);
}
