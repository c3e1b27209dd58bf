/* metrics_plot.c — `byolcl plot`: a training run's loss and its collapse monitor against
 * steps and its kNN accuracy against minutes of training (each when logged), read from
 * metrics.jsonl; and the collapse
 * monitor of several runs on one panel, to compare methods. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/eval.h"
#include "byolcl/metrics.h"
#include "eval/plot.h"
#include "util/fs.h"

enum { PANEL_W = 640, PANEL_H = 440, MAX_RUNS = 8 };

static const PlotLabels collapse_labels = {"collapse monitor", "step",
                                           "std of normalized projections (1/sqrt(d) spread, 0 collapsed)"};

/* The collapse panels' axis starts at 0, where collapse is: an unnamed series with one
 * finite point at (x, 0) and one NaN draws nothing but is counted in the axis range. */
static PlotSeries zero_anchor(const double *x, double *xs, double *ys) {
    xs[0] = x[0], xs[1] = NAN, ys[0] = 0.0, ys[1] = NAN;
    return (PlotSeries){NULL, xs, ys, 2, RGB_WHITE};
}

static Status read_run(const char *run_dir_or_file, MetricsRecord **records, int *count) {
    char path[4200];
    if (fs_is_dir(run_dir_or_file)) snprintf(path, sizeof path, "%s/metrics.jsonl", run_dir_or_file);
    else snprintf(path, sizeof path, "%s", run_dir_or_file);
    Status st = metrics_read(path, records, count);
    if (st == BC_OK && *count == 0) {
        free(*records);
        return error_set(BC_ERR_FORMAT, "%s holds no records yet (the first is written after --log-every steps)", path);
    }
    return st;
}

/* The records' (step, value) pairs, or (minutes of training, value), where the value is
 * finite; returns how many. */
static int take_series(const MetricsRecord *records, int count, size_t field, double scale, bool minutes,
                       double *x, double *y) {
    int n = 0;
    for (int i = 0; i < count; i++) {
        double v = *(const double *)((const char *)&records[i] + field);
        if (!isfinite(v) || (minutes && !isfinite(records[i].wall_s))) continue;
        x[n] = minutes ? records[i].wall_s / 60.0 : (double)records[i].step;
        y[n++] = scale * v;
    }
    return n;
}

Status plot_metrics(const char *run_dir_or_file, const char *out_png) {
    MetricsRecord *records;
    int count;
    Status st = read_run(run_dir_or_file, &records, &count);
    if (st != BC_OK) return st;
    size_t n = (size_t)count;
    double *buf = malloc(6 * n * sizeof *buf);
    if (!buf) {
        free(records);
        return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    }
    double *steps = buf, *loss = buf + n, *collapse_steps = buf + 2 * n, *collapse = buf + 3 * n;
    double *knn_minutes = buf + 4 * n, *knn = buf + 5 * n;
    int loss_count = take_series(records, count, offsetof(MetricsRecord, loss), 1.0, false, steps, loss);
    int collapse_count =
        take_series(records, count, offsetof(MetricsRecord, collapse), 1.0, false, collapse_steps, collapse);
    /* Accuracy against time: what a time budget (--minutes) buys. */
    int knn_count = take_series(records, count, offsetof(MetricsRecord, knn_accuracy), 100.0, true, knn_minutes, knn);
    int panels = 1 + (collapse_count > 0) + (knn_count > 0), at = PANEL_W;
    Canvas canvas = {0};
    st = canvas_create(&canvas, panels * PANEL_W, PANEL_H, RGB_WHITE);
    if (st == BC_OK) {
        PlotSeries s = {"loss", steps, loss, loss_count, palette_color(0)};
        PlotLabels l = {"training loss", "step", "loss (BYOL: 2 views, 0..8; SimCLR: NT-Xent)"};
        plot_panel_lines(&canvas, (PlotRect){0, 0, PANEL_W, PANEL_H}, &s, 1, &l);
        if (collapse_count) {
            double ax[2], ay[2];
            PlotSeries c[2] = {{"collapse", collapse_steps, collapse, collapse_count, palette_color(1)},
                               zero_anchor(collapse_steps, ax, ay)};
            plot_panel_lines(&canvas, (PlotRect){at, 0, PANEL_W, PANEL_H}, c, 2, &collapse_labels);
            at += PANEL_W;
        }
        if (knn_count) {
            PlotSeries k = {"kNN", knn_minutes, knn, knn_count, palette_color(3)};
            PlotLabels kl = {"kNN accuracy (train --eval-every)", "minutes of training", "top-1 accuracy (%)"};
            plot_panel_lines(&canvas, (PlotRect){at, 0, PANEL_W, PANEL_H}, &k, 1, &kl);
        }
        st = canvas_save_png(&canvas, out_png);
    }
    canvas_free(&canvas);
    free(buf);
    free(records);
    return st;
}

Status plot_collapse_of_runs(const char *const *runs, int run_count, const char *out_png) {
    if (run_count < 1 || run_count > MAX_RUNS)
        return error_set(BC_ERR_USAGE, "--run: 1 to %d runs to compare (got %d)", MAX_RUNS, run_count);
    PlotSeries series[MAX_RUNS + 1];
    double ax[2], ay[2];
    double *data[MAX_RUNS] = {0};
    char names[MAX_RUNS][64];
    Status st = BC_OK;
    for (int r = 0; r < run_count && st == BC_OK; r++) {
        MetricsRecord *records;
        int count;
        st = read_run(runs[r], &records, &count);
        if (st != BC_OK) break;
        data[r] = malloc(2 * (size_t)count * sizeof(double));
        if (!data[r]) st = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
        int n = data[r] ? take_series(records, count, offsetof(MetricsRecord, collapse), 1.0, false, data[r],
                                      data[r] + count)
                        : 0;
        free(records);
        if (st == BC_OK && n == 0)
            st = error_set(BC_ERR_FORMAT, "%s: no collapse-monitor values (a run from before the monitor?)", runs[r]);
        /* The run folder's last path component names the series. */
        const char *end = runs[r] + strlen(runs[r]);
        while (end > runs[r] && end[-1] == '/') end--;
        const char *start = end;
        while (start > runs[r] && start[-1] != '/') start--;
        snprintf(names[r], sizeof names[r], "%.*s", (int)(end - start), start);
        series[r] = (PlotSeries){names[r], data[r], data[r] ? data[r] + count : NULL, n, palette_color(r)};
    }
    Canvas canvas = {0};
    if (st == BC_OK) st = canvas_create(&canvas, PANEL_W + PANEL_W / 2, PANEL_H + PANEL_H / 4, RGB_WHITE);
    if (st == BC_OK) {
        series[run_count] = zero_anchor(series[0].x, ax, ay);
        plot_panel_lines(&canvas, (PlotRect){0, 0, canvas.width, canvas.height}, series, run_count + 1,
                         &collapse_labels);
        st = canvas_save_png(&canvas, out_png);
    }
    canvas_free(&canvas);
    for (int r = 0; r < run_count; r++) free(data[r]);
    return st;
}
