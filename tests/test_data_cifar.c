/* test_data_cifar.c — CIFAR-10 and CIFAR-100 binary batches the test writes: planar
 * records become HWC images, labels, class names, splits, and every kind of bad file. */
#include "data_fixtures.h"

enum { PLANE = 1024, RECORD10 = 1 + 3 * PLANE, RECORD100 = 2 + 3 * PLANE };

static uint8_t pixel_value(size_t image, int channel, int p) { return (uint8_t)(image * 13 + channel * 101 + p); }

/* n records starting at global image number `first`; labels = image % classes. */
static uint8_t *cifar_records(size_t first, size_t n, bool cifar100, size_t *bytes) {
    size_t record = cifar100 ? RECORD100 : RECORD10;
    *bytes = n * record;
    uint8_t *b = malloc(*bytes);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++) {
        uint8_t *r = b + i * record;
        size_t image = first + i;
        if (cifar100) r[0] = (uint8_t)(image % 20), r[1] = (uint8_t)(image % 100);
        else r[0] = (uint8_t)(image % 10);
        uint8_t *px = r + (cifar100 ? 2 : 1);
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < PLANE; p++) px[c * PLANE + p] = pixel_value(image, c, p);
    }
    return b;
}

static void write_records(const char *path, size_t first, size_t n, bool cifar100) {
    size_t bytes;
    uint8_t *b = cifar_records(first, n, cifar100, &bytes);
    fixture_write(path, b, bytes);
    free(b);
}

static void check_images(const Dataset *ds, size_t first, size_t n) {
    uint8_t img[3 * PLANE];
    for (size_t i = 0; i < n; i++) {
        TEST_CHECK(dataset_read_image(ds, i, img));
        for (int p = 0; p < PLANE; p += 37)
            for (int c = 0; c < 3; c++) assert_int_equal(img[p * 3 + c], pixel_value(first + i, c, p));
    }
}

static void test_cifar10_folder(void **state) {
    (void)state;
    fixture_mkdir(fixture_path("c10"));
    write_records(fixture_path("c10/data_batch_1.bin"), 0, 3, false);
    write_records(fixture_path("c10/data_batch_2.bin"), 3, 2, false);
    write_records(fixture_path("c10/test_batch.bin"), 100, 4, false);
    const char *names = "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n";
    fixture_write(fixture_path("c10/batches.meta.txt"), names, strlen(names));
    Dataset *ds = open_ok(fixture_path("c10"), DATASET_TRAIN, NULL);
    const DatasetInfo *info = dataset_info(ds);
    assert_string_equal(info->format, "cifar10");
    assert_int_equal(info->count, 5);
    assert_int_equal(info->height, 32);
    assert_int_equal(info->width, 32);
    assert_int_equal(info->channels, 3);
    assert_int_equal(info->class_count, 10);
    assert_string_equal(dataset_class_name(ds, 9), "truck");
    for (size_t i = 0; i < 5; i++) assert_int_equal(dataset_label(ds, i), (int)(i % 10));
    check_images(ds, 0, 5);
    dataset_close(ds);

    ds = open_ok(fixture_path("c10"), DATASET_TEST, NULL);
    assert_int_equal(dataset_info(ds)->count, 4);
    assert_int_equal(dataset_label(ds, 1), 101 % 10);
    check_images(ds, 100, 4);
    dataset_close(ds);

    /* The archive's own folder name one level down, and a single batch file. */
    fixture_mkdir(fixture_path("c10parent"));
    fixture_mkdir(fixture_path("c10parent/cifar-10-batches-bin"));
    write_records(fixture_path("c10parent/cifar-10-batches-bin/test_batch.bin"), 0, 2, false);
    ds = open_ok(fixture_path("c10parent"), DATASET_TEST, NULL);
    assert_int_equal(dataset_info(ds)->count, 2);
    dataset_close(ds);
    expect_open_error(fixture_path("c10parent"), DATASET_TRAIN, NULL, BC_ERR_NOT_FOUND, "no CIFAR-10 training batches");
    ds = open_ok(fixture_path("c10/data_batch_2.bin"), DATASET_TRAIN, NULL);
    assert_int_equal(dataset_info(ds)->count, 2);
    check_images(ds, 3, 2);
    assert_string_equal(dataset_class_name(ds, 0), "airplane");
    dataset_close(ds);
    /* A batch file's test split is test_batch.bin beside it. */
    ds = open_ok(fixture_path("c10/data_batch_2.bin"), DATASET_TEST, NULL);
    assert_int_equal(dataset_info(ds)->count, 4);
    check_images(ds, 100, 4);
    dataset_close(ds);
    expect_open_error(fixture_path("c10/test_batch.bin"), DATASET_TEST, NULL, BC_ERR_NOT_FOUND,
                      "names no training split");
}

static void test_cifar100_fine_and_coarse(void **state) {
    (void)state;
    fixture_mkdir(fixture_path("c100"));
    write_records(fixture_path("c100/train.bin"), 0, 7, true);
    write_records(fixture_path("c100/test.bin"), 50, 3, true);
    Dataset *ds = open_ok(fixture_path("c100"), DATASET_TRAIN, NULL);
    assert_string_equal(dataset_info(ds)->format, "cifar100");
    assert_int_equal(dataset_info(ds)->class_count, 100);
    assert_int_equal(dataset_info(ds)->count, 7);
    check_images(ds, 0, 7);
    assert_string_equal(dataset_class_name(ds, 42), "42");
    dataset_close(ds);
    DatasetOptions coarse = {.coarse_labels = true};
    ds = open_ok(fixture_path("c100"), DATASET_TEST, &coarse);
    assert_int_equal(dataset_info(ds)->class_count, 20);
    for (size_t i = 0; i < 3; i++) assert_int_equal(dataset_label(ds, i), (int)((50 + i) % 20));
    check_images(ds, 50, 3);
    dataset_close(ds);
    ds = open_ok(fixture_path("c100/test.bin"), DATASET_TRAIN, NULL);
    assert_int_equal(dataset_label(ds, 2), 52);
    dataset_close(ds);
}

static void test_bad_files(void **state) {
    (void)state;
    size_t bytes;
    uint8_t *b = cifar_records(0, 3, false, &bytes);
    fixture_mkdir(fixture_path("cbad"));
    fixture_write(fixture_path("cbad/test_batch.bin"), b, bytes - 100);
    expect_open_error(fixture_path("cbad"), DATASET_TEST, NULL, BC_ERR_FORMAT, "test_batch.bin: truncated");
    fixture_write(fixture_path("cbad/test_batch.bin"), b, 0);
    expect_open_error(fixture_path("cbad"), DATASET_TEST, NULL, BC_ERR_FORMAT, "test_batch.bin: empty file");
    b[RECORD10] = 10; /* second record */
    fixture_write(fixture_path("cbad/test_batch.bin"), b, bytes);
    expect_open_error(fixture_path("cbad"), DATASET_TEST, NULL, BC_ERR_FORMAT,
                      "test_batch.bin: record 1 has label 10, out of range 0..9");
    b[RECORD10] = 1;
    fixture_write(fixture_path("cbad/test_batch.bin"), b, bytes);
    fixture_write(fixture_path("cbad/batches.meta.txt"), "cat\ndog\n", 8);
    expect_open_error(fixture_path("cbad"), DATASET_TEST, NULL, BC_ERR_FORMAT,
                      "batches.meta.txt: has 2 class names, the labels need 10");
    unlink(fixture_path("cbad/batches.meta.txt"));
    Dataset *ds = open_ok(fixture_path("cbad"), DATASET_TEST, NULL);
    dataset_close(ds);
    expect_open_error(fixture_path("cbad"), DATASET_TRAIN, NULL, BC_ERR_NOT_FOUND, "no CIFAR-10 training batches");
    free(b);

    /* A CIFAR-10 file passed off as CIFAR-100: sizes disagree (3073 vs 3074 bytes). */
    fixture_mkdir(fixture_path("c100bad"));
    b = cifar_records(0, 2, false, &bytes);
    fixture_write(fixture_path("c100bad/train.bin"), b, bytes);
    expect_open_error(fixture_path("c100bad"), DATASET_TRAIN, NULL, BC_ERR_FORMAT, "train.bin: truncated or not a CIFAR-100");
    free(b);
    b = cifar_records(0, 2, true, &bytes);
    b[1] = 100; /* fine label */
    fixture_write(fixture_path("c100bad/train.bin"), b, bytes);
    expect_open_error(fixture_path("c100bad"), DATASET_TRAIN, NULL, BC_ERR_FORMAT, "label 100, out of range 0..99");
    DatasetOptions coarse = {.coarse_labels = true};
    b[1] = 5, b[0] = 20;
    fixture_write(fixture_path("c100bad/train.bin"), b, bytes);
    expect_open_error(fixture_path("c100bad"), DATASET_TRAIN, &coarse, BC_ERR_FORMAT, "label 20, out of range 0..19");
    expect_open_error(fixture_path("c100bad"), DATASET_TEST, NULL, BC_ERR_NOT_FOUND, "test.bin: cannot open");
    free(b);
    /* A file that shrinks after opening: reading the image reports truncation. */
    fixture_mkdir(fixture_path("shrink"));
    write_records(fixture_path("shrink/test_batch.bin"), 0, 2, false);
    ds = open_ok(fixture_path("shrink"), DATASET_TEST, NULL);
    assert_int_equal(truncate(fixture_path("shrink/test_batch.bin"), RECORD10 + 5), 0);
    uint8_t img[3 * PLANE];
    assert_int_equal(dataset_read_image(ds, 1, img), BC_ERR_FORMAT);
    assert_non_null(strstr(error_last(), "test_batch.bin: truncated"));
    assert_int_equal(dataset_read_image(ds, 2, img), BC_ERR_USAGE);
    dataset_close(ds);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cifar10_folder),
        cmocka_unit_test(test_cifar100_fine_and_coarse),
        cmocka_unit_test(test_bad_files),
    };
    return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
