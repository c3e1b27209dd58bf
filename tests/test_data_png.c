/* test_data_png.c — folders of PNGs the test writes: every color type and bit depth,
 * class subfolders, train/test folders, resize + center crop, and bad files (skipped and
 * counted by default, an error when strict), including files that only fail to decode. */
#include <dirent.h>

#include "data/png_decode.h"
#include "data_fixtures.h"

enum { W = 4, H = 3 };
static const uint8_t white[3] = {255, 255, 255};

/* v with opacity alpha over a background b, rounded as the decoder does. */
static int over(int v, int alpha, int b) { return (v * alpha + b * (255 - alpha) + 127) / 255; }

/* Expected RGB of pixel i for the test's images: r = 10 i, g = 10 i + 1, b = 10 i + 2. */
static void write_all_types(const char *dir) {
    uint8_t px[W * H * 8];
    for (int i = 0; i < W * H; i++) px[i] = (uint8_t)(10 * i);
    fixture_write_png(fixture_path("%s/a_gray8.png", dir), W, H, 0, 8, px, false);
    for (int i = 0; i < W * H; i++) px[i] = (uint8_t)(i % 2);
    fixture_write_png(fixture_path("%s/b_gray1.png", dir), W, H, 0, 1, px, false);
    for (int i = 0; i < W * H; i++) px[2 * i] = (uint8_t)(10 * i), px[2 * i + 1] = 0x40;
    fixture_write_png(fixture_path("%s/c_gray16.png", dir), W, H, 0, 16, px, false);
    for (int i = 0; i < W * H; i++) px[2 * i] = (uint8_t)(10 * i), px[2 * i + 1] = (uint8_t)(i * 20);
    fixture_write_png(fixture_path("%s/d_gray_alpha.png", dir), W, H, 4, 8, px, false);
    for (int i = 0; i < W * H; i++) for (int c = 0; c < 3; c++) px[3 * i + c] = (uint8_t)(10 * i + c);
    fixture_write_png(fixture_path("%s/e_rgb.png", dir), W, H, 2, 8, px, false);
    for (int i = 0; i < W * H; i++) {
        for (int c = 0; c < 3; c++) px[4 * i + c] = (uint8_t)(10 * i + c);
        px[4 * i + 3] = (uint8_t)(255 - i);
    }
    fixture_write_png(fixture_path("%s/f_rgba.png", dir), W, H, 6, 8, px, false);
    for (int i = 0; i < W * H; i++) px[i] = (uint8_t)(i % 4);
    fixture_write_png(fixture_path("%s/g_palette.png", dir), W, H, 3, 2, px, false);
    for (int i = 0; i < W * H; i++)
        for (int c = 0; c < 3; c++) px[6 * i + 2 * c] = (uint8_t)(10 * i + c), px[6 * i + 2 * c + 1] = 0x33;
    fixture_write_png(fixture_path("%s/h_rgb16.png", dir), W, H, 2, 16, px, false);
    for (int i = 0; i < W * H; i++) for (int c = 0; c < 3; c++) px[3 * i + c] = (uint8_t)(10 * i + c);
    fixture_write_png(fixture_path("%s/i_interlaced.png", dir), W, H, 2, 8, px, true);
}

static void test_every_color_type_to_rgb(void **state) {
    (void)state;
    fixture_mkdir(fixture_path("types"));
    write_all_types("types");
    Dataset *ds = open_ok(fixture_path("types"), DATASET_TRAIN, NULL);
    const DatasetInfo *info = dataset_info(ds);
    assert_string_equal(info->format, "png");
    assert_int_equal(info->count, 9);
    assert_int_equal(info->channels, 3); /* some images have color */
    assert_int_equal(info->height, H);
    assert_int_equal(info->width, W);
    assert_false(info->has_labels);
    assert_int_equal(dataset_label(ds, 0), -1);
    const uint8_t palette[4][3] = {{0, 0, 0}, {255, 0, 0}, {0, 255, 0}, {10, 20, 30}};
    const int palette_alpha[4] = {0, 128, 255, 255}; /* the fixture's tRNS */
    uint8_t img[W * H * 3];
    for (size_t f = 0; f < 9; f++) {
        TEST_CHECK(dataset_read_image(ds, f, img));
        for (int i = 0; i < W * H; i++)
            for (int c = 0; c < 3; c++) {
                int want;
                switch (f) {
                case 0: case 2: want = 10 * i; break;                /* gray replicated */
                case 3: want = over(10 * i, 20 * i, 255); break;     /* gray + alpha over white */
                case 5: want = over(10 * i + c, 255 - i, 255); break; /* RGBA over white */
                case 1: want = i % 2 ? 255 : 0; break;               /* 1-bit expanded */
                case 6: want = over(palette[i % 4][c], palette_alpha[i % 4], 255); break;
                default: want = 10 * i + c; break;                   /* RGB */
                }
                if (img[3 * i + c] != want)
                    fail_msg("image %zu pixel %d channel %d: got %d, want %d", f, i, c, img[3 * i + c], want);
            }
    }
    dataset_close(ds);
    /* Forced to one channel: RGB converts to luminance (libpng's default weights). */
    DatasetOptions gray = {.channels = 1};
    ds = open_ok(fixture_path("types"), DATASET_TRAIN, &gray);
    assert_int_equal(dataset_info(ds)->channels, 1);
    TEST_CHECK(dataset_read_image(ds, 0, img));
    for (int i = 0; i < W * H; i++) assert_int_equal(img[i], 10 * i);
    TEST_CHECK(dataset_read_image(ds, 6, img)); /* palette: entry 1 is pure red at half opacity */
    assert_in_range(img[1], over(53, 128, 255), over(55, 128, 255));
    assert_in_range(img[2], 181, 183);
    dataset_close(ds);
}

static void test_class_folders_and_splits(void **state) {
    (void)state;
    fixture_mkdir(fixture_path("cls"));
    fixture_mkdir(fixture_path("cls/dog"));
    fixture_mkdir(fixture_path("cls/cat"));
    fixture_mkdir(fixture_path("cls/dog/more"));
    fixture_mkdir(fixture_path("cls/empty"));
    fixture_png_pattern(fixture_path("cls/cat/b.png"), 6, 5, 1, 1);
    fixture_png_pattern(fixture_path("cls/cat/a.PNG"), 6, 5, 1, 2);
    fixture_png_pattern(fixture_path("cls/dog/x.png"), 9, 9, 1, 3);
    fixture_png_pattern(fixture_path("cls/dog/more/y.png"), 2, 2, 1, 4);
    fixture_write(fixture_path("cls/dog/notes.txt"), "hi", 2);
    fixture_write(fixture_path("cls/README"), "hi", 2);
    Dataset *ds = open_ok(fixture_path("cls"), DATASET_TRAIN, NULL);
    const DatasetInfo *info = dataset_info(ds);
    assert_int_equal(info->count, 4);
    assert_int_equal(info->class_count, 3);
    assert_true(info->has_labels);
    assert_int_equal(info->channels, 1);
    assert_int_equal(info->height, 5); /* the first image (cat/a.PNG) sets the size */
    assert_int_equal(info->width, 6);
    assert_string_equal(dataset_class_name(ds, 0), "cat");
    assert_string_equal(dataset_class_name(ds, 1), "dog");
    assert_string_equal(dataset_class_name(ds, 2), "empty");
    int want_labels[4] = {0, 0, 1, 1};
    for (size_t i = 0; i < 4; i++) assert_int_equal(dataset_label(ds, i), want_labels[i]);
    uint8_t img[30];
    TEST_CHECK(dataset_read_image(ds, 0, img)); /* a.PNG, same size: exact */
    for (int i = 0; i < 30; i++) assert_int_equal(img[i], (uint8_t)(2 * 31 + i * 5));
    TEST_CHECK(dataset_read_image(ds, 3, img)); /* 2x2 upscaled: runs */
    dataset_close(ds);

    fixture_mkdir(fixture_path("split"));
    fixture_mkdir(fixture_path("split/train"));
    fixture_mkdir(fixture_path("split/test"));
    fixture_mkdir(fixture_path("split/train/a"));
    fixture_mkdir(fixture_path("split/test/a"));
    fixture_png_pattern(fixture_path("split/train/a/1.png"), 3, 3, 3, 1);
    fixture_png_pattern(fixture_path("split/train/a/2.png"), 3, 3, 3, 1);
    fixture_png_pattern(fixture_path("split/test/a/1.png"), 3, 3, 3, 1);
    DatasetOptions sized = {.height = 8, .width = 8};
    ds = open_ok(fixture_path("split"), DATASET_TRAIN, &sized);
    assert_int_equal(dataset_info(ds)->count, 2);
    assert_int_equal(dataset_info(ds)->height, 8);
    dataset_close(ds);
    ds = open_ok(fixture_path("split"), DATASET_TEST, NULL);
    assert_int_equal(dataset_info(ds)->count, 1);
    dataset_close(ds);
    expect_open_error(fixture_path("cls"), DATASET_TEST, NULL, BC_ERR_NOT_FOUND, "has no test split");
}

static void test_resize_center_crop(void **state) {
    (void)state;
    /* 4 rows x 8 columns, value 10 x: scale 0.5 covers 2x2 from the middle 4 columns. The
     * triangle filter of width 2 gives (0.25*1 + 0.75*2 + 0.75*3 + 0.25*4) / 2 * 10 = 25. */
    uint8_t src[4 * 8], dst[4];
    for (int y = 0; y < 4; y++) for (int x = 0; x < 8; x++) src[y * 8 + x] = (uint8_t)(10 * x);
    TEST_CHECK(image_resize_center_crop(src, 4, 8, 1, dst, 2, 2));
    assert_int_equal(dst[0], 25);
    assert_int_equal(dst[1], 45);
    assert_int_equal(dst[2], 25);
    assert_int_equal(dst[3], 45);
    /* Through the folder: the same image at --size 2. */
    fixture_mkdir(fixture_path("wide"));
    fixture_write_png(fixture_path("wide/w.png"), 8, 4, 0, 8, src, false);
    DatasetOptions two = {.height = 2, .width = 2};
    Dataset *ds = open_ok(fixture_path("wide"), DATASET_TRAIN, &two);
    uint8_t img[4];
    TEST_CHECK(dataset_read_image(ds, 0, img));
    assert_memory_equal(img, dst, 4);
    dataset_close(ds);
    /* Upscaling a constant image stays constant; odd sizes and 3 channels. */
    uint8_t flat[3 * 5 * 3], big[7 * 11 * 3];
    memset(flat, 77, sizeof flat);
    TEST_CHECK(image_resize_center_crop(flat, 3, 5, 3, big, 7, 11));
    for (size_t i = 0; i < sizeof big; i++) assert_int_equal(big[i], 77);
    /* Tall image to a wide target: crop the middle rows. */
    uint8_t tall[9 * 3];
    for (int y = 0; y < 9; y++) for (int x = 0; x < 3; x++) tall[y * 3 + x] = (uint8_t)(y * 20);
    uint8_t out[3 * 3];
    TEST_CHECK(image_resize_center_crop(tall, 9, 3, 1, out, 3, 3));
    for (int x = 0; x < 3; x++) assert_int_equal(out[3 + x], 80); /* the middle row */
    assert_true(out[0] > 40 && out[0] < 80);
}

/* A 32x32 PNG's bytes. */
static uint8_t *good_png_bytes(size_t *bytes) {
    fixture_png_pattern(fixture_path("tmp.png"), 32, 32, 3, 9);
    uint8_t *b = fixture_read_file(fixture_path("tmp.png"), bytes);
    unlink(fixture_path("tmp.png"));
    return b;
}

static void make_bad_folder(const char *dir, bool only_decode_failures) {
    fixture_mkdir(fixture_path("%s", dir));
    size_t n;
    uint8_t *png = good_png_bytes(&n);
    fixture_write(fixture_path("%s/a_good.png", dir), png, n);
    uint8_t *bad = malloc(n);
    memcpy(bad, png, n);
    for (size_t i = n / 2; i < n / 2 + 40; i++) bad[i] ^= 0xff; /* inside IDAT */
    fixture_write(fixture_path("%s/b_corrupt_data.png", dir), bad, n);
    fixture_write(fixture_path("%s/c_half.png", dir), png, n / 2);
    if (!only_decode_failures) {
        assert_int_equal(symlink("/nonexistent/x.png", fixture_path("%s/d_link.png", dir)), 0);
        fixture_write(fixture_path("%s/e_text.png", dir), "hello, not a png", 16);
        fixture_write(fixture_path("%s/f_header_only.png", dir), png, 20);
        memcpy(bad, png, n);
        memset(bad + 16, 0, 4); /* width 0 */
        fixture_write(fixture_path("%s/g_zero.png", dir), bad, n);
        memcpy(bad, png, n);
        bad[16] = 0x7f; /* width 2 billion */
        fixture_write(fixture_path("%s/h_huge.png", dir), bad, n);
    }
    free(bad);
    free(png);
}

static void test_bad_files_skipped_or_strict(void **state) {
    (void)state;
    make_bad_folder("bad", false);
    Dataset *ds = open_ok(fixture_path("bad"), DATASET_TRAIN, NULL);
    const DatasetInfo *info = dataset_info(ds);
    assert_int_equal(info->count, 3);          /* good, corrupt data, half: headers are fine */
    assert_int_equal(info->skipped_files, 5);  /* link, text, header only, zero, huge */
    assert_true(dataset_skips_bad_images(ds));
    uint8_t *img = malloc(32 * 32 * 3);
    TEST_CHECK(dataset_read_image(ds, 0, img));
    assert_int_equal(dataset_read_image(ds, 1, img), BC_ERR_FORMAT);
    assert_non_null(strstr(error_last(), "b_corrupt_data.png: corrupt PNG"));
    assert_int_equal(dataset_read_image(ds, 2, img), BC_ERR_FORMAT);
    assert_non_null(strstr(error_last(), "c_half.png: corrupt PNG"));
    double mean[4], std[4];
    size_t used;
    TEST_CHECK(dataset_channel_stats(ds, 0, mean, std, &used));
    assert_int_equal(used, 1);

    /* The loader substitutes the next image of the epoch order and counts the failures. */
    LoaderOptions lo = {.batch_size = 3, .one_pass = true, .workers = 2};
    Loader *loader;
    TEST_CHECK(loader_create(ds, &lo, &loader));
    Batch b;
    TEST_CHECK(loader_next_batch(loader, &b));
    assert_int_equal(b.count, 3);
    for (int i = 0; i < 3; i++) assert_int_equal(b.indices[i], 0);
    assert_int_equal(loader_skipped_images(loader), 2);
    loader_release_batch(loader, &b);
    TEST_CHECK(loader_next_batch(loader, &b));
    assert_int_equal(b.count, 0);
    loader_close(loader);
    dataset_close(ds);
    free(img);

    DatasetOptions strict = {.strict = true};
    expect_open_error(fixture_path("bad"), DATASET_TRAIN, &strict, BC_ERR_NOT_FOUND, "d_link.png: cannot open");
    unlink(fixture_path("bad/d_link.png"));
    expect_open_error(fixture_path("bad"), DATASET_TRAIN, &strict, BC_ERR_FORMAT, "e_text.png: not a PNG file");
    unlink(fixture_path("bad/e_text.png"));
    expect_open_error(fixture_path("bad"), DATASET_TRAIN, &strict, BC_ERR_FORMAT, "f_header_only.png: truncated PNG");
    unlink(fixture_path("bad/f_header_only.png"));
    expect_open_error(fixture_path("bad"), DATASET_TRAIN, &strict, BC_ERR_FORMAT, "g_zero.png: zero-size image");
    unlink(fixture_path("bad/g_zero.png"));
    expect_open_error(fixture_path("bad"), DATASET_TRAIN, &strict, BC_ERR_FORMAT, "h_huge.png: image too large");

    /* Strict, and the failure only shows at decode time: the loader returns it. */
    make_bad_folder("strict", true);
    ds = open_ok(fixture_path("strict"), DATASET_TRAIN, &strict);
    assert_false(dataset_skips_bad_images(ds));
    TEST_CHECK(loader_create(ds, &lo, &loader));
    assert_int_equal(loader_next_batch(loader, &b), BC_ERR_FORMAT);
    assert_non_null(strstr(error_last(), "b_corrupt_data.png: corrupt PNG"));
    assert_int_equal(loader_next_batch(loader, &b), BC_ERR_FORMAT); /* stays failed */
    loader_close(loader);
    dataset_close(ds);
}

static void test_empty_and_missing_folders(void **state) {
    (void)state;
    fixture_mkdir(fixture_path("void"));
    expect_open_error(fixture_path("void"), DATASET_TRAIN, NULL, BC_ERR_NOT_FOUND, "void: no usable PNG images");
    fixture_mkdir(fixture_path("jpegs"));
    fixture_write(fixture_path("jpegs/a.jpg"), "\xff\xd8\xff", 3);
    expect_open_error(fixture_path("jpegs"), DATASET_TRAIN, NULL, BC_ERR_NOT_FOUND, "1 files not named *.png");
    fixture_mkdir(fixture_path("allbad"));
    fixture_write(fixture_path("allbad/a.png"), "nope", 4);
    expect_open_error(fixture_path("allbad"), DATASET_TRAIN, NULL, BC_ERR_NOT_FOUND, "1 bad files skipped");
    DatasetOptions bad_channels = {.channels = 2};
    expect_open_error(fixture_path("allbad"), DATASET_TRAIN, &bad_channels, BC_ERR_USAGE, "channels");
    if (geteuid() != 0) {
        fixture_mkdir(fixture_path("locked"));
        fixture_png_pattern(fixture_path("locked/a.png"), 2, 2, 1, 0);
        fixture_png_pattern(fixture_path("locked/b.png"), 2, 2, 1, 0);
        chmod(fixture_path("locked/b.png"), 0);
        DatasetOptions strict = {.strict = true};
        expect_open_error(fixture_path("locked"), DATASET_TRAIN, &strict, BC_ERR_IO, "b.png: cannot open");
        Dataset *ds = open_ok(fixture_path("locked"), DATASET_TRAIN, NULL);
        assert_int_equal(dataset_info(ds)->skipped_files, 1);
        dataset_close(ds);
    }
}

/* An icon: all its content in the alpha channel (black RGB everywhere). Composited onto
 * the default white it shows; onto black it is constant. */
static void test_alpha_is_composited_onto_the_background(void **state) {
    (void)state;
    fixture_mkdir(fixture_path("icons"));
    uint8_t px[W * H * 4] = {0};
    for (int i = 0; i < W * H; i++) px[4 * i + 3] = (uint8_t)(i % 2 ? 255 : 0);
    fixture_write_png(fixture_path("icons/a.png"), W, H, 6, 8, px, false);
    fixture_write_png(fixture_path("icons/b.png"), W, H, 6, 8, px, false);
    uint8_t img[W * H * 3];
    Dataset *ds = open_ok(fixture_path("icons"), DATASET_TRAIN, NULL);
    TEST_CHECK(dataset_read_image(ds, 0, img));
    for (int i = 0; i < W * H; i++) assert_int_equal(img[3 * i], i % 2 ? 0 : 255);
    dataset_close(ds);
    DatasetOptions teal = {.background_set = true, .background = {0, 128, 128}, .channels = 3};
    ds = open_ok(fixture_path("icons"), DATASET_TRAIN, &teal);
    TEST_CHECK(dataset_read_image(ds, 1, img));
    for (int i = 0; i < W * H; i++) assert_int_equal(img[3 * i + 1], i % 2 ? 0 : 128);
    dataset_close(ds);
}

/* A 1x1 image sorted first does not set the size: the median of all headers does. */
static void test_default_size_is_the_median(void **state) {
    (void)state;
    fixture_mkdir(fixture_path("sizes"));
    fixture_png_pattern(fixture_path("sizes/0_tiny.png"), 1, 1, 1, 1);
    for (int k = 1; k <= 3; k++) fixture_png_pattern(fixture_path("sizes/%d.png", k), 12, 10, 1, k);
    fixture_png_pattern(fixture_path("sizes/9_big.png"), 400, 300, 1, 9);
    Dataset *ds = open_ok(fixture_path("sizes"), DATASET_TRAIN, NULL);
    assert_int_equal(dataset_info(ds)->height, 10);
    assert_int_equal(dataset_info(ds)->width, 12);
    dataset_close(ds);
}

/* Links are followed once: a loop back to the top, a link to a folder already scanned and
 * a link to a file already counted add nothing (on main: a loop multiplied the files). */
static void test_symlink_loops_count_each_file_once(void **state) {
    (void)state;
    fixture_mkdir(fixture_path("loop"));
    fixture_mkdir(fixture_path("loop/a"));
    fixture_mkdir(fixture_path("loop/b"));
    for (int k = 0; k < 4; k++) fixture_png_pattern(fixture_path("loop/a/%d.png", k), 5, 5, 1, k);
    fixture_png_pattern(fixture_path("loop/b/x.png"), 5, 5, 1, 7);
    assert_int_equal(symlink("..", fixture_path("loop/a/up")), 0);
    assert_int_equal(symlink("0.png", fixture_path("loop/a/same.png")), 0);
    assert_int_equal(symlink("../a", fixture_path("loop/b/dup")), 0);
    Dataset *ds = open_ok(fixture_path("loop"), DATASET_TRAIN, NULL);
    assert_int_equal(dataset_info(ds)->count, 5);
    assert_int_equal(dataset_info(ds)->class_count, 2);
    assert_int_equal(dataset_label(ds, 4), 1);
    dataset_close(ds);
}

/* The fuzz seed corpus and any regression inputs found by fuzzing tests/fuzz/fuzz_png.c
 * (tests/fuzz/regressions_png/, when present) decode or fail cleanly. */
static void decode_folder(const char *folder, bool required, int *decoded) {
    DIR *d = opendir(folder);
    if (!d) {
        if (required) fail_msg("cannot list %s", folder);
        return;
    }
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", folder, e->d_name);
        size_t n;
        uint8_t *data = fixture_read_file(path, &n);
        for (int channels = 1; channels <= 3; channels += 2) {
            uint8_t *px = NULL;
            int w, h;
            error_clear();
            Status st = png_decode(data, n, path, channels, white, &px, &w, &h);
            if (st == BC_OK) {
                uint8_t out[7 * 5 * 3];
                TEST_CHECK(image_resize_center_crop(px, h, w, channels, out, 7, 5));
                ++*decoded;
            } else {
                assert_non_null(strstr(error_last(), e->d_name));
            }
            free(px);
        }
        free(data);
    }
    closedir(d);
}

static void test_fuzz_corpus_and_regressions(void **state) {
    (void)state;
    const char *source = getenv("BYOLCL_SOURCE_DIR");
    char folder[512];
    int decoded = 0;
    snprintf(folder, sizeof folder, "%s/tests/fuzz/corpus_png", source ? source : ".");
    decode_folder(folder, true, &decoded);
    assert_int_equal(decoded, 2 * 8); /* the 8 seeds are valid PNGs */
    snprintf(folder, sizeof folder, "%s/tests/fuzz/regressions_png", source ? source : ".");
    decode_folder(folder, false, &decoded);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_color_type_to_rgb),
        cmocka_unit_test(test_class_folders_and_splits),
        cmocka_unit_test(test_resize_center_crop),
        cmocka_unit_test(test_bad_files_skipped_or_strict),
        cmocka_unit_test(test_empty_and_missing_folders),
        cmocka_unit_test(test_fuzz_corpus_and_regressions),
        cmocka_unit_test(test_alpha_is_composited_onto_the_background),
        cmocka_unit_test(test_default_size_is_the_median),
        cmocka_unit_test(test_symlink_loops_count_each_file_once),
    };
    return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
