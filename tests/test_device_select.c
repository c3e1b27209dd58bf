/* test_device_select.c — the selector and the `auto` ranking on synthetic device lists
 * (no OpenCL involved). */
#include <stdio.h>
#include <string.h>

#include "test_util.h"

static DeviceInfo make(int p, int d, int flat, const char *platform, const char *name,
                       DeviceKind kind, unsigned units, unsigned mhz) {
    DeviceInfo info;
    memset(&info, 0, sizeof info);
    info.platform_index = p;
    info.device_index = d;
    info.flat_index = flat;
    snprintf(info.platform_name, sizeof info.platform_name, "%s", platform);
    snprintf(info.name, sizeof info.name, "%s", name);
    if (strstr(platform, "Portable")) snprintf(info.platform_vendor, sizeof info.platform_vendor, "The pocl project");
    info.kind = kind;
    info.compute_units = units;
    info.clock_mhz = mhz;
    return info;
}

/* A mixed machine: PoCL CPU, Intel iGPU, two NVIDIA GPUs (the second one faster). */
static int mixed(DeviceInfo *list) {
    list[0] = make(0, 0, 0, "Portable Computing Language", "pthread-skylake", DEVICE_CPU, 16, 2400);
    list[1] = make(1, 0, 1, "Intel(R) OpenCL HD Graphics", "Intel(R) UHD Graphics 630", DEVICE_INTEGRATED_GPU, 24, 1150);
    list[2] = make(2, 0, 2, "NVIDIA CUDA", "NVIDIA GeForce GTX 1060", DEVICE_DISCRETE_GPU, 10, 1700);
    list[3] = make(2, 1, 3, "NVIDIA CUDA", "NVIDIA GeForce RTX 3090", DEVICE_DISCRETE_GPU, 82, 1700);
    return 4;
}

static int pick(const DeviceInfo *list, int n, const char *selector, Status expect) {
    int index = -1;
    char note[256];
    Status st = device_select(list, n, selector, &index, note, sizeof note);
    if (st != expect)
        fail_msg("selector '%s': got %s (%s), want %s", selector, status_name(st), error_last(),
                 status_name(expect));
    return index;
}

static void test_auto_prefers_fastest_discrete_gpu(void **state) {
    (void)state;
    DeviceInfo list[4];
    int n = mixed(list);
    assert_int_equal(pick(list, n, "auto", BC_OK), 3);
    assert_int_equal(pick(list, n, "AUTO", BC_OK), 3);
    assert_int_equal(device_rank_best(list, n), 3);
    assert_int_equal(device_rank_best(list, 0), -1);
}

static void test_auto_ranking_order(void **state) {
    (void)state;
    DeviceInfo list[3] = {
        make(0, 0, 0, "P", "cpu", DEVICE_CPU, 64, 3000),
        make(0, 1, 1, "P", "acc", DEVICE_ACCELERATOR, 1, 100),
        make(0, 2, 2, "P", "igpu", DEVICE_INTEGRATED_GPU, 1, 100),
    };
    assert_int_equal(pick(list, 3, "auto", BC_OK), 2); /* iGPU beats accelerator beats CPU */
    assert_int_equal(pick(list, 2, "auto", BC_OK), 1); /* accelerator beats a big CPU */
    assert_int_equal(pick(list, 1, "auto", BC_OK), 0);
}

static void test_kind_selectors(void **state) {
    (void)state;
    DeviceInfo list[4];
    int n = mixed(list);
    assert_int_equal(pick(list, n, "gpu", BC_OK), 3);
    assert_int_equal(pick(list, n, "igpu", BC_OK), 1);
    assert_int_equal(pick(list, n, "cpu", BC_OK), 0);
    pick(list, 1, "gpu", BC_ERR_NOT_FOUND);   /* only a CPU present */
    pick(list + 2, 2, "igpu", BC_ERR_NOT_FOUND);
    pick(list + 1, 3, "cpu", BC_ERR_NOT_FOUND);
}

static void test_index_selectors(void **state) {
    (void)state;
    DeviceInfo list[4];
    int n = mixed(list);
    assert_int_equal(pick(list, n, "2:1", BC_OK), 3);
    assert_int_equal(pick(list, n, "1:0", BC_OK), 1);
    assert_int_equal(pick(list, n, "0", BC_OK), 0);
    assert_int_equal(pick(list, n, "3", BC_OK), 3);
    pick(list, n, "4", BC_ERR_NOT_FOUND);    /* flat index out of range */
    pick(list, n, "1:1", BC_ERR_NOT_FOUND);  /* platform 1 has one device */
    pick(list, n, "9:0", BC_ERR_NOT_FOUND);
}

static void test_malformed_selectors(void **state) {
    (void)state;
    DeviceInfo list[4];
    int n = mixed(list);
    const char *bad[] = {"1:", ":0", "1:2:3", "::", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) pick(list, n, bad[i], BC_ERR_USAGE);
}

static void test_name_substrings(void **state) {
    (void)state;
    DeviceInfo list[4];
    int n = mixed(list);
    assert_int_equal(pick(list, n, "RTX 3090", BC_OK), 3);
    assert_int_equal(pick(list, n, "PoCL", BC_OK), 0);      /* platform vendor "The pocl project" */
    assert_int_equal(pick(list, n, "portable", BC_OK), 0);  /* platform name matches */
    assert_int_equal(pick(list, n, "intel:uhd", BC_OK), 1);
    assert_int_equal(pick(list, n, "nvidia:rtx", BC_OK), 3);
    pick(list, n, "intel:rtx", BC_ERR_NOT_FOUND);
    pick(list, n, "nosuch", BC_ERR_NOT_FOUND);
}

static void test_ambiguous_substring_takes_first_and_says_so(void **state) {
    (void)state;
    DeviceInfo list[4];
    int n = mixed(list);
    int index = -1;
    char note[256];
    assert_int_equal(device_select(list, n, "nvidia", &index, note, sizeof note), BC_OK);
    assert_int_equal(index, 2);
    assert_non_null(strstr(note, "2 devices match 'nvidia'"));
    assert_non_null(strstr(note, "first"));
    assert_int_equal(device_select(list, n, "RTX 3090", &index, note, sizeof note), BC_OK);
    assert_string_equal(note, "");
}

static void test_choose_lists_devices_on_failure(void **state) {
    (void)state;
    DeviceInfo list[4];
    int n = mixed(list);
    int index;
    assert_int_equal(device_choose(list, n, "nosuch", &index), BC_ERR_USAGE);
    const char *msg = error_last();
    assert_non_null(strstr(msg, "nosuch"));
    assert_non_null(strstr(msg, "NVIDIA GeForce RTX 3090"));
    assert_non_null(strstr(msg, "2:1"));
    assert_non_null(strstr(msg, "selectors: auto"));
    assert_int_equal(status_exit_code(BC_ERR_USAGE), 2);
}

/* The register width the CPU defaults follow, from PoCL's device names (LLVM's CPU name). */
static void test_cpu_simd_floats(void **state) {
    (void)state;
    const char *pocl = "Portable Computing Language";
    const struct {
        const char *platform, *name;
        int floats;
    } cases[] = {
        {pocl, "pthread-skylake-avx512-Intel(R) Xeon(R) Processor", 16},
        {pocl, "pthread-icelake-server-Intel(R) Xeon(R) Gold", 16},
        {pocl, "cpu-znver4-AMD Ryzen 9 7950X", 16},
        {pocl, "pthread-haswell-Intel(R) Core(TM) i7-4770", 8},
        {pocl, "pthread-znver3-AMD Ryzen 7 5800X", 8},
        {pocl, "pthread-alderlake-12th Gen Intel(R) Core(TM) i7", 8},
        {"Intel(R) OpenCL", "Intel(R) Core(TM) i7-4770", 16}, /* not PoCL: the measured defaults */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        DeviceInfo info = make(0, 0, 0, cases[i].platform, cases[i].name, DEVICE_CPU, 4, 3000);
        if (device_cpu_simd_floats(&info) != cases[i].floats) fail_msg("%s: expected %d", cases[i].name, cases[i].floats);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auto_prefers_fastest_discrete_gpu),
        cmocka_unit_test(test_auto_ranking_order),
        cmocka_unit_test(test_kind_selectors),
        cmocka_unit_test(test_index_selectors),
        cmocka_unit_test(test_malformed_selectors),
        cmocka_unit_test(test_name_substrings),
        cmocka_unit_test(test_ambiguous_substring_takes_first_and_says_so),
        cmocka_unit_test(test_choose_lists_devices_on_failure),
        cmocka_unit_test(test_cpu_simd_floats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
