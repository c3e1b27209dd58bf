/* test_bench.c — byolcl-bench's own correctness checks on tiny sizes (--quick --check-only:
 * every measured kernel against plain-C formulas, every tuner candidate against the
 * references, the GPU kernels' tuner and its saved profile, a BYOL training step's loss), its JSON output and its flag errors. Runs the built executable; no timing
 * is asserted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "test_util.h"

/* Runs byolcl-bench with `args`; returns its exit code and its stdout (malloc'd). */
static int run_bench(const char *args, char **output) {
    const char *dir = getenv("BYOLCL_BINARY_DIR");
    if (!dir) fail_msg("BYOLCL_BINARY_DIR is not set (ctest sets it)");
    const char *device = getenv("BYOLCL_TEST_DEVICE");
    char command[4096];
    snprintf(command, sizeof command, "'%s/byolcl-bench' --device '%s' %s 2>&1", dir,
             device && device[0] ? device : "auto", args);
    FILE *pipe = popen(command, "r");
    if (!pipe) fail_msg("cannot run %s", command);
    size_t cap = 1 << 16, used = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t got;
    while ((got = fread(text + used, 1, cap - used - 1, pipe)) > 0) {
        used += got;
        if (used + 1 == cap) {
            cap *= 2;
            text = realloc(text, cap);
            assert_non_null(text);
        }
    }
    text[used] = '\0';
    int status = pclose(pipe);
    *output = text;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int checks_passed(const char *output) {
    const char *line = strstr(output, "checks: ");
    int n = -1;
    if (line) sscanf(line, "checks: %d passed", &n);
    return n;
}

static void test_every_section_checks_out(void **state) {
    (void)state;
    char *out;
    int code = run_bench("--quick --check-only", &out);
    if (code != 0) fail_msg("byolcl-bench --quick --check-only exited with %d:\n%s", code, out);
    assert_non_null(strstr(out, "device: "));
    /* Peak kernels, every GEMM implementation, the conv passes, layers, optimizer, augment. */
    assert_true(checks_passed(out) > 100);
    free(out);
}

static void test_tuner_candidates_check_out(void **state) {
    (void)state;
    char *out;
    int code = run_bench("--quick --check-only --tune", &out);
    if (code != 0) fail_msg("byolcl-bench --tune --check-only exited with %d:\n%s", code, out);
    assert_true(checks_passed(out) > 10);
    free(out);
    /* The GPU kernels' candidates, the weight gradient's splits included (timed, they are
     * tried only when an implicit-GEMM tiling wins, which it seldom does on a CPU driver). */
    code = run_bench("--quick --check-only --tune-gemm-gpu", &out);
    if (code != 0) fail_msg("byolcl-bench --tune-gemm-gpu --check-only exited with %d:\n%s", code, out);
    assert_true(checks_passed(out) > 100);
    free(out);
}

/* The value of `key` in a profile file's text (-1: absent). */
static int profile_value(const char *profile, const char *key) {
    char line[96];
    snprintf(line, sizeof line, "\n%s = ", key);
    const char *at = strstr(profile, line);
    int value = -1;
    if (at) sscanf(at + strlen(line), "%d", &value);
    return value;
}

/* The GPU kernels' tuner, forced on this device in its quickest form (--tune-gemm-gpu
 * --quick): the GEMM, convolution and split-k candidates checked and timed, the winners saved
 * as a profile in a private cache folder (the shared one must not change), which the next
 * runs load: their GEMM rows name our GPU kernels, and the convolutions (the implicit GEMM
 * forced on) run on the saved sizes and pass their reference checks. */
static void test_gpu_tuner_saves_a_profile_that_loads(void **state) {
    (void)state;
    char dir[] = "/tmp/byolcl-tune-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    const char *shared = getenv("BYOLCL_CACHE_DIR");
    char *saved = shared ? strdup(shared) : NULL;
    setenv("BYOLCL_CACHE_DIR", dir, 1);
    char *out, *again, *conv;
    int code = run_bench("--quick --tune-gemm-gpu --runs 1 --budget-ms 1", &out);
    if (code != 0) fail_msg("byolcl-bench --tune-gemm-gpu exited with %d:\n%s", code, out);
    const char *at = strstr(out, "saved to ");
    assert_non_null(at);
    assert_non_null(strstr(out, "before (the profile as loaded) and after (the winner), convolutions"));
    assert_non_null(strstr(out, "best: GEMM_SPLIT_K = "));
    char path[4096];
    assert_int_equal(sscanf(at, "saved to %4095s", path), 1);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char profile[8192];
    size_t n = fread(profile, 1, sizeof profile - 1, f);
    profile[n] = '\0';
    fclose(f);
    assert_int_equal(profile_value(profile, "GEMM_GPU"), 1);
    const char *keys[] = {"GEMM_GPU_MWG", "GEMM_GPU_DB", "CONV_IGEMM_WGRAD_MIN_K", "GEMM_SPLIT_K", "GEMM_SPLIT_RATIO"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (profile_value(profile, keys[i]) < 0) fail_msg("%s missing from the saved profile:\n%s", keys[i], profile);
    code = run_bench("--quick --runs 1 --budget-ms 1 --filter gemm/square", &again);
    if (code != 0) fail_msg("byolcl-bench after tuning exited with %d:\n%s", code, again);
    if (!strstr(again, "ours GPU tiles")) fail_msg("the tuned profile was not loaded:\n%s", again);
    const char *outer = getenv("BYOLCL_PROFILE");
    char *outer_profile = outer ? strdup(outer) : NULL;
    setenv("BYOLCL_PROFILE", "CONV_IGEMM=1", 1);
    code = run_bench("--quick --runs 1 --budget-ms 1 --filter conv/resnet18", &conv);
    if (outer_profile) setenv("BYOLCL_PROFILE", outer_profile, 1);
    else unsetenv("BYOLCL_PROFILE");
    free(outer_profile);
    if (code != 0) fail_msg("byolcl-bench's conv checks on the tuned sizes exited with %d:\n%s", code, conv);
    char sizes[96];
    snprintf(sizes, sizeof sizes, "implicit GEMM wg%dx%d t%dx%d k%d", profile_value(profile, "CONV_IGEMM_WG_M"),
             profile_value(profile, "CONV_IGEMM_WG_N"), profile_value(profile, "CONV_IGEMM_TILE_M"),
             profile_value(profile, "CONV_IGEMM_TILE_N"), profile_value(profile, "CONV_IGEMM_TILE_K"));
    if (!strstr(conv, sizes)) fail_msg("the convolutions did not run on the saved sizes (%s):\n%s", sizes, conv);
    char command[4200];
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    assert_int_equal(system(command), 0);
    if (saved) setenv("BYOLCL_CACHE_DIR", saved, 1);
    else unsetenv("BYOLCL_CACHE_DIR");
    free(saved);
    free(out);
    free(again);
    free(conv);
}

static void test_training_step_checks_out(void **state) {
    (void)state;
    char *out;
    int code = run_bench("--quick --check-only --step --width 16 --batch 3", &out);
    if (code != 0) fail_msg("byolcl-bench --step --check-only exited with %d:\n%s", code, out);
    /* the peak kernels and the step (its loss is finite and in [0, 8], else the exit code says so) */
    assert_true(checks_passed(out) > 0);
    free(out);
    /* each view in its own forward (the default is both as one batch), 3 stages, BYOL and SimCLR */
    code = run_bench("--quick --check-only --step --width 8 --batch 3 --bn-views separate --stages 3 --method simclr",
                     &out);
    if (code != 0) fail_msg("byolcl-bench --step --bn-views separate --stages 3 exited with %d:\n%s", code, out);
    assert_true(checks_passed(out) > 0);
    free(out);
}

static void test_json_has_the_measured_rows(void **state) {
    (void)state;
    char path[] = "/tmp/byolcl-bench-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    char args[256], *out;
    snprintf(args, sizeof args, "--quick --runs 1 --filter relu --json %s", path);
    int code = run_bench(args, &out);
    if (code != 0) fail_msg("byolcl-bench %s exited with %d:\n%s", args, code, out);
    FILE *f = fdopen(fd, "r");
    char json[1 << 15];
    size_t n = fread(json, 1, sizeof json - 1, f);
    json[n] = '\0';
    fclose(f);
    remove(path);
    assert_non_null(strstr(json, "\"peak_gflops\""));
    assert_non_null(strstr(json, "\"name\": \"small-w16 relu fwd\""));
    assert_null(strstr(json, "batchnorm")); /* the filter kept only ReLU rows */
    assert_true(json[0] == '{' && json[n - 2] == '}');
    free(out);
}

static void test_bad_flag_is_a_usage_error(void **state) {
    (void)state;
    char *out;
    assert_int_equal(run_bench("--no-such-flag", &out), 2);
    assert_non_null(strstr(out, "--no-such-flag"));
    free(out);
    assert_int_equal(run_bench("--quick --check-only --step --arch resnet18 --stages 3", &out), 2);
    assert_non_null(strstr(out, "--stages applies to --arch small only"));
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_section_checks_out),
        cmocka_unit_test(test_tuner_candidates_check_out),
        cmocka_unit_test(test_gpu_tuner_saves_a_profile_that_loads),
        cmocka_unit_test(test_training_step_checks_out),
        cmocka_unit_test(test_json_has_the_measured_rows),
        cmocka_unit_test(test_bad_flag_is_a_usage_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
