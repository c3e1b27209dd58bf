/* test_eval_probe.c — the linear probe trained on the device reaches ~100% on linearly
 * separable features and stays at chance on random labels; standardization gives zero mean
 * and unit variance; label-fraction subsets are class-balanced and reproducible.
 * BYOLCL_OCLGRIND_TEST */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/eval.h"
#include "eval_fixtures.h"
#include "test_util.h"

/* Tight clusters around fixed random centers: linearly separable with a wide margin. */
static FeatureSet separable(size_t count, int dim, int classes, uint64_t seed) {
    return clustered_features(count, dim, classes, 3.0f, 77, 0.3f, seed, 1, 0);
}

static FeatureSet random_labels(size_t count, int dim, int classes, uint64_t seed) {
    FeatureSet s = {test_alloc_uniform(count * (size_t)dim, seed, -1, 1), malloc(count * sizeof(int32_t)), count, dim,
                    classes};
    float *u = test_alloc_uniform(count, seed + 100, 0, 1);
    for (size_t i = 0; i < count; i++) s.labels[i] = (int32_t)(u[i] * (float)classes) % classes;
    free(u);
    return s;
}

static ProbeConfig small_config(void) {
    ProbeConfig c;
    probe_config_default(&c);
    if (test_small()) c.epochs = 3, c.batch = 16;
    else c.epochs = 30;
    return c;
}

static void test_probe_separable_reaches_100(void **state) {
    (void)state;
    size_t n = test_small() ? 40 : 1500;
    int dim = test_small() ? 5 : 37, classes = test_small() ? 3 : 7;
    FeatureSet train = separable(n, dim, classes, 1), test = separable(n / 3, dim, classes, 2);
    FeatureSet *both[2] = {&train, &test};
    TEST_CHECK(features_standardize(&train, both, 2));
    ProbeConfig config = small_config();
    ProbeResult r;
    TEST_CHECK(linear_probe_run(test_device(), &config, &train, NULL, 0, &test, &r));
    assert_true(r.top1 >= 0.99);
    assert_true(isnan(r.top5)); /* <= 10 classes */
    assert_int_equal(r.train_count, n);
    if (!test_small()) assert_true(r.train_loss < 0.05);
    feature_set_free(&train);
    feature_set_free(&test);
}

static void test_probe_random_labels_is_chance(void **state) {
    (void)state;
    if (test_small()) skip(); /* a statistical test needs thousands of rows */
    FeatureSet train = random_labels(3000, 16, 4, 5), test = random_labels(2000, 16, 4, 6);
    ProbeConfig config = small_config();
    ProbeResult r;
    TEST_CHECK(linear_probe_run(test_device(), &config, &train, NULL, 0, &test, &r));
    /* chance is 25%; 2000 test rows give a standard deviation of about 1%. */
    assert_true(r.top1 > 0.20 && r.top1 < 0.30);
    feature_set_free(&train);
    feature_set_free(&test);
}

static void test_probe_on_a_subset_with_top5(void **state) {
    (void)state;
    size_t n = test_small() ? 48 : 2400;
    int classes = test_small() ? 12 : 24;
    FeatureSet train = separable(n, 8, classes, 3), test = separable(n / 4, 8, classes, 4);
    size_t *rows, count;
    TEST_CHECK(label_subset_select(train.labels, n, classes, 0.5, 9, &rows, &count));
    ProbeConfig config = small_config();
    ProbeResult r;
    TEST_CHECK(linear_probe_run(test_device(), &config, &train, rows, count, &test, &r));
    assert_int_equal(r.train_count, count);
    assert_true(r.top5 >= r.top1); /* more than 10 classes: top-5 is reported */
    if (!test_small()) assert_true(r.top1 >= 0.95);
    free(rows);
    feature_set_free(&train);
    feature_set_free(&test);
}

static void test_standardize_uses_train_statistics(void **state) {
    (void)state;
    FeatureSet train = random_labels(500, 3, 2, 8), test = random_labels(50, 3, 2, 9);
    for (size_t i = 0; i < 500; i++) train.values[i * 3] = train.values[i * 3] * 100 + 1000; /* large mean */
    for (size_t i = 0; i < 500; i++) train.values[i * 3 + 2] = 7; /* constant: left unscaled */
    float first_test = test.values[0];
    double mean0 = 0;
    for (size_t i = 0; i < 500; i++) mean0 += train.values[i * 3];
    mean0 /= 500;
    FeatureSet *both[2] = {&train, &test};
    TEST_CHECK(features_standardize(&train, both, 2));
    for (int d = 0; d < 2; d++) {
        double m = 0, v = 0;
        for (size_t i = 0; i < 500; i++) m += train.values[i * 3 + (size_t)d];
        m /= 500;
        for (size_t i = 0; i < 500; i++) v += pow(train.values[i * 3 + (size_t)d] - m, 2);
        assert_true(fabs(m) < 1e-4);
        assert_true(fabs(v / 500 - 1) < 1e-3);
    }
    assert_true(train.values[2] == 0.0f);
    assert_true(test.values[0] < 0 && test.values[0] > (first_test - mean0) / 10); /* shifted by the train mean */
    feature_set_free(&train);
    feature_set_free(&test);
}

static void test_label_subsets_are_balanced_and_reproducible(void **state) {
    (void)state;
    enum { CLASSES = 5 };
    size_t n = 0;
    int32_t labels[3000];
    for (int c = 0; c < CLASSES; c++) /* unequal classes: 100, 337, 574, ... images */
        for (int i = 0; i < 100 + 237 * c; i++) labels[n++] = c;
    labels[n++] = -1; /* unlabeled rows are never chosen */
    for (size_t i = n - 1; i > 0; i--) { /* interleave the classes */
        size_t j = (i * 2654435761u) % (i + 1);
        int32_t t = labels[i];
        labels[i] = labels[j], labels[j] = t;
    }
    size_t *a, *b, *c, na, nb, nc;
    TEST_CHECK(label_subset_select(labels, n, CLASSES, 0.1, 1, &a, &na));
    TEST_CHECK(label_subset_select(labels, n, CLASSES, 0.1, 1, &b, &nb));
    TEST_CHECK(label_subset_select(labels, n, CLASSES, 0.1, 2, &c, &nc));
    size_t per_class = (size_t)lround(0.1 * (double)(n - 1) / CLASSES);
    assert_int_equal(na, CLASSES * per_class);
    int counts[CLASSES] = {0};
    for (size_t i = 0; i < na; i++) {
        assert_true(labels[a[i]] >= 0);
        counts[labels[a[i]]]++;
        if (i) assert_true(a[i] > a[i - 1]); /* ascending, distinct */
    }
    for (int k = 0; k < CLASSES; k++) assert_int_equal(counts[k], per_class);
    assert_int_equal(nb, na);
    assert_memory_equal(a, b, na * sizeof *a); /* same seed, same subset */
    assert_int_equal(nc, na);
    assert_true(memcmp(a, c, na * sizeof *a) != 0); /* another seed, another subset */
    free(a), free(b), free(c);

    /* A class smaller than its share gives all it has; fraction 1 takes every labeled row. */
    TEST_CHECK(label_subset_select(labels, n, CLASSES, 0.5, 1, &a, &na));
    memset(counts, 0, sizeof counts);
    for (size_t i = 0; i < na; i++) counts[labels[a[i]]]++;
    assert_int_equal(counts[0], 100);
    assert_int_equal(counts[4], (int)lround(0.5 * (double)(n - 1) / CLASSES));
    free(a);
    TEST_CHECK(label_subset_select(labels, n, CLASSES, 1.0, 1, &a, &na));
    assert_int_equal(na, n - 1);
    free(a);
    assert_int_equal(label_subset_select(labels, n, CLASSES, 0.0, 1, &a, &na), BC_ERR_USAGE);
    assert_int_equal(label_subset_select(labels, n, CLASSES, 1.5, 1, &a, &na), BC_ERR_USAGE);
}

static void test_probe_rejects_bad_settings(void **state) {
    (void)state;
    if (test_small()) skip(); /* deliberate misuse */
    FeatureSet train = separable(20, 3, 2, 1);
    ProbeConfig config = small_config();
    config.lr = -1;
    ProbeResult r;
    assert_int_equal(linear_probe_run(test_device(), &config, &train, NULL, 0, &train, &r), BC_ERR_USAGE);
    config = small_config();
    train.labels[3] = 5; /* outside the classes */
    assert_int_equal(linear_probe_run(test_device(), &config, &train, NULL, 0, &train, &r), BC_ERR_USAGE);
    assert_non_null(strstr(error_last(), "label 5"));
    feature_set_free(&train);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_separable_reaches_100),
        cmocka_unit_test(test_probe_random_labels_is_chance),
        cmocka_unit_test(test_probe_on_a_subset_with_top5),
        cmocka_unit_test(test_standardize_uses_train_statistics),
        cmocka_unit_test(test_label_subsets_are_balanced_and_reproducible),
        cmocka_unit_test(test_probe_rejects_bad_settings),
    };
    return cmocka_run_group_tests(tests, NULL, test_teardown_device);
}
