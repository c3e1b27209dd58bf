/* data_fixtures.h — small dataset files the data tests write into a temporary folder:
 * raw and gzip files, IDX headers, PNGs of every color type (libpng's writer). Header-only
 * (static functions) so each test file stays one executable. */
#ifndef BYOLCL_TESTS_DATA_FIXTURES_H
#define BYOLCL_TESTS_DATA_FIXTURES_H

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <math.h>

#include "util/fs.h"

#include "byolcl/data.h"
#include "test_util.h"

/* Not every test file uses every helper. */
#define FIXTURE static __attribute__((unused))

static char fixture_root[256];

FIXTURE int fixture_setup(void **state) {
    (void)state;
    return test_make_temp_dir(fixture_root, sizeof fixture_root, "data-test");
}

FIXTURE int fixture_teardown(void **state) {
    (void)state;
    return test_remove_tree(fixture_root);
}

/* fixture_root + "/" + formatted name, in a rotating set of static buffers. */
__attribute__((format(printf, 1, 2), unused)) static const char *fixture_path(const char *fmt, ...) {
    static char buffers[8][512];
    static int next;
    char *out = buffers[next++ % 8];
    int used = snprintf(out, 512, "%s/", fixture_root);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out + used, 512 - (size_t)used, fmt, ap);
    va_end(ap);
    return out;
}

FIXTURE void fixture_mkdir(const char *path) {
    if (mkdir(path, 0755) != 0 && errno != EEXIST) fail_msg("mkdir %s failed", path);
}

FIXTURE void fixture_write(const char *path, const void *data, size_t bytes) {
    FILE *f = fopen(path, "wb");
    if (!f) fail_msg("cannot write %s", path);
    if (bytes) assert_int_equal(fwrite(data, 1, bytes, f), bytes);
    fclose(f);
}

FIXTURE void fixture_write_gz(const char *path, const void *data, size_t bytes) {
    gzFile f = gzopen(path, "wb");
    if (!f) fail_msg("cannot write %s", path);
    if (bytes) assert_int_equal(gzwrite(f, data, (unsigned)bytes), (int)bytes);
    gzclose(f);
}

FIXTURE void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* An IDX images file (magic 00 00 08 03) of n h x w images; pixels may be NULL for "i+p". */
FIXTURE uint8_t *fixture_idx_images(uint32_t n, uint32_t h, uint32_t w, size_t *bytes) {
    *bytes = 16 + (size_t)n * h * w;
    uint8_t *b = malloc(*bytes);
    assert_non_null(b);
    b[0] = 0, b[1] = 0, b[2] = 8, b[3] = 3;
    put_be32(b + 4, n), put_be32(b + 8, h), put_be32(b + 12, w);
    for (size_t i = 0; i < (size_t)n * h * w; i++) b[16 + i] = (uint8_t)(i * 7 + i / (h * w));
    return b;
}

FIXTURE uint8_t *fixture_idx_labels(uint32_t n, int modulo, size_t *bytes) {
    *bytes = 8 + n;
    uint8_t *b = malloc(*bytes);
    assert_non_null(b);
    b[0] = 0, b[1] = 0, b[2] = 8, b[3] = 1;
    put_be32(b + 4, n);
    for (uint32_t i = 0; i < n; i++) b[8 + i] = (uint8_t)(i % (uint32_t)modulo);
    return b;
}

/* Writes a PNG with libpng. `pixels` holds h rows of w samples of `channels` values, as
 * 16-bit when depth is 16 (big-endian, as PNG stores them) and as indices for palettes. */
FIXTURE void fixture_write_png(const char *path, int w, int h, int color_type, int depth,
                              const uint8_t *pixels, bool interlace) {
    FILE *f = fopen(path, "wb");
    if (!f) fail_msg("cannot write %s", path);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) fail_msg("libpng failed writing %s", path);
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, color_type,
                 interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_color palette[4] = {{0, 0, 0}, {255, 0, 0}, {0, 255, 0}, {10, 20, 30}};
        png_set_PLTE(png, info, palette, 4);
        png_byte alpha[2] = {0, 128}; /* transparency: composited onto the background */
        png_set_tRNS(png, info, alpha, 2, NULL);
    }
    png_write_info(png, info);
    int channels = color_type == 0 || color_type == 3 ? 1 : color_type == 4 ? 2 : color_type == 2 ? 3 : 4;
    size_t row_bytes = ((size_t)w * (size_t)channels * (size_t)depth + 7) / 8;
    /* Sub-byte depths: pack one sample per pixel from the byte-per-sample input. */
    uint8_t *row = calloc(row_bytes, 1);
    int passes = interlace ? png_set_interlace_handling(png) : 1;
    for (int pass = 0; pass < passes; pass++)
        for (int y = 0; y < h; y++) {
            if (depth >= 8) {
                memcpy(row, pixels + (size_t)y * row_bytes, row_bytes);
            } else {
                memset(row, 0, row_bytes);
                for (int x = 0; x < w; x++) {
                    int per_byte = 8 / depth, shift = 8 - depth * (x % per_byte + 1);
                    row[x / per_byte] |= (uint8_t)(pixels[(size_t)y * (size_t)w + (size_t)x] << shift);
                }
            }
            png_write_row(png, row);
        }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    fclose(f);
}

/* An 8-bit gray or RGB PNG whose pixels are a function of (seed, position). */
FIXTURE void fixture_png_pattern(const char *path, int w, int h, int channels, int seed) {
    uint8_t *px = malloc((size_t)w * (size_t)h * (size_t)channels);
    for (int i = 0; i < w * h * channels; i++) px[i] = (uint8_t)(seed * 31 + i * 5);
    fixture_write_png(path, w, h, channels == 1 ? 0 : 2, 8, px, false);
    free(px);
}

FIXTURE uint8_t *fixture_read_file(const char *path, size_t *bytes) {
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *bytes = (size_t)n;
    return b;
}

/* Opening must fail with `want` and a message containing `needle` (a file name, a word). */
FIXTURE void expect_open_error(const char *path, DatasetSplit split, const DatasetOptions *o, Status want,
                              const char *needle) {
    Dataset *ds = NULL;
    error_clear();
    Status st = dataset_open(path, split, o, &ds);
    if (st == BC_OK) {
        dataset_close(ds);
        fail_msg("opening %s succeeded; expected %s containing '%s'", path, status_name(want), needle);
    }
    assert_null(ds);
    if (st != want || !strstr(error_last(), needle))
        fail_msg("opening %s: got %s '%s'; expected %s containing '%s'", path, status_name(st),
                 error_last(), status_name(want), needle);
}

FIXTURE Dataset *open_ok(const char *path, DatasetSplit split, const DatasetOptions *o) {
    Dataset *ds = NULL;
    TEST_CHECK(dataset_open(path, split, o, &ds));
    return ds;
}

#endif
