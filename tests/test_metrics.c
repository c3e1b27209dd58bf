/* test_metrics.c — the metrics log: records round-trip through metrics.jsonl, a resumed run
 * drops the records written after its checkpoint, and bad files give clear errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/metrics.h"
#include "test_util.h"

static char dir[128], path[256];

static int make_dir(void **state) {
    (void)state;
    if (test_make_temp_dir(dir, sizeof dir, "metrics") != 0) return -1;
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    return 0;
}

static int remove_dir(void **state) {
    (void)state;
    return test_remove_tree(dir);
}

static void write_steps(long from, long to, long resume_step) {
    MetricsLog log;
    TEST_CHECK(metrics_open(&log, dir, resume_step, true, 10));
    for (long s = from; s <= to; s++) {
        MetricsRecord r = {.step = s, .total_steps = to, .epoch = (int)(s / 10), .loss = 4.0 / (double)s,
                           .lr = 0.1, .tau = 0.99, .images_per_s = 100, .wall_s = (double)s,
                           .knn_accuracy = s % 5 == 0 ? 0.5 : NAN};
        TEST_CHECK(metrics_write(&log, &r));
    }
    metrics_close(&log);
}

static void test_round_trip(void **state) {
    (void)state;
    write_steps(1, 20, 0);
    MetricsRecord *rows;
    int n;
    TEST_CHECK(metrics_read(path, &rows, &n));
    assert_int_equal(n, 20);
    assert_int_equal(rows[6].step, 7);
    assert_true(fabs(rows[6].loss - 4.0 / 7) < 1e-6);
    assert_true(isnan(rows[6].knn_accuracy));
    assert_true(fabs(rows[4].knn_accuracy - 0.5) < 1e-9);
    free(rows);
}

static void test_resume_drops_later_records(void **state) {
    (void)state;
    write_steps(1, 20, 0);  /* the first run got to step 20, checkpointed at 12 */
    write_steps(13, 25, 12); /* resumed from the checkpoint after step 12 */
    MetricsRecord *rows;
    int n;
    TEST_CHECK(metrics_read(path, &rows, &n));
    assert_int_equal(n, 25);
    for (int i = 0; i < n; i++) assert_int_equal(rows[i].step, i + 1);
    free(rows);
}

static void test_bad_files(void **state) {
    (void)state;
    MetricsRecord *rows;
    int n;
    assert_int_equal(metrics_read("/nonexistent/metrics.jsonl", &rows, &n), BC_ERR_IO);
    FILE *f = fopen(path, "w");
    fputs("{\"step\": 1, \"loss\": 2}\nnot json\n", f);
    fclose(f);
    assert_int_equal(metrics_read(path, &rows, &n), BC_ERR_FORMAT);
    assert_non_null(strstr(error_last(), ":2:"));
    f = fopen(path, "w");
    fclose(f);
    assert_int_equal(metrics_read(path, &rows, &n), BC_ERR_FORMAT);
}

#define METRICS_TEST(fn) cmocka_unit_test_setup_teardown(fn, make_dir, remove_dir)

int main(void) {
    const struct CMUnitTest tests[] = {
        METRICS_TEST(test_round_trip),
        METRICS_TEST(test_resume_drops_later_records),
        METRICS_TEST(test_bad_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
