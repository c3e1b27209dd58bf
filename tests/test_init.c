/* test_init.c — seeded initialization: the counter-based stream is pinned, the Kaiming
 * normal and PyTorch uniform rules have the right statistics, the same seed gives the same
 * numbers, and arena_init_params fills an arena (BN 1/0, running 0/1, zero padding).
 * BYOLCL_OCLGRIND_TEST */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/arena.h"
#include "byolcl/init.h"
#include "test_util.h"

static void test_stream_is_splitmix64(void **state) {
    (void)state;
    /* The published first outputs of splitmix64 seeded with 0 and with 1234567. */
    assert_true(rng_u64(0, 0) == 0xe220a8397b1dcdafULL);
    assert_true(rng_u64(0, 1) == 0x6e789e6aa1b965f4ULL);
    assert_true(rng_u64(1234567, 0) == 0x599ed017fb08fc85ULL);
    double u = rng_uniform(0, 0);
    assert_true(u >= 0.0 && u < 1.0);
    assert_true(u == (double)(0xe220a8397b1dcdafULL >> 11) * 0x1.0p-53);
}

static void moments(const float *x, size_t n, double *mean, double *std) {
    double s = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) s += x[i];
    *mean = s / n;
    for (size_t i = 0; i < n; i++) s2 += (x[i] - *mean) * (x[i] - *mean);
    *std = sqrt(s2 / n);
}

static void test_kaiming_normal_statistics(void **state) {
    (void)state;
    /* conv 64 -> 64, 3x3: fan_out 576, std sqrt(2/576) */
    ArenaEntry e = {.name = "conv.weight", .kind = PARAM_WEIGHT, .init = INIT_KAIMING_NORMAL,
                    .fan = 576, .count = 64 * 64 * 9};
    float *x = malloc(e.count * sizeof *x);
    init_fill_entry(&e, 42, x);
    double mean, std, want = sqrt(2.0 / 576);
    moments(x, e.count, &mean, &std);
    assert_true(fabs(mean) < 4 * want / sqrt((double)e.count));
    assert_true(fabs(std / want - 1) < 0.02);
    /* Normal, not uniform: ~68.3% within one std, ~95.4% within two. */
    size_t in1 = 0, in2 = 0;
    for (size_t i = 0; i < e.count; i++) {
        in1 += fabs(x[i]) < want;
        in2 += fabs(x[i]) < 2 * want;
    }
    assert_true(fabs((double)in1 / e.count - 0.6827) < 0.01);
    assert_true(fabs((double)in2 / e.count - 0.9545) < 0.006);
    free(x);
}

static void test_uniform_fan_in_statistics(void **state) {
    (void)state;
    ArenaEntry e = {.name = "fc.weight", .kind = PARAM_WEIGHT, .init = INIT_UNIFORM_FAN_IN,
                    .fan = 100, .count = 30001};
    float *x = malloc(e.count * sizeof *x);
    init_fill_entry(&e, 7, x);
    double bound = 0.1, mean, std, lo = 1, hi = -1;
    moments(x, e.count, &mean, &std);
    for (size_t i = 0; i < e.count; i++) {
        lo = fmin(lo, x[i]);
        hi = fmax(hi, x[i]);
    }
    assert_true(lo >= -bound && hi <= bound);
    assert_true(lo < -0.99 * bound && hi > 0.99 * bound); /* the whole range is used */
    assert_true(fabs(mean) < 4 * bound / sqrt(3.0 * e.count));
    assert_true(fabs(std / (bound / sqrt(3.0)) - 1) < 0.02);
    free(x);
}

static void test_same_seed_same_numbers(void **state) {
    (void)state;
    ArenaEntry e = {.name = "a.weight", .kind = PARAM_WEIGHT, .init = INIT_KAIMING_NORMAL,
                    .fan = 27, .count = 301};
    float a[301], b[301], c[301], d[301];
    init_fill_entry(&e, 1, a);
    init_fill_entry(&e, 1, b);
    init_fill_entry(&e, 2, c);
    assert_memory_equal(a, b, sizeof a);
    assert_memory_not_equal(a, c, sizeof a);
    strcpy(e.name, "b.weight"); /* each entry has its own stream */
    init_fill_entry(&e, 1, d);
    assert_memory_not_equal(a, d, sizeof a);
    /* A prefix of a longer entry has the same values (counter-based). */
    float longer[302];
    strcpy(e.name, "a.weight");
    e.count = 302;
    init_fill_entry(&e, 1, longer);
    assert_memory_equal(a, longer, sizeof a);
}

static void test_arena_init_params_fills_every_entry(void **state) {
    (void)state;
    Arena *online, *target;
    BatchNormEntries bn;
    int conv, fc_w, fc_b, head;
    TEST_CHECK(arena_create(&online));
    TEST_CHECK(arena_add_conv2d(online, "enc.conv", 5, 3, 3, 3, &conv));
    TEST_CHECK(arena_add_batchnorm(online, "enc.bn", 5, &bn));
    TEST_CHECK(arena_add_linear(online, "proj.fc", 7, 5, &fc_w, &fc_b));
    TEST_CHECK(arena_add_linear(online, "pred.fc", 3, 7, &head, NULL));
    TEST_CHECK(arena_allocate(online, test_device(), ARENA_TRAINED));
    TEST_CHECK(arena_init_params(online, 123));
    size_t n = arena_floats(online, ARENA_PARAMS), ns = arena_floats(online, ARENA_STATE);
    float *p = malloc(n * sizeof *p), *s = malloc(ns * sizeof *s);
    TEST_CHECK(arena_download(online, ARENA_PARAMS, p));
    TEST_CHECK(arena_download(online, ARENA_STATE, s));
    for (int c = 0; c < 5; c++) {
        assert_true(p[arena_entry(online, bn.gamma)->offset + c] == 1.0f);
        assert_true(p[arena_entry(online, bn.beta)->offset + c] == 0.0f);
        assert_true(s[arena_entry(online, bn.running_mean)->offset + c] == 0.0f);
        assert_true(s[arena_entry(online, bn.running_var)->offset + c] == 1.0f);
    }
    float want[135];
    init_fill_entry(arena_entry(online, conv), 123, want);
    assert_memory_equal(p + arena_entry(online, conv)->offset, want, 135 * sizeof(float));
    const ArenaEntry *b = arena_entry(online, fc_b);
    for (size_t i = 0; i < b->count; i++) assert_true(fabsf(p[b->offset + i]) <= 1 / sqrtf(5.0f));
    /* padding between entries is zero */
    const ArenaEntry *w = arena_entry(online, fc_w);
    for (size_t i = w->offset + w->count; i < b->offset; i++) assert_true(p[i] == 0.0f);

    /* A target built with the same names starts as the online prefix, bit for bit. */
    TEST_CHECK(arena_create(&target));
    TEST_CHECK(arena_add_conv2d(target, "enc.conv", 5, 3, 3, 3, NULL));
    TEST_CHECK(arena_add_batchnorm(target, "enc.bn", 5, NULL));
    TEST_CHECK(arena_add_linear(target, "proj.fc", 7, 5, &fc_w, &fc_b));
    TEST_CHECK(arena_allocate(target, test_device(), ARENA_FROZEN));
    TEST_CHECK(arena_init_params(target, 123));
    size_t tn = arena_floats(target, ARENA_PARAMS);
    float *tp = malloc(tn * sizeof *tp);
    TEST_CHECK(arena_download(target, ARENA_PARAMS, tp));
    assert_memory_equal(tp, p, tn * sizeof *tp);
    free(p);
    free(s);
    free(tp);
    arena_destroy(online);
    arena_destroy(target);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_is_splitmix64),
        cmocka_unit_test(test_kaiming_normal_statistics),
        cmocka_unit_test(test_uniform_fan_in_statistics),
        cmocka_unit_test(test_same_seed_same_numbers),
        cmocka_unit_test(test_arena_init_params_fills_every_entry),
    };
    return cmocka_run_group_tests(tests, NULL, test_teardown_device);
}
