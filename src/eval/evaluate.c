/* evaluate.c — `byolcl eval`: one checkpoint's encoder, the same architecture at random
 * initialization and raw pixels, each through the same pipeline (features of the train
 * and test splits, kNN, linear probes at every label fraction) into one report. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/checkpoint.h"
#include "byolcl/eval.h"
#include "util/clock.h"

void eval_request_defaults(EvalRequest *r) {
    memset(r, 0, sizeof *r);
    r->fractions[0] = 1.0, r->fractions[1] = 0.1, r->fractions[2] = 0.01;
    r->fraction_count = 3;
    knn_config_default(&r->knn);
    probe_config_default(&r->probe);
    r->batch = 256;
    r->random_baseline = true;
    r->raw_pixels = true;
}

typedef struct {
    const EvalRequest *request;
    Device *device;
    Dataset *train, *test;
    const TrainConfig *config;
} EvalContext;

static void progress(const EvalContext *ctx, const char *fmt, const char *name, double seconds) {
    if (ctx->request->quiet) return;
    fprintf(stderr, fmt, name, seconds);
    fflush(stderr);
}

/* Features of both splits through one extractor (encoder NULL: raw pixels). */
static Status extract(const EvalContext *ctx, const EvalEncoder *encoder, FeatureSet *train, FeatureSet *test) {
    const DatasetInfo *info = dataset_info(ctx->train);
    FeatureExtractor *x;
    Status st = feature_extractor_create(ctx->device, encoder, ctx->config, info->height, info->width, info->channels,
                                         ctx->request->batch, &x);
    if (st != BC_OK) return st;
    st = features_of_dataset(x, ctx->train, ctx->request->max_train, train);
    if (st == BC_OK) st = features_of_dataset(x, ctx->test, ctx->request->max_test, test);
    feature_extractor_destroy(x);
    return st;
}

/* kNN on the features as they are, then probes on standardized copies (in place). */
static Status evaluate_features(const EvalContext *ctx, FeatureSet *train, FeatureSet *test, EvalRow *row) {
    const EvalRequest *r = ctx->request;
    row->dim = train->dim;
    double t = clock_seconds();
    Status st = knn_accuracy(ctx->device, &r->knn, train, test, &row->knn);
    progress(ctx, "  %s: kNN in %.1f s\n", row->name, clock_seconds() - t);
    FeatureSet *both[2] = {train, test};
    if (st == BC_OK) st = features_standardize(train, both, 2);
    for (int f = 0; st == BC_OK && f < r->fraction_count; f++) {
        size_t *rows, n;
        t = clock_seconds();
        st = label_subset_select(train->labels, train->count, train->class_count, r->fractions[f], r->subset_seed,
                                 &rows, &n);
        if (st == BC_OK) st = linear_probe_run(ctx->device, &r->probe, train, rows, n, test, &row->probe[f]);
        free(rows);
        char what[192];
        snprintf(what, sizeof what, "%s: probe on %g%% of the labels (%zu)", row->name, 100.0 * r->fractions[f], n);
        progress(ctx, "  %s in %.1f s\n", what, clock_seconds() - t);
    }
    return st;
}

static Status evaluate_row(const EvalContext *ctx, const EvalEncoder *encoder, EvalRow *row) {
    double start = clock_seconds();
    FeatureSet train = {0}, test = {0};
    Status st = extract(ctx, encoder, &train, &test);
    progress(ctx, "  %s: features in %.1f s\n", row->name, clock_seconds() - start);
    if (st == BC_OK) st = evaluate_features(ctx, &train, &test, row);
    feature_set_free(&train);
    feature_set_free(&test);
    row->seconds = clock_seconds() - start;
    return st;
}

/* Labels are positions in each split's class list: scoring them against each other is
 * only meaningful when both splits name the same classes in the same order. */
static Status check_same_classes(const Dataset *train, const Dataset *test) {
    const DatasetInfo *a = dataset_info(train), *b = dataset_info(test);
    for (int c = 0; c < a->class_count || c < b->class_count; c++) {
        const char *in_train = dataset_class_name(train, c), *in_test = dataset_class_name(test, c);
        if (!in_train || !in_test || strcmp(in_train, in_test) != 0)
            return error_set(BC_ERR_FORMAT, "%s: the train and test splits name different classes (%d and %d "
                             "classes; class %d is '%s' in train, '%s' in test); evaluation needs the same classes",
                             a->path, a->class_count, b->class_count, c, in_train ? in_train : "(none)",
                             in_test ? in_test : "(none)");
    }
    return BC_OK;
}

static Status open_splits(EvalContext *ctx, const char *path, EvalReport *report) {
    DatasetOptions opts = train_config_data_options(ctx->config, ctx->request->strict);
    Status st = dataset_open(path, DATASET_TRAIN, &opts, &ctx->train);
    if (st == BC_OK) st = dataset_open(path, DATASET_TEST, &opts, &ctx->test);
    if (st != BC_OK) return st;
    const DatasetInfo *a = dataset_info(ctx->train), *b = dataset_info(ctx->test);
    if (!a->has_labels || !b->has_labels || a->class_count < 2)
        return error_set(BC_ERR_USAGE, "%s: evaluation needs labeled train and test splits", a->path);
    if ((st = check_same_classes(ctx->train, ctx->test))) return st;
    if (a->height != b->height || a->width != b->width || a->channels != b->channels)
        return error_set(BC_ERR_FORMAT, "%s: the train and test splits differ in image size", a->path);
    if (a->channels != ctx->config->encoder.in_channels)
        return error_set(BC_ERR_USAGE, "%s: %d-channel images, but the checkpoint %s was trained on %d-channel "
                         "images; evaluate on the kind of data it was trained on (--data)", a->path, a->channels,
                         ctx->request->checkpoint, ctx->config->encoder.in_channels);
    snprintf(report->dataset, sizeof report->dataset, "%s %s", a->format, a->path);
    report->class_count = a->class_count;
    report->train_count = ctx->request->max_train && ctx->request->max_train < a->count ? ctx->request->max_train : a->count;
    report->test_count = ctx->request->max_test && ctx->request->max_test < b->count ? ctx->request->max_test : b->count;
    return BC_OK;
}

static Status validate(const EvalRequest *r) {
    if (r->fraction_count < 1 || r->fraction_count > EVAL_MAX_FRACTIONS)
        return error_set(BC_ERR_USAGE, "--fractions: give 1 to %d fractions", EVAL_MAX_FRACTIONS);
    for (int f = 0; f < r->fraction_count; f++)
        if (!(r->fractions[f] > 0 && r->fractions[f] <= 1))
            return error_set(BC_ERR_USAGE, "--fractions: %g is not in (0, 1]", r->fractions[f]);
    if (r->knn.k < 1) return error_set(BC_ERR_USAGE, "--knn-k must be at least 1 (got %d)", r->knn.k);
    if (!(r->knn.temperature > 0)) return error_set(BC_ERR_USAGE, "--knn-temperature must be > 0");
    if (r->probe.epochs < 1) return error_set(BC_ERR_USAGE, "--probe-epochs must be at least 1");
    if (r->probe.batch < 1) return error_set(BC_ERR_USAGE, "--probe-batch must be at least 1");
    if (!(r->probe.lr > 0)) return error_set(BC_ERR_USAGE, "--probe-lr must be > 0");
    if (!(r->probe.weight_decay >= 0)) return error_set(BC_ERR_USAGE, "--probe-wd must be >= 0");
    if (r->batch < 1) return error_set(BC_ERR_USAGE, "--batch must be at least 1");
    return BC_OK;
}

Status eval_run(const EvalRequest *request, EvalReport *report) {
    memset(report, 0, sizeof *report);
    report->request = *request;
    double start = clock_seconds();
    Status st = validate(request);
    if (st != BC_OK) return st;
    /* The checkpoint first: a bad one is reported before any device work. */
    TrainConfig config;
    TrainProgress done;
    char made_on[256];
    st = train_checkpoint_read_config(request->checkpoint, &config, &done, made_on, sizeof made_on);
    if (st != BC_OK) return st;
    snprintf(report->checkpoint, sizeof report->checkpoint, "%s", request->checkpoint);
    report->steps_trained = (long long)done.steps_done;
    EvalContext ctx = {.request = request, .config = &config};
    EvalEncoder trained = {0}, random = {0};
    st = device_open(request->device, NULL, &ctx.device);
    if (st == BC_OK) {
        const DeviceInfo *d = device_info(ctx.device);
        device_print_chosen(d);
        snprintf(report->device, sizeof report->device, "%s", d->name);
        st = eval_encoder_load(ctx.device, request->checkpoint, &trained);
    }
    const char *data_path = request->data_path ? request->data_path : config.data_path;
    if (st == BC_OK) st = open_splits(&ctx, data_path, report);
    if (st == BC_OK) {
        snprintf(report->rows[0].name, sizeof report->rows[0].name, "%s (%lld steps)",
                 method_title(&config.method, config.tau_base), report->steps_trained);
        st = evaluate_row(&ctx, &trained, &report->rows[report->row_count++]);
    }
    if (st == BC_OK && request->random_baseline) {
        st = eval_encoder_random(ctx.device, &config, &random);
        EvalRow *row = &report->rows[report->row_count++];
        snprintf(row->name, sizeof row->name, "random init (seed %llu)", (unsigned long long)config.seed);
        if (st == BC_OK) st = evaluate_row(&ctx, &random, row);
    }
    if (st == BC_OK && request->raw_pixels) {
        EvalRow *row = &report->rows[report->row_count++];
        snprintf(row->name, sizeof row->name, "raw pixels");
        st = evaluate_row(&ctx, NULL, row);
    }
    eval_encoder_destroy(&trained);
    eval_encoder_destroy(&random);
    dataset_close(ctx.train);
    dataset_close(ctx.test);
    device_close(ctx.device);
    report->wall_s = clock_seconds() - start;
    return st;
}
