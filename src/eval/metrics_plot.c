/* metrics_plot.c — `byolcl plot`: a training run's loss, and its kNN accuracy when it was
 * logged, against steps, read from metrics.jsonl. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "byolcl/eval.h"
#include "byolcl/metrics.h"
#include "eval/plot.h"
#include "util/fs.h"

enum { PANEL_W = 640, PANEL_H = 440 };

Status plot_metrics(const char *run_dir_or_file, const char *out_png) {
    char path[4200];
    if (fs_is_dir(run_dir_or_file)) snprintf(path, sizeof path, "%s/metrics.jsonl", run_dir_or_file);
    else snprintf(path, sizeof path, "%s", run_dir_or_file);
    MetricsRecord *records;
    int count;
    Status st = metrics_read(path, &records, &count);
    if (st != BC_OK) return st;
    if (count == 0) {
        free(records);
        return error_set(BC_ERR_FORMAT, "%s holds no records yet (the first is written after --log-every steps)", path);
    }
    size_t n = (size_t)count;
    double *steps = malloc(n * sizeof *steps), *loss = malloc(n * sizeof *loss);
    double *knn_steps = malloc(n * sizeof *knn_steps), *knn = malloc(n * sizeof *knn);
    int knn_count = 0;
    if (!steps || !loss || !knn_steps || !knn) st = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    for (int i = 0; st == BC_OK && i < count; i++) {
        steps[i] = (double)records[i].step;
        loss[i] = records[i].loss;
        if (isfinite(records[i].knn_accuracy)) {
            knn_steps[knn_count] = steps[i];
            knn[knn_count++] = 100.0 * records[i].knn_accuracy;
        }
    }
    Canvas canvas = {0};
    if (st == BC_OK) st = canvas_create(&canvas, knn_count ? 2 * PANEL_W : PANEL_W, PANEL_H, RGB_WHITE);
    if (st == BC_OK) {
        PlotSeries s = {"loss", steps, loss, count, palette_color(0)};
        PlotLabels l = {"BYOL loss", "step", "loss (2 views, 0..8)"};
        plot_panel_lines(&canvas, (PlotRect){0, 0, PANEL_W, PANEL_H}, &s, 1, &l);
        if (knn_count) {
            PlotSeries k = {"kNN", knn_steps, knn, knn_count, palette_color(3)};
            PlotLabels kl = {"kNN accuracy", "step", "top-1 accuracy (%)"};
            plot_panel_lines(&canvas, (PlotRect){PANEL_W, 0, PANEL_W, PANEL_H}, &k, 1, &kl);
        }
        st = canvas_save_png(&canvas, out_png);
    }
    canvas_free(&canvas);
    free(steps), free(loss), free(knn_steps), free(knn), free(records);
    return st;
}
