/* test_train.c — `byolcl train` end to end on tiny generated data: a run stopped halfway
 * and resumed ends bit for bit where an uninterrupted run ends; a second run never
 * overwrites a checkpoint; a corrupt checkpoint is refused and left alone; a diverging run
 * stops with a message naming the step and keeps its last good checkpoint; and on the real
 * Fashion-MNIST the loss goes down. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "byolcl/checkpoint.h"
#include "byolcl/log.h"
#include "byolcl/metrics.h"
#include "byolcl/train.h"
#include "byol/train_internal.h"
#include "data_fixtures.h"
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

static int64_t steps_in(const char *dir) {
    Checkpoint *c = load(dir);
    TrainProgress p;
    TEST_CHECK(checkpoint_section_exact(c, "progress", &p, sizeof p));
    checkpoint_free(c);
    return p.steps_done;
}

/* The step a diverging run names is the same whether the loss is read back every step or
 * never before the end: the guard checks every step on the device. With checkpoints every
 * step and no logging, the message names the checkpoint kept and it holds finite numbers
 * from before that step; with no checkpoint at all, it says nothing was saved. */
static void test_divergence_names_the_real_step_and_what_was_saved(void **state) {
    (void)state;
    write_tiny_dataset();
    char logged[512], quiet[512], none[512];
    snprintf(logged, sizeof logged, "%s", fixture_path("div_logged"));
    snprintf(quiet, sizeof quiet, "%s", fixture_path("div_quiet"));
    snprintf(none, sizeof none, "%s", fixture_path("div_none"));
    TrainRequest r = tiny_request(logged, 20);
    r.optimizer = "sgd", r.lr = 1e25, r.warmup_epochs = 0;
    assert_int_equal(train_run(&r), BC_ERR_NUMERIC);
    char first[1024];
    snprintf(first, sizeof first, "%s", error_last());
    const char *at = strstr(first, "at step ");
    assert_non_null(at);
    int bad = atoi(at + 8);
    assert_true(bad >= 1 && bad < 20);
    print_message("diverged at step %d\n", bad);

    r = tiny_request(quiet, 20);
    r.optimizer = "sgd", r.lr = 1e25, r.warmup_epochs = 0, r.log_every = 1000, r.checkpoint_every = 1;
    assert_int_equal(train_run(&r), BC_ERR_NUMERIC);
    char want[64];
    snprintf(want, sizeof want, "at step %d:", bad);
    if (!strstr(error_last(), want)) fail_msg("want '%s' in: %s", want, error_last());
    if (bad > 1) {
        assert_non_null(strstr(error_last(), "was kept"));
        /* Saved at the step before, which no logging step read: checkpoints follow their own cadence. */
        assert_int_equal(steps_in(quiet), bad - 1);
        Checkpoint *c = load(quiet);
        const void *data;
        size_t bytes;
        TEST_CHECK(checkpoint_section(c, "online.params", &data, &bytes));
        for (size_t i = 0; i < bytes / sizeof(float); i++) {
            float v; /* sections are not aligned for floats */
            memcpy(&v, (const char *)data + i * sizeof v, sizeof v);
            assert_true(isfinite(v));
        }
        checkpoint_free(c);
    }

    r = tiny_request(none, 20);
    r.optimizer = "sgd", r.lr = 1e25, r.warmup_epochs = 0, r.log_every = 1000;
    assert_int_equal(train_run(&r), BC_ERR_NUMERIC);
    assert_non_null(strstr(error_last(), "Nothing was saved"));
    char path[600];
    snprintf(path, sizeof path, "%s/checkpoint.ckpt", none);
    assert_false(fs_exists(path));
}

/* A dead process's PID: a temporary file of it is stale. */
static long dead_pid(void) {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    waitpid(pid, NULL, 0);
    return (long)pid;
}

/* One run per folder (the second is refused naming the holder), stale temporaries of dead
 * runs removed, a resume that extends --steps, copies to a new --out, or has nothing to do. */
static void test_run_folder_lock_temps_and_resume(void **state) {
    (void)state;
    write_tiny_dataset();
    char dir[512], lock[600], stale[600], copy[512];
    snprintf(dir, sizeof dir, "%s", fixture_path("folder"));
    snprintf(copy, sizeof copy, "%s", fixture_path("folder_copy"));
    fixture_mkdir(dir);
    snprintf(lock, sizeof lock, "%s/lock", dir);
    int fd = open(lock, O_RDWR | O_CREAT, 0644);
    assert_true(fd >= 0 && flock(fd, LOCK_EX) == 0);
    assert_true(write(fd, "pid 1 on testhost since then\n", 29) == 29);
    TrainRequest r = tiny_request(dir, 2);
    assert_int_equal(train_run(&r), BC_ERR_USAGE);
    assert_non_null(strstr(error_last(), "in use by another run (pid 1 on testhost"));
    close(fd);
    snprintf(stale, sizeof stale, "%s/checkpoint.ckpt.tmp.%ld.3", dir, dead_pid());
    fixture_write(stale, "x", 1);
    TEST_CHECK(train_run(&r));
    assert_false(fs_exists(stale));
    r = tiny_request(dir, 4);
    r.resume = "";
    TEST_CHECK(train_run(&r)); /* --steps 4 extends the 2-step run */
    assert_int_equal(steps_in(dir), 4);
    TEST_CHECK(train_run(&r)); /* nothing left to do: fine, and nothing changes */
    assert_int_equal(steps_in(dir), 4);
    r = tiny_request(copy, 6);
    r.resume = dir, r.out_given = true;
    TEST_CHECK(train_run(&r));
    assert_int_equal(steps_in(copy), 6);
    assert_int_equal(steps_in(dir), 4); /* the original is left as it was */
    r.steps = 3; /* fewer than done */
    r.resume = copy;
    assert_int_equal(train_run(&r), BC_ERR_USAGE);
    assert_non_null(strstr(error_last(), "--steps"));
}

#define TRAIN_TEST(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

int main(void) {
    log_set_level(LOG_WARN);
    const struct CMUnitTest tests[] = {
        TRAIN_TEST(test_resume_equals_uninterrupted),
        TRAIN_TEST(test_existing_and_corrupt_checkpoints_are_left_alone),
        TRAIN_TEST(test_divergence_stops_and_keeps_last_good_checkpoint),
        TRAIN_TEST(test_loss_decreases_on_fashion_mnist),
        TRAIN_TEST(test_divergence_names_the_real_step_and_what_was_saved),
        TRAIN_TEST(test_run_folder_lock_temps_and_resume),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
