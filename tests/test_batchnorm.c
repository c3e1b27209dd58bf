/* test_batchnorm.c — batch norm on the device against tests/ref/batchnorm_ref.c (training
 * forward with running statistics, evaluation, backward; 2-D and 1-D; odd shapes; views at
 * offsets; with and without the fused ReLU; the CPU plane kernels (BN_PLANES=1) and the
 * element kernels (BN_PLANES=0) and the GPU work-group reductions (BN_GPU=1) alike, and
 * the residual join fused into the normalization), the reference's gradients against finite
 * differences, and the properties that training relies on (batch-independent evaluation,
 * PyTorch's running-statistics update, precision under a large common offset), and
 * cross-replica batch norm (two replicas' halves normalized as the whole batch).
 * BYOLCL_OCLGRIND_TEST */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref/batchnorm_ref.h"
#include "ref/elementwise_ref.h"
#include "ref/gradcheck.h"
#include "test_util.h"

#include "byolcl/ops.h"

typedef struct {
    int n, c, spatial;
} Dims;

static size_t total_of(Dims d) { return (size_t)d.n * d.c * d.spatial; }

static View view_in(Buffer *b, size_t offset) { return view_at(view_of(b), offset); }

/* All kernel families run on every device: the profile keys pick one. Path 0: the element
 * and chunk kernels; 1: the CPU plane kernels (BN_PLANES); 2: the GPU work-group
 * reductions (BN_GPU). */
enum { PATH_COUNT = 3 };
static void use_planes(int path) {
    TEST_CHECK(device_profile_set(test_device(), "BN_PLANES", path == 1));
    TEST_CHECK(device_profile_set(test_device(), "BN_GPU", path == 2));
}
static int default_planes(void) {
    Device *dev = test_device();
    return device_profile_get(dev, "BN_GPU") ? 2 : device_profile_get(dev, "BN_PLANES");
}

/* Host copies and device buffers of one training case; every device array sits at its own
 * non-zero offset so a kernel that ignores the offset is caught. */
typedef struct {
    Dims d;
    float eps, momentum;
    float *in, *gamma, *beta, *rm, *rv, *d_out, *d_gamma, *d_beta;
    Buffer *b_in, *b_gamma, *b_beta, *b_rm, *b_rv, *b_d_out, *b_d_gamma, *b_d_beta;
    Buffer *b_out, *b_mean, *b_invstd, *b_d_in;
} TrainCase;

enum { OFF_IN = 3, OFF_GAMMA = 1, OFF_BETA = 2, OFF_RM = 5, OFF_RV = 4, OFF_D_OUT = 7,
       OFF_D_GAMMA = 6, OFF_D_BETA = 1, OFF_OUT = 2, OFF_MEAN = 3, OFF_INVSTD = 1, OFF_D_IN = 9 };

static TrainCase train_case_make(Dims d, float lo, float hi, uint64_t seed) {
    TrainCase t = {.d = d, .eps = 1e-5f, .momentum = 0.1f};
    size_t total = total_of(d), c = (size_t)d.c;
    t.in = test_alloc_uniform(total, seed, lo, hi);
    t.gamma = test_alloc_uniform(c, seed + 1, 0.5f, 1.5f);
    t.beta = test_alloc_uniform(c, seed + 2, -0.5f, 0.5f);
    t.rm = test_alloc_uniform(c, seed + 3, -1, 1);
    t.rv = test_alloc_uniform(c, seed + 4, 0.5f, 2);
    t.d_out = test_alloc_uniform(total, seed + 5, -1, 1);
    t.d_gamma = test_alloc_uniform(c, seed + 6, -1, 1); /* nonzero: backward must add */
    t.d_beta = test_alloc_uniform(c, seed + 7, -1, 1);
    float *zeros = calloc(total, sizeof *zeros);
    assert_non_null(zeros);
    t.b_in = test_upload_at(t.in, total, OFF_IN);
    t.b_gamma = test_upload_at(t.gamma, c, OFF_GAMMA);
    t.b_beta = test_upload_at(t.beta, c, OFF_BETA);
    t.b_rm = test_upload_at(t.rm, c, OFF_RM);
    t.b_rv = test_upload_at(t.rv, c, OFF_RV);
    t.b_d_out = test_upload_at(t.d_out, total, OFF_D_OUT);
    t.b_d_gamma = test_upload_at(t.d_gamma, c, OFF_D_GAMMA);
    t.b_d_beta = test_upload_at(t.d_beta, c, OFF_D_BETA);
    t.b_out = test_upload_at(zeros, total, OFF_OUT);
    t.b_mean = test_upload_at(zeros, c, OFF_MEAN);
    t.b_invstd = test_upload_at(zeros, c, OFF_INVSTD);
    t.b_d_in = test_upload_at(zeros, total, OFF_D_IN);
    free(zeros);
    return t;
}

static void train_case_free(TrainCase *t) {
    float *host[] = {t->in, t->gamma, t->beta, t->rm, t->rv, t->d_out, t->d_gamma, t->d_beta};
    for (size_t i = 0; i < sizeof host / sizeof host[0]; i++) free(host[i]);
    Buffer *dev[] = {t->b_in, t->b_gamma, t->b_beta, t->b_rm, t->b_rv, t->b_d_out, t->b_d_gamma,
                     t->b_d_beta, t->b_out, t->b_mean, t->b_invstd, t->b_d_in};
    for (size_t i = 0; i < sizeof dev / sizeof dev[0]; i++) buffer_release(dev[i]);
}

/* Forward and backward, with the ReLU fused when relu (the backward then masks d_out by
 * the forward's output). */
static void train_case_run_device(TrainCase *t, bool relu) {
    Device *dev = test_device();
    BatchNormShape s = {t->d.n, t->d.c, t->d.spatial, t->eps, t->momentum};
    TEST_CHECK((relu ? batchnorm_relu_forward_train : batchnorm_forward_train)(
        dev, view_in(t->b_out, OFF_OUT), view_in(t->b_mean, OFF_MEAN), view_in(t->b_invstd, OFF_INVSTD),
        view_in(t->b_rm, OFF_RM), view_in(t->b_rv, OFF_RV), view_in(t->b_in, OFF_IN),
        view_in(t->b_gamma, OFF_GAMMA), view_in(t->b_beta, OFF_BETA), &s));
    View d_in = view_in(t->b_d_in, OFF_D_IN), d_gamma = view_in(t->b_d_gamma, OFF_D_GAMMA);
    View d_beta = view_in(t->b_d_beta, OFF_D_BETA), d_out = view_in(t->b_d_out, OFF_D_OUT);
    View in = view_in(t->b_in, OFF_IN), mean = view_in(t->b_mean, OFF_MEAN);
    View invstd = view_in(t->b_invstd, OFF_INVSTD), gamma = view_in(t->b_gamma, OFF_GAMMA);
    if (relu)
        TEST_CHECK(batchnorm_relu_backward(dev, d_in, d_gamma, d_beta, d_out, view_in(t->b_out, OFF_OUT), in,
                                           mean, invstd, gamma, &s));
    else
        TEST_CHECK(batchnorm_backward(dev, d_in, d_gamma, d_beta, d_out, in, mean, invstd, gamma, &s));
}

/* Downloads `n` values at `offset`, checks the prefix and compares with the double reference. */
static void expect_close(Buffer *b, size_t offset, const double *want, size_t n, double atol,
                         double rtol, const char *what) {
    float *got = test_download_at(b, n, offset, what);
    float *wantf = ref_floats_from_doubles(want, n);
    test_assert_close(got, wantf, n, atol, rtol, what);
    free(got);
    free(wantf);
}

/* The reference on the same inputs (with relu: ReLU after the forward, d_out masked by its
 * output before the backward). out_atol and grad_atol cover the float rounding of the
 * saved mean, which matters only when the mean is large against the spread. */
static void train_case_check(const TrainCase *t, bool relu, double out_atol, double grad_atol) {
    Dims d = t->d;
    size_t total = total_of(d), c = (size_t)d.c;
    double *in = ref_doubles_from_floats(t->in, total), *d_out = ref_doubles_from_floats(t->d_out, total);
    double *gamma = ref_doubles_from_floats(t->gamma, c), *beta = ref_doubles_from_floats(t->beta, c);
    double *rm = ref_doubles_from_floats(t->rm, c), *rv = ref_doubles_from_floats(t->rv, c);
    double *d_gamma = ref_doubles_from_floats(t->d_gamma, c), *d_beta = ref_doubles_from_floats(t->d_beta, c);
    double *out = malloc(total * sizeof *out), *d_in = malloc(total * sizeof *d_in);
    double *mean = malloc(c * sizeof *mean), *invstd = malloc(c * sizeof *invstd);
    assert_true(in && d_out && gamma && beta && rm && rv && d_gamma && d_beta && out && d_in && mean && invstd);
    batchnorm_ref_forward_train(out, mean, invstd, rm, rv, in, gamma, beta, d.n, d.c, d.spatial,
                                t->eps, t->momentum);
    if (relu) {
        relu_ref_forward(out, out, total);
        relu_ref_backward(d_out, d_out, out, total);
    }
    batchnorm_ref_backward(d_in, d_gamma, d_beta, d_out, in, mean, invstd, gamma, d.n, d.c,
                           d.spatial);
    expect_close(t->b_out, OFF_OUT, out, total, out_atol, 1e-4, "batchnorm out");
    expect_close(t->b_mean, OFF_MEAN, mean, c, 1e-5, 1e-6, "batchnorm saved mean");
    expect_close(t->b_invstd, OFF_INVSTD, invstd, c, 1e-5, 1e-4, "batchnorm saved invstd");
    expect_close(t->b_rm, OFF_RM, rm, c, 1e-5, 1e-5, "batchnorm running mean");
    expect_close(t->b_rv, OFF_RV, rv, c, 1e-5, 1e-4, "batchnorm running var");
    expect_close(t->b_d_in, OFF_D_IN, d_in, total, 2 * grad_atol, 1e-3, "batchnorm d_in");
    expect_close(t->b_d_gamma, OFF_D_GAMMA, d_gamma, c, grad_atol, 1e-4, "batchnorm d_gamma");
    expect_close(t->b_d_beta, OFF_D_BETA, d_beta, c, 1e-4, 1e-4, "batchnorm d_beta");
    double *all[] = {in, d_out, gamma, beta, rm, rv, d_gamma, d_beta, out, d_in, mean, invstd};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) free(all[i]);
}

static void test_training_matches_reference_on_odd_shapes(void **state) {
    (void)state;
    /* 1-D (spatial 1) and 2-D; batch 1 and 3; 1x1, 7x7 and 5x3; planes shorter than, equal
     * to and not a multiple of the plane kernels' 16 lanes; odd channel counts. */
    static const Dims full[] = {{3, 5, 1},  {2, 257, 1}, {1, 3, 49},  {3, 7, 49},  {3, 5, 1 * 1},
                                {16, 3, 28 * 28}, {64, 33, 1}, {3, 1, 9}, {2, 3, 5 * 3}, {3, 2, 16},
                                {5, 4, 40}};
    static const Dims small[] = {{3, 5, 1}, {1, 3, 49}, {3, 3, 9}, {2, 2, 1}, {2, 3, 5 * 3}, {2, 2, 17}};
    const Dims *dims = test_small() ? small : full;
    size_t count = test_small() ? sizeof small / sizeof small[0] : sizeof full / sizeof full[0];
    int saved = default_planes();
    for (int planes = 0; planes < PATH_COUNT; planes++) {
        use_planes(planes);
        for (size_t i = 0; i < count; i++)
            for (int relu = 0; relu < 2; relu++) {
                TrainCase t = train_case_make(dims[i], -2, 3, 100 + i);
                train_case_run_device(&t, relu);
                train_case_check(&t, relu, 1e-4, 1e-4);
                train_case_free(&t);
            }
    }
    use_planes(saved);
}

/* Several partials per channel so their merge runs: the element kernels with a tiny
 * BN_CHUNK, the plane kernels with one image per run (BN_PLANE_ITEMS above n) and with
 * two runs of up to three images each (BN_PLANE_ITEMS=2), on data with a large
 * common offset: a one-pass E[x^2] - E[x]^2 in float would lose most digits of the
 * variance here (sums of x^2 ~ 1e6 have ulps of 0.06 and more, the variance is 1/3). */
static void test_many_chunks_and_large_offset_keep_precision(void **state) {
    (void)state;
    Device *dev = test_device();
    int saved_chunk = device_profile_get(dev, "BN_CHUNK");
    int saved_items = device_profile_get(dev, "BN_PLANE_ITEMS");
    int saved_planes = default_planes();
    int saved_gpu_chunk = device_profile_get(dev, "BN_GPU_CHUNK");
    int saved_gpu_wg = device_profile_get(dev, "BN_GPU_WG");
    TEST_CHECK(device_profile_set(dev, "BN_CHUNK", 5));
    /* Work-groups of 4 over chunks of 5 values: several partials per channel, work-items
     * with 1 or 2 values or none, walks that cross planes. */
    TEST_CHECK(device_profile_set(dev, "BN_GPU_CHUNK", 5));
    TEST_CHECK(device_profile_set(dev, "BN_GPU_WG", 4));
    /* The reductions halve their width each step: the profile refuses other sizes. */
    assert_int_equal(device_profile_set(dev, "BN_GPU_WG", 6), BC_ERR_USAGE);
    error_clear();
    assert_int_equal(device_profile_get(dev, "BN_GPU_WG"), 4);
    const struct {
        int planes, items;
    } paths[] = {{0, 64}, {1, 1000}, {1, 2}, {2, 64}};
    Dims shapes[] = {{3, 5, 7}, {4, 3, 1}, {2, 2, 13}, {5, 2, 33}};
    for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++) {
        use_planes(paths[p].planes);
        TEST_CHECK(device_profile_set(dev, "BN_PLANE_ITEMS", paths[p].items));
        for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
            TrainCase plain = train_case_make(shapes[i], -1, 1, 300 + i);
            train_case_run_device(&plain, false);
            train_case_check(&plain, false, 1e-4, 1e-4);
            train_case_free(&plain);
            TrainCase offset = train_case_make(shapes[i], 1e3f - 1, 1e3f + 1, 400 + i);
            train_case_run_device(&offset, p >= 2);
            /* A saved mean near 1e3 is rounded by up to 3e-5 (half an ulp), which moves xhat
             * by that times invstd: out and the gradients using xhat are only that close. */
            train_case_check(&offset, p >= 2, 5e-4, 2e-3);
            train_case_free(&offset);
        }
    }
    TEST_CHECK(device_profile_set(dev, "BN_CHUNK", saved_chunk));
    TEST_CHECK(device_profile_set(dev, "BN_PLANE_ITEMS", saved_items));
    TEST_CHECK(device_profile_set(dev, "BN_GPU_CHUNK", saved_gpu_chunk));
    TEST_CHECK(device_profile_set(dev, "BN_GPU_WG", saved_gpu_wg));
    use_planes(saved_planes);
}

/* batchnorm_add_relu_forward_{train,eval}: max(0, batchnorm(in) + residual) against the
 * reference's batch norm, join and ReLU, with the statistics as without the join; on every
 * kernel family (the join has one kernel, the statistics differ). */
static void test_residual_join_fused_matches_reference(void **state) {
    (void)state;
    Device *dev = test_device();
    static const Dims dims[] = {{3, 5, 7}, {2, 3, 49}, {1, 2, 9}, {4, 3, 1}};
    int saved = default_planes();
    for (int path = 0; path < PATH_COUNT; path++) {
        use_planes(path);
        for (size_t i = 0; i < sizeof dims / sizeof *dims; i++) {
            TrainCase t = train_case_make(dims[i], -2, 3, 600 + i);
            size_t total = total_of(t.d), c = (size_t)t.d.c;
            float *res = test_alloc_uniform(total, 700 + i, -2, 2);
            Buffer *b_res = test_upload_at(res, total, 4);
            BatchNormShape s = {t.d.n, t.d.c, t.d.spatial, t.eps, t.momentum};
            double *in = ref_doubles_from_floats(t.in, total), *r = ref_doubles_from_floats(res, total);
            double *gamma = ref_doubles_from_floats(t.gamma, c), *beta = ref_doubles_from_floats(t.beta, c);
            double *rm = ref_doubles_from_floats(t.rm, c), *rv = ref_doubles_from_floats(t.rv, c);
            double *out = malloc(total * sizeof *out);
            assert_non_null(out);
            /* Evaluation first, on the running statistics the training pass then moves. */
            TEST_CHECK(batchnorm_add_relu_forward_eval(dev, view_in(t.b_out, OFF_OUT), view_in(t.b_in, OFF_IN),
                                                       view_in(b_res, 4), view_in(t.b_gamma, OFF_GAMMA),
                                                       view_in(t.b_beta, OFF_BETA), view_in(t.b_rm, OFF_RM),
                                                       view_in(t.b_rv, OFF_RV), &s));
            batchnorm_ref_forward_eval(out, in, gamma, beta, rm, rv, t.d.n, t.d.c, t.d.spatial, t.eps);
            for (size_t k = 0; k < total; k++) out[k] = out[k] + r[k] > 0 ? out[k] + r[k] : 0;
            expect_close(t.b_out, OFF_OUT, out, total, 1e-4, 1e-4, "batchnorm + residual + relu (eval)");
            TEST_CHECK(batchnorm_add_relu_forward_train(
                dev, view_in(t.b_out, OFF_OUT), view_in(t.b_mean, OFF_MEAN), view_in(t.b_invstd, OFF_INVSTD),
                view_in(t.b_rm, OFF_RM), view_in(t.b_rv, OFF_RV), view_in(t.b_in, OFF_IN), view_in(b_res, 4),
                view_in(t.b_gamma, OFF_GAMMA), view_in(t.b_beta, OFF_BETA), &s));
            batchnorm_ref_forward_train(out, NULL, NULL, rm, rv, in, gamma, beta, t.d.n, t.d.c, t.d.spatial,
                                        t.eps, t.momentum);
            for (size_t k = 0; k < total; k++) out[k] = out[k] + r[k] > 0 ? out[k] + r[k] : 0;
            expect_close(t.b_out, OFF_OUT, out, total, 1e-4, 1e-4, "batchnorm + residual + relu (train)");
            expect_close(t.b_rv, OFF_RV, rv, c, 1e-5, 1e-4, "batchnorm + residual: running var");
            double *all[] = {in, r, gamma, beta, rm, rv, out};
            for (size_t k = 0; k < sizeof all / sizeof *all; k++) free(all[k]);
            free(res);
            buffer_release(b_res);
            train_case_free(&t);
        }
    }
    use_planes(saved);
}

/* running = (1 - momentum) * running + momentum * batch statistic, with the unbiased
 * variance, computed here by hand rather than by the reference. */
static void test_running_stats_follow_pytorch_formula(void **state) {
    (void)state;
    Device *dev = test_device();
    const int n = 4, c = 3, spatial = 5, count = n * spatial;
    const float momenta[] = {0.1f, 0.25f};
    int saved = default_planes();
    for (int m = 0; m < 2; m++) {
        use_planes(m); /* each momentum on another kernel family */
        float *in = test_alloc_uniform((size_t)n * c * spatial, 21 + m, -3, 2);
        float rm[3] = {0.5f, -1.0f, 0.0f}, rv[3] = {1.0f, 2.0f, 0.25f};
        float ones[3] = {1, 1, 1}, zeros[3] = {0, 0, 0};
        Buffer *b_in = test_upload(in, (size_t)n * c * spatial), *b_out = test_alloc_device((size_t)n * c * spatial);
        Buffer *b_rm = test_upload(rm, 3), *b_rv = test_upload(rv, 3), *b_g = test_upload(ones, 3);
        /* Uploaded zeros rather than test_alloc_device: under oclgrind, values a kernel wrote
         * into a clEnqueueFillBuffer'd buffer read back as uninitialized. */
        Buffer *b_b = test_upload(zeros, 3), *b_mean = test_upload(zeros, 3), *b_inv = test_upload(zeros, 3);
        BatchNormShape s = {n, c, spatial, 1e-5f, momenta[m]};
        TEST_CHECK(batchnorm_forward_train(dev, view_of(b_out), view_of(b_mean), view_of(b_inv),
                                           view_of(b_rm), view_of(b_rv), view_of(b_in),
                                           view_of(b_g), view_of(b_b), &s));
        float *got_rm = test_download(b_rm, 3), *got_rv = test_download(b_rv, 3);
        for (int ch = 0; ch < c; ch++) {
            double sum = 0, sq = 0;
            for (int i = 0; i < n; i++)
                for (int k = 0; k < spatial; k++) sum += in[(i * c + ch) * spatial + k];
            double mean = sum / count;
            for (int i = 0; i < n; i++)
                for (int k = 0; k < spatial; k++) {
                    double dlt = in[(i * c + ch) * spatial + k] - mean;
                    sq += dlt * dlt;
                }
            double want_rm = (1 - momenta[m]) * rm[ch] + momenta[m] * mean;
            double want_rv = (1 - momenta[m]) * rv[ch] + momenta[m] * sq / (count - 1);
            assert_true(fabs(got_rm[ch] - want_rm) < 1e-5);
            assert_true(fabs(got_rv[ch] - want_rv) < 1e-5 * (1 + want_rv));
        }
        free(got_rm);
        free(got_rv);
        free(in);
        Buffer *all[] = {b_in, b_out, b_rm, b_rv, b_g, b_b, b_mean, b_inv};
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) buffer_release(all[i]);
    }
    use_planes(saved);
}

/* Evaluation uses only the running statistics: it matches the reference (also with the
 * fused ReLU), and a sample normalized alone (batch 1) equals the same sample inside a
 * batch of 100. */
static void check_eval_on_one_path(void) {
    Device *dev = test_device();
    const int batch = 100, c = 3, spatial = test_small() ? 17 : 49;
    size_t per = (size_t)c * spatial, total = batch * per;
    float *in = test_alloc_uniform(total, 51, -2, 2);
    float *gamma = test_alloc_uniform((size_t)c, 52, 0.5f, 1.5f), *beta = test_alloc_uniform((size_t)c, 53, -1, 1);
    float *rm = test_alloc_uniform((size_t)c, 54, -1, 1), *rv = test_alloc_uniform((size_t)c, 55, 0.2f, 3);
    Buffer *b_in = test_upload_at(in, total, 2), *b_out = test_alloc_device(total + 1);
    Buffer *b_g = test_upload_at(gamma, (size_t)c, 1), *b_b = test_upload_at(beta, (size_t)c, 3);
    Buffer *b_rm = test_upload_at(rm, (size_t)c, 2), *b_rv = test_upload_at(rv, (size_t)c, 4);
    BatchNormShape s = {batch, c, spatial, 1e-5f, 0.1f};
    TEST_CHECK(batchnorm_forward_eval(dev, view_in(b_out, 1), view_in(b_in, 2), view_in(b_g, 1),
                                      view_in(b_b, 3), view_in(b_rm, 2), view_in(b_rv, 4), &s));
    float *whole = test_download(b_out, total + 1);

    double *din = ref_doubles_from_floats(in, total), *dg = ref_doubles_from_floats(gamma, (size_t)c);
    double *db = ref_doubles_from_floats(beta, (size_t)c), *drm = ref_doubles_from_floats(rm, (size_t)c);
    double *drv = ref_doubles_from_floats(rv, (size_t)c), *dout = malloc(total * sizeof *dout);
    assert_non_null(dout);
    batchnorm_ref_forward_eval(dout, din, dg, db, drm, drv, batch, c, spatial, 1e-5);
    float *want = ref_floats_from_doubles(dout, total);
    test_assert_close(whole + 1, want, total, 1e-5, 1e-5, "batchnorm eval");

    const int samples[] = {0, 37, 99};
    for (int k = 0; k < 3; k++) {
        Buffer *one_in = test_upload(in + samples[k] * per, per), *one_out = test_alloc_device(per);
        BatchNormShape one = {1, c, spatial, 1e-5f, 0.1f};
        TEST_CHECK(batchnorm_forward_eval(dev, view_of(one_out), view_of(one_in), view_in(b_g, 1),
                                          view_in(b_b, 3), view_in(b_rm, 2), view_in(b_rv, 4), &one));
        float *got = test_download(one_out, per);
        test_assert_close(got, whole + 1 + samples[k] * per, per, 0, 0, "batch of 1 vs batch of 100");
        free(got);
        buffer_release(one_in);
        buffer_release(one_out);
    }
    TEST_CHECK(batchnorm_relu_forward_eval(dev, view_in(b_out, 1), view_in(b_in, 2), view_in(b_g, 1),
                                           view_in(b_b, 3), view_in(b_rm, 2), view_in(b_rv, 4), &s));
    float *fused = test_download(b_out, total + 1);
    relu_ref_forward(dout, dout, total);
    float *want_relu = ref_floats_from_doubles(dout, total);
    test_assert_close(fused + 1, want_relu, total, 1e-5, 1e-5, "batchnorm relu eval");
    free(fused);
    free(want_relu);
    free(whole);
    free(want);
    free(in);
    free(gamma);
    free(beta);
    free(rm);
    free(rv);
    double *dall[] = {din, dg, db, drm, drv, dout};
    for (size_t i = 0; i < 6; i++) free(dall[i]);
    Buffer *ball[] = {b_in, b_out, b_g, b_b, b_rm, b_rv};
    for (size_t i = 0; i < 6; i++) buffer_release(ball[i]);
}

static void test_eval_is_independent_of_the_batch(void **state) {
    (void)state;
    int saved = default_planes();
    for (int planes = 0; planes < PATH_COUNT; planes++) {
        use_planes(planes);
        check_eval_on_one_path();
    }
    use_planes(saved);
}

/* L = sum w * batchnorm_train(in, gamma, beta): the scalar whose gradient backward gives. */
typedef struct {
    Dims d;
    double *in, *gamma, *beta, *w, *out;
} BnLoss;

static double bn_loss(void *ctx) {
    BnLoss *l = ctx;
    batchnorm_ref_forward_train(l->out, NULL, NULL, NULL, NULL, l->in, l->gamma, l->beta, l->d.n,
                                l->d.c, l->d.spatial, 1e-5, 0.1);
    return ref_weighted_sum(l->w, l->out, total_of(l->d));
}

static double *uniform_doubles(size_t n, uint64_t seed, float lo, float hi) {
    float *f = test_alloc_uniform(n, seed, lo, hi);
    double *d = ref_doubles_from_floats(f, n);
    free(f);
    assert_non_null(d);
    return d;
}

static void test_reference_gradients_match_finite_differences(void **state) {
    (void)state;
    const Dims shapes[] = {{3, 2, 5}, {4, 3, 1}, {2, 1, 9}};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        Dims d = shapes[k];
        size_t total = total_of(d), c = (size_t)d.c;
        BnLoss l = {d, uniform_doubles(total, 60 + k, -2, 2), uniform_doubles(c, 70 + k, 0.5f, 1.5f),
                    uniform_doubles(c, 80 + k, -1, 1), uniform_doubles(total, 90 + k, -1, 1),
                    malloc(total * sizeof(double))};
        double *mean = malloc(c * sizeof *mean), *invstd = malloc(c * sizeof *invstd);
        double *d_in = malloc(total * sizeof *d_in), *d_gamma = calloc(c, sizeof *d_gamma);
        double *d_beta = calloc(c, sizeof *d_beta);
        assert_true(l.out && mean && invstd && d_in && d_gamma && d_beta);
        batchnorm_ref_forward_train(l.out, mean, invstd, NULL, NULL, l.in, l.gamma, l.beta, d.n,
                                    d.c, d.spatial, 1e-5, 0.1);
        batchnorm_ref_backward(d_in, d_gamma, d_beta, l.w, l.in, mean, invstd, l.gamma, d.n, d.c,
                               d.spatial);
        size_t worst;
        double e = gradcheck_max_error(bn_loss, &l, l.in, total, d_in, 1e-5, &worst);
        if (e > 1e-6) fail_msg("batchnorm d_in: error %g at %zu (shape %d,%d,%d)", e, worst, d.n, d.c, d.spatial);
        e = gradcheck_max_error(bn_loss, &l, l.gamma, c, d_gamma, 1e-5, &worst);
        if (e > 1e-6) fail_msg("batchnorm d_gamma: error %g at %zu", e, worst);
        e = gradcheck_max_error(bn_loss, &l, l.beta, c, d_beta, 1e-5, &worst);
        if (e > 1e-6) fail_msg("batchnorm d_beta: error %g at %zu", e, worst);
        double *all[] = {l.in, l.gamma, l.beta, l.w, l.out, mean, invstd, d_in, d_gamma, d_beta};
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) free(all[i]);
    }
}

/* Cross-replica batch norm, two replicas in one process: this one holds the first half of
 * a batch, the sum callback adds the second half's contribution as another rank would
 * (its count, sum and sum of squares; its sums of dy and dy * xhat with the whole batch's
 * statistics, from the reference). The first half's output, input gradient and running
 * statistics must be those of batch norm over the whole batch; d_gamma and d_beta hold the
 * first half's share only (training averages gradients afterwards). */
typedef struct {
    const TrainCase *t;
    const double *mean, *invstd; /* of the whole batch (reference) */
    int half;                    /* images per replica */
    int calls;
} OtherReplica;

static Status add_other_replica(void *context, double *values, size_t count) {
    OtherReplica *o = context;
    Dims d = o->t->d;
    size_t c = (size_t)d.c, plane = (size_t)d.spatial;
    o->calls++;
    for (size_t ch = 0; ch < c; ch++)
        for (int i = o->half; i < d.n; i++)
            for (size_t k = 0; k < plane; k++) {
                size_t at = ((size_t)i * c + ch) * plane + k;
                double x = o->t->in[at], dy = o->t->d_out[at];
                if (count == 3 * c) { /* forward: count, sum, sum of squares */
                    values[3 * ch] += 1.0;
                    values[3 * ch + 1] += x;
                    values[3 * ch + 2] += x * x;
                } else { /* backward: sum dy, sum dy * xhat */
                    assert_int_equal(count, 2 * c);
                    values[2 * ch] += dy;
                    values[2 * ch + 1] += dy * (x - o->mean[ch]) * o->invstd[ch];
                }
            }
    return BC_OK;
}

static void test_cross_replica_matches_the_whole_batch(void **state) {
    (void)state;
    static const Dims whole[] = {{6, 5, 1}, {4, 3, 49}, {2, 2, 15}, {8, 7, 9}};
    int saved = default_planes();
    for (int path = 0; path < PATH_COUNT; path++) {
        use_planes(path);
        for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++) {
            Dims d = whole[i];
            TrainCase t = train_case_make(d, -2, 3, 500 + i);
            size_t total = total_of(d), c = (size_t)d.c, half_total = total / 2;
            double *in = ref_doubles_from_floats(t.in, total), *d_out = ref_doubles_from_floats(t.d_out, total);
            double *gamma = ref_doubles_from_floats(t.gamma, c), *beta = ref_doubles_from_floats(t.beta, c);
            double *rm = ref_doubles_from_floats(t.rm, c), *rv = ref_doubles_from_floats(t.rv, c);
            double *d_gamma = ref_doubles_from_floats(t.d_gamma, c), *d_beta = ref_doubles_from_floats(t.d_beta, c);
            double *out = malloc(total * sizeof *out), *d_in = malloc(total * sizeof *d_in);
            double *mean = malloc(c * sizeof *mean), *invstd = malloc(c * sizeof *invstd);
            double *share_gamma = ref_doubles_from_floats(t.d_gamma, c), *share_beta = ref_doubles_from_floats(t.d_beta, c);
            assert_true(out && d_in && mean && invstd);
            batchnorm_ref_forward_train(out, mean, invstd, rm, rv, in, gamma, beta, d.n, d.c, d.spatial, t.eps,
                                        t.momentum);
            batchnorm_ref_backward(d_in, d_gamma, d_beta, d_out, in, mean, invstd, gamma, d.n, d.c, d.spatial);
            for (size_t at = 0; at < half_total; at++) { /* the first half's d_gamma, d_beta */
                size_t ch = at / (size_t)d.spatial % c;
                share_beta[ch] += d_out[at];
                share_gamma[ch] += d_out[at] * (in[at] - mean[ch]) * invstd[ch];
            }
            OtherReplica other = {.t = &t, .mean = mean, .invstd = invstd, .half = d.n / 2};
            CrossReplicaSum sum = {.sum = add_other_replica, .context = &other, .replicas = 2};
            BatchNormShape s = {d.n / 2, d.c, d.spatial, t.eps, t.momentum, &sum};
            Device *dev = test_device();
            TEST_CHECK(batchnorm_forward_train(dev, view_in(t.b_out, OFF_OUT), view_in(t.b_mean, OFF_MEAN),
                                               view_in(t.b_invstd, OFF_INVSTD), view_in(t.b_rm, OFF_RM),
                                               view_in(t.b_rv, OFF_RV), view_in(t.b_in, OFF_IN),
                                               view_in(t.b_gamma, OFF_GAMMA), view_in(t.b_beta, OFF_BETA), &s));
            TEST_CHECK(batchnorm_backward(dev, view_in(t.b_d_in, OFF_D_IN), view_in(t.b_d_gamma, OFF_D_GAMMA),
                                          view_in(t.b_d_beta, OFF_D_BETA), view_in(t.b_d_out, OFF_D_OUT),
                                          view_in(t.b_in, OFF_IN), view_in(t.b_mean, OFF_MEAN),
                                          view_in(t.b_invstd, OFF_INVSTD), view_in(t.b_gamma, OFF_GAMMA), &s));
            assert_int_equal(other.calls, 2);
            expect_close(t.b_out, OFF_OUT, out, half_total, 1e-4, 1e-4, "cross-replica out");
            expect_close(t.b_mean, OFF_MEAN, mean, c, 1e-5, 1e-6, "cross-replica saved mean");
            expect_close(t.b_invstd, OFF_INVSTD, invstd, c, 1e-5, 1e-4, "cross-replica saved invstd");
            expect_close(t.b_rm, OFF_RM, rm, c, 1e-5, 1e-5, "cross-replica running mean");
            expect_close(t.b_rv, OFF_RV, rv, c, 1e-5, 1e-4, "cross-replica running var");
            expect_close(t.b_d_in, OFF_D_IN, d_in, half_total, 2e-4, 1e-3, "cross-replica d_in");
            expect_close(t.b_d_gamma, OFF_D_GAMMA, share_gamma, c, 1e-4, 1e-4, "cross-replica d_gamma");
            expect_close(t.b_d_beta, OFF_D_BETA, share_beta, c, 1e-4, 1e-4, "cross-replica d_beta");
            double *all[] = {in, d_out, gamma, beta, rm, rv, d_gamma, d_beta, out, d_in, mean, invstd,
                             share_gamma, share_beta};
            for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) free(all[k]);
            train_case_free(&t);
        }
    }
    use_planes(saved);
}

static void test_bad_shape_is_a_usage_error(void **state) {
    (void)state;
    Device *dev = test_device();
    BatchNormShape s = {0, 3, 1, 1e-5f, 0.1f};
    assert_int_equal(batchnorm_forward_eval(dev, VIEW_NONE, VIEW_NONE, VIEW_NONE, VIEW_NONE,
                                            VIEW_NONE, VIEW_NONE, &s),
                     BC_ERR_USAGE);
    assert_non_null(strstr(error_last(), "batchnorm_forward_eval"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_training_matches_reference_on_odd_shapes),
        cmocka_unit_test(test_many_chunks_and_large_offset_keep_precision),
        cmocka_unit_test(test_residual_join_fused_matches_reference),
        cmocka_unit_test(test_running_stats_follow_pytorch_formula),
        cmocka_unit_test(test_eval_is_independent_of_the_batch),
        cmocka_unit_test(test_reference_gradients_match_finite_differences),
        cmocka_unit_test(test_cross_replica_matches_the_whole_batch),
        cmocka_unit_test(test_bad_shape_is_a_usage_error),
    };
    return cmocka_run_group_tests(tests, NULL, test_teardown_device);
}
