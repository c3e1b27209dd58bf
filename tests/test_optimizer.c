/* test_optimizer.c — SGD, LARS (with the bias/BN exclusions and zero-norm guards), the
 * target EMA with the running-statistics copy, and the non-finite counter, over parameter
 * arenas, against tests/ref/optim_ref.c (double).
 * BYOLCL_OCLGRIND_TEST */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/arena.h"
#include "byolcl/ema.h"
#include "byolcl/optimizer.h"
#include "ref/optim_ref.h"
#include "test_util.h"

/* Odd entry sizes (1, 3, 17, 300), every kind, an all-zero weight entry for the guard. */
static Arena *make_arena(ArenaUse use) {
    Arena *a;
    TEST_CHECK(arena_create(&a));
    TEST_CHECK(arena_add(a, "w300", 300, PARAM_WEIGHT, INIT_KAIMING_NORMAL, 300, NULL));
    TEST_CHECK(arena_add(a, "b17", 17, PARAM_BIAS, INIT_ZEROS, 0, NULL));
    TEST_CHECK(arena_add_batchnorm(a, "bn", 3, NULL));
    TEST_CHECK(arena_add(a, "w1", 1, PARAM_WEIGHT, INIT_KAIMING_NORMAL, 1, NULL));
    TEST_CHECK(arena_add(a, "w17", 17, PARAM_WEIGHT, INIT_KAIMING_NORMAL, 17, NULL));
    TEST_CHECK(arena_add(a, "zero_w", 5, PARAM_WEIGHT, INIT_ZEROS, 0, NULL));
    if (!test_small()) /* several strides per work-item in the norm reduction */
        TEST_CHECK(arena_add(a, "w5000", 5000, PARAM_WEIGHT, INIT_KAIMING_NORMAL, 9, NULL));
    TEST_CHECK(arena_allocate(a, test_device(), use));
    return a;
}

/* A host copy of a part with random entries and zero padding. */
static float *random_part(const Arena *a, ArenaPart part, uint64_t seed) {
    size_t n = arena_floats(a, part);
    float *x = calloc(n ? n : 1, sizeof *x);
    assert_non_null(x);
    for (int i = 0; i < arena_entry_count(a); i++) {
        const ArenaEntry *e = arena_entry(a, i);
        if ((e->kind == PARAM_BN_STAT) != (part == ARENA_STATE)) continue;
        if (strcmp(e->name, "zero_w") == 0 && part == ARENA_PARAMS) continue;
        test_fill_uniform(x + e->offset, e->count, seed + (uint64_t)i, -1, 1);
    }
    return x;
}

static double *to_double(const float *x, size_t n) {
    double *d = malloc((n ? n : 1) * sizeof *d);
    assert_non_null(d);
    for (size_t i = 0; i < n; i++) d[i] = x[i];
    return d;
}

static float *download(const Arena *a, ArenaPart part) {
    return test_download(arena_buffer(a, part), arena_floats(a, part));
}

static void assert_close_double(const float *got, const double *want, size_t n, double atol,
                                double rtol, const char *what) {
    float *w = malloc((n ? n : 1) * sizeof *w);
    for (size_t i = 0; i < n; i++) w[i] = (float)want[i];
    test_assert_close(got, w, n, atol, rtol, what);
    free(w);
}

/* ---- references: tests/ref/optim_ref.c over the arena's table as arena.c builds it ---- */
static int entry_flags(const ArenaEntry *e) {
    return e->kind == PARAM_WEIGHT ? ARENA_FLAG_DECAY | ARENA_FLAG_ADAPT : 0;
}

/* The trainable entries' rows (offset, count, flags); returns how many. */
static int trainable_rows(const Arena *a, int *rows) {
    int count = 0;
    for (int i = 0; i < arena_entry_count(a); i++) {
        const ArenaEntry *e = arena_entry(a, i);
        if (e->kind == PARAM_BN_STAT) continue;
        int *row = rows + ARENA_TABLE_COLUMNS * count++;
        row[0] = (int)e->offset, row[1] = (int)e->count, row[2] = entry_flags(e);
    }
    return count;
}

static void ref_sgd(const Arena *a, double *w, double *v, const float *g, double wd, double lr,
                    double momentum) {
    int rows[16 * ARENA_TABLE_COLUMNS];
    assert_true(arena_entry_count(a) <= 16);
    sgd_ref(w, v, g, rows, trainable_rows(a, rows), wd, lr, momentum);
}

static double ref_trust_ratio(const ArenaEntry *e, const double *w, const float *g, double wd,
                              double eta) {
    int row[ARENA_TABLE_COLUMNS] = {(int)e->offset, (int)e->count, entry_flags(e)};
    return lars_trust_ratio_ref(w, g, row, wd, eta);
}

static void ref_lars(const Arena *a, double *w, double *t, const float *g, double wd,
                     double eta, double lr, double momentum) {
    int rows[16 * ARENA_TABLE_COLUMNS];
    assert_true(arena_entry_count(a) <= 16);
    lars_ref(w, t, g, rows, trainable_rows(a, rows), wd, eta, lr, momentum);
}

typedef struct {
    Arena *arena;
    float *w, *g, *m, *s; /* what was uploaded */
} Setup;

/* Everything random, except momentum when `fresh_momentum`: then it stays as
 * arena_allocate left it (zero), as at the start of training. */
static Setup setup_with(uint64_t seed, bool fresh_momentum) {
    Setup su = {make_arena(ARENA_TRAINED), NULL, NULL, NULL, NULL};
    su.w = random_part(su.arena, ARENA_PARAMS, seed);
    su.g = random_part(su.arena, ARENA_GRADS, seed + 100);
    su.m = random_part(su.arena, ARENA_MOMENTUM, seed + 200);
    su.s = random_part(su.arena, ARENA_STATE, seed + 300);
    TEST_CHECK(arena_upload(su.arena, ARENA_PARAMS, su.w));
    TEST_CHECK(arena_upload(su.arena, ARENA_GRADS, su.g));
    if (fresh_momentum) memset(su.m, 0, arena_floats(su.arena, ARENA_MOMENTUM) * sizeof(float));
    else TEST_CHECK(arena_upload(su.arena, ARENA_MOMENTUM, su.m));
    TEST_CHECK(arena_upload(su.arena, ARENA_STATE, su.s));
    return su;
}

static Setup setup(uint64_t seed) { return setup_with(seed, false); }

static void teardown(Setup *su) {
    arena_destroy(su->arena);
    free(su->w);
    free(su->g);
    free(su->m);
    free(su->s);
}

/* Grads and running statistics are inputs: an optimizer step must not write them. */
static void assert_inputs_untouched(const Setup *su) {
    float *g = download(su->arena, ARENA_GRADS), *s = download(su->arena, ARENA_STATE);
    assert_memory_equal(g, su->g, arena_floats(su->arena, ARENA_GRADS) * sizeof(float));
    assert_memory_equal(s, su->s, arena_floats(su->arena, ARENA_STATE) * sizeof(float));
    free(g);
    free(s);
}

static void test_sgd_one_step_matches_pytorch_semantics(void **state) {
    (void)state;
    Setup su = setup(1);
    size_t n = arena_floats(su.arena, ARENA_PARAMS);
    OptimizerConfig cfg = {.kind = OPTIMIZER_SGD, .momentum = 0.9f, .weight_decay = 0.01f};
    TEST_CHECK(optimizer_step(su.arena, &cfg, 0.1f));
    double *w = to_double(su.w, n), *v = to_double(su.m, n);
    ref_sgd(su.arena, w, v, su.g, 0.01f, 0.1f, 0.9f);
    float *gw = download(su.arena, ARENA_PARAMS), *gv = download(su.arena, ARENA_MOMENTUM);
    assert_close_double(gw, w, n, 1e-6, 1e-6, "sgd params");
    assert_close_double(gv, v, n, 1e-6, 1e-6, "sgd momentum");
    /* By hand for one element of the bias (no decay) and of w1 (decay). */
    const ArenaEntry *b = arena_entry(su.arena, arena_find(su.arena, "b17"));
    size_t j = b->offset + 16;
    float vb = 0.9f * su.m[j] + su.g[j];
    assert_float_equal(gv[j], vb, 1e-6);
    assert_float_equal(gw[j], su.w[j] - 0.1f * vb, 1e-6);
    const ArenaEntry *w1 = arena_entry(su.arena, arena_find(su.arena, "w1"));
    j = w1->offset;
    float vw = 0.9f * su.m[j] + su.g[j] + 0.01f * su.w[j];
    assert_float_equal(gw[j], su.w[j] - 0.1f * vw, 1e-6);
    assert_inputs_untouched(&su);
    free(w);
    free(v);
    free(gw);
    free(gv);
    teardown(&su);
}

static void test_sgd_several_steps_with_changing_grads(void **state) {
    (void)state;
    Setup su = setup_with(2, true); /* PyTorch starts from an empty buffer */
    size_t n = arena_floats(su.arena, ARENA_PARAMS);
    double *w = to_double(su.w, n), *v = to_double(su.m, n);
    OptimizerConfig cfg = {.kind = OPTIMIZER_SGD, .momentum = 0.9f, .weight_decay = 5e-4f};
    const float lrs[] = {0.05f, 0.2f, 0.1f, 0.01f};
    for (int step = 0; step < 4; step++) {
        float *g = random_part(su.arena, ARENA_GRADS, 1000 + (uint64_t)step);
        TEST_CHECK(arena_upload(su.arena, ARENA_GRADS, g));
        TEST_CHECK(optimizer_step(su.arena, &cfg, lrs[step]));
        ref_sgd(su.arena, w, v, g, 5e-4f, lrs[step], 0.9f);
        free(g);
    }
    float *gw = download(su.arena, ARENA_PARAMS), *gv = download(su.arena, ARENA_MOMENTUM);
    assert_close_double(gw, w, n, 1e-5, 1e-5, "sgd params after 4 steps");
    assert_close_double(gv, v, n, 1e-5, 1e-5, "sgd momentum after 4 steps");
    free(w);
    free(v);
    free(gw);
    free(gv);
    teardown(&su);
}

static void test_lars_one_step_with_exclusions(void **state) {
    (void)state;
    Setup su = setup(3);
    Arena *a = su.arena;
    size_t n = arena_floats(a, ARENA_PARAMS);
    OptimizerConfig cfg = {.kind = OPTIMIZER_LARS, .momentum = 0.9f, .weight_decay = 0.1f,
                           .trust_coefficient = 1e-3f};
    const float lr = 0.5f;
    double *w = to_double(su.w, n), *t = to_double(su.m, n);
    TEST_CHECK(lars_compute_trust_ratios(a, &cfg));
    float *trust = test_download(arena_entry_scratch_buffer(a), (size_t)arena_entry_count(a));
    for (int i = 0; i < arena_entry_count(a); i++) {
        const ArenaEntry *e = arena_entry(a, i);
        double want = e->kind == PARAM_BN_STAT ? 1.0 : ref_trust_ratio(e, w, su.g, 0.1f, 1e-3f);
        if (fabs(trust[i] - want) > 1e-5 * want) fail_msg("trust ratio of %s: got %.9g, want %.9g", e->name, trust[i], want);
        /* biases, BN parameters and the all-zero weight entry keep the factor 1 exactly */
        if (e->kind != PARAM_WEIGHT || strcmp(e->name, "zero_w") == 0) assert_true(trust[i] == 1.0f);
        else assert_true(trust[i] < 0.1f);
    }
    TEST_CHECK(optimizer_step(a, &cfg, lr));
    ref_lars(a, w, t, su.g, 0.1f, 1e-3f, lr, 0.9f);
    float *gw = download(a, ARENA_PARAMS), *gt = download(a, ARENA_MOMENTUM);
    assert_close_double(gw, w, n, 1e-6, 1e-5, "lars params");
    assert_close_double(gt, t, n, 1e-6, 1e-5, "lars trace");

    /* By hand. w1 has one element: u = g + wd*w, ratio = eta*|w|/|u|, so the step is
     * -lr*eta*|w|*sign(u) plus momentum. */
    size_t j = arena_entry(a, arena_find(a, "w1"))->offset;
    double u = su.g[j] + 0.1 * su.w[j];
    double t1 = -0.5 * 1e-3 * fabs(su.w[j]) * (u > 0 ? 1 : -1) + 0.9 * su.m[j];
    assert_float_equal(gt[j], t1, 1e-6);
    assert_float_equal(gw[j], su.w[j] + t1, 1e-6);
    /* Bias and BN gamma: plain momentum on -lr*g, no decay, no trust ratio. */
    const char *excluded[] = {"b17", "bn.weight", "bn.bias"};
    for (int k = 0; k < 3; k++) {
        const ArenaEntry *e = arena_entry(a, arena_find(a, excluded[k]));
        for (size_t i = e->offset; i < e->offset + e->count; i++) {
            float want = -0.5f * su.g[i] + 0.9f * su.m[i];
            assert_float_equal(gt[i], want, 1e-6);
            assert_float_equal(gw[i], su.w[i] + want, 1e-6);
        }
    }
    /* The all-zero weight entry: ratio 1, decay of zero weights is zero. */
    const ArenaEntry *z = arena_entry(a, arena_find(a, "zero_w"));
    for (size_t i = z->offset; i < z->offset + z->count; i++)
        assert_float_equal(gw[i], -0.5f * su.g[i] + 0.9f * su.m[i], 1e-6);
    /* Padding stays zero. */
    for (size_t i = z->offset + z->count; i < z->offset + ARENA_ALIGN; i++) assert_true(gw[i] == 0.0f);
    assert_inputs_untouched(&su);
    free(trust);
    free(w);
    free(t);
    free(gw);
    free(gt);
    teardown(&su);
}

/* Zero gradients with no decay make ||u|| = 0: the ratio falls back to 1 (optax). */
static void test_lars_zero_update_norm_guard(void **state) {
    (void)state;
    Setup su = setup(4);
    memset(su.g, 0, arena_floats(su.arena, ARENA_GRADS) * sizeof(float));
    TEST_CHECK(arena_zero_grad(su.arena));
    OptimizerConfig cfg = {.kind = OPTIMIZER_LARS, .momentum = 0.9f, .weight_decay = 0.0f,
                           .trust_coefficient = 1e-3f};
    TEST_CHECK(lars_compute_trust_ratios(su.arena, &cfg));
    float *trust = test_download(arena_entry_scratch_buffer(su.arena), (size_t)arena_entry_count(su.arena));
    for (int i = 0; i < arena_entry_count(su.arena); i++) assert_true(trust[i] == 1.0f);
    /* With decay, u = wd*w: ratio eta*||w|| / (wd*||w||) = eta / wd. */
    cfg.weight_decay = 0.25f;
    TEST_CHECK(lars_compute_trust_ratios(su.arena, &cfg));
    float *trust2 = test_download(arena_entry_scratch_buffer(su.arena), (size_t)arena_entry_count(su.arena));
    int w17 = arena_find(su.arena, "w17");
    assert_float_equal(trust2[w17], 1e-3 / 0.25, 1e-8);
    free(trust);
    free(trust2);
    teardown(&su);
}

static void test_lars_several_steps_is_deterministic(void **state) {
    (void)state;
    float *results[2];
    size_t n = 0;
    double *w = NULL, *t = NULL;
    OptimizerConfig cfg = optimizer_config_default(OPTIMIZER_LARS);
    cfg.weight_decay = 1e-2f;
    const float lrs[] = {0.0f, 0.3f, 0.6f};
    for (int run = 0; run < 2; run++) {
        Setup su = setup(5);
        n = arena_floats(su.arena, ARENA_PARAMS);
        if (run == 0) {
            w = to_double(su.w, n);
            t = to_double(su.m, n);
        }
        for (int step = 0; step < 3; step++) {
            float *g = random_part(su.arena, ARENA_GRADS, 2000 + (uint64_t)step);
            TEST_CHECK(arena_upload(su.arena, ARENA_GRADS, g));
            TEST_CHECK(optimizer_step(su.arena, &cfg, lrs[step]));
            if (run == 0) ref_lars(su.arena, w, t, g, cfg.weight_decay, cfg.trust_coefficient, lrs[step], cfg.momentum);
            free(g);
        }
        results[run] = download(su.arena, ARENA_PARAMS);
        if (run == 0) {
            float *gt = download(su.arena, ARENA_MOMENTUM);
            assert_close_double(gt, t, n, 1e-6, 1e-5, "lars trace after 3 steps");
            free(gt);
        }
        teardown(&su);
    }
    assert_close_double(results[0], w, n, 1e-6, 1e-5, "lars params after 3 steps");
    assert_memory_equal(results[0], results[1], n * sizeof(float));
    free(results[0]);
    free(results[1]);
    free(w);
    free(t);
}

static void test_target_ema_and_running_stats_copy(void **state) {
    (void)state;
    Setup su = setup(6);
    Arena *online = su.arena, *target;
    TEST_CHECK(arena_create(&target));
    /* The target: the online table without its last entries (the "predictor"). */
    TEST_CHECK(arena_add(target, "w300", 300, PARAM_WEIGHT, INIT_KAIMING_NORMAL, 300, NULL));
    TEST_CHECK(arena_add(target, "b17", 17, PARAM_BIAS, INIT_ZEROS, 0, NULL));
    TEST_CHECK(arena_add_batchnorm(target, "bn", 3, NULL));
    TEST_CHECK(arena_add(target, "w1", 1, PARAM_WEIGHT, INIT_KAIMING_NORMAL, 1, NULL));
    TEST_CHECK(arena_allocate(target, test_device(), ARENA_FROZEN));
    assert_true(arena_is_prefix_of(target, online));
    size_t n = arena_floats(target, ARENA_PARAMS), ns = arena_floats(target, ARENA_STATE);
    float *xi = random_part(target, ARENA_PARAMS, 77), *xs = random_part(target, ARENA_STATE, 78);
    TEST_CHECK(arena_upload(target, ARENA_PARAMS, xi));
    TEST_CHECK(arena_upload(target, ARENA_STATE, xs));

    const double tau = 0.996;
    TEST_CHECK(target_update(target, online, tau));
    float *got = download(target, ARENA_PARAMS), *gs = download(target, ARENA_STATE);
    double *want = malloc(n * sizeof *want);
    for (size_t i = 0; i < n; i++) want[i] = xi[i];
    ema_ref(want, su.w, n, tau);
    assert_close_double(got, want, n, 1e-7, 1e-6, "ema");
    assert_memory_equal(gs, su.s, ns * sizeof(float)); /* running stats copied, not averaged */
    /* the online network is not touched */
    float *ow = download(online, ARENA_PARAMS);
    assert_memory_equal(ow, su.w, arena_floats(online, ARENA_PARAMS) * sizeof(float));

    /* tau = 1 (the last step) leaves the target exactly as it was. */
    TEST_CHECK(target_update(target, online, 1.0));
    float *same = download(target, ARENA_PARAMS);
    assert_memory_equal(same, got, n * sizeof(float));

    /* The start of training: the target is a copy. */
    TEST_CHECK(target_copy_from_online(target, online));
    float *copy = download(target, ARENA_PARAMS);
    assert_memory_equal(copy, su.w, n * sizeof(float));

    /* A target that is not a prefix is refused. */
    Arena *wrong;
    TEST_CHECK(arena_create(&wrong));
    TEST_CHECK(arena_add(wrong, "b17", 17, PARAM_BIAS, INIT_ZEROS, 0, NULL));
    TEST_CHECK(arena_allocate(wrong, test_device(), ARENA_FROZEN));
    assert_int_equal(target_update(wrong, online, tau), BC_ERR_USAGE);
    assert_non_null(strstr(error_last(), "prefix"));
    assert_int_equal(target_update(target, online, 1.5), BC_ERR_USAGE);
    arena_destroy(wrong);
    free(xi);
    free(xs);
    free(got);
    free(gs);
    free(want);
    free(ow);
    free(same);
    free(copy);
    arena_destroy(target);
    teardown(&su);
}

static void test_count_nonfinite(void **state) {
    (void)state;
    Device *dev = test_device();
    const size_t n = 37;
    float *x = test_alloc_uniform(n + 3, 9, -1e30f, 1e30f);
    x[3 + 3] = NAN;
    x[3 + 20] = INFINITY;
    x[3 + 36] = -INFINITY;
    x[2] = NAN; /* before the view: not counted */
    Buffer *b = test_upload(x, n + 3), *count;
    TEST_CHECK(buffer_create(dev, sizeof(int), &count));
    TEST_CHECK(count_nonfinite(dev, count, (View){b, 3}, n));
    int c = -1;
    TEST_CHECK(buffer_read(dev, count, 0, sizeof c, &c));
    assert_int_equal(c, 3);
    TEST_CHECK(count_nonfinite(dev, count, (View){b, 7}, 10)); /* finite part: count reset */
    TEST_CHECK(buffer_read(dev, count, 0, sizeof c, &c));
    assert_int_equal(c, 0);
    buffer_release(b);
    buffer_release(count);
    free(x);
}

static void test_optimizer_names_and_misuse(void **state) {
    (void)state;
    OptimizerKind k;
    TEST_CHECK(optimizer_kind_parse("LARS", &k));
    assert_int_equal(k, OPTIMIZER_LARS);
    assert_string_equal(optimizer_kind_name(OPTIMIZER_SGD), "sgd");
    assert_int_equal(optimizer_kind_parse("adam", &k), BC_ERR_USAGE);
    assert_non_null(strstr(error_last(), "lars or sgd"));
    Arena *frozen = make_arena(ARENA_FROZEN);
    OptimizerConfig cfg = optimizer_config_default(OPTIMIZER_SGD);
    assert_int_equal(optimizer_step(frozen, &cfg, 0.1f), BC_ERR_USAGE);
    arena_destroy(frozen);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgd_one_step_matches_pytorch_semantics),
        cmocka_unit_test(test_sgd_several_steps_with_changing_grads),
        cmocka_unit_test(test_lars_one_step_with_exclusions),
        cmocka_unit_test(test_lars_zero_update_norm_guard),
        cmocka_unit_test(test_lars_several_steps_is_deterministic),
        cmocka_unit_test(test_target_ema_and_running_stats_copy),
        cmocka_unit_test(test_count_nonfinite),
        cmocka_unit_test(test_optimizer_names_and_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, test_teardown_device);
}
