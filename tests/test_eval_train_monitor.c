/* test_eval_train_monitor.c — `train --eval-every N`: the kNN accuracy is logged to
 * metrics.jsonl at every N-th step (and the last), and measuring it does not change the
 * training: the logged losses equal those of the same run without it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/eval.h"
#include "byolcl/log.h"
#include "byolcl/metrics.h"
#include "byolcl/train.h"
#include "data_fixtures.h"
#include "test_util.h"

static void write_split(const char *images_name, const char *labels_name, uint32_t n) {
    size_t bytes;
    uint8_t *images = fixture_idx_images(n, 12, 12, &bytes);
    fixture_write(fixture_path("%s", images_name), images, bytes);
    free(images);
    uint8_t *labels = fixture_idx_labels(n, 4, &bytes);
    fixture_write(fixture_path("%s", labels_name), labels, bytes);
    free(labels);
}

static void run(const char *out, int64_t eval_every, MetricsRecord **records, int *count) {
    TrainRequest r;
    train_request_defaults(&r);
    char data[512], dir[512];
    snprintf(data, sizeof data, "%s", fixture_root);
    snprintf(dir, sizeof dir, "%s", fixture_path("%s", out));
    r.data_path = data, r.out_dir = dir, r.device = getenv("BYOLCL_TEST_DEVICE");
    r.arch = "small", r.width = 4, r.batch = 8, r.proj_hidden = 16, r.proj_out = 8;
    r.steps = 5, r.seed = 2, r.log_every = 1, r.quiet = true, r.eval_every = eval_every;
    r.monitor = &knn_train_monitor;
    TEST_CHECK(train_run(&r));
    char path[600];
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    TEST_CHECK(metrics_read(path, records, count));
}

static void test_eval_every_logs_knn_without_changing_training(void **state) {
    (void)state;
    write_split("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 48);
    write_split("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 20);
    MetricsRecord *plain, *monitored;
    int n_plain, n_monitored;
    run("plain", 0, &plain, &n_plain);
    run("monitored", 2, &monitored, &n_monitored);
    assert_int_equal(n_plain, 5);
    assert_int_equal(n_monitored, 5);
    for (int i = 0; i < 5; i++) {
        assert_true(plain[i].loss == monitored[i].loss);
        assert_true(isnan(plain[i].knn_accuracy));
        bool due = monitored[i].step % 2 == 0 || monitored[i].step == 5;
        if (due) assert_true(monitored[i].knn_accuracy >= 0 && monitored[i].knn_accuracy <= 1);
        else assert_true(isnan(monitored[i].knn_accuracy));
    }
    free(plain);
    free(monitored);
}

static void test_eval_every_needs_labels(void **state) {
    (void)state;
    size_t bytes;
    uint8_t *images = fixture_idx_images(16, 12, 12, &bytes); /* no label files, no test split */
    fixture_write(fixture_path("train-images-idx3-ubyte"), images, bytes);
    free(images);
    TrainRequest r;
    train_request_defaults(&r);
    char data[512];
    snprintf(data, sizeof data, "%s", fixture_root);
    r.data_path = data, r.out_dir = fixture_path("run"), r.device = getenv("BYOLCL_TEST_DEVICE");
    r.arch = "small", r.width = 4, r.batch = 8, r.proj_hidden = 16, r.proj_out = 8;
    r.steps = 2, r.quiet = true, r.eval_every = 1, r.monitor = &knn_train_monitor;
    Status st = train_run(&r);
    assert_int_not_equal(st, BC_OK);
    assert_non_null(strstr(error_last(), "--eval-every"));
}

int main(void) {
    log_set_level(LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_eval_every_logs_knn_without_changing_training, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_eval_every_needs_labels, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, test_teardown_device);
}
