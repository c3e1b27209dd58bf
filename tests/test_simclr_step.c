/* test_simclr_step.c — SimCLR training steps on the device against a host reference of
 * the same step (same initialization, same views): each view through the online network
 * (batch norm over its own images, running statistics moving view 0 then view 1; with
 * --bn-views concat both views as one batch, batch norm over both), NT-Xent
 * over the 2N projections, both views' backward passes, SGD or LARS; and the collapse
 * monitor read back with the loss.
 * BYOLCL_OCLGRIND_TEST */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "byol/simclr.h"
#include "ref/network_ref.h"
#include "ref/ntxent_ref.h"
#include "ref/optimizer_ref.h"
#include "test_util.h"

/* SEPARATE: one reference per view (both forwards are kept for the backward passes, view
 * 1's starting from the statistics view 0 left); CONCAT: one reference over both views as
 * a batch of 2 batch images. */
static void run_steps(OptimizerKind kind, BnViews bn_views, int batch) {
    Device *dev = test_device();
    EncoderConfig enc;
    encoder_config_defaults(&enc, ARCH_SMALL, 1, test_small() ? 5 : 8);
    enc.width = 2;
    enc.stages = 2;
    HeadConfig proj = {6, 4};
    const int steps = 2, dim = 4;
    const float temperature = 0.3f;
    ByolModel m;
    TEST_CHECK(simclr_model_create(dev, &enc, &proj, batch, bn_views, 5, temperature, &m));
    assert_null(m.target);
    assert_int_equal(network_last_part(m.online_net), PART_PROJECTOR);
    OptimizerConfig cfg = optimizer_config_default(kind);
    cfg.weight_decay = 1e-2f;
    double lr = kind == OPTIMIZER_SGD ? 0.05 : 0.5;

    size_t pf = arena_floats(m.online, ARENA_PARAMS), sf = arena_floats(m.online, ARENA_STATE);
    float *params = malloc(pf * sizeof(float)), *state = malloc(sf * sizeof(float));
    TEST_CHECK(arena_download(m.online, ARENA_PARAMS, params));
    TEST_CHECK(arena_download(m.online, ARENA_STATE, state));
    NetworkRef *ref[2] = {network_ref_create(m.online_net, m.online, params, state),
                          network_ref_create(m.online_net, m.online, params, state)};
    int per_pass = bn_views == BN_VIEWS_CONCAT ? 2 : 1, passes = 2 / per_pass, rows = per_pass * batch;
    double *momentum = calloc(pf, sizeof(double)), *grads = calloc(pf, sizeof(double));
    size_t view_n = (size_t)batch * (size_t)enc.image_size * (size_t)enc.image_size, out_n = (size_t)batch * dim;
    double *z = malloc(2 * out_n * sizeof(double)), *d_z = malloc(2 * out_n * sizeof(double));
    double *views_d = malloc(2 * view_n * sizeof(double));
    assert_true(params && state && momentum && grads && z && d_z && views_d);
    for (int step = 0; step < steps; step++) {
        /* Both views in one write from the start of the buffer (see test_byol_step.c). */
        float *both = malloc(2 * view_n * sizeof(float));
        for (int v = 0; v < 2; v++) {
            float *view = test_alloc_uniform(view_n, 200 + 10 * step + v, -2, 2);
            memcpy(both + v * view_n, view, view_n * sizeof(float));
            for (size_t i = 0; i < view_n; i++) views_d[v * view_n + i] = view[i];
            free(view);
        }
        TEST_CHECK(buffer_write(dev, m.view_pair, 0, 2 * view_n * sizeof(float), both));
        free(both);
        TEST_CHECK(byol_model_step(&m, &cfg, lr, 0.99)); /* tau is not SimCLR's: ignored */
        double loss, collapse;
        TEST_CHECK(byol_model_read_step(&m, &loss, &collapse));

        /* The reference: each pass starts from the statistics the one before left. */
        for (int pass = 0; pass < passes; pass++) {
            if (pass == 1) memcpy(network_ref_state(ref[1]), network_ref_state(ref[0]), sf * sizeof(double));
            const double *out = network_ref_forward(ref[pass], views_d + pass * view_n, rows, PART_PROJECTOR, BN_TRAIN);
            memcpy(z + pass * out_n, out, (size_t)rows * dim * sizeof(double));
        }
        double want_loss = ntxent_ref_forward(z, 2 * batch, dim, temperature);
        double want_collapse = 0.5 * (collapse_monitor_ref(z, batch, dim) + collapse_monitor_ref(z + out_n, batch, dim));
        ntxent_ref_backward(d_z, z, 2 * batch, dim, temperature);
        memset(grads, 0, pf * sizeof(double));
        for (int pass = 0; pass < passes; pass++) {
            memset(network_ref_grads(ref[pass]), 0, pf * sizeof(double));
            network_ref_backward(ref[pass], d_z + pass * out_n, NULL);
            for (size_t i = 0; i < pf; i++) grads[i] += network_ref_grads(ref[pass])[i];
        }
        optimizer_ref_step(m.online, &cfg, lr, network_ref_params(ref[0]), grads, momentum);
        memcpy(network_ref_params(ref[1]), network_ref_params(ref[0]), pf * sizeof(double));
        if (passes == 2) memcpy(network_ref_state(ref[0]), network_ref_state(ref[1]), sf * sizeof(double));

        if (fabs(loss - want_loss) > 1e-4 * fmax(1.0, fabs(want_loss)))
            fail_msg("%s step %d: loss %.8g, reference %.8g", bn_views_name(bn_views), step, loss, want_loss);
        if (fabs(collapse - want_collapse) > 1e-5)
            fail_msg("step %d: collapse monitor %.8g, reference %.8g", step, collapse, want_collapse);
    }
    TEST_CHECK(arena_download(m.online, ARENA_PARAMS, params));
    test_assert_close_scaled(params, network_ref_params(ref[0]), pf, 1e-4, 1e-6, "online parameters");
    TEST_CHECK(arena_download(m.online, ARENA_STATE, state));
    test_assert_close_scaled(state, network_ref_state(ref[0]), sf, 1e-4, 1e-6, "running statistics");
    free(params), free(state), free(momentum), free(grads), free(z), free(d_z), free(views_d);
    network_ref_destroy(ref[0]);
    network_ref_destroy(ref[1]);
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

static void test_concat_steps_match_reference(void **state) {
    (void)state;
    run_steps(OPTIMIZER_SGD, BN_VIEWS_CONCAT, 3);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgd_steps_match_reference),
        cmocka_unit_test(test_lars_steps_match_reference),
        cmocka_unit_test(test_concat_steps_match_reference),
    };
    return cmocka_run_group_tests(tests, NULL, test_teardown_device);
}
