/* test_util.c — shared test helpers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static Device *shared_device;

Device *test_device(void) {
    if (shared_device) return shared_device;
    const char *selector = getenv("BYOLCL_TEST_DEVICE");
    Status st = device_open(selector && selector[0] ? selector : NULL, NULL, &shared_device);
    if (st != BC_OK) fail_msg("cannot open the test device: %s", error_last());
    printf("test device: %s (%s)\n", device_info(shared_device)->name,
           device_info(shared_device)->platform_name);
    fflush(stdout);
    return shared_device;
}

void test_device_release(void) {
    device_close(shared_device);
    shared_device = NULL;
}

int test_teardown_device(void **state) {
    (void)state;
    test_device_release();
    return 0;
}

bool test_small(void) {
    const char *v = getenv("BYOLCL_TEST_SMALL");
    return v && v[0] && strcmp(v, "0") != 0;
}

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void test_fill_uniform(float *x, size_t n, uint64_t seed, float lo, float hi) {
    uint64_t state = seed;
    for (size_t i = 0; i < n; i++) {
        double u = (double)(splitmix64(&state) >> 11) * 0x1.0p-53;
        x[i] = (float)(lo + (hi - lo) * u);
    }
}

float *test_alloc_uniform(size_t n, uint64_t seed, float lo, float hi) {
    float *x = malloc((n ? n : 1) * sizeof *x);
    assert_non_null(x);
    test_fill_uniform(x, n, seed, lo, hi);
    return x;
}

void test_assert_close(const float *got, const float *want, size_t n, double atol, double rtol,
                       const char *what) {
    for (size_t i = 0; i < n; i++) {
        double g = got[i], w = want[i];
        if (isnan(g) || isnan(w) || fabs(g - w) > atol + rtol * fabs(w))
            fail_msg("%s: element %zu of %zu: got %.9g, want %.9g (atol %g, rtol %g)", what, i, n,
                     g, w, atol, rtol);
    }
}

void test_assert_close_scaled(const float *got, const double *want, size_t n, double tol, double floor,
                              const char *what) {
    double scale = floor, worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(want[i]));
    for (size_t i = 0; i < n; i++) {
        double e = isnan(got[i]) ? INFINITY : fabs((double)got[i] - want[i]);
        if (e > worst) worst = e, at = i;
    }
    if (worst > tol * scale)
        fail_msg("%s: element %zu of %zu: got %.8g, want %.8g (max error %.3g > %.3g x scale %.3g)", what, at,
                 n, (double)got[at], want[at], worst, tol, scale);
}

int test_make_temp_dir(char *out, size_t cap, const char *prefix) {
    snprintf(out, cap, "/tmp/byolcl-%s-XXXXXX", prefix);
    return mkdtemp(out) ? 0 : -1;
}

int test_remove_tree(const char *path) {
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", path, path);
    return system(cmd) == 0 ? 0 : -1;
}

Buffer *test_upload(const float *host, size_t n) {
    Buffer *b;
    TEST_CHECK(buffer_create(test_device(), n * sizeof(float), &b));
    TEST_CHECK(buffer_write(test_device(), b, 0, n * sizeof(float), host));
    return b;
}

Buffer *test_alloc_device(size_t n) {
    Buffer *b;
    TEST_CHECK(buffer_create(test_device(), n * sizeof(float), &b));
    TEST_CHECK(buffer_fill_zero(test_device(), b, 0, buffer_bytes(b)));
    return b;
}

float *test_download(const Buffer *buffer, size_t n) {
    float *host = malloc((n ? n : 1) * sizeof *host);
    assert_non_null(host);
    TEST_CHECK(buffer_read(test_device(), buffer, 0, n * sizeof(float), host));
    return host;
}

static Buffer *upload_with_prefix(const void *host, size_t n, size_t offset) {
    float *all = malloc((offset + n ? offset + n : 1) * sizeof *all);
    assert_non_null(all);
    for (size_t i = 0; i < offset; i++) all[i] = TEST_SENTINEL;
    if (n) memcpy(all + offset, host, n * sizeof *all);
    Buffer *b = test_upload(all, offset + n);
    free(all);
    return b;
}

Buffer *test_upload_at(const float *host, size_t n, size_t offset) {
    return upload_with_prefix(host, n, offset);
}

Buffer *test_upload_ints_at(const int *host, size_t n, size_t offset) {
    _Static_assert(sizeof(int) == sizeof(float), "int views share the float element size");
    return upload_with_prefix(host, n, offset);
}

float *test_download_at(const Buffer *buffer, size_t n, size_t offset, const char *what) {
    float *all = test_download(buffer, offset + n);
    for (size_t i = 0; i < offset; i++)
        if (all[i] != TEST_SENTINEL)
            fail_msg("%s: element %zu before the view (offset %zu) was overwritten: %g", what, i,
                     offset, all[i]);
    float *tail = malloc((n ? n : 1) * sizeof *tail);
    assert_non_null(tail);
    memcpy(tail, all + offset, n * sizeof *tail);
    free(all);
    return tail;
}
