/* eval_report.c — the evaluation's results as a table for people and as JSON for scripts
 * (the same numbers; JSON written atomically). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/eval.h"
#include "util/fs.h"
#include "util/json.h"

static void percent_cell(char *out, size_t cap, double top1, double top5) {
    if (!isfinite(top1)) snprintf(out, cap, "-");
    else if (isfinite(top5)) snprintf(out, cap, "%.2f (%.2f)", 100.0 * top1, 100.0 * top5);
    else snprintf(out, cap, "%.2f", 100.0 * top1);
}

/* The first row (the checkpoint's encoder) minus each baseline row, in points, and on how
 * many columns it is ahead: what the table says, stated. */
static void print_differences(const EvalReport *report, int name_width, int cell_width, FILE *out) {
    const EvalRequest *r = &report->request;
    const EvalRow *trained = &report->rows[0];
    for (int i = 1; i < report->row_count; i++) {
        const EvalRow *row = &report->rows[i];
        char label[96];
        snprintf(label, sizeof label, "minus %s", row->name);
        if (i == 1) fprintf(out, "\n%s, in points:\n", trained->name);
        fprintf(out, "%-*s %6s %+10.2f", name_width, label, "", 100.0 * (trained->knn - row->knn));
        int ahead = trained->knn > row->knn, columns = 1;
        for (int f = 0; f < r->fraction_count; f++) {
            double d = 100.0 * (trained->probe[f].top1 - row->probe[f].top1);
            fprintf(out, " %+*.2f", cell_width, d);
            ahead += d > 0, columns++;
        }
        fprintf(out, "   ahead on %d of %d\n", ahead, columns);
    }
}

void eval_report_print(const EvalReport *report, FILE *out) {
    const EvalRequest *r = &report->request;
    fprintf(out, "\ncheckpoint: %s (%lld steps)\n", report->checkpoint, report->steps_trained);
    fprintf(out, "data:       %s: %zu train / %zu test images, %d classes\n", report->dataset, report->train_count,
            report->test_count, report->class_count);
    fprintf(out, "kNN:        k %d, cosine, temperature %g\n", r->knn.k, (double)r->knn.temperature);
    fprintf(out, "probe:      logistic regression on standardized features, SGD %d epochs, batch %d, lr %g "
            "(cosine), momentum %g, wd %g; class-balanced label subsets (seed %llu)\n",
            r->probe.epochs, r->probe.batch, r->probe.lr, r->probe.momentum, r->probe.weight_decay,
            (unsigned long long)r->subset_seed);
    bool top5 = report->class_count > 10;
    fprintf(out, "top-1 accuracy in %% on the test split%s\n\n", top5 ? " (top-5 in parentheses)" : "");
    int name_width = 26; /* wider for longer names ("BYOL, no predictor (1170 steps)") */
    for (int i = 0; i < report->row_count; i++)
        if ((int)strlen(report->rows[i].name) > name_width) name_width = (int)strlen(report->rows[i].name);
    fprintf(out, "%-*s %6s %10s", name_width, "representation", "dim", "kNN");
    for (int f = 0; f < r->fraction_count; f++) {
        char head[32];
        snprintf(head, sizeof head, "probe %g%%", 100.0 * r->fractions[f]);
        fprintf(out, " %*s", top5 ? 16 : 11, head);
    }
    fprintf(out, " %8s\n", "time");
    for (int i = 0; i < report->row_count; i++) {
        const EvalRow *row = &report->rows[i];
        char cell[48];
        percent_cell(cell, sizeof cell, row->knn, NAN);
        fprintf(out, "%-*s %6d %10s", name_width, row->name, row->dim, cell);
        for (int f = 0; f < r->fraction_count; f++) {
            percent_cell(cell, sizeof cell, row->probe[f].top1, row->probe[f].top5);
            fprintf(out, " %*s", top5 ? 16 : 11, cell);
        }
        fprintf(out, " %7.1fs\n", row->seconds);
    }
    print_differences(report, name_width, top5 ? 16 : 11, out);
    fprintf(out, "\nwall time %.1f s on %s\n", report->wall_s, report->device);
}

static void number(FILE *f, double v) {
    if (isfinite(v)) fprintf(f, "%.6g", v);
    else fprintf(f, "null");
}

static void write_json(const EvalReport *report, FILE *f) {
    const EvalRequest *r = &report->request;
    fprintf(f, "{\"device\": ");
    json_write_string(f, report->device);
    fprintf(f, ", \"checkpoint\": ");
    json_write_string(f, report->checkpoint);
    fprintf(f, ", \"steps_trained\": %lld, \"data\": ", report->steps_trained);
    json_write_string(f, report->dataset);
    fprintf(f, ", \"train_images\": %zu, \"test_images\": %zu, \"classes\": %d,\n", report->train_count,
            report->test_count, report->class_count);
    fprintf(f, " \"knn\": {\"k\": %d, \"temperature\": %g},\n", r->knn.k, (double)r->knn.temperature);
    fprintf(f, " \"probe\": {\"epochs\": %d, \"batch\": %d, \"lr\": %g, \"momentum\": %g, \"weight_decay\": %g, "
            "\"subset_seed\": %llu},\n", r->probe.epochs, r->probe.batch, r->probe.lr, r->probe.momentum,
            r->probe.weight_decay, (unsigned long long)r->subset_seed);
    fprintf(f, " \"rows\": [");
    for (int i = 0; i < report->row_count; i++) {
        const EvalRow *row = &report->rows[i];
        fprintf(f, "%s\n  {\"name\": ", i ? "," : "");
        json_write_string(f, row->name);
        fprintf(f, ", \"dim\": %d, \"knn_top1\": ", row->dim);
        number(f, row->knn);
        fprintf(f, ", \"seconds\": %.2f, \"probe\": [", row->seconds);
        for (int p = 0; p < r->fraction_count; p++) {
            const ProbeResult *pr = &row->probe[p];
            fprintf(f, "%s{\"fraction\": %g, \"labels\": %zu, \"top1\": ", p ? ", " : "", r->fractions[p], pr->train_count);
            number(f, pr->top1);
            fprintf(f, ", \"top5\": ");
            number(f, pr->top5);
            fprintf(f, ", \"train_loss\": ");
            number(f, pr->train_loss);
            fprintf(f, "}");
        }
        fprintf(f, "]}");
    }
    fprintf(f, "\n ],\n \"wall_s\": %.2f}\n", report->wall_s);
}

Status eval_report_write_json(const EvalReport *report, const char *path) {
    char *text = NULL;
    size_t bytes = 0;
    FILE *f = open_memstream(&text, &bytes);
    if (!f) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory writing %s", path);
    write_json(report, f);
    fclose(f);
    FsPart part = {text, bytes};
    Status st = fs_write_atomic(path, &part, 1);
    free(text);
    return st == BC_OK ? BC_OK : error_wrap(st, "--json: ");
}
