/* test_schedule.c — learning-rate warmup + cosine decay and the target tau schedule,
 * including the off-by-one conventions (step k counts from 0). */
#include <math.h>

#include "byolcl/schedule.h"
#include "test_util.h"

/* cmocka's assert_float_equal rounds to float; schedules are doubles. */
#define assert_double_equal(got, want, tol)                                                    \
    do {                                                                                       \
        double got_ = (got), want_ = (want);                                                   \
        if (!(fabs(got_ - want_) <= (tol)))                                                    \
            fail_msg("%s = %.17g, want %.17g", #got, got_, want_);                             \
    } while (0)

static void test_learning_rate_warmup_then_cosine(void **state) {
    (void)state;
    /* base 0.2 at batch 512: peak 0.4. 10 warmup steps, 110 in total (100 decaying). */
    LrSchedule s = {.base_lr = 0.2, .batch = 512, .warmup_steps = 10, .total_steps = 110};
    assert_double_equal(peak_learning_rate(&s), 0.4, 1e-15);
    assert_double_equal(learning_rate_at(&s, 0), 0.0, 0);          /* BYOL: lr(0) = 0 */
    assert_double_equal(learning_rate_at(&s, 1), 0.04, 1e-15);
    assert_double_equal(learning_rate_at(&s, 5), 0.2, 1e-15);
    assert_double_equal(learning_rate_at(&s, 9), 0.36, 1e-15);
    assert_double_equal(learning_rate_at(&s, 10), 0.4, 1e-15);     /* the peak, cosine starts */
    assert_double_equal(learning_rate_at(&s, 60), 0.2, 1e-15);     /* halfway through decay */
    assert_double_equal(learning_rate_at(&s, 35), 0.4 * (1 + cos(M_PI / 4)) / 2, 1e-15);
    assert_double_equal(learning_rate_at(&s, 110), 0.0, 1e-15);
    assert_double_equal(learning_rate_at(&s, 500), 0.0, 1e-15);    /* past the end: stays 0 */
    for (int k = 10; k < 110; k++) assert_true(learning_rate_at(&s, k + 1) <= learning_rate_at(&s, k));
    for (int k = 0; k < 10; k++) assert_true(learning_rate_at(&s, k + 1) > learning_rate_at(&s, k));
}

static void test_learning_rate_edge_cases(void **state) {
    (void)state;
    LrSchedule no_warmup = {.base_lr = 0.3, .batch = 256, .warmup_steps = 0, .total_steps = 4};
    assert_double_equal(learning_rate_at(&no_warmup, 0), 0.3, 1e-15);
    assert_double_equal(learning_rate_at(&no_warmup, 2), 0.15, 1e-15);
    assert_double_equal(learning_rate_at(&no_warmup, 4), 0.0, 1e-15);
    /* All warmup, no room to decay: the peak stays. */
    LrSchedule all_warmup = {.base_lr = 0.2, .batch = 256, .warmup_steps = 8, .total_steps = 8};
    assert_double_equal(learning_rate_at(&all_warmup, 4), 0.1, 1e-15);
    assert_double_equal(learning_rate_at(&all_warmup, 8), 0.2, 1e-15);
    assert_false(isnan(learning_rate_at(&all_warmup, 100)));
}

static void test_tau_goes_from_base_to_one(void **state) {
    (void)state;
    const double base = 0.996;
    const int64_t K = 1000;
    assert_double_equal(target_tau_at(base, 0, K), base, 1e-15);  /* after the first update */
    assert_true(target_tau_at(base, K, K) == 1.0);                 /* exactly 1 at the end */
    assert_double_equal(target_tau_at(base, K / 2, K), 1 - (1 - base) / 2, 1e-15);
    assert_double_equal(target_tau_at(base, 250, K), 1 - (1 - base) * (cos(M_PI / 4) + 1) / 2, 1e-15);
    assert_true(target_tau_at(base, K + 10, K) == 1.0);
    for (int64_t k = 0; k < K; k++) assert_true(target_tau_at(base, k + 1, K) >= target_tau_at(base, k, K));
    /* One step later is a different value: an off-by-one would show. */
    assert_true(target_tau_at(base, 1, 10) > base);
    assert_double_equal(target_tau_at(0.99, 0, 0), 0.99, 1e-15);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learning_rate_warmup_then_cosine),
        cmocka_unit_test(test_learning_rate_edge_cases),
        cmocka_unit_test(test_tau_goes_from_base_to_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
