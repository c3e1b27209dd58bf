/* embed_picture.c — `byolcl embed`: the test images' features from the random-init encoder
 * and from the trained one, each projected to 2-D by PCA and drawn side by side as a
 * scatter colored by class, with the class names as a legend. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byol/train_internal.h"
#include "byolcl/eval.h"
#include "eval/plot.h"

enum { PANEL = 520, LEGEND_WIDTH = 190 };

/* Features of the test split (`points` of them, evenly spaced) projected to 2-D. */
static Status project(Device *device, const EvalEncoder *encoder, const Dataset *test, const EmbedRequest *r,
                      FeatureSet *set, double **x, double **y) {
    const DatasetInfo *info = dataset_info(test);
    FeatureExtractor *fx;
    Status st = feature_extractor_create(device, encoder, &encoder->config, info->height, info->width, info->channels,
                                         r->batch > 0 ? r->batch : 256, &fx);
    if (st != BC_OK) return st;
    st = features_of_dataset(fx, test, r->points, set);
    feature_extractor_destroy(fx);
    if (st != BC_OK) return st;
    *x = malloc((set->count ? set->count : 1) * sizeof **x);
    *y = malloc((set->count ? set->count : 1) * sizeof **y);
    if (!*x || !*y) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    return pca_project_2d(set, *x, *y);
}

static Status draw(const char *path, const Dataset *test, const FeatureSet *sets, double *const *xs,
                   double *const *ys, const char *const *titles) {
    Canvas canvas;
    Status st = canvas_create(&canvas, 2 * PANEL + LEGEND_WIDTH, PANEL, RGB_WHITE);
    if (st != BC_OK) return st;
    for (int p = 0; p < 2; p++) {
        PlotLabels labels = {titles[p], "principal component 1", "principal component 2"};
        plot_panel_scatter(&canvas, (PlotRect){p * PANEL, 0, PANEL, PANEL}, xs[p], ys[p], sets[p].labels,
                           (int)sets[p].count, &labels);
    }
    int classes = dataset_info(test)->class_count;
    const char **names = malloc((size_t)(classes > 0 ? classes : 1) * sizeof *names);
    if (names) {
        for (int c = 0; c < classes; c++) names[c] = dataset_class_name(test, c);
        canvas_text(&canvas, 2 * PANEL + 10, 36, "class", RGB_BLACK, 1);
        plot_legend(&canvas, 2 * PANEL + 10, 52, names, classes);
    }
    free(names);
    st = names ? canvas_save_png(&canvas, path) : error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    canvas_free(&canvas);
    return st;
}

Status embed_run(const EmbedRequest *r) {
    TrainConfig config;
    TrainProgress done;
    char made_on[256];
    Status st = train_checkpoint_read_config(r->checkpoint, &config, &done, made_on, sizeof made_on);
    if (st != BC_OK) return st;
    Device *device = NULL;
    Dataset *test = NULL;
    EvalEncoder enc[2];
    FeatureSet sets[2];
    memset(enc, 0, sizeof enc);
    memset(sets, 0, sizeof sets);
    double *xs[2] = {0}, *ys[2] = {0};
    st = device_open(r->device, NULL, &device);
    if (st == BC_OK) {
        const DeviceInfo *d = device_info(device);
        printf("device: %d:%d %s (%s, %s)\n", d->platform_index, d->device_index, d->name, device_kind_name(d->kind),
               d->platform_name);
        fflush(stdout);
        st = eval_encoder_random(device, &config, &enc[0]);
    }
    if (st == BC_OK) st = eval_encoder_load(device, r->checkpoint, &enc[1]);
    if (st == BC_OK) st = dataset_open(r->data_path ? r->data_path : config.data_path, DATASET_TEST, NULL, &test);
    if (st == BC_OK && !dataset_info(test)->has_labels)
        st = error_set(BC_ERR_USAGE, "%s: the test split has no labels to color the points by", dataset_info(test)->path);
    for (int p = 0; p < 2 && st == BC_OK; p++) st = project(device, &enc[p], test, r, &sets[p], &xs[p], &ys[p]);
    if (st == BC_OK) {
        char random_title[64], trained_title[64];
        snprintf(random_title, sizeof random_title, "random init (seed %llu)", (unsigned long long)config.seed);
        snprintf(trained_title, sizeof trained_title, "%s, %lld steps", method_title(&config.method, config.tau_base),
                 (long long)done.steps_done);
        const char *titles[2] = {random_title, trained_title};
        st = draw(r->out_png, test, sets, xs, ys, titles);
    }
    if (st == BC_OK)
        printf("embedding: %zu test images of %s, PCA of %d-dim features -> %s\n", sets[1].count,
               dataset_info(test)->path, sets[1].dim, r->out_png);
    for (int p = 0; p < 2; p++) {
        free(xs[p]), free(ys[p]);
        feature_set_free(&sets[p]);
        eval_encoder_destroy(&enc[p]);
    }
    dataset_close(test);
    device_close(device);
    return st;
}
