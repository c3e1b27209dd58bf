/* test_loader.c — the batch loader: the epoch order is a pure function of (seed, epoch),
 * seeking equals iterating, drop-last, every image once per epoch, batch contents match
 * the dataset, the buffer-holding rule, and one epoch of the real Fashion-MNIST. */
#include "data_fixtures.h"

enum { N = 103, SIDE = 3 };

static Dataset *small_dataset(void) {
    static bool written;
    if (!written) {
        size_t ib, lb;
        uint8_t *img = fixture_idx_images(N, SIDE, SIDE, &ib), *lab = fixture_idx_labels(N, 10, &lb);
        fixture_write(fixture_path("train-images-idx3-ubyte"), img, ib);
        fixture_write(fixture_path("train-labels-idx1-ubyte"), lab, lb);
        free(img);
        free(lab);
        written = true;
    }
    return open_ok(fixture_root, DATASET_TRAIN, NULL);
}

/* The next batch, checked against the dataset: images and labels belong to the indices. */
static Batch next_checked(Loader *loader, const Dataset *ds) {
    Batch b;
    TEST_CHECK(loader_next_batch(loader, &b));
    uint8_t img[SIDE * SIDE];
    for (size_t i = 0; i < b.count; i++) {
        TEST_CHECK(dataset_read_image(ds, b.indices[i], img));
        assert_memory_equal(b.images + i * sizeof img, img, sizeof img);
        assert_int_equal(b.labels[i], dataset_label(ds, b.indices[i]));
    }
    return b;
}

static void test_epoch_order_is_a_seeded_permutation(void **state) {
    (void)state;
    uint32_t a[N], b[N], c[N], d[N];
    loader_epoch_order(7, 3, true, a, N);
    loader_epoch_order(7, 3, true, b, N);
    loader_epoch_order(7, 4, true, c, N);
    loader_epoch_order(8, 3, true, d, N);
    assert_memory_equal(a, b, sizeof a);
    assert_memory_not_equal(a, c, sizeof a);
    assert_memory_not_equal(a, d, sizeof a);
    bool seen[N] = {0};
    for (int i = 0; i < N; i++) {
        assert_true(a[i] < N && !seen[a[i]]);
        seen[a[i]] = true;
    }
    loader_epoch_order(7, 3, false, a, N);
    for (uint32_t i = 0; i < N; i++) assert_int_equal(a[i], i);
}

static void test_training_epochs_drop_last_and_cover_once(void **state) {
    (void)state;
    Dataset *ds = small_dataset();
    for (int workers = 1; workers <= 3; workers += 2) {
        LoaderOptions lo = {.batch_size = 10, .seed = 5, .shuffle = true, .drop_last = true, .workers = workers};
        Loader *loader;
        TEST_CHECK(loader_create(ds, &lo, &loader));
        assert_int_equal(loader_steps_per_epoch(loader), 10);
        for (uint64_t epoch = 0; epoch < 3; epoch++) {
            uint32_t order[N];
            loader_epoch_order(5, epoch, true, order, N);
            int seen[N] = {0};
            for (uint64_t step = 0; step < 10; step++) {
                Batch b = next_checked(loader, ds);
                assert_int_equal(b.count, 10);
                assert_int_equal(b.epoch, epoch);
                assert_int_equal(b.step, step);
                for (size_t i = 0; i < 10; i++) {
                    assert_int_equal(b.indices[i], order[step * 10 + i]);
                    seen[b.indices[i]]++;
                }
                loader_release_batch(loader, &b);
            }
            int once = 0;
            for (int i = 0; i < N; i++) {
                assert_true(seen[i] <= 1);
                once += seen[i];
            }
            assert_int_equal(once, 100); /* the 3 left over are dropped */
        }
        loader_close(loader);
    }
    dataset_close(ds);
}

static void test_seek_equals_straight_iteration(void **state) {
    (void)state;
    Dataset *ds = small_dataset();
    LoaderOptions lo = {.batch_size = 8, .seed = 11, .shuffle = true, .drop_last = true, .workers = 2, .buffers = 3};
    Loader *straight, *resumed;
    TEST_CHECK(loader_create(ds, &lo, &straight));
    TEST_CHECK(loader_create(ds, &lo, &resumed));
    size_t steps = loader_steps_per_epoch(straight);
    assert_int_equal(steps, 12);
    uint32_t expected[30][8];
    for (size_t s = 0; s < 2 * steps + 5 + 30; s++) {
        Batch b = next_checked(straight, ds);
        if (s >= 2 * steps + 5) memcpy(expected[s - (2 * steps + 5)], b.indices, sizeof expected[0]);
        loader_release_batch(straight, &b);
    }
    /* A fresh loader that seeks to epoch 2, step 5 sees the same 30 batches. */
    Batch first = next_checked(resumed, ds); /* held across the seek: stays intact */
    uint32_t first_indices[8];
    memcpy(first_indices, first.indices, sizeof first_indices);
    TEST_CHECK(loader_seek(resumed, 2, 5));
    for (int k = 0; k < 30; k++) {
        Batch b = next_checked(resumed, ds);
        assert_int_equal(b.epoch * steps + b.step, 2 * steps + 5 + (size_t)k);
        assert_memory_equal(b.indices, expected[k], sizeof expected[0]);
        loader_release_batch(resumed, &b);
    }
    assert_memory_equal(first.indices, first_indices, sizeof first_indices);
    loader_release_batch(resumed, &first);
    /* Seeking back reproduces the beginning too. */
    TEST_CHECK(loader_seek(resumed, 2, 5));
    Batch again = next_checked(resumed, ds);
    assert_memory_equal(again.indices, expected[0], sizeof expected[0]);
    loader_release_batch(resumed, &again);
    assert_int_equal(loader_seek(resumed, 0, steps), BC_ERR_USAGE);
    loader_close(straight);
    loader_close(resumed);
    dataset_close(ds);
}

static void test_evaluation_pass_sees_every_image_in_order(void **state) {
    (void)state;
    Dataset *ds = small_dataset();
    LoaderOptions lo = {.batch_size = 25, .one_pass = true};
    Loader *loader;
    TEST_CHECK(loader_create(ds, &lo, &loader));
    assert_int_equal(loader_steps_per_epoch(loader), 5);
    uint32_t next = 0;
    for (int step = 0; step < 5; step++) {
        Batch b = next_checked(loader, ds);
        assert_int_equal(b.count, step < 4 ? 25 : 3);
        for (size_t i = 0; i < b.count; i++) assert_int_equal(b.indices[i], next++);
        loader_release_batch(loader, &b);
    }
    assert_int_equal(next, N);
    Batch end;
    TEST_CHECK(loader_next_batch(loader, &end));
    assert_int_equal(end.count, 0);
    TEST_CHECK(loader_next_batch(loader, &end));
    assert_int_equal(end.count, 0);
    assert_int_equal(loader_seek(loader, 1, 0), BC_ERR_USAGE);
    TEST_CHECK(loader_seek(loader, 0, 4));
    Batch last = next_checked(loader, ds);
    assert_int_equal(last.count, 3);
    loader_release_batch(loader, &last);
    loader_close(loader);
    dataset_close(ds);
}

static void test_holding_every_buffer_is_an_error(void **state) {
    (void)state;
    Dataset *ds = small_dataset();
    LoaderOptions lo = {.batch_size = 4, .shuffle = true, .drop_last = true, .workers = 1, .buffers = 2};
    Loader *loader;
    TEST_CHECK(loader_create(ds, &lo, &loader));
    Batch a = next_checked(loader, ds), b = next_checked(loader, ds), c;
    assert_int_equal(loader_next_batch(loader, &c), BC_ERR_USAGE);
    assert_non_null(strstr(error_last(), "loader_release_batch"));
    uint32_t a_indices[4];
    memcpy(a_indices, a.indices, sizeof a_indices);
    loader_release_batch(loader, &a);
    c = next_checked(loader, ds);
    assert_int_equal(c.step, 2);
    loader_release_batch(loader, &b);
    loader_release_batch(loader, &c);
    loader_close(loader);
    LoaderOptions too_big = {.batch_size = N + 1, .drop_last = true};
    assert_int_equal(loader_create(ds, &too_big, &loader), BC_ERR_USAGE);
    LoaderOptions zero = {.batch_size = 0};
    assert_int_equal(loader_create(ds, &zero, &loader), BC_ERR_USAGE);
    dataset_close(ds);
}

static void test_real_fashion_mnist_epoch(void **state) {
    (void)state;
    if (!fs_is_dir(DATASET_DEFAULT_PATH)) {
        printf("Fashion-MNIST not installed at %s: skipped\n", DATASET_DEFAULT_PATH);
        skip();
    }
    Dataset *ds = open_ok(NULL, DATASET_TRAIN, NULL);
    LoaderOptions lo = {.batch_size = 256, .seed = 1, .shuffle = true, .drop_last = true};
    Loader *loader;
    TEST_CHECK(loader_create(ds, &lo, &loader));
    assert_int_equal(loader_steps_per_epoch(loader), 60000 / 256);
    uint8_t *seen = calloc(60000, 1);
    size_t labels[10] = {0};
    for (size_t s = 0; s < 60000 / 256; s++) {
        Batch b;
        TEST_CHECK(loader_next_batch(loader, &b));
        for (size_t i = 0; i < b.count; i++) {
            assert_int_equal(seen[b.indices[i]]++, 0);
            labels[b.labels[i]]++;
        }
        loader_release_batch(loader, &b);
    }
    for (int c = 0; c < 10; c++) assert_in_range(labels[c], 5500, 6000); /* shuffled: every class */
    free(seen);
    loader_close(loader);
    dataset_close(ds);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_epoch_order_is_a_seeded_permutation),
        cmocka_unit_test(test_training_epochs_drop_last_and_cover_once),
        cmocka_unit_test(test_seek_equals_straight_iteration),
        cmocka_unit_test(test_evaluation_pass_sees_every_image_in_order),
        cmocka_unit_test(test_holding_every_buffer_is_an_error),
        cmocka_unit_test(test_real_fashion_mnist_epoch),
    };
    return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
