/* test_program_cache.c — the on-disk binary cache: a second open loads from it (proved by
 * the build counters), a corrupt entry is rebuilt and replaced, options are part of the
 * key, and a broken kernel gives an error carrying the compiler's build log. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"

static char cache_dir[256];

static int make_cache_dir(void **state) {
    (void)state;
    return test_make_temp_dir(cache_dir, sizeof cache_dir, "test-cache");
}

static int remove_cache_dir(void **state) {
    (void)state;
    return test_remove_tree(cache_dir);
}

static Device *open_with_cache(const char *kernel_dir) {
    DeviceOptions options = {.cache_dir = cache_dir, .kernel_dir = kernel_dir};
    Device *dev;
    TEST_CHECK(device_open(getenv("BYOLCL_TEST_DEVICE"), &options, &dev));
    return dev;
}

static void build_basic(Device *dev) {
    Kernel *k;
    TEST_CHECK(kernel_get(dev, "basic", "fill_float", &k));
    TEST_CHECK(kernel_get(dev, "basic", "axpy_float", &k)); /* same program: no new build */
}

/* The only kernel cache file: its path into `out`. */
static int cache_files(char *out, size_t cap) {
    char folder[400];
    snprintf(folder, sizeof folder, "%s/kernels", cache_dir);
    DIR *d = opendir(folder);
    if (!d) return 0;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strstr(e->d_name, ".bin")) continue;
        if (strstr(e->d_name, ".tmp")) fail_msg("temporary file left behind: %s", e->d_name);
        int len = snprintf(out, cap, "%s/%s", folder, e->d_name);
        if (len < 0 || (size_t)len >= cap) fail_msg("cache path too long: %s/%s", folder, e->d_name);
        n++;
    }
    closedir(d);
    return n;
}

static void test_second_open_loads_from_cache(void **state) {
    (void)state;
    Device *first = open_with_cache(NULL);
    build_basic(first);
    DeviceStats s1 = device_stats(first);
    assert_int_equal(s1.programs_built_from_source, 1);
    assert_int_equal(s1.programs_loaded_from_cache, 0);
    device_close(first);
    char path[600];
    assert_int_equal(cache_files(path, sizeof path), 1);

    Device *second = open_with_cache(NULL);
    build_basic(second);
    DeviceStats s2 = device_stats(second);
    assert_int_equal(s2.programs_built_from_source, 0);
    assert_int_equal(s2.programs_loaded_from_cache, 1);
    /* And the cached program computes. */
    Kernel *fill;
    TEST_CHECK(kernel_get(second, "basic", "fill_float", &fill));
    Buffer *b;
    TEST_CHECK(buffer_create(second, 8 * sizeof(float), &b));
    TEST_CHECK(KERNEL_LAUNCH_1D(second, fill, 8, ARG_VIEW_OF(b, 0), ARG_I(8), ARG_F(7.0f)));
    float out[8];
    TEST_CHECK(buffer_read(second, b, 0, sizeof out, out));
    for (int i = 0; i < 8; i++) assert_true(out[i] == 7.0f);
    buffer_release(b);
    device_close(second);
}

static void corrupt_and_expect_rebuild(void (*damage)(const char *path)) {
    Device *warm = open_with_cache(NULL);
    build_basic(warm);
    device_close(warm);
    char path[600];
    assert_int_equal(cache_files(path, sizeof path), 1);
    damage(path);
    Device *dev = open_with_cache(NULL);
    build_basic(dev);
    DeviceStats s = device_stats(dev);
    assert_int_equal(s.cache_entries_rejected, 1);
    assert_int_equal(s.programs_built_from_source, 1);
    device_close(dev);
    /* The entry was replaced by a good one. */
    Device *again = open_with_cache(NULL);
    build_basic(again);
    assert_int_equal(device_stats(again).programs_loaded_from_cache, 1);
    assert_int_equal(device_stats(again).cache_entries_rejected, 0);
    device_close(again);
}

static void truncate_file(const char *path) { assert_int_equal(truncate(path, 40), 0); }

static void flip_a_byte(const char *path) {
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, -3, SEEK_END);
    int c = fgetc(f);
    fseek(f, -3, SEEK_END);
    fputc(c ^ 0x5a, f);
    fclose(f);
}

static void overwrite_with_garbage(const char *path) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("not a kernel binary", f);
    fclose(f);
}

static void test_truncated_entry_is_rebuilt(void **state) {
    (void)state;
    corrupt_and_expect_rebuild(truncate_file);
}

static void test_flipped_byte_is_rebuilt(void **state) {
    (void)state;
    corrupt_and_expect_rebuild(flip_a_byte);
}

static void test_garbage_entry_is_rebuilt(void **state) {
    (void)state;
    corrupt_and_expect_rebuild(overwrite_with_garbage);
}

static void test_profile_change_builds_new_entry(void **state) {
    (void)state;
    Device *dev = open_with_cache(NULL);
    build_basic(dev);
    TEST_CHECK(device_profile_set(dev, "WG_1D", 32)); /* new -D option: a new cache key */
    build_basic(dev);
    assert_int_equal(device_stats(dev).programs_built_from_source, 2);
    device_close(dev);
    char path[600];
    assert_int_equal(cache_files(path, sizeof path), 2);
}

static void test_broken_kernel_reports_build_log(void **state) {
    (void)state;
    char kdir[300];
    snprintf(kdir, sizeof kdir, "%s/broken-src", cache_dir);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s/cl/common.cl' '%s/'", kdir,
             getenv("BYOLCL_SOURCE_DIR"), kdir);
    assert_int_equal(system(cmd), 0);
    char path[400];
    snprintf(path, sizeof path, "%s/broken.cl", kdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("__kernel void broken(__global float *x) {\n  x[0] = undefined_symbol_xyz;\n}\n", f);
    fclose(f);
    Device *dev = open_with_cache(kdir);
    Kernel *k;
    assert_int_equal(kernel_get(dev, "broken", "broken", &k), BC_ERR_BUILD);
    const char *msg = error_last();
    assert_non_null(strstr(msg, "cl/broken.cl"));
    assert_non_null(strstr(msg, "build log"));
    assert_non_null(strstr(msg, "undefined_symbol_xyz"));
    device_close(dev);
}

static void test_disabled_cache_writes_nothing(void **state) {
    (void)state;
    DeviceOptions options = {.cache_dir = cache_dir, .no_cache = true};
    Device *dev;
    TEST_CHECK(device_open(getenv("BYOLCL_TEST_DEVICE"), &options, &dev));
    build_basic(dev);
    assert_int_equal(device_stats(dev).programs_built_from_source, 1);
    device_close(dev);
    char path[600];
    assert_int_equal(cache_files(path, sizeof path), 0);
}

/* One process that fills the cache in `dir` with the "basic" program: exit status 0 on success. */
static int fill_cache_process(const char *dir) {
    DeviceOptions options = {.cache_dir = dir};
    Device *dev;
    Kernel *k;
    int ok = device_open(getenv("BYOLCL_TEST_DEVICE"), &options, &dev) == BC_OK &&
             kernel_get(dev, "basic", "fill_float", &k) == BC_OK;
    return ok ? 0 : 1;
}

/* Two processes filling the same empty cache at once: both succeed, no temp file is left,
 * and the entry they leave is valid. Each is this test program started afresh: a forked
 * copy would inherit the driver state of the tests before it, which NVIDIA's driver (CUDA
 * underneath) does not support, so its device_open fails there. */
static void test_concurrent_processes_do_not_corrupt(void **state) {
    (void)state;
    pid_t children[2];
    for (int c = 0; c < 2; c++) {
        children[c] = fork();
        assert_true(children[c] >= 0);
        if (children[c] == 0) {
            execl("/proc/self/exe", "test_program_cache", "--fill-cache", cache_dir, (char *)NULL);
            _exit(127);
        }
    }
    for (int c = 0; c < 2; c++) {
        int status;
        assert_int_equal(waitpid(children[c], &status, 0), children[c]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    char path[600];
    assert_int_equal(cache_files(path, sizeof path), 1);
    Device *dev = open_with_cache(NULL);
    build_basic(dev);
    assert_int_equal(device_stats(dev).programs_loaded_from_cache, 1);
    assert_int_equal(device_stats(dev).cache_entries_rejected, 0);
    device_close(dev);
}

#define CACHE_TEST(fn) cmocka_unit_test_setup_teardown(fn, make_cache_dir, remove_cache_dir)

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--fill-cache") == 0) return fill_cache_process(argv[2]);
    const struct CMUnitTest tests[] = {
        CACHE_TEST(test_second_open_loads_from_cache),
        CACHE_TEST(test_truncated_entry_is_rebuilt),
        CACHE_TEST(test_flipped_byte_is_rebuilt),
        CACHE_TEST(test_garbage_entry_is_rebuilt),
        CACHE_TEST(test_profile_change_builds_new_entry),
        CACHE_TEST(test_broken_kernel_reports_build_log),
        CACHE_TEST(test_disabled_cache_writes_nothing),
        CACHE_TEST(test_concurrent_processes_do_not_corrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
