/* test_arena.c — the parameter arena: aligned layout in two sections, the BYOL prefix
 * property (target = encoder | projector of the online table), views, zero_grad, and
 * upload/download of every part.
 * BYOLCL_OCLGRIND_TEST */
#include <stdlib.h>
#include <string.h>

#include "byolcl/arena.h"
#include "test_util.h"

/* A miniature network: odd entry sizes (1, 3, 17, 300, 27) and every kind. */
static void add_encoder(Arena *a) {
    int e;
    TEST_CHECK(arena_add_conv2d(a, "encoder.conv1", 3, 1, 3, 3, &e)); /* 27 */
    TEST_CHECK(arena_add_batchnorm(a, "encoder.bn1", 3, NULL));
    TEST_CHECK(arena_add(a, "encoder.odd", 1, PARAM_WEIGHT, INIT_KAIMING_NORMAL, 1, &e));
}
static void add_projector(Arena *a) {
    int w, b;
    TEST_CHECK(arena_add_linear(a, "projector.fc1", 100, 3, &w, &b)); /* 300, bias 100 */
    TEST_CHECK(arena_add_batchnorm(a, "projector.bn", 17, NULL));
    TEST_CHECK(arena_add_linear(a, "projector.fc2", 17, 17, &w, &b));
}
static void add_predictor(Arena *a) {
    int w, b;
    TEST_CHECK(arena_add_linear(a, "predictor.fc1", 3, 17, &w, &b));
    TEST_CHECK(arena_add_batchnorm(a, "predictor.bn", 3, NULL));
    TEST_CHECK(arena_add_linear(a, "predictor.fc2", 5, 3, &w, NULL)); /* no bias */
    assert_int_equal(arena_find(a, "predictor.fc2.bias"), -1);
}

static Arena *online_arena(void) {
    Arena *a;
    TEST_CHECK(arena_create(&a));
    add_encoder(a);
    add_projector(a);
    add_predictor(a);
    return a;
}

static void test_layout_is_aligned_ordered_and_split_in_sections(void **state) {
    (void)state;
    Arena *a = online_arena();
    size_t end[2] = {0, 0}, counts[2] = {0, 0};
    for (int i = 0; i < arena_entry_count(a); i++) {
        const ArenaEntry *e = arena_entry(a, i);
        int s = e->kind == PARAM_BN_STAT;
        assert_int_equal(e->offset % ARENA_ALIGN, 0);
        assert_true(e->offset >= end[s]);                  /* no overlap, in order of addition */
        assert_true(e->offset < end[s] + ARENA_ALIGN);     /* no gap beyond the alignment */
        end[s] = e->offset + e->count;
        counts[s] += e->count;
    }
    assert_int_equal(arena_floats(a, ARENA_PARAMS) % ARENA_ALIGN, 0);
    assert_true(arena_floats(a, ARENA_PARAMS) >= end[0]);
    assert_true(arena_floats(a, ARENA_STATE) >= end[1]);
    assert_int_equal(arena_floats(a, ARENA_GRADS), arena_floats(a, ARENA_PARAMS));
    assert_int_equal(arena_parameter_count(a, ARENA_PARAMS), counts[0]);
    assert_int_equal(arena_parameter_count(a, ARENA_STATE), counts[1]);
    assert_int_equal(counts[0], 27 + 3 + 3 + 1 + 300 + 100 + 17 + 17 + 289 + 17 + 51 + 3 + 3 + 3 + 15);
    assert_int_equal(counts[1], 2 * (3 + 17 + 3));

    /* The helpers name and classify entries as PyTorch does. */
    const ArenaEntry *conv = arena_entry(a, arena_find(a, "encoder.conv1.weight"));
    assert_int_equal(conv->count, 27);
    assert_int_equal(conv->kind, PARAM_WEIGHT);
    assert_int_equal(conv->init, INIT_KAIMING_NORMAL);
    assert_int_equal(conv->fan, 3 * 3 * 3); /* fan_out = c_out * kh * kw */
    const ArenaEntry *bias = arena_entry(a, arena_find(a, "projector.fc1.bias"));
    assert_int_equal(bias->kind, PARAM_BIAS);
    assert_int_equal(bias->fan, 3); /* fan_in */
    assert_int_equal(arena_entry(a, arena_find(a, "projector.bn.weight"))->init, INIT_ONES);
    assert_int_equal(arena_entry(a, arena_find(a, "projector.bn.bias"))->kind, PARAM_BN);
    assert_int_equal(arena_entry(a, arena_find(a, "projector.bn.running_var"))->kind, PARAM_BN_STAT);
    assert_int_equal(arena_find(a, "no.such.entry"), -1);
    assert_null(arena_entry(a, arena_entry_count(a)));
    arena_destroy(a);
}

static void test_target_is_a_prefix_of_the_online_arena(void **state) {
    (void)state;
    Arena *online = online_arena(), *target, *reordered;
    TEST_CHECK(arena_create(&target));
    add_encoder(target);
    add_projector(target);
    assert_true(arena_is_prefix_of(target, online));
    assert_false(arena_is_prefix_of(online, target));
    assert_true(arena_floats(target, ARENA_PARAMS) < arena_floats(online, ARENA_PARAMS));
    assert_true(arena_floats(target, ARENA_STATE) < arena_floats(online, ARENA_STATE));
    /* The first predictor entry starts where the target's section ends. */
    const ArenaEntry *first = arena_entry(online, arena_entry_count(target));
    assert_string_equal(first->name, "predictor.fc1.weight");
    assert_int_equal(first->offset, arena_floats(target, ARENA_PARAMS));
    const ArenaEntry *stat = arena_entry(online, arena_find(online, "predictor.bn.running_mean"));
    assert_int_equal(stat->offset, arena_floats(target, ARENA_STATE));

    TEST_CHECK(arena_create(&reordered));
    add_projector(reordered);
    add_encoder(reordered);
    assert_false(arena_is_prefix_of(reordered, online));
    arena_destroy(online);
    arena_destroy(target);
    arena_destroy(reordered);
}

static void test_building_mistakes_are_errors(void **state) {
    (void)state;
    Arena *a;
    TEST_CHECK(arena_create(&a));
    TEST_CHECK(arena_add(a, "x", 5, PARAM_BIAS, INIT_ZEROS, 0, NULL));
    assert_int_equal(arena_add(a, "x", 5, PARAM_BIAS, INIT_ZEROS, 0, NULL), BC_ERR_USAGE);
    assert_non_null(strstr(error_last(), "'x' added twice"));
    assert_int_equal(arena_add(a, "empty", 0, PARAM_BIAS, INIT_ZEROS, 0, NULL), BC_ERR_USAGE);
    assert_int_equal(arena_add(a, "nofan", 4, PARAM_WEIGHT, INIT_KAIMING_NORMAL, 0, NULL),
                     BC_ERR_USAGE);
    char long_name[ARENA_NAME_MAX + 1];
    memset(long_name, 'a', ARENA_NAME_MAX);
    long_name[ARENA_NAME_MAX] = '\0';
    assert_int_equal(arena_add(a, long_name, 1, PARAM_BIAS, INIT_ZEROS, 0, NULL), BC_ERR_USAGE);
    TEST_CHECK(arena_allocate(a, test_device(), ARENA_FROZEN));
    assert_int_equal(arena_add(a, "late", 1, PARAM_BIAS, INIT_ZEROS, 0, NULL), BC_ERR_USAGE);
    assert_non_null(strstr(error_last(), "after arena_allocate"));
    assert_int_equal(arena_zero_grad(a), BC_ERR_USAGE); /* a frozen arena has no gradients */
    arena_destroy(a);
}

static void test_views_point_into_the_right_part(void **state) {
    (void)state;
    Arena *a = online_arena();
    TEST_CHECK(arena_allocate(a, test_device(), ARENA_TRAINED));
    int w = arena_find(a, "projector.fc1.weight"), m = arena_find(a, "encoder.bn1.running_mean");
    for (ArenaPart p = ARENA_PARAMS; p <= ARENA_MOMENTUM; p++) {
        View v = arena_view(a, p, w);
        assert_ptr_equal(v.buffer, arena_buffer(a, p));
        assert_int_equal(v.offset, arena_entry(a, w)->offset);
        assert_null(arena_view(a, p, m).buffer); /* running stats have no params/grads */
    }
    assert_ptr_equal(arena_state(a, m).buffer, arena_buffer(a, ARENA_STATE));
    assert_int_equal(arena_state(a, m).offset, arena_entry(a, m)->offset);
    assert_null(arena_state(a, w).buffer);
    assert_null(arena_param(a, -1).buffer);
    assert_true(buffer_bytes(arena_buffer(a, ARENA_PARAMS)) >=
                arena_floats(a, ARENA_PARAMS) * sizeof(float));

    Arena *frozen = online_arena();
    TEST_CHECK(arena_allocate(frozen, test_device(), ARENA_FROZEN));
    assert_null(arena_buffer(frozen, ARENA_GRADS));
    assert_null(arena_grad(frozen, w).buffer);
    assert_non_null(arena_param(frozen, w).buffer);
    float x[1];
    assert_int_equal(arena_download(frozen, ARENA_MOMENTUM, x), BC_ERR_USAGE);
    arena_destroy(a);
    arena_destroy(frozen);
}

/* Writing one entry through its view lands at its offset and nowhere else. */
static void test_upload_download_round_trip_and_zero_grad(void **state) {
    (void)state;
    Device *dev = test_device();
    Arena *a = online_arena();
    TEST_CHECK(arena_allocate(a, dev, ARENA_TRAINED));
    for (ArenaPart p = ARENA_PARAMS; p <= ARENA_STATE; p++) {
        size_t n = arena_floats(a, p);
        float *zeros = test_download(arena_buffer(a, p), n);
        for (size_t i = 0; i < n; i++) assert_true(zeros[i] == 0.0f); /* allocate zero-fills */
        float *host = test_alloc_uniform(n, 10 + p, -2, 2), *back = malloc(n * sizeof *back);
        TEST_CHECK(arena_upload(a, p, host));
        TEST_CHECK(arena_download(a, p, back));
        assert_memory_equal(host, back, n * sizeof *back);
        free(zeros);
        free(host);
        free(back);
    }
    int bias = arena_find(a, "projector.fc1.bias");
    const ArenaEntry *e = arena_entry(a, bias);
    float *params = malloc(arena_floats(a, ARENA_PARAMS) * sizeof *params);
    TEST_CHECK(arena_download(a, ARENA_PARAMS, params));
    float *entry = test_alloc_uniform(e->count, 99, 5, 6);
    View v = arena_param(a, bias);
    TEST_CHECK(buffer_write(dev, v.buffer, v.offset * sizeof(float), e->count * sizeof(float), entry));
    memcpy(params + e->offset, entry, e->count * sizeof(float));
    float *got = test_download(arena_buffer(a, ARENA_PARAMS), arena_floats(a, ARENA_PARAMS));
    assert_memory_equal(got, params, arena_floats(a, ARENA_PARAMS) * sizeof(float));

    TEST_CHECK(arena_zero_grad(a));
    float *grads = test_download(arena_buffer(a, ARENA_GRADS), arena_floats(a, ARENA_GRADS));
    for (size_t i = 0; i < arena_floats(a, ARENA_GRADS); i++) assert_true(grads[i] == 0.0f);
    /* zero_grad leaves the other parts alone */
    float *after = test_download(arena_buffer(a, ARENA_PARAMS), arena_floats(a, ARENA_PARAMS));
    assert_memory_equal(after, params, arena_floats(a, ARENA_PARAMS) * sizeof(float));
    free(params);
    free(entry);
    free(got);
    free(grads);
    free(after);
    arena_destroy(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_is_aligned_ordered_and_split_in_sections),
        cmocka_unit_test(test_target_is_a_prefix_of_the_online_arena),
        cmocka_unit_test(test_building_mistakes_are_errors),
        cmocka_unit_test(test_views_point_into_the_right_part),
        cmocka_unit_test(test_upload_download_round_trip_and_zero_grad),
    };
    return cmocka_run_group_tests(tests, NULL, test_teardown_device);
}
