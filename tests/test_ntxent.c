/* test_ntxent.c — SimCLR's NT-Xent loss and gradient, the backward of L2 normalization and
 * the collapse monitor on the device against tests/ref/ntxent_ref.c: odd image counts, up
 * to 1024 views, temperature extremes, duplicated views, views at offsets; the reference's
 * gradients against finite differences; a collapsed batch gives log(2N - 1) and no
 * gradient; the monitor on constructed collapsed and spread batches.
 * BYOLCL_OCLGRIND_TEST */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref/gradcheck.h"
#include "ref/loss_ref.h"
#include "ref/ntxent_ref.h"
#include "test_util.h"

#include "byolcl/ops.h"

typedef struct {
    int rows, dim;
    float temperature;
} Case;

/* rows = 2N views: N = 1, 3 (odd), 5, 7, 127 and 512 images. */
static const Case full_cases[] = {{2, 1, 0.5f},   {6, 3, 0.5f},    {10, 7, 0.1f},
                                  {14, 33, 0.5f}, {254, 65, 0.1f}, {1024, 128, 0.5f}};
static const Case small_cases[] = {{2, 1, 0.5f}, {6, 3, 0.5f}, {10, 7, 0.1f}};

static size_t case_count(void) {
    return test_small() ? sizeof small_cases / sizeof small_cases[0] : sizeof full_cases / sizeof full_cases[0];
}
static Case case_at(size_t i) { return test_small() ? small_cases[i] : full_cases[i]; }

static float read_one(Buffer *b, size_t offset, const char *what) {
    float *got = test_download_at(b, 1, offset, what);
    float v = got[0];
    free(got);
    return v;
}

/* Runs forward and backward on the device with every view at an odd offset; returns the
 * loss and the gradient (rows x dim floats, caller frees). */
static float device_ntxent(const float *z, Case c, float **d_z) {
    Device *dev = test_device();
    size_t n = (size_t)c.rows * c.dim, nn = (size_t)c.rows * c.rows;
    float *junk = test_alloc_uniform(nn > n ? nn : n, 7, 5, 6);
    Buffer *b_z = test_upload_at(z, n, 3), *b_loss = test_upload_at(junk, 1, 1);
    Buffer *b_norm = test_upload_at(junk, n, 2), *b_logits = test_upload_at(junk, nn, 5);
    Buffer *b_dn = test_upload_at(junk, n, 4), *b_dz = test_upload_at(junk, n, 6);
    /* Both views in one buffer here; the second at half the rows. */
    int images = c.rows / 2;
    size_t half = (size_t)images * c.dim;
    View views = view_at(view_of(b_z), 3), d_views = view_at(view_of(b_dz), 6);
    TEST_CHECK(ntxent_forward(dev, view_at(view_of(b_loss), 1), view_at(view_of(b_norm), 2),
                              view_at(view_of(b_logits), 5), views, view_at(views, half), images, c.dim,
                              c.temperature));
    TEST_CHECK(ntxent_backward(dev, d_views, view_at(d_views, half), view_at(view_of(b_dn), 4),
                               view_at(view_of(b_logits), 5), view_at(view_of(b_norm), 2), views, view_at(views, half),
                               images, c.dim, c.temperature));
    float loss = read_one(b_loss, 1, "ntxent loss");
    *d_z = test_download_at(b_dz, n, 6, "ntxent d_z");
    free(junk);
    buffer_release(b_z); buffer_release(b_loss); buffer_release(b_norm);
    buffer_release(b_logits); buffer_release(b_dn); buffer_release(b_dz);
    return loss;
}

static void expect_matches_reference(const float *z, Case c, const char *what) {
    size_t n = (size_t)c.rows * c.dim;
    float *d_z;
    float got = device_ntxent(z, c, &d_z);
    double *dz = ref_doubles_from_floats(z, n), *want_d = malloc(n * sizeof *want_d);
    assert_true(dz && want_d);
    double want = ntxent_ref_forward(dz, c.rows, c.dim, c.temperature);
    ntxent_ref_backward(want_d, dz, c.rows, c.dim, c.temperature);
    if (!(fabs(got - want) <= 2e-5 + 2e-5 * fabs(want)))
        fail_msg("%s (%d views x %d, t %g): loss %.9g, want %.9g", what, c.rows, c.dim, (double)c.temperature, got,
                 want);
    test_assert_close_scaled(d_z, want_d, n, 2e-4, 1e-6, what);
    free(d_z); free(dz); free(want_d);
}

static void test_ntxent_matches_reference(void **state) {
    (void)state;
    for (size_t k = 0; k < case_count(); k++) {
        Case c = case_at(k);
        float *z = test_alloc_uniform((size_t)c.rows * c.dim, 10 + k, -1, 1);
        expect_matches_reference(z, c, "ntxent");
        free(z);
    }
}

static void test_ntxent_at_temperature_extremes(void **state) {
    (void)state;
    const float temperatures[] = {0.02f, 10.0f};
    for (int t = 0; t < 2; t++) {
        Case c = {test_small() ? 6 : 62, test_small() ? 5 : 24, temperatures[t]};
        float *z = test_alloc_uniform((size_t)c.rows * c.dim, 20 + t, -1, 1);
        expect_matches_reference(z, c, t ? "ntxent, hot" : "ntxent, cold");
        free(z);
    }
}

/* A view equal to its positive, and an image equal to another (a negative as close as the
 * positive): the softmax ties, and nothing divides by zero. */
static void test_ntxent_with_duplicated_views(void **state) {
    (void)state;
    Case c = {test_small() ? 6 : 18, 9, 0.5f};
    size_t n = (size_t)c.rows * c.dim;
    int half = c.rows / 2;
    float *z = test_alloc_uniform(n, 30, -1, 1);
    memcpy(z + (size_t)half * c.dim, z, (size_t)c.dim * sizeof *z);                 /* image 0: views equal */
    memcpy(z + (size_t)1 * c.dim, z, (size_t)c.dim * sizeof *z);                    /* image 1 = image 0 */
    memcpy(z + (size_t)(half + 1) * c.dim, z + (size_t)2 * c.dim, (size_t)c.dim * sizeof *z); /* crossed */
    expect_matches_reference(z, c, "ntxent, duplicated views");
    free(z);
}

/* All 2N views point the same way (lengths differ): every softmax is uniform over the
 * 2N - 1 others, the loss is log(2N - 1), and the gradient vanishes. */
static void test_collapsed_batch_gives_log_of_negatives(void **state) {
    (void)state;
    Case c = {test_small() ? 6 : 64, 11, 0.5f};
    size_t n = (size_t)c.rows * c.dim;
    float *one = test_alloc_uniform((size_t)c.dim, 40, -1, 1), *z = malloc(n * sizeof *z);
    assert_non_null(z);
    for (int i = 0; i < c.rows; i++)
        for (int j = 0; j < c.dim; j++) z[(size_t)i * c.dim + j] = (1.0f + 0.25f * (float)(i % 3)) * one[j];
    float *d_z;
    float got = device_ntxent(z, c, &d_z);
    double want = log((double)c.rows - 1.0);
    if (fabs(got - want) > 1e-5) fail_msg("collapsed loss %.9g, want log(%d) = %.9g", got, c.rows - 1, want);
    for (size_t i = 0; i < n; i++)
        if (fabsf(d_z[i]) > 1e-5f) fail_msg("collapsed batch: gradient %zu is %g", i, d_z[i]);
    free(one); free(z); free(d_z);
}

typedef struct {
    int rows, dim;
    double temperature, *z, *d_out;
    bool normalize_only;
} RefCtx;

static double ref_loss(void *ctx) {
    RefCtx *r = ctx;
    if (!r->normalize_only) return ntxent_ref_forward(r->z, r->rows, r->dim, r->temperature);
    size_t n = (size_t)r->rows * r->dim;
    double *y = malloc(n * sizeof *y);
    if (!y) abort();
    l2_normalize_ref_forward(y, r->z, r->rows, r->dim);
    double s = ref_weighted_sum(r->d_out, y, n);
    free(y);
    return s;
}

static void test_reference_gradients_match_finite_differences(void **state) {
    (void)state;
    const Case cases[] = {{2, 3, 0.5f}, {6, 4, 0.1f}, {8, 2, 2.0f}};
    for (size_t k = 0; k < 3; k++)
        for (int normalize_only = 0; normalize_only < 2; normalize_only++) {
            Case c = cases[k];
            size_t n = (size_t)c.rows * c.dim;
            float *fz = test_alloc_uniform(n, 50 + k, -2, 2), *fw = test_alloc_uniform(n, 60 + k, -1, 1);
            RefCtx r = {c.rows, c.dim, c.temperature, ref_doubles_from_floats(fz, n), ref_doubles_from_floats(fw, n),
                        normalize_only};
            double *grad = malloc(n * sizeof *grad);
            assert_true(r.z && r.d_out && grad);
            if (normalize_only) l2_normalize_ref_backward(grad, r.d_out, r.z, c.rows, c.dim);
            else ntxent_ref_backward(grad, r.z, c.rows, c.dim, c.temperature);
            size_t worst;
            double e = gradcheck_max_error(ref_loss, &r, r.z, n, grad, 1e-6, &worst);
            if (e > 1e-7)
                fail_msg("%s gradient (%d x %d): error %g at %zu", normalize_only ? "l2 normalize" : "ntxent", c.rows,
                         c.dim, e, worst);
            free(fz); free(fw); free(r.z); free(r.d_out); free(grad);
        }
}

static void test_l2_normalize_backward_matches_reference(void **state) {
    (void)state;
    const int batch = 5, dim = test_small() ? 7 : 130;
    size_t n = (size_t)batch * dim;
    float *x = test_alloc_uniform(n, 70, -2, 2), *g = test_alloc_uniform(n, 71, -1, 1);
    Buffer *b_x = test_upload_at(x, n, 1), *b_g = test_upload_at(g, n, 2), *b_d = test_upload_at(g, n, 3);
    TEST_CHECK(l2_normalize_backward(test_device(), view_at(view_of(b_d), 3), view_at(view_of(b_g), 2),
                                     view_at(view_of(b_x), 1), batch, dim));
    double *dx = ref_doubles_from_floats(x, n), *dg = ref_doubles_from_floats(g, n), *want = malloc(n * sizeof *want);
    assert_true(dx && dg && want);
    l2_normalize_ref_backward(want, dg, dx, batch, dim);
    float *got = test_download_at(b_d, n, 3, "l2 normalize backward");
    test_assert_close_scaled(got, want, n, 1e-5, 1e-6, "l2 normalize backward");
    free(x); free(g); free(dx); free(dg); free(want); free(got);
    buffer_release(b_x); buffer_release(b_g); buffer_release(b_d);
}

static float device_monitor(const float *z, int batch, int dim) {
    size_t n = (size_t)batch * dim;
    const float junk = 7.0f;
    Buffer *b_z = test_upload_at(z, n, 5), *b_out = test_upload_at(&junk, 1, 2);
    TEST_CHECK(collapse_monitor_forward(test_device(), view_at(view_of(b_out), 2), view_at(view_of(b_z), 5), batch, dim));
    float v = read_one(b_out, 2, "collapse monitor");
    buffer_release(b_z);
    buffer_release(b_out);
    return v;
}

/* Collapsed (one direction, any lengths): 0. Spread (rows +-e_j): sqrt(2 / (2 dim - 1)),
 * about 1/sqrt(dim). Random rows: within 10% of 1/sqrt(dim). Each against the reference. */
static void test_collapse_monitor_on_constructed_batches(void **state) {
    (void)state;
    const int dim = test_small() ? 8 : 128, batch = 2 * dim;
    size_t n = (size_t)batch * dim;
    float *z = calloc(n, sizeof *z), *one = test_alloc_uniform((size_t)dim, 80, -1, 1);
    assert_non_null(z);
    for (int i = 0; i < batch; i++)
        for (int j = 0; j < dim; j++) z[(size_t)i * dim + j] = (0.5f + (float)(i % 5)) * one[j];
    double *dz = ref_doubles_from_floats(z, n);
    float collapsed = device_monitor(z, batch, dim);
    if (fabsf(collapsed) > 1e-5f || fabs(collapse_monitor_ref(dz, batch, dim)) > 1e-6)
        fail_msg("collapsed batch: monitor %g (reference %g), want 0", collapsed, collapse_monitor_ref(dz, batch, dim));
    free(dz);

    memset(z, 0, n * sizeof *z);
    for (int i = 0; i < batch; i++) z[(size_t)i * dim + i / 2] = i % 2 ? -3.0f : 2.0f;
    float spread = device_monitor(z, batch, dim);
    double want = sqrt(2.0 / (2.0 * dim - 1.0));
    if (fabs(spread - want) > 1e-5) fail_msg("+-e_j batch: monitor %.7g, want %.7g", spread, want);

    test_fill_uniform(z, n, 81, -1, 1);
    dz = ref_doubles_from_floats(z, n);
    float random = device_monitor(z, batch, dim);
    double ref = collapse_monitor_ref(dz, batch, dim);
    if (fabs(random - ref) > 1e-5) fail_msg("random batch: monitor %.7g, reference %.7g", random, ref);
    if (!test_small() && fabs(random * sqrt((double)dim) - 1.0) > 0.1)
        fail_msg("random batch: monitor %.5g is not near 1/sqrt(%d) = %.5g", random, dim, 1.0 / sqrt((double)dim));
    free(dz); free(z); free(one);
}

static void test_bad_sizes_are_usage_errors(void **state) {
    (void)state;
    Device *dev = test_device();
    assert_int_equal(ntxent_forward(dev, VIEW_NONE, VIEW_NONE, VIEW_NONE, VIEW_NONE, VIEW_NONE, 0, 4, 0.5f),
                     BC_ERR_USAGE);
    assert_int_equal(ntxent_forward(dev, VIEW_NONE, VIEW_NONE, VIEW_NONE, VIEW_NONE, VIEW_NONE, 2, 4, 0.0f),
                     BC_ERR_USAGE);
    assert_int_equal(collapse_monitor_forward(dev, VIEW_NONE, VIEW_NONE, 1, 4), BC_ERR_USAGE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ntxent_matches_reference),
        cmocka_unit_test(test_ntxent_at_temperature_extremes),
        cmocka_unit_test(test_ntxent_with_duplicated_views),
        cmocka_unit_test(test_collapsed_batch_gives_log_of_negatives),
        cmocka_unit_test(test_reference_gradients_match_finite_differences),
        cmocka_unit_test(test_l2_normalize_backward_matches_reference),
        cmocka_unit_test(test_collapse_monitor_on_constructed_batches),
        cmocka_unit_test(test_bad_sizes_are_usage_errors),
    };
    return cmocka_run_group_tests(tests, NULL, test_teardown_device);
}
