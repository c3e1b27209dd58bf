/* test_train.c — `byolcl train` end to end on tiny generated data: a run stopped halfway
 * and resumed ends bit for bit where an uninterrupted run ends; a second run never
 * overwrites a checkpoint; a corrupt checkpoint is refused and left alone; a diverging run
 * stops with a message naming the step and keeps its last good checkpoint; and on the real
 * Fashion-MNIST the loss goes down. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/checkpoint.h"
#include "byolcl/log.h"
#include "byolcl/metrics.h"
#include "byolcl/train.h"
#include "train_fixtures.h"
#include "test_util.h"

static Checkpoint *load(const char *dir) {
    char path[600];
    snprintf(path, sizeof path, "%s/checkpoint.ckpt", dir);
    Checkpoint *c;
    TEST_CHECK(checkpoint_read(path, &c));
    return c;
}

static void assert_same_section(const Checkpoint *a, const Checkpoint *b, const char *name) {
    const void *da, *db;
    size_t na, nb;
    TEST_CHECK(checkpoint_section(a, name, &da, &na));
    TEST_CHECK(checkpoint_section(b, name, &db, &nb));
    assert_int_equal(na, nb);
    if (memcmp(da, db, na) != 0) fail_msg("section %s differs between the runs", name);
}

static void test_resume_equals_uninterrupted(void **state) {
    (void)state;
    write_tiny_dataset();
    const int steps = test_small() ? 2 : 6;
    char straight[512], split[512];
    snprintf(straight, sizeof straight, "%s", fixture_path("straight"));
    snprintf(split, sizeof split, "%s", fixture_path("split"));
    TrainRequest r = tiny_request(straight, steps);
    TEST_CHECK(train_run(&r));
    r = tiny_request(split, steps);
    r.stop_after = steps / 2;
    TEST_CHECK(train_run(&r));
    r = tiny_request(split, steps);
    r.resume = ""; /* the run in --out */
    TEST_CHECK(train_run(&r));

    Checkpoint *a = load(straight), *b = load(split);
    const char *sections[] = {"online.params", "online.state", "online.momentum", "target.params", "target.state"};
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) assert_same_section(a, b, sections[i]);
    checkpoint_free(a);
    checkpoint_free(b);
    /* The loss history is one continuous record in both runs, equal step by step. */
    MetricsRecord *ra, *rb;
    int na, nb;
    char path[600];
    snprintf(path, sizeof path, "%s/metrics.jsonl", straight);
    TEST_CHECK(metrics_read(path, &ra, &na));
    snprintf(path, sizeof path, "%s/metrics.jsonl", split);
    TEST_CHECK(metrics_read(path, &rb, &nb));
    assert_int_equal(na, steps);
    assert_int_equal(nb, steps);
    for (int i = 0; i < steps; i++) {
        assert_int_equal(ra[i].step, rb[i].step);
        if (ra[i].loss != rb[i].loss) fail_msg("step %ld: loss %.6f vs %.6f after resume", ra[i].step, ra[i].loss, rb[i].loss);
    }
    free(ra);
    free(rb);
}

static char *read_all(const char *path, size_t *bytes) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *bytes = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc(*bytes + 1);
    assert_int_equal(fread(data, 1, *bytes, f), *bytes);
    fclose(f);
    return data;
}

static void test_existing_and_corrupt_checkpoints_are_left_alone(void **state) {
    (void)state;
    write_tiny_dataset();
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s", fixture_path("guarded"));
    snprintf(path, sizeof path, "%s/checkpoint.ckpt", dir);
    TrainRequest r = tiny_request(dir, 2);
    TEST_CHECK(train_run(&r));
    size_t before_bytes, after_bytes;
    char *before = read_all(path, &before_bytes);
    /* A new run into the same folder must not overwrite it. */
    assert_int_equal(train_run(&r), BC_ERR_USAGE);
    assert_non_null(strstr(error_last(), "--resume"));
    char *after = read_all(path, &after_bytes);
    assert_true(before_bytes == after_bytes && memcmp(before, after, before_bytes) == 0);
    free(after);
    /* Damage it: resuming is refused with the file named, and the file stays as it is. */
    before[before_bytes / 2] ^= 0x55;
    fixture_write(path, before, before_bytes);
    r.resume = "";
    assert_int_equal(train_run(&r), BC_ERR_FORMAT);
    assert_non_null(strstr(error_last(), "checkpoint.ckpt"));
    after = read_all(path, &after_bytes);
    assert_true(before_bytes == after_bytes && memcmp(before, after, before_bytes) == 0);
    free(after);
    free(before);
    /* A checkpoint that does not exist. */
    r.resume = fixture_path("nowhere/checkpoint.ckpt");
    assert_int_equal(train_run(&r), BC_ERR_IO);
}

static void test_divergence_stops_and_keeps_last_good_checkpoint(void **state) {
    (void)state;
    write_tiny_dataset();
    char dir[512];
    snprintf(dir, sizeof dir, "%s", fixture_path("diverging"));
    TrainRequest r = tiny_request(dir, 20);
    r.optimizer = "sgd";
    r.lr = 1e25;
    r.warmup_epochs = 0;
    r.checkpoint_every = 1;
    Status st = train_run(&r);
    assert_int_equal(st, BC_ERR_NUMERIC);
    assert_non_null(strstr(error_last(), "at step"));
    assert_non_null(strstr(error_last(), "--lr"));
    Checkpoint *c = load(dir); /* still loadable */
    checkpoint_free(c);
}

static void test_loss_decreases_on_fashion_mnist(void **state) {
    (void)state;
    if (test_small()) skip();
    FILE *probe = fopen("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", "rb");
    if (!probe) skip(); /* the dataset-fashion-mnist package is not installed */
    fclose(probe);
    char dir[512];
    snprintf(dir, sizeof dir, "%s", fixture_path("fmnist"));
    TrainRequest r = tiny_request(dir, 24);
    r.data_path = NULL;
    r.batch = 32;
    r.width = 8;
    r.proj_hidden = 64;
    r.proj_out = 32;
    r.log_every = 4;
    TEST_CHECK(train_run(&r));
    MetricsRecord *rows;
    int n;
    char path[600];
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    TEST_CHECK(metrics_read(path, &rows, &n));
    assert_int_equal(n, 6);
    printf("fashion-mnist loss: first %.4f, last %.4f\n", rows[0].loss, rows[n - 1].loss);
    assert_true(rows[n - 1].loss < 0.8 * rows[0].loss);
    free(rows);
}

#define TRAIN_TEST(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

int main(void) {
    log_set_level(LOG_WARN);
    const struct CMUnitTest tests[] = {
        TRAIN_TEST(test_resume_equals_uninterrupted),
        TRAIN_TEST(test_existing_and_corrupt_checkpoints_are_left_alone),
        TRAIN_TEST(test_divergence_stops_and_keeps_last_good_checkpoint),
        TRAIN_TEST(test_loss_decreases_on_fashion_mnist),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
