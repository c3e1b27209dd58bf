/* knn_monitor.c — the kNN accuracy of the encoder being trained, measured every N steps
 * on fixed samples of the train and test splits (BN in evaluation mode; training's BN
 * statistics are not touched, so the run's losses are the same with or without it). */
#include <stdlib.h>

#include "byolcl/eval.h"

struct KnnMonitor {
    Device *device;
    EvalEncoder encoder; /* borrowed network and arena */
    Dataset *train, *test;
    FeatureExtractor *extractor;
    KnnConfig knn;
};

void knn_monitor_destroy(KnnMonitor *m) {
    if (!m) return;
    feature_extractor_destroy(m->extractor);
    dataset_close(m->train);
    dataset_close(m->test);
    free(m);
}

Status knn_monitor_create(Device *device, const TrainConfig *config, const Network *network, Arena *arena,
                          KnnMonitor **out) {
    *out = NULL;
    KnnMonitor *m = calloc(1, sizeof *m);
    if (!m) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    m->device = device;
    m->encoder = (EvalEncoder){.config = *config, .network = (Network *)network, .arena = arena};
    knn_config_default(&m->knn);
    DatasetOptions opts = train_config_data_options(config, false);
    Status st = dataset_open(config->data_path, DATASET_TRAIN, &opts, &m->train);
    if (st == BC_OK) st = dataset_open(config->data_path, DATASET_TEST, &opts, &m->test);
    if (st != BC_OK) st = error_wrap(st, "--eval-every needs labeled train and test splits: ");
    if (st == BC_OK && (!dataset_info(m->train)->has_labels || !dataset_info(m->test)->has_labels))
        st = error_set(BC_ERR_USAGE, "--eval-every needs labels: %s has none", dataset_info(m->train)->path);
    if (st == BC_OK) {
        const DatasetInfo *info = dataset_info(m->train);
        st = feature_extractor_create(device, &m->encoder, config, info->height, info->width, info->channels, 256,
                                      &m->extractor);
    }
    if (st != BC_OK) {
        knn_monitor_destroy(m);
        return st;
    }
    *out = m;
    return BC_OK;
}

Status knn_monitor_measure(KnnMonitor *m, double *accuracy) {
    FeatureSet train = {0}, test = {0};
    Status st = features_of_dataset(m->extractor, m->train, KNN_MONITOR_TRAIN_IMAGES, &train);
    if (st == BC_OK) st = features_of_dataset(m->extractor, m->test, KNN_MONITOR_TEST_IMAGES, &test);
    if (st == BC_OK) st = knn_accuracy(m->device, &m->knn, &train, &test, accuracy);
    feature_set_free(&train);
    feature_set_free(&test);
    return st;
}

static Status create_as_train_monitor(Device *device, const TrainConfig *config, const Network *network,
                                      Arena *arena, void **state) {
    KnnMonitor *m = NULL;
    Status st = knn_monitor_create(device, config, network, arena, &m);
    *state = m;
    return st;
}
static Status measure_as_train_monitor(void *state, double *accuracy) { return knn_monitor_measure(state, accuracy); }
static void destroy_as_train_monitor(void *state) { knn_monitor_destroy(state); }

const TrainMonitor knn_train_monitor = {create_as_train_monitor, measure_as_train_monitor,
                                        destroy_as_train_monitor};
