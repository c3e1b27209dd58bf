/* test_data_stl10.c — STL-10 binaries the test writes: column-major planes become HWC
 * images, labels 1..10 become 0..9, the unlabeled split, and every kind of bad file. */
#include "data_fixtures.h"

enum { SIDE = 96, PLANE = SIDE * SIDE, IMAGE = 3 * PLANE };

static uint8_t value_at(size_t image, int c, int y, int x) { return (uint8_t)(image * 7 + c * 50 + y * 3 + x * 11); }

static void write_stl(const char *path, size_t first, size_t n) {
    uint8_t *b = malloc(n * IMAGE);
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 3; c++)
            for (int x = 0; x < SIDE; x++)
                for (int y = 0; y < SIDE; y++) /* column-major: y runs fastest */
                    b[i * IMAGE + (size_t)(c * PLANE + x * SIDE + y)] = value_at(first + i, c, y, x);
    fixture_write(path, b, n * IMAGE);
    free(b);
}

static void write_labels(const char *path, size_t n, int shift) {
    uint8_t b[64];
    for (size_t i = 0; i < n; i++) b[i] = (uint8_t)(1 + (i + (size_t)shift) % 10);
    fixture_write(path, b, n);
}

static void check_images(const Dataset *ds, size_t first) {
    uint8_t *img = malloc(IMAGE);
    for (size_t i = 0; i < dataset_info(ds)->count; i++) {
        TEST_CHECK(dataset_read_image(ds, i, img));
        for (int y = 0; y < SIDE; y += 5)
            for (int x = 0; x < SIDE; x += 7)
                for (int c = 0; c < 3; c++) assert_int_equal(img[(y * SIDE + x) * 3 + c], value_at(first + i, c, y, x));
    }
    free(img);
}

static void test_splits(void **state) {
    (void)state;
    fixture_mkdir(fixture_path("stl"));
    write_stl(fixture_path("stl/train_X.bin"), 0, 3);
    write_labels(fixture_path("stl/train_y.bin"), 3, 0);
    write_stl(fixture_path("stl/test_X.bin"), 10, 2);
    write_labels(fixture_path("stl/test_y.bin"), 2, 9);
    write_stl(fixture_path("stl/unlabeled_X.bin"), 20, 4);
    const char *names = "airplane\nbird\ncar\ncat\ndeer\ndog\nhorse\nmonkey\nship\ntruck\n";
    fixture_write(fixture_path("stl/class_names.txt"), names, strlen(names));

    Dataset *ds = open_ok(fixture_path("stl"), DATASET_TRAIN, NULL);
    const DatasetInfo *info = dataset_info(ds);
    assert_string_equal(info->format, "stl10");
    assert_int_equal(info->count, 3);
    assert_int_equal(info->height, 96);
    assert_int_equal(info->channels, 3);
    assert_int_equal(info->class_count, 10);
    assert_string_equal(dataset_class_name(ds, 7), "monkey");
    for (size_t i = 0; i < 3; i++) assert_int_equal(dataset_label(ds, i), (int)i);
    check_images(ds, 0);
    dataset_close(ds);

    ds = open_ok(fixture_path("stl"), DATASET_TEST, NULL);
    assert_int_equal(dataset_label(ds, 0), 9);
    assert_int_equal(dataset_label(ds, 1), 0);
    check_images(ds, 10);
    dataset_close(ds);
    ds = open_ok(fixture_path("stl/train_X.bin"), DATASET_TEST, NULL); /* the test file beside it */
    check_images(ds, 10);
    dataset_close(ds);

    ds = open_ok(fixture_path("stl"), DATASET_UNLABELED, NULL);
    assert_int_equal(dataset_info(ds)->count, 4);
    assert_false(dataset_info(ds)->has_labels);
    assert_int_equal(dataset_info(ds)->class_count, 0);
    assert_int_equal(dataset_label(ds, 3), -1);
    check_images(ds, 20);
    dataset_close(ds);

    fixture_mkdir(fixture_path("stlparent"));
    fixture_mkdir(fixture_path("stlparent/stl10_binary"));
    write_stl(fixture_path("stlparent/stl10_binary/unlabeled_X.bin"), 0, 1);
    ds = open_ok(fixture_path("stlparent/stl10_binary/unlabeled_X.bin"), DATASET_TRAIN, NULL);
    assert_int_equal(dataset_info(ds)->count, 1);
    dataset_close(ds);
    ds = open_ok(fixture_path("stlparent"), DATASET_UNLABELED, NULL);
    dataset_close(ds);
    expect_open_error(fixture_path("stlparent"), DATASET_TRAIN, NULL, BC_ERR_NOT_FOUND, "train_X.bin: cannot open");
    ds = open_ok(fixture_path("stl/test_X.bin"), DATASET_TRAIN, NULL); /* finds test_y.bin */
    assert_int_equal(dataset_label(ds, 0), 9);
    dataset_close(ds);
}

static void test_bad_files(void **state) {
    (void)state;
    fixture_mkdir(fixture_path("sbad"));
    write_stl(fixture_path("sbad/train_X.bin"), 0, 2);
    assert_int_equal(truncate(fixture_path("sbad/train_X.bin"), IMAGE + 100), 0);
    expect_open_error(fixture_path("sbad"), DATASET_TRAIN, NULL, BC_ERR_FORMAT, "train_X.bin: truncated or not STL-10");
    assert_int_equal(truncate(fixture_path("sbad/train_X.bin"), 0), 0);
    expect_open_error(fixture_path("sbad"), DATASET_TRAIN, NULL, BC_ERR_FORMAT, "train_X.bin: empty file");
    write_stl(fixture_path("sbad/train_X.bin"), 0, 2);
    write_labels(fixture_path("sbad/train_y.bin"), 3, 0);
    expect_open_error(fixture_path("sbad"), DATASET_TRAIN, NULL, BC_ERR_FORMAT,
                      "train_y.bin: has 3 labels but");
    uint8_t labels[2] = {1, 11};
    fixture_write(fixture_path("sbad/train_y.bin"), labels, 2);
    expect_open_error(fixture_path("sbad"), DATASET_TRAIN, NULL, BC_ERR_FORMAT,
                      "train_y.bin: label 11 of image 1 is out of range 1..10");
    labels[1] = 0;
    fixture_write(fixture_path("sbad/train_y.bin"), labels, 2);
    expect_open_error(fixture_path("sbad"), DATASET_TRAIN, NULL, BC_ERR_FORMAT, "label 0 of image 1");
    expect_open_error(fixture_path("sbad"), DATASET_TEST, NULL, BC_ERR_NOT_FOUND, "test_X.bin");
    /* Missing labels: the split is simply unlabeled. */
    unlink(fixture_path("sbad/train_y.bin"));
    Dataset *ds = open_ok(fixture_path("sbad"), DATASET_TRAIN, NULL);
    assert_false(dataset_info(ds)->has_labels);
    dataset_close(ds);
    expect_open_error(fixture_path("sbad/nothing_X.bin"), DATASET_TRAIN, NULL, BC_ERR_NOT_FOUND, "no such file");
    fixture_write(fixture_path("sbad/notes.txt"), "x", 1);
    expect_open_error(fixture_path("sbad/notes.txt"), DATASET_TRAIN, NULL, BC_ERR_FORMAT, "not a dataset file");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_splits),
        cmocka_unit_test(test_bad_files),
    };
    return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
