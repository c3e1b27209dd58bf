/* test_util.h — shared test helpers: the device under test, random data, tolerant
 * comparisons, and moving arrays to and from the device. */
#ifndef BYOLCL_TEST_UTIL_H
#define BYOLCL_TEST_UTIL_H

/* cmocka needs these before its header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "byolcl/device.h"

/* Opens $BYOLCL_TEST_DEVICE (else the default selector) once per process; fails the test
 * with the error message when that is impossible. Printed once: "test device: NAME". */
Device *test_device(void);
void test_device_release(void);
/* cmocka group teardown that closes the shared device. */
int test_teardown_device(void **state);

/* True under oclgrind (BYOLCL_TEST_SMALL=1): tests shrink their shapes. */
bool test_small(void);

/* Deterministic uniform values in [lo, hi) from a seed (splitmix64). */
void test_fill_uniform(float *x, size_t n, uint64_t seed, float lo, float hi);
float *test_alloc_uniform(size_t n, uint64_t seed, float lo, float hi);

/* Fails with the first offending index when |got - want| > atol + rtol * |want|. */
void test_assert_close(const float *got, const float *want, size_t n, double atol, double rtol,
                       const char *what);

/* Judges the whole tensor on one scale, max(floor, max |want|): fails when some
 * |got - want| > tol * scale (for results whose entries span orders of magnitude, such as
 * gradients through batch norm). */
void test_assert_close_scaled(const float *got, const double *want, size_t n, double tol, double floor,
                              const char *what);

/* A fresh folder /tmp/byolcl-<prefix>-XXXXXX (path into out), and its removal. */
int test_make_temp_dir(char *out, size_t cap, const char *prefix);
int test_remove_tree(const char *path);

Buffer *test_upload(const float *host, size_t n);
Buffer *test_alloc_device(size_t n); /* zero-filled */
float *test_download(const Buffer *buffer, size_t n);

/* Views at non-zero offsets: a buffer of offset + n values whose first `offset` hold
 * TEST_SENTINEL and the rest `host`. test_download_at returns the n values after the prefix
 * and fails the test if an op wrote into the prefix. */
#define TEST_SENTINEL (-12345.0f)
Buffer *test_upload_at(const float *host, size_t n, size_t offset);
Buffer *test_upload_ints_at(const int *host, size_t n, size_t offset);
float *test_download_at(const Buffer *buffer, size_t n, size_t offset, const char *what);

#define TEST_CHECK(call)                                                                       \
    do {                                                                                       \
        Status test_check_status_ = (call);                                                    \
        if (test_check_status_ != BC_OK) fail_msg("%s failed: %s", #call, error_last());       \
    } while (0)

#endif
