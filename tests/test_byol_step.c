/* test_byol_step.c — BYOL training steps on the device against a host reference of the
 * same step (same initialization, same views): target projections of both views, the
 * symmetric loss, online backward per view, SGD or LARS (optax semantics, biases and BN
 * excluded from decay and adaptation) and the EMA target with copied BN statistics.
 * BYOLCL_OCLGRIND_TEST */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "byol/byol_model.h"
#include "ref/loss_ref.h"
#include "ref/network_ref.h"
#include "ref/optimizer_ref.h"
#include "test_util.h"

static void run_steps(OptimizerKind kind) {
    Device *dev = test_device();
    EncoderConfig enc;
    encoder_config_defaults(&enc, ARCH_SMALL, 1, test_small() ? 5 : 8);
    enc.width = 2;
    enc.stages = 2;
    HeadConfig proj = {6, 4}, pred = {5, 4};
    const int batch = 3, steps = 2;
    ByolModel m;
    TEST_CHECK(byol_model_create(dev, &enc, &proj, &pred, batch, 5, &m));
    OptimizerConfig cfg = optimizer_config_default(kind);
    cfg.weight_decay = 1e-2f; /* large enough to matter in two steps */
    double lr = kind == OPTIMIZER_SGD ? 0.05 : 0.5, tau = 0.9;

    size_t pf = arena_floats(m.online, ARENA_PARAMS), sf = arena_floats(m.online, ARENA_STATE);
    size_t tpf = arena_floats(m.target, ARENA_PARAMS), tsf = arena_floats(m.target, ARENA_STATE);
    float *params = malloc(pf * sizeof(float)), *state = malloc(sf * sizeof(float));
    TEST_CHECK(arena_download(m.online, ARENA_PARAMS, params));
    TEST_CHECK(arena_download(m.online, ARENA_STATE, state));
    NetworkRef *online = network_ref_create(m.online_net, m.online, params, state);
    NetworkRef *target = network_ref_create(m.target_net, m.target, params, state); /* prefix layout */
    double *momentum = calloc(pf, sizeof(double));

    size_t view_n = (size_t)batch * (size_t)enc.image_size * (size_t)enc.image_size;
    size_t out_n = (size_t)batch * 4;
    for (int step = 0; step < steps; step++) {
        double *views_d[2];
        for (int v = 0; v < 2; v++) {
            float *view = test_alloc_uniform(view_n, 100 + 10 * step + v, -2, 2);
            TEST_CHECK(buffer_write(dev, m.views[v], 0, view_n * sizeof(float), view));
            views_d[v] = malloc(view_n * sizeof(double));
            for (size_t i = 0; i < view_n; i++) views_d[v][i] = view[i];
            free(view);
        }
        TEST_CHECK(byol_model_step(&m, &cfg, lr, tau));
        double loss;
        TEST_CHECK(byol_model_read_loss(&m, &loss));

        /* The reference step. */
        double *z[2];
        for (int v = 0; v < 2; v++) {
            const double *out = network_ref_forward(target, views_d[v], batch, PART_PROJECTOR, BN_TRAIN);
            z[v] = malloc(out_n * sizeof(double));
            memcpy(z[v], out, out_n * sizeof(double));
        }
        memset(network_ref_grads(online), 0, pf * sizeof(double));
        double want_loss = 0;
        double *d_p = malloc(out_n * sizeof(double));
        for (int v = 0; v < 2; v++) {
            const double *p = network_ref_forward(online, views_d[v], batch, PART_PREDICTOR, BN_TRAIN);
            want_loss += byol_loss_ref_forward(p, z[1 - v], batch, 4);
            byol_loss_ref_backward(d_p, p, z[1 - v], batch, 4, 1.0);
            network_ref_backward(online, d_p, NULL);
        }
        optimizer_ref_step(m.online, &cfg, lr, network_ref_params(online), network_ref_grads(online), momentum);
        double *tp = network_ref_params(target), *op = network_ref_params(online);
        for (size_t i = 0; i < tpf; i++) tp[i] = tau * tp[i] + (1 - tau) * op[i];
        memcpy(network_ref_state(target), network_ref_state(online), tsf * sizeof(double));

        if (fabs(loss - want_loss) > 1e-4 * fmax(1.0, fabs(want_loss)))
            fail_msg("step %d: loss %.8g, reference %.8g", step, loss, want_loss);
        free(d_p), free(z[0]), free(z[1]), free(views_d[0]), free(views_d[1]);
    }
    TEST_CHECK(arena_download(m.online, ARENA_PARAMS, params));
    test_assert_close_scaled(params, network_ref_params(online), pf, 1e-4, 1e-6, "online parameters");
    float *target_params = malloc(tpf * sizeof(float));
    TEST_CHECK(arena_download(m.target, ARENA_PARAMS, target_params));
    test_assert_close_scaled(target_params, network_ref_params(target), tpf, 1e-4, 1e-6, "target parameters");
    float *target_state = malloc(tsf * sizeof(float));
    TEST_CHECK(arena_download(m.target, ARENA_STATE, target_state));
    test_assert_close_scaled(target_state, network_ref_state(online), tsf, 1e-4, 1e-6, "target running statistics");
    free(target_params), free(target_state), free(params), free(state), free(momentum);
    network_ref_destroy(online);
    network_ref_destroy(target);
    byol_model_destroy(&m);
}

static void test_sgd_steps_match_reference(void **state) {
    (void)state;
    run_steps(OPTIMIZER_SGD);
}

static void test_lars_steps_match_reference(void **state) {
    (void)state;
    run_steps(OPTIMIZER_LARS);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgd_steps_match_reference),
        cmocka_unit_test(test_lars_steps_match_reference),
    };
    return cmocka_run_group_tests(tests, NULL, test_teardown_device);
}
