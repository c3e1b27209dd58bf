/* embed_picture.c — `byolcl embed`: the test images' features from the random-init encoder
 * and from the trained one (or several, comma-separated, to compare methods), each
 * projected to 2-D by PCA and drawn side by side as a scatter colored by class, with the
 * class names as a legend. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/checkpoint.h"
#include "byolcl/eval.h"
#include "eval/plot.h"

enum { PANEL = 520, LEGEND_WIDTH = 190, MAX_PANELS = 1 + EMBED_MAX_CHECKPOINTS };

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
                   double *const *ys, char (*titles)[96], int panels) {
    Canvas canvas;
    Status st = canvas_create(&canvas, panels * PANEL + LEGEND_WIDTH, PANEL, RGB_WHITE);
    if (st != BC_OK) return st;
    for (int p = 0; p < panels; p++) {
        PlotLabels labels = {titles[p], "principal component 1", "principal component 2"};
        plot_panel_scatter(&canvas, (PlotRect){p * PANEL, 0, PANEL, PANEL}, xs[p], ys[p], sets[p].labels,
                           (int)sets[p].count, &labels);
    }
    int classes = dataset_info(test)->class_count;
    const char **names = malloc((size_t)(classes > 0 ? classes : 1) * sizeof *names);
    if (names) {
        for (int c = 0; c < classes; c++) names[c] = dataset_class_name(test, c);
        canvas_text(&canvas, panels * PANEL + 10, 36, "class", RGB_BLACK, 1);
        plot_legend(&canvas, panels * PANEL + 10, 52, names, classes);
    }
    free(names);
    st = names ? canvas_save_png(&canvas, path) : error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    canvas_free(&canvas);
    return st;
}

/* "a,b,c" -> checkpoint paths (run folders resolved to their checkpoint file). */
static Status split_checkpoints(const char *list, char (*paths)[4200], int *count) {
    *count = 0;
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (*count == EMBED_MAX_CHECKPOINTS)
            return error_set(BC_ERR_USAGE, "--checkpoint: at most %d checkpoints side by side", EMBED_MAX_CHECKPOINTS);
        char one[4200];
        snprintf(one, sizeof one, "%.*s", (int)len, p);
        if (one[0]) train_checkpoint_path(one, paths[(*count)++], sizeof paths[0]);
        p += len + (end != NULL);
    }
    return *count ? BC_OK : error_set(BC_ERR_USAGE, "--checkpoint: no checkpoint named");
}

Status embed_run(const EmbedRequest *r) {
    char paths[EMBED_MAX_CHECKPOINTS][4200];
    int trained = 0;
    Status st = split_checkpoints(r->checkpoint, paths, &trained);
    if (st != BC_OK) return st;
    int panels = 1 + trained;
    TrainConfig configs[EMBED_MAX_CHECKPOINTS];
    TrainProgress done[EMBED_MAX_CHECKPOINTS];
    char made_on[256];
    for (int c = 0; c < trained && st == BC_OK; c++)
        st = train_checkpoint_read_config(paths[c], &configs[c], &done[c], made_on, sizeof made_on);
    if (st != BC_OK) return st;
    Device *device = NULL;
    Dataset *test = NULL;
    EvalEncoder enc[MAX_PANELS];
    FeatureSet sets[MAX_PANELS];
    memset(enc, 0, sizeof enc);
    memset(sets, 0, sizeof sets);
    double *xs[MAX_PANELS] = {0}, *ys[MAX_PANELS] = {0};
    st = device_open(r->device, NULL, &device);
    if (st == BC_OK) {
        device_print_chosen(device_info(device));
        st = eval_encoder_random(device, &configs[0], &enc[0]);
    }
    for (int c = 0; c < trained && st == BC_OK; c++) st = eval_encoder_load(device, paths[c], &enc[1 + c]);
    DatasetOptions opts = train_config_data_options(&configs[0], false);
    if (st == BC_OK) st = dataset_open(r->data_path ? r->data_path : configs[0].data_path, DATASET_TEST, &opts, &test);
    if (st == BC_OK && !dataset_info(test)->has_labels)
        st = error_set(BC_ERR_USAGE, "%s: the test split has no labels to color the points by", dataset_info(test)->path);
    for (int p = 0; p < panels && st == BC_OK; p++) st = project(device, &enc[p], test, r, &sets[p], &xs[p], &ys[p]);
    if (st == BC_OK) {
        char titles[MAX_PANELS][96];
        snprintf(titles[0], sizeof titles[0], "random init (seed %llu)", (unsigned long long)configs[0].seed);
        for (int c = 0; c < trained; c++)
            snprintf(titles[1 + c], sizeof titles[0], "%s, %lld steps",
                     method_title(&configs[c].method, configs[c].tau_base), (long long)done[c].steps_done);
        st = draw(r->out_png, test, sets, xs, ys, titles, panels);
    }
    if (st == BC_OK)
        printf("embedding: %zu test images of %s, PCA of %d-dim features -> %s\n", sets[1].count,
               dataset_info(test)->path, sets[1].dim, r->out_png);
    for (int p = 0; p < panels; p++) {
        free(xs[p]), free(ys[p]);
        feature_set_free(&sets[p]);
        eval_encoder_destroy(&enc[p]);
    }
    dataset_close(test);
    device_close(device);
    return st;
}
