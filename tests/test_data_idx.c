/* test_data_idx.c — IDX datasets (MNIST / Fashion-MNIST layout): raw and gzip files the
 * test writes, every kind of bad file, and the real Fashion-MNIST when it is installed. */
#include "data_fixtures.h"

static void write_idx_pair(const char *images, const char *labels, uint32_t n, uint32_t h, uint32_t w,
                           bool gz) {
    size_t ib, lb;
    uint8_t *img = fixture_idx_images(n, h, w, &ib), *lab = fixture_idx_labels(n, 10, &lb);
    if (gz) {
        fixture_write_gz(images, img, ib);
        if (labels) fixture_write_gz(labels, lab, lb);
    } else {
        fixture_write(images, img, ib);
        if (labels) fixture_write(labels, lab, lb);
    }
    free(img);
    free(lab);
}

static void check_content(const Dataset *ds, uint32_t n, uint32_t h, uint32_t w, bool labeled) {
    const DatasetInfo *info = dataset_info(ds);
    assert_string_equal(info->format, "idx");
    assert_int_equal(info->count, n);
    assert_int_equal(info->height, h);
    assert_int_equal(info->width, w);
    assert_int_equal(info->channels, 1);
    assert_int_equal(info->has_labels, labeled);
    assert_int_equal(info->class_count, labeled ? 10 : 0);
    uint8_t img[64];
    for (uint32_t i = 0; i < n; i++) {
        TEST_CHECK(dataset_read_image(ds, i, img));
        for (uint32_t p = 0; p < h * w; p++) {
            size_t k = (size_t)i * h * w + p;
            assert_int_equal(img[p], (uint8_t)(k * 7 + k / (h * w)));
        }
        assert_int_equal(dataset_label(ds, i), labeled ? (int)(i % 10) : -1);
    }
}

static void test_raw_and_gzip_folders(void **state) {
    (void)state;
    for (int gz = 0; gz < 2; gz++) {
        const char *dir = fixture_path("idx%d", gz);
        fixture_mkdir(dir);
        const char *sfx = gz ? ".gz" : "";
        write_idx_pair(fixture_path("idx%d/train-images-idx3-ubyte%s", gz, sfx),
                       fixture_path("idx%d/train-labels-idx1-ubyte%s", gz, sfx), 13, 5, 3, gz);
        write_idx_pair(fixture_path("idx%d/t10k-images-idx3-ubyte%s", gz, sfx),
                       fixture_path("idx%d/t10k-labels-idx1-ubyte%s", gz, sfx), 4, 2, 7, gz);
        Dataset *ds = open_ok(dir, DATASET_TRAIN, NULL);
        check_content(ds, 13, 5, 3, true);
        assert_string_equal(dataset_class_name(ds, 3), "3");
        assert_null(dataset_class_name(ds, 10));
        dataset_close(ds);
        ds = open_ok(dir, DATASET_TEST, NULL);
        check_content(ds, 4, 2, 7, true);
        dataset_close(ds);
        /* A single images file finds its labels beside it. */
        ds = open_ok(fixture_path("idx%d/t10k-images-idx3-ubyte%s", gz, sfx), DATASET_TRAIN, NULL);
        check_content(ds, 4, 2, 7, true);
        dataset_close(ds);
        /* The test split of a training file is the t10k file beside it, never the file itself:
         * evaluating on it would score training images. */
        ds = open_ok(fixture_path("idx%d/train-images-idx3-ubyte%s", gz, sfx), DATASET_TEST, NULL);
        check_content(ds, 4, 2, 7, true);
        dataset_close(ds);
        expect_open_error(fixture_path("idx%d/t10k-images-idx3-ubyte%s", gz, sfx), DATASET_TEST, NULL,
                          BC_ERR_NOT_FOUND, "names no training split");
        expect_open_error(dir, DATASET_UNLABELED, NULL, BC_ERR_NOT_FOUND, "unlabeled");
    }
}

static void test_images_without_labels_are_unlabeled(void **state) {
    (void)state;
    fixture_mkdir(fixture_path("nolabels"));
    write_idx_pair(fixture_path("nolabels/emnist-x-train-images-idx3-ubyte"), NULL, 6, 2, 2, false);
    Dataset *ds = open_ok(fixture_path("nolabels"), DATASET_TRAIN, NULL);
    check_content(ds, 6, 2, 2, false);
    dataset_close(ds);
    expect_open_error(fixture_path("nolabels"), DATASET_TEST, NULL, BC_ERR_NOT_FOUND, "no test images file");
    expect_open_error(fixture_path("nolabels/emnist-x-train-images-idx3-ubyte"), DATASET_TEST, NULL, BC_ERR_NOT_FOUND,
                      "emnist-x-t10k-images-idx3-ubyte, which does not exist");
}

static void test_emnist_class_count_from_labels(void **state) {
    (void)state;
    fixture_mkdir(fixture_path("emnist"));
    size_t ib, lb;
    uint8_t *img = fixture_idx_images(30, 2, 2, &ib), *lab = fixture_idx_labels(30, 27, &lb);
    fixture_write_gz(fixture_path("emnist/emnist-letters-train-images-idx3-ubyte.gz"), img, ib);
    fixture_write_gz(fixture_path("emnist/emnist-letters-train-labels-idx1-ubyte.gz"), lab, lb);
    Dataset *ds = open_ok(fixture_path("emnist"), DATASET_TRAIN, NULL);
    assert_int_equal(dataset_info(ds)->class_count, 27);
    assert_int_equal(dataset_label(ds, 28), 1);
    dataset_close(ds);
    free(img);
    free(lab);
}

/* Writes images + labels (raw) into folder `name` after `mutate` edits them. */
static const char *bad_pair(const char *name, uint8_t *img, size_t ib, uint8_t *lab, size_t lb) {
    const char *dir = fixture_path("%s", name);
    fixture_mkdir(dir);
    fixture_write(fixture_path("%s/train-images-idx3-ubyte", name), img, ib);
    if (lab) fixture_write(fixture_path("%s/train-labels-idx1-ubyte", name), lab, lb);
    return dir;
}

static void test_bad_files(void **state) {
    (void)state;
    size_t ib, lb;
    uint8_t *img = fixture_idx_images(5, 3, 3, &ib), *lab = fixture_idx_labels(5, 10, &lb);

    expect_open_error(bad_pair("trunc", img, ib - 1, lab, lb), DATASET_TRAIN, NULL, BC_ERR_FORMAT,
                      "train-images-idx3-ubyte: truncated");
    expect_open_error(bad_pair("short", img, 10, lab, lb), DATASET_TRAIN, NULL, BC_ERR_FORMAT, "truncated");
    expect_open_error(bad_pair("empty", img, 0, lab, lb), DATASET_TRAIN, NULL, BC_ERR_FORMAT, "truncated");
    expect_open_error(bad_pair("trunclab", img, ib, lab, lb - 2), DATASET_TRAIN, NULL, BC_ERR_FORMAT,
                      "train-labels-idx1-ubyte: truncated");

    uint8_t *extra = malloc(ib + 1);
    memcpy(extra, img, ib), extra[ib] = 0;
    expect_open_error(bad_pair("extra", extra, ib + 1, lab, lb), DATASET_TRAIN, NULL, BC_ERR_FORMAT,
                      "has data after");
    free(extra);

    /* Regression (fuzz_idx, tests/fuzz/regressions_idx/): extra bytes after the labels. */
    uint8_t *lab_extra = malloc(lb + 1);
    memcpy(lab_extra, lab, lb), lab_extra[lb] = '1';
    expect_open_error(bad_pair("extralab", img, ib, lab_extra, lb + 1), DATASET_TRAIN, NULL, BC_ERR_FORMAT,
                      "train-labels-idx1-ubyte: has data after");
    free(lab_extra);

    img[3] = 0x01; /* labels magic in an images file */
    expect_open_error(bad_pair("magic", img, ib, lab, lb), DATASET_TRAIN, NULL, BC_ERR_FORMAT, "wrong magic");
    img[3] = 0x03, img[2] = 0x0D; /* float elements */
    expect_open_error(bad_pair("type", img, ib, lab, lb), DATASET_TRAIN, NULL, BC_ERR_FORMAT, "element type");
    img[2] = 0x08;

    lab[7] = 4; /* 4 labels for 5 images */
    expect_open_error(bad_pair("count", img, ib, lab, lb - 1), DATASET_TRAIN, NULL, BC_ERR_FORMAT,
                      "has 4 labels but the images file has 5");
    lab[7] = 5;
    lab[8 + 2] = 10; /* Fashion-MNIST has 10 classes */
    expect_open_error(bad_pair("range", img, ib, lab, lb), DATASET_TRAIN, NULL, BC_ERR_FORMAT,
                      "label 10 of image 2 is out of range");
    lab[8 + 2] = 2;

    size_t zb;
    uint8_t *zero = fixture_idx_images(5, 0, 3, &zb);
    expect_open_error(bad_pair("zero", zero, zb, lab, lb), DATASET_TRAIN, NULL, BC_ERR_FORMAT, "zero-size");
    free(zero);
    zero = fixture_idx_images(0, 3, 3, &zb);
    expect_open_error(bad_pair("none", zero, zb, NULL, 0), DATASET_TRAIN, NULL, BC_ERR_FORMAT, "no images");
    free(zero);
    /* A header that claims far more than the file holds fails as truncated, not by allocating. */
    put_be32(img + 4, 0x7fffffff);
    expect_open_error(bad_pair("huge", img, ib, NULL, 0), DATASET_TRAIN, NULL, BC_ERR_FORMAT, "truncated");
    put_be32(img + 4, 5);

    /* Gzip: cut in the middle of the stream, and garbage after a valid gzip header. */
    fixture_mkdir(fixture_path("gzcut"));
    fixture_write_gz(fixture_path("gzcut/train-images-idx3-ubyte.gz"), img, ib);
    size_t gb;
    uint8_t *gz = fixture_read_file(fixture_path("gzcut/train-images-idx3-ubyte.gz"), &gb);
    fixture_write(fixture_path("gzcut/train-images-idx3-ubyte.gz"), gz, gb - 12);
    expect_open_error(fixture_path("gzcut"), DATASET_TRAIN, NULL, BC_ERR_FORMAT, "train-images-idx3-ubyte.gz");
    fixture_mkdir(fixture_path("gzbad"));
    for (size_t i = 12; i < gb; i++) gz[i] ^= 0x5a;
    fixture_write(fixture_path("gzbad/train-images-idx3-ubyte.gz"), gz, gb);
    expect_open_error(fixture_path("gzbad"), DATASET_TRAIN, NULL, BC_ERR_FORMAT, "train-images-idx3-ubyte.gz");
    free(gz);

    expect_open_error(fixture_path("does/not/exist"), DATASET_TRAIN, NULL, BC_ERR_NOT_FOUND,
                      "does/not/exist: no such file or folder");
    expect_open_error(fixture_path("trunc/train-images-idx3-ubyte-nope"), DATASET_TRAIN, NULL,
                      BC_ERR_NOT_FOUND, "no such file");
    if (geteuid() != 0) { /* root reads everything */
        const char *locked = bad_pair("locked", img, ib, lab, lb);
        chmod(fixture_path("locked/train-images-idx3-ubyte"), 0);
        expect_open_error(locked, DATASET_TRAIN, NULL, BC_ERR_IO, "cannot open");
    }
    free(img);
    free(lab);
}

static void test_real_fashion_mnist(void **state) {
    (void)state;
    if (!fs_is_dir(DATASET_DEFAULT_PATH)) {
        printf("Fashion-MNIST not installed at %s: skipped\n", DATASET_DEFAULT_PATH);
        skip();
    }
    Dataset *ds = open_ok(NULL, DATASET_TRAIN, NULL);
    const DatasetInfo *info = dataset_info(ds);
    assert_int_equal(info->count, 60000);
    assert_int_equal(info->height, 28);
    assert_int_equal(info->width, 28);
    assert_int_equal(info->channels, 1);
    assert_int_equal(info->class_count, 10);
    assert_string_equal(dataset_class_name(ds, 9), "Ankle boot");
    size_t counts[10] = {0};
    for (size_t i = 0; i < info->count; i++) counts[dataset_label(ds, i)]++;
    for (int c = 0; c < 10; c++) assert_int_equal(counts[c], 6000);
    assert_int_equal(dataset_label(ds, 0), 9);
    double mean[4], std[4];
    size_t used;
    TEST_CHECK(dataset_channel_stats(ds, 0, mean, std, &used));
    assert_int_equal(used, 60000);
    /* The published normalization constants of Fashion-MNIST. */
    assert_true(fabs(mean[0] - 0.2860) < 5e-4);
    assert_true(fabs(std[0] - 0.3530) < 5e-4);
    dataset_close(ds);
    ds = open_ok(DATASET_DEFAULT_PATH, DATASET_TEST, NULL);
    assert_int_equal(dataset_info(ds)->count, 10000);
    assert_int_equal(dataset_info(ds)->class_count, 10);
    dataset_close(ds);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raw_and_gzip_folders),
        cmocka_unit_test(test_images_without_labels_are_unlabeled),
        cmocka_unit_test(test_emnist_class_count_from_labels),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_real_fashion_mnist),
    };
    return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
