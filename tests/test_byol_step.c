/* test_byol_step.c — BYOL training steps on the device against a host reference of the
 * same step (same initialization, same views): target projections of both views, the
 * symmetric loss, online backward per view, SGD or LARS (optax semantics, biases and BN
 * excluded from decay and adaptation) and the EMA target with copied BN statistics; the
 * same with --bn-views concat (both views as one batch: batch norm over both), which
 * differs from the per-view step.
 * BYOLCL_OCLGRIND_TEST */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "byol/byol_model.h"
#include "ref/loss_ref.h"
#include "ref/network_ref.h"
#include "ref/optimizer_ref.h"
#include "test_util.h"

/* The tiny network the tests train: two stages of width 2, heads 6 -> 4 and 5 -> 4. */
static void create_tiny_model(BnViews bn_views, int batch, ByolModel *m) {
    EncoderConfig enc;
    encoder_config_defaults(&enc, ARCH_SMALL, 1, test_small() ? 5 : 8);
    enc.width = 2;
    enc.stages = 2;
    HeadConfig proj = {6, 4}, pred = {5, 4};
    TEST_CHECK(byol_model_create(test_device(), &enc, &proj, &pred, batch, bn_views, 5, m));
}

/* Floats of one view of the tiny model's batch. */
static size_t view_floats(const ByolModel *m) {
    int side = network_encoder_config(m->online_net)->image_size;
    return (size_t)m->batch * (size_t)side * (size_t)side;
}

/* Steps with `bn_views` at `batch` against the reference: with BN_VIEWS_CONCAT the
 * reference runs both views as one batch of 2 batch images (batch norm over both, the
 * running statistics moving once), otherwise one forward per view. */
static void run_steps(OptimizerKind kind, BnViews bn_views, int batch) {
    Device *dev = test_device();
    const int steps = 2;
    ByolModel m;
    create_tiny_model(bn_views, batch, &m);
    OptimizerConfig cfg = optimizer_config_default(kind);
    cfg.weight_decay = 1e-2f; /* large enough to matter in two steps */
    double lr = kind == OPTIMIZER_SGD ? 0.05 : 0.5, tau = 0.9;

    size_t pf = arena_floats(m.online, ARENA_PARAMS), sf = arena_floats(m.online, ARENA_STATE);
    size_t tpf = arena_floats(m.target, ARENA_PARAMS), tsf = arena_floats(m.target, ARENA_STATE);
    float *params = malloc(pf * sizeof(float)), *state = malloc(sf * sizeof(float));
    float *grads = malloc(pf * sizeof(float));
    TEST_CHECK(arena_download(m.online, ARENA_PARAMS, params));
    TEST_CHECK(arena_download(m.online, ARENA_STATE, state));
    NetworkRef *online = network_ref_create(m.online_net, m.online, params, state);
    NetworkRef *target = network_ref_create(m.target_net, m.target, params, state); /* prefix layout */
    double *momentum = calloc(pf, sizeof(double));

    int per_pass = bn_views == BN_VIEWS_CONCAT ? 2 : 1, rows = per_pass * batch;
    size_t view_n = view_floats(&m);
    size_t out_n = (size_t)batch * 4;
    double *views_d = malloc(2 * view_n * sizeof(double)), *z = malloc(2 * out_n * sizeof(double));
    double *d_p = malloc(2 * out_n * sizeof(double));
    for (int step = 0; step < steps; step++) {
        /* Both views in one write from the start of the buffer (oclgrind 21.10 leaves a host
         * write past a buffer's start marked uninitialized). */
        float *both = malloc(2 * view_n * sizeof(float));
        for (int v = 0; v < 2; v++) {
            float *view = test_alloc_uniform(view_n, 100 + 10 * step + v, -2, 2);
            memcpy(both + v * view_n, view, view_n * sizeof(float));
            for (size_t i = 0; i < view_n; i++) views_d[v * view_n + i] = view[i];
            free(view);
        }
        TEST_CHECK(buffer_write(dev, m.view_pair, 0, 2 * view_n * sizeof(float), both));
        free(both);
        TEST_CHECK(byol_model_step(&m, &cfg, lr, tau));
        double loss;
        TEST_CHECK(byol_model_read_loss(&m, &loss));

        /* The reference step: a pass covers per_pass views, which lie one after the other. */
        for (int first = 0; first < 2; first += per_pass) {
            const double *out = network_ref_forward(target, views_d + first * view_n, rows, PART_PROJECTOR, BN_TRAIN);
            memcpy(z + first * out_n, out, (size_t)per_pass * out_n * sizeof(double));
        }
        memset(network_ref_grads(online), 0, pf * sizeof(double));
        double want_loss = 0;
        for (int first = 0; first < 2; first += per_pass) {
            const double *p = network_ref_forward(online, views_d + first * view_n, rows, PART_PREDICTOR, BN_TRAIN);
            for (int k = 0; k < per_pass; k++) {
                int v = first + k;
                want_loss += byol_loss_ref_forward(p + k * out_n, z + (1 - v) * out_n, batch, 4);
                byol_loss_ref_backward(d_p + k * out_n, p + k * out_n, z + (1 - v) * out_n, batch, 4, 1.0);
            }
            network_ref_backward(online, d_p, NULL);
        }
        /* The optimizer reads the gradients and leaves them: they are the step's. */
        TEST_CHECK(arena_download(m.online, ARENA_GRADS, grads));
        test_assert_close_scaled(grads, network_ref_grads(online), pf, 1e-4, 1e-6, "online gradients");
        optimizer_ref_step(m.online, &cfg, lr, network_ref_params(online), network_ref_grads(online), momentum);
        double *tp = network_ref_params(target), *op = network_ref_params(online);
        for (size_t i = 0; i < tpf; i++) tp[i] = tau * tp[i] + (1 - tau) * op[i];
        memcpy(network_ref_state(target), network_ref_state(online), tsf * sizeof(double));

        if (fabs(loss - want_loss) > 1e-4 * fmax(1.0, fabs(want_loss)))
            fail_msg("%s step %d: loss %.8g, reference %.8g", bn_views_name(bn_views), step, loss, want_loss);
    }
    TEST_CHECK(arena_download(m.online, ARENA_PARAMS, params));
    test_assert_close_scaled(params, network_ref_params(online), pf, 1e-4, 1e-6, "online parameters");
    TEST_CHECK(arena_download(m.online, ARENA_STATE, state));
    test_assert_close_scaled(state, network_ref_state(online), sf, 1e-4, 1e-6, "online running statistics");
    float *target_params = malloc(tpf * sizeof(float));
    TEST_CHECK(arena_download(m.target, ARENA_PARAMS, target_params));
    test_assert_close_scaled(target_params, network_ref_params(target), tpf, 1e-4, 1e-6, "target parameters");
    float *target_state = malloc(tsf * sizeof(float));
    TEST_CHECK(arena_download(m.target, ARENA_STATE, target_state));
    test_assert_close_scaled(target_state, network_ref_state(online), tsf, 1e-4, 1e-6, "target running statistics");
    free(target_params), free(target_state), free(params), free(state), free(momentum);
    free(views_d), free(z), free(d_p), free(grads);
    network_ref_destroy(online);
    network_ref_destroy(target);
    byol_model_destroy(&m);
}

static void test_sgd_steps_match_reference(void **state) {
    (void)state;
    run_steps(OPTIMIZER_SGD, BN_VIEWS_SEPARATE, 3);
}

static void test_lars_steps_match_reference(void **state) {
    (void)state;
    run_steps(OPTIMIZER_LARS, BN_VIEWS_SEPARATE, 3);
}

static void test_concat_sgd_steps_match_reference(void **state) {
    (void)state;
    run_steps(OPTIMIZER_SGD, BN_VIEWS_CONCAT, 3);
}

static void test_concat_lars_steps_match_reference(void **state) {
    (void)state;
    run_steps(OPTIMIZER_LARS, BN_VIEWS_CONCAT, 2);
}

/* The same views and initialization: one step's loss, online parameters and running
 * statistics in one mode against the other's, and the difference they make. */
static void test_concat_differs_from_separate(void **state) {
    (void)state;
    OptimizerConfig cfg = optimizer_config_default(OPTIMIZER_SGD);
    double loss[2];
    float *after[2][2]; /* [mode][params, state] */
    size_t floats[2];
    for (int mode = 0; mode < 2; mode++) {
        ByolModel m;
        create_tiny_model((BnViews)mode, 3, &m);
        size_t view_n = view_floats(&m);
        /* The views differ in scale and offset, as T and T' do, so their batch statistics differ. */
        float *both = test_alloc_uniform(2 * view_n, 300, -2.0f, 1.0f);
        for (size_t i = view_n; i < 2 * view_n; i++) both[i] = 1.5f * both[i] + 2.0f;
        TEST_CHECK(buffer_write(test_device(), m.view_pair, 0, 2 * view_n * sizeof(float), both));
        free(both);
        TEST_CHECK(byol_model_step(&m, &cfg, 0.05, 0.9));
        TEST_CHECK(byol_model_read_loss(&m, &loss[mode]));
        ArenaPart parts[2] = {ARENA_PARAMS, ARENA_STATE};
        for (int i = 0; i < 2; i++) {
            floats[i] = arena_floats(m.online, parts[i]);
            after[mode][i] = malloc(floats[i] * sizeof(float));
            TEST_CHECK(arena_download(m.online, parts[i], after[mode][i]));
        }
        byol_model_destroy(&m);
    }
    if (!(fabs(loss[0] - loss[1]) > 1e-3))
        fail_msg("separate and concat give the same loss (%.8g, %.8g)", loss[0], loss[1]);
    const char *what[2] = {"online parameters", "running statistics"};
    for (int i = 0; i < 2; i++) {
        double largest = 0;
        for (size_t j = 0; j < floats[i]; j++) largest = fmax(largest, fabs((double)after[0][i][j] - after[1][i][j]));
        if (!(largest > 1e-4)) fail_msg("%s: separate and concat differ by at most %g", what[i], largest);
        free(after[0][i]), free(after[1][i]);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgd_steps_match_reference),
        cmocka_unit_test(test_lars_steps_match_reference),
        cmocka_unit_test(test_concat_sgd_steps_match_reference),
        cmocka_unit_test(test_concat_lars_steps_match_reference),
        cmocka_unit_test(test_concat_differs_from_separate),
    };
    return cmocka_run_group_tests(tests, NULL, test_teardown_device);
}
