/* test_time_budget.c — `--minutes`: the run's length planned from the measured pace, with a
 * fake clock (time_budget.c is pure arithmetic on the times it is given). */
#include <math.h>

#include "byol/time_budget.h"
#include "test_util.h"

/* A run whose steps take `pace` seconds after two slow first steps; returns the planned total. */
static int64_t plan_with_pace(TimeBudget *b, double seconds, double pace, int64_t first_step) {
    double now = 100.0;
    time_budget_start(b, seconds, now, first_step);
    int64_t total = 1000000;
    for (int64_t done = first_step + 1; done <= first_step + TIME_BUDGET_PLAN_STEP; done++) {
        now += done - first_step <= TIME_BUDGET_WARM_STEPS ? 5 * pace : pace;
        if (time_budget_needs_finish(b, done)) total = time_budget_observe(b, done, now, total);
    }
    return total;
}

static void test_plan_fills_the_budget(void **state) {
    (void)state;
    TimeBudget b;
    /* 64 s, 0.125 s per step after two 0.625 s steps: 1.25 s spent by step 2, 1 s more by
     * step 10; 64 - 1 (reserve) - 2.25 = 60.75 s left = 486 more steps (binary-exact). */
    int64_t total = plan_with_pace(&b, 64.0, 0.125, 0);
    assert_true(b.planned);
    assert_int_equal(total, 10 + 486);
    assert_true(time_budget_pace(&b, 10, 102.25) == 0.125);
    /* Only the warm-up end and the plan step wait for the device. */
    TimeBudget fresh;
    time_budget_start(&fresh, 60.0, 0.0, 0);
    assert_false(time_budget_needs_finish(&fresh, 1));
    assert_true(time_budget_needs_finish(&fresh, TIME_BUDGET_WARM_STEPS));
    assert_false(time_budget_needs_finish(&fresh, 5));
    assert_true(time_budget_needs_finish(&fresh, TIME_BUDGET_PLAN_STEP));
    /* A resumed invocation counts its steps from where it started. */
    time_budget_start(&fresh, 60.0, 0.0, 500);
    assert_false(time_budget_needs_finish(&fresh, TIME_BUDGET_WARM_STEPS));
    assert_true(time_budget_needs_finish(&fresh, 500 + TIME_BUDGET_WARM_STEPS));
    assert_int_equal(plan_with_pace(&fresh, 64.0, 0.125, 500), 500 + 10 + 486);
}

static void test_refinement_follows_the_pace_until_half_time(void **state) {
    (void)state;
    TimeBudget b;
    int64_t total = plan_with_pace(&b, 64.0, 0.125, 0); /* now = 102.25, pace measured from 101.25 */
    assert_int_equal(total, 496);
    /* The machine slows to 0.25 s per step: at step 110 (now 127.25) the average since step
     * 2 is 26 s / 108 steps; the end (164 - 1 reserve) moves earlier. */
    int64_t refined = time_budget_observe(&b, 110, 127.25, total);
    double pace = 26.0 / 108.0;
    assert_int_equal(refined, 110 + (int64_t)floor((163.0 - 127.25) / pace));
    assert_true(refined < total);
    /* A change within the tolerance keeps the plan (no jitter in the schedules). */
    int64_t same = time_budget_observe(&b, 111, 127.25 + pace, refined);
    assert_int_equal(same, refined);
    /* After half the budget (132 s) the plan stays, whatever the pace. */
    assert_int_equal(time_budget_observe(&b, 130, 140.0, refined), refined);
}

static void test_budget_spent_before_training(void **state) {
    (void)state;
    TimeBudget b;
    /* Startup took the whole budget: the run ends at the warm-up step, with a plan. */
    time_budget_start(&b, 0.5, 10.0, 0);
    assert_int_equal(time_budget_observe(&b, 1, 10.2, 999), 999);
    assert_int_equal(time_budget_observe(&b, 2, 11.0, 999), 2);
    assert_true(b.planned);
    /* Nothing left after the plan step either: the total is where the run is. */
    TimeBudget tight;
    int64_t total = plan_with_pace(&tight, 2.5, 0.125, 0); /* 1 s reserve, 2.25 s spent */
    assert_int_equal(total, 10);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_fills_the_budget),
        cmocka_unit_test(test_refinement_follows_the_pace_until_half_time),
        cmocka_unit_test(test_budget_spent_before_training),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
