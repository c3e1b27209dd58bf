/* test_network.c — whole networks on the device against the double-precision reference
 * network: the small ResNet with projector and predictor, ResNet-18 with the ImageNet stem
 * (max pool, projection shortcuts) and a ResNet-50 (bottlenecks), narrow so they run fast.
 * Outputs, every parameter gradient, the input gradient and the BN running statistics
 * must agree; evaluation mode must not depend on the batch.
 * BYOLCL_OCLGRIND_TEST */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/init.h"
#include "ref/network_ref.h"
#include "test_util.h"

typedef struct {
    EncoderConfig encoder;
    HeadConfig projector, predictor;
    bool heads;
    int batch;
} Case;

static void check_case(const Case *c) {
    Device *dev = test_device();
    Arena *arena;
    Network *net;
    TEST_CHECK(arena_create(&arena));
    TEST_CHECK(network_build(arena, &c->encoder, c->heads ? &c->projector : NULL, c->heads ? &c->predictor : NULL, &net));
    TEST_CHECK(arena_allocate(arena, dev, ARENA_TRAINED));
    TEST_CHECK(arena_init_params(arena, 7));
    NetworkPart upto = c->heads ? PART_PREDICTOR : PART_ENCODER;
    Activations *acts;
    TEST_CHECK(activations_create(dev, net, c->batch, upto, true, &acts));

    size_t pf = arena_floats(arena, ARENA_PARAMS), sf = arena_floats(arena, ARENA_STATE);
    float *params = malloc(pf * sizeof(float)), *state = malloc((sf ? sf : 1) * sizeof(float));
    TEST_CHECK(arena_download(arena, ARENA_PARAMS, params));
    TEST_CHECK(arena_download(arena, ARENA_STATE, state));
    NetworkRef *ref = network_ref_create(net, arena, params, state);

    int s = c->encoder.image_size;
    size_t in_n = (size_t)c->batch * (size_t)c->encoder.in_channels * (size_t)s * (size_t)s;
    int dim = network_output_dim(net, upto);
    size_t out_n = (size_t)c->batch * (size_t)dim;
    float *input = test_alloc_uniform(in_n, 11, -1.5f, 1.5f), *d_out = test_alloc_uniform(out_n, 12, -1, 1);
    double *input_d = malloc(in_n * sizeof(double)), *d_out_d = malloc(out_n * sizeof(double));
    for (size_t i = 0; i < in_n; i++) input_d[i] = input[i];
    for (size_t i = 0; i < out_n; i++) d_out_d[i] = d_out[i];
    Buffer *in_buf = test_upload(input, in_n), *dout_buf = test_upload(d_out, out_n), *din_buf = test_alloc_device(in_n);

    TEST_CHECK(arena_zero_grad(arena));
    View out;
    TEST_CHECK(network_forward(dev, net, arena, acts, view_of(in_buf), c->batch, upto, BN_TRAIN, &out));
    TEST_CHECK(network_backward(dev, net, arena, acts, view_of(dout_buf), c->batch, upto, view_of(din_buf)));
    const double *want_out = network_ref_forward(ref, input_d, c->batch, upto, BN_TRAIN);
    double *want_din = calloc(in_n, sizeof(double));
    network_ref_backward(ref, d_out_d, want_din);

    float *got_out = malloc(out_n * sizeof(float));
    TEST_CHECK(buffer_read(dev, out.buffer, out.offset * sizeof(float), out_n * sizeof(float), got_out));
    test_assert_close_scaled(got_out, want_out, out_n, 1e-4, 1e-6, "output");
    float *got_din = test_download(din_buf, in_n);
    test_assert_close_scaled(got_din, want_din, in_n, 2e-3, 1e-6, "input gradient");
    float *grads = malloc(pf * sizeof(float));
    TEST_CHECK(arena_download(arena, ARENA_GRADS, grads));
    /* Some gradients are zero in exact arithmetic (a linear bias right before BN): judge
     * those against the size of the gradients around them. */
    double largest = 0;
    for (size_t i = 0; i < pf; i++) largest = fmax(largest, fabs(network_ref_grads(ref)[i]));
    for (int e = 0; e < arena_entry_count(arena); e++) {
        const ArenaEntry *entry = arena_entry(arena, e);
        if (entry->kind == PARAM_BN_STAT) continue;
        test_assert_close_scaled(grads + entry->offset, network_ref_grads(ref) + entry->offset, entry->count, 2e-3,
                            1e-2 * largest, entry->name);
    }
    TEST_CHECK(arena_download(arena, ARENA_STATE, state));
    test_assert_close_scaled(state, network_ref_state(ref), sf, 5e-4, 1e-6, "running statistics");

    /* Evaluation mode: the first image alone gives the same output as inside the batch. */
    Activations *eval_acts;
    TEST_CHECK(activations_create(dev, net, c->batch, upto, false, &eval_acts));
    View all, one;
    TEST_CHECK(network_forward(dev, net, arena, eval_acts, view_of(in_buf), c->batch, upto, BN_EVAL, &all));
    float *batch_rows = malloc(out_n * sizeof(float)), *single = malloc((size_t)dim * sizeof(float));
    TEST_CHECK(buffer_read(dev, all.buffer, all.offset * sizeof(float), out_n * sizeof(float), batch_rows));
    TEST_CHECK(network_forward(dev, net, arena, eval_acts, view_of(in_buf), 1, upto, BN_EVAL, &one));
    TEST_CHECK(buffer_read(dev, one.buffer, one.offset * sizeof(float), (size_t)dim * sizeof(float), single));
    double *first_row = malloc((size_t)dim * sizeof(double));
    for (int i = 0; i < dim; i++) first_row[i] = batch_rows[i];
    test_assert_close_scaled(single, first_row, (size_t)dim, 1e-5, 1e-6, "eval-mode batch independence");

    free(first_row), free(single), free(batch_rows), free(grads), free(got_din), free(got_out), free(want_din);
    free(input), free(d_out), free(input_d), free(d_out_d), free(params), free(state);
    buffer_release(in_buf), buffer_release(dout_buf), buffer_release(din_buf);
    network_ref_destroy(ref);
    activations_destroy(acts);
    activations_destroy(eval_acts);
    network_destroy(net);
    arena_destroy(arena);
}

static void test_small_resnet_with_heads(void **state) {
    (void)state;
    Case c = {.heads = true, .projector = {7, 5}, .predictor = {6, 5}, .batch = 3};
    encoder_config_defaults(&c.encoder, ARCH_SMALL, 2, test_small() ? 6 : 9);
    c.encoder.width = 3;
    c.encoder.stages = test_small() ? 2 : 3;
    check_case(&c);
}

static void test_resnet18_imagenet_stem(void **state) {
    (void)state;
    if (test_small()) skip();
    Case c = {.heads = true, .projector = {9, 4}, .predictor = {5, 4}, .batch = 2};
    encoder_config_defaults(&c.encoder, ARCH_RESNET18, 3, 19);
    c.encoder.width = 2;
    c.encoder.small_stem = 0;
    check_case(&c);
}

static void test_resnet50_bottlenecks(void **state) {
    (void)state;
    if (test_small()) skip();
    Case c = {.heads = false, .batch = 2};
    encoder_config_defaults(&c.encoder, ARCH_RESNET50, 1, 8);
    c.encoder.width = 1;
    check_case(&c);
}

static void test_build_errors(void **state) {
    (void)state;
    Arena *arena;
    Network *net;
    EncoderConfig e;
    encoder_config_defaults(&e, ARCH_SMALL, 3, 8);
    e.width = 0;
    TEST_CHECK(arena_create(&arena));
    assert_int_equal(network_build(arena, &e, NULL, NULL, &net), BC_ERR_USAGE);
    e.width = 4;
    HeadConfig predictor = {8, 4};
    assert_int_equal(network_build(arena, &e, NULL, &predictor, &net), BC_ERR_USAGE); /* no projector */
    arena_destroy(arena);
    ArchKind arch;
    assert_int_equal(arch_parse("resnet34", &arch), BC_ERR_USAGE);
    assert_non_null(strstr(error_last(), "--arch"));
    TEST_CHECK(arch_parse("ResNet18", &arch));
    assert_int_equal(arch, ARCH_RESNET18);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_resnet_with_heads),
        cmocka_unit_test(test_resnet18_imagenet_stem),
        cmocka_unit_test(test_resnet50_bottlenecks),
        cmocka_unit_test(test_build_errors),
    };
    return cmocka_run_group_tests(tests, NULL, test_teardown_device);
}
