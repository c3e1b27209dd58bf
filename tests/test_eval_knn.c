/* test_eval_knn.c — the device kNN classifier against the brute-force double reference on
 * random clustered features (odd sizes, chunks that do not divide the test rows, k = 1,
 * k larger than the training set), and its accuracy on well separated clusters.
 * BYOLCL_OCLGRIND_TEST */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/eval.h"
#include "ref/knn_ref.h"
#include "eval_fixtures.h"
#include "test_util.h"

/* Points around `classes` random centers (the same for every seed) with noise `spread`;
 * labels by center. */
static FeatureSet clustered(size_t count, int dim, int classes, float spread, uint64_t seed) {
    return clustered_features(count, dim, classes, 1.0f, 5, spread, seed + 1, 7, (size_t)seed);
}

static void check_against_reference(size_t n_train, size_t n_test, int dim, int classes, int k, int chunk,
                                    float spread) {
    FeatureSet train = clustered(n_train, dim, classes, spread, 11), test = clustered(n_test, dim, classes, spread, 12);
    KnnConfig config;
    knn_config_default(&config);
    config.k = k, config.chunk = chunk;
    int32_t *got = malloc(n_test * sizeof *got), *want = malloc(n_test * sizeof *want);
    TEST_CHECK(knn_predict(test_device(), &config, &train, &test, got));
    knn_predict_ref(train.values, train.labels, n_train, test.values, n_test, dim, classes, k, config.temperature, want);
    for (size_t i = 0; i < n_test; i++)
        if (got[i] != want[i])
            fail_msg("n_train %zu n_test %zu dim %d k %d: row %zu predicted %d, reference %d", n_train, n_test, dim, k,
                     i, got[i], want[i]);
    free(got);
    free(want);
    feature_set_free(&train);
    feature_set_free(&test);
}

static void test_knn_matches_reference(void **state) {
    (void)state;
    /* spread 1.5: clusters overlap, so the votes decide and mistakes happen. */
    if (test_small()) {
        check_against_reference(37, 9, 5, 3, 4, 4, 1.5f);
        check_against_reference(20, 3, 3, 4, 50, 0, 1.5f);
        return;
    }
    check_against_reference(500, 77, 13, 5, 200, 32, 1.5f);
    check_against_reference(301, 50, 7, 10, 1, 256, 1.5f);
    check_against_reference(120, 33, 1, 3, 500, 10, 1.5f); /* k > train rows: all of them vote */
    check_against_reference(1000, 130, 64, 10, 200, 0, 2.0f);
}

static void test_knn_separates_clusters(void **state) {
    (void)state;
    size_t n = test_small() ? 40 : 2000;
    FeatureSet train = clustered(n, 16, 5, 0.05f, 21), test = clustered(n / 4, 16, 5, 0.05f, 22);
    KnnConfig config;
    knn_config_default(&config);
    if (test_small()) config.k = 5;
    double accuracy;
    TEST_CHECK(knn_accuracy(test_device(), &config, &train, &test, &accuracy));
    assert_true(accuracy == 1.0);
    feature_set_free(&train);
    feature_set_free(&test);
}

static void test_knn_rejects_bad_settings(void **state) {
    (void)state;
    if (test_small()) skip(); /* deliberate misuse */
    FeatureSet train = clustered(10, 4, 2, 0.1f, 1), test = clustered(3, 4, 2, 0.1f, 2);
    KnnConfig config;
    knn_config_default(&config);
    config.k = 0;
    double accuracy;
    assert_int_equal(knn_accuracy(test_device(), &config, &train, &test, &accuracy), BC_ERR_USAGE);
    assert_non_null(strstr(error_last(), "k must be"));
    feature_set_free(&train);
    feature_set_free(&test);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_knn_matches_reference),
        cmocka_unit_test(test_knn_separates_clusters),
        cmocka_unit_test(test_knn_rejects_bad_settings),
    };
    return cmocka_run_group_tests(tests, NULL, test_teardown_device);
}
