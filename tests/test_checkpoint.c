/* test_checkpoint.c — the checkpoint container: round trip, every kind of damage gives a
 * clear BC_ERR_FORMAT naming the file, and a process killed while writing leaves the
 * previous checkpoint loadable. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "byolcl/checkpoint.h"
#include "test_util.h"

static char dir[128], path[256];

static int make_dir(void **state) {
    (void)state;
    if (test_make_temp_dir(dir, sizeof dir, "ckpt") != 0) return -1;
    snprintf(path, sizeof path, "%s/run.ckpt", dir);
    return 0;
}

static int remove_dir(void **state) {
    (void)state;
    return test_remove_tree(dir);
}

static void write_sample(const char *p, float fill) {
    float weights[300];
    for (int i = 0; i < 300; i++) weights[i] = fill + (float)i;
    long step = 42;
    const char *config = "arch=small\nwidth=16\n";
    CheckpointSection sections[] = {
        {"params", weights, sizeof weights},
        {"step", &step, sizeof step},
        {"config", config, strlen(config)},
        {"empty", NULL, 0},
    };
    TEST_CHECK(checkpoint_write(p, sections, 4));
}

static void test_round_trip(void **state) {
    (void)state;
    write_sample(path, 0.5f);
    Checkpoint *c;
    TEST_CHECK(checkpoint_read(path, &c));
    float weights[300];
    TEST_CHECK(checkpoint_section_exact(c, "params", weights, sizeof weights));
    for (int i = 0; i < 300; i++) assert_true(weights[i] == 0.5f + (float)i);
    long step;
    TEST_CHECK(checkpoint_section_exact(c, "step", &step, sizeof step));
    assert_int_equal(step, 42);
    const void *data;
    size_t bytes;
    TEST_CHECK(checkpoint_section(c, "config", &data, &bytes));
    assert_int_equal(bytes, strlen("arch=small\nwidth=16\n"));
    TEST_CHECK(checkpoint_section(c, "empty", &data, &bytes));
    assert_int_equal(bytes, 0);
    assert_int_equal(checkpoint_section(c, "nosuch", &data, &bytes), BC_ERR_FORMAT);
    assert_non_null(strstr(error_last(), "nosuch"));
    /* Wrong size: the message hints at another architecture. */
    float small[10];
    assert_int_equal(checkpoint_section_exact(c, "params", small, sizeof small), BC_ERR_FORMAT);
    assert_non_null(strstr(error_last(), "architecture"));
    checkpoint_free(c);
}

static void expect_format_error(const char *needle) {
    Checkpoint *c = NULL;
    assert_int_equal(checkpoint_read(path, &c), BC_ERR_FORMAT);
    assert_null(c);
    assert_non_null(strstr(error_last(), path));
    if (!strstr(error_last(), needle)) fail_msg("message '%s' lacks '%s'", error_last(), needle);
}

static void patch_byte(long offset, int whence, unsigned char x) {
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, offset, whence);
    int c = fgetc(f);
    fseek(f, offset, whence);
    fputc(c ^ x, f);
    fclose(f);
}

static void test_damage_is_detected(void **state) {
    (void)state;
    write_sample(path, 1.0f);
    patch_byte(-3, SEEK_END, 0x40); /* inside the last non-empty section */
    expect_format_error("checksum");

    write_sample(path, 1.0f);
    patch_byte(0, SEEK_SET, 0x01);
    expect_format_error("magic");

    write_sample(path, 1.0f);
    patch_byte(8, SEEK_SET, 0x02); /* the version field: header checksum no longer fits */
    expect_format_error("header");

    write_sample(path, 1.0f);
    long size;
    {
        FILE *f = fopen(path, "rb");
        fseek(f, 0, SEEK_END);
        size = ftell(f);
        fclose(f);
    }
    assert_int_equal(truncate(path, size / 2), 0);
    expect_format_error("truncated");
    assert_int_equal(truncate(path, 5), 0);
    expect_format_error("too short");

    Checkpoint *c;
    assert_int_equal(checkpoint_read("/nonexistent/x.ckpt", &c), BC_ERR_IO);
    assert_non_null(strstr(error_last(), "/nonexistent/x.ckpt"));
}

static void test_other_version_is_refused(void **state) {
    (void)state;
    /* A file written by a future byolcl: same layout, version 99, valid header checksum. */
    write_sample(path, 1.0f);
    char *text;
    size_t size;
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    text = malloc(size);
    assert_int_equal(fread(text, 1, size, f), size);
    fclose(f);
    unsigned version = 99;
    memcpy(text + 8, &version, 4);
    /* recompute the header checksum the way the writer does (FNV-1a over 16 bytes) */
    uint64_t s = 0xcbf29ce484222325ULL;
    for (int i = 0; i < 16; i++) s = (s ^ (unsigned char)text[i]) * 0x100000001b3ULL;
    memcpy(text + 16, &s, 8);
    f = fopen(path, "wb");
    fwrite(text, 1, size, f);
    fclose(f);
    free(text);
    expect_format_error("format version 99");
}

/* A child rewrites the checkpoint in a loop and is SIGKILLed at some moment: whatever
 * is at the path afterwards is a complete, valid checkpoint. */
static void test_kill_during_write_leaves_valid_file(void **state) {
    (void)state;
    write_sample(path, 0.0f);
    for (int round = 0; round < 5; round++) {
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
            static float big[1 << 20];
            for (int i = 0;; i++) {
                big[0] = (float)i;
                CheckpointSection s[] = {{"params", big, sizeof big}};
                checkpoint_write(path, s, 1);
            }
        }
        usleep(20000 + 15000 * round);
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        Checkpoint *c;
        TEST_CHECK(checkpoint_read(path, &c));
        checkpoint_free(c);
    }
}

#define CKPT_TEST(fn) cmocka_unit_test_setup_teardown(fn, make_dir, remove_dir)

int main(void) {
    const struct CMUnitTest tests[] = {
        CKPT_TEST(test_round_trip),
        CKPT_TEST(test_damage_is_detected),
        CKPT_TEST(test_other_version_is_refused),
        CKPT_TEST(test_kill_during_write_leaves_valid_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
