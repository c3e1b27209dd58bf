/* metrics.c — writing, showing and reading the training metrics log. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "byolcl/metrics.h"
#include "util/fs.h"

static void format_duration(double seconds, char *out, size_t cap) {
    if (!isfinite(seconds) || seconds < 0) {
        snprintf(out, cap, "--");
        return;
    }
    long s = lround(seconds);
    if (s >= 3600) snprintf(out, cap, "%ldh%02ldm", s / 3600, s / 60 % 60);
    else snprintf(out, cap, "%ldm%02lds", s / 60, s % 60);
}

static bool read_number(const char *line, const char *key, double *value) {
    char pattern[48];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *at = strstr(line, pattern);
    if (!at) return false;
    at += strlen(pattern);
    while (*at == ' ') at++;
    if (strncmp(at, "null", 4) == 0) {
        *value = NAN;
        return true;
    }
    char *end;
    *value = strtod(at, &end);
    return end != at;
}

/* Keeps only the records up to `resume_step`, the steps the checkpoint holds (atomically
 * rewritten). */
static Status truncate_history(const char *path, long resume_step) {
    if (!fs_exists(path)) return BC_OK;
    char *text;
    size_t bytes;
    Status st = fs_read_file(path, &text, &bytes);
    if (st != BC_OK) return st;
    size_t keep = 0;
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
        double step;
        if (!read_number(line, "step", &step) || step > (double)resume_step || !nl) break;
        keep += len;
        line += len;
    }
    FsPart part = {text, keep};
    st = keep == bytes ? BC_OK : fs_write_atomic(path, &part, 1);
    free(text);
    return st;
}

Status metrics_open(MetricsLog *log, const char *dir, long resume_step, bool quiet, int print_every) {
    memset(log, 0, sizeof *log);
    char path[4200];
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    Status st = truncate_history(path, resume_step);
    if (st != BC_OK) return st;
    log->file = fopen(path, resume_step > 0 ? "a" : "w");
    if (!log->file) return error_set(BC_ERR_IO, "%s: cannot open for writing", path);
    log->tty = isatty(STDERR_FILENO);
    log->quiet = quiet;
    log->print_every = print_every > 0 ? print_every : 50;
    return BC_OK;
}

static void write_double(FILE *f, const char *key, double v, const char *format) {
    fprintf(f, ", \"%s\": ", key);
    if (isfinite(v)) fprintf(f, format, v);
    else fputs("null", f);
}

Status metrics_write(MetricsLog *log, const MetricsRecord *r) {
    fprintf(log->file, "{\"step\": %ld, \"epoch\": %d", r->step, r->epoch);
    write_double(log->file, "loss", r->loss, "%.6f");
    write_double(log->file, "lr", r->lr, "%.6g");
    write_double(log->file, "tau", r->tau, "%.6f");
    write_double(log->file, "images_per_s", r->images_per_s, "%.1f");
    write_double(log->file, "wall_s", r->wall_s, "%.2f");
    if (isfinite(r->collapse)) write_double(log->file, "collapse", r->collapse, "%.6f");
    if (isfinite(r->knn_accuracy)) write_double(log->file, "knn_accuracy", r->knn_accuracy, "%.4f");
    fputs("}\n", log->file);
    /* Flushed per record: a crash loses at most the line being written. */
    if (fflush(log->file) != 0) return error_set(BC_ERR_IO, "metrics.jsonl: write failed");
    return BC_OK;
}

void metrics_show(MetricsLog *log, const MetricsRecord *r) {
    if (log->quiet) return;
    bool last = r->step == r->total_steps;
    if (!log->tty && r->step % log->print_every != 0 && !last && r->step != 1) return;
    double remaining = r->images_per_s > 0 && r->step > 0
                           ? r->wall_s / (double)r->step * (double)(r->total_steps - r->step)
                           : NAN;
    char eta[32];
    format_duration(remaining, eta, sizeof eta);
    fprintf(stderr, "%sepoch %d  step %ld/%ld  loss %.4f  lr %.4g", log->tty ? "\r\033[K" : "", r->epoch, r->step,
            r->total_steps, r->loss, r->lr);
    if (isfinite(r->tau)) fprintf(stderr, "  tau %.5f", r->tau);
    if (isfinite(r->collapse)) fprintf(stderr, "  std %.4f", r->collapse);
    fprintf(stderr, "  %.0f img/s  ETA %s", r->images_per_s, eta);
    if (isfinite(r->knn_accuracy)) fprintf(stderr, "  kNN %.2f%%", 100.0 * r->knn_accuracy);
    if (log->tty && !last) {
        log->line_open = true;
    } else {
        fputc('\n', stderr);
        log->line_open = false;
    }
    fflush(stderr);
}

void metrics_end_line(MetricsLog *log) {
    if (log->line_open) fputc('\n', stderr);
    log->line_open = false;
}

void metrics_close(MetricsLog *log) {
    metrics_end_line(log);
    if (log->file) fclose(log->file);
    log->file = NULL;
}

Status metrics_read(const char *path, MetricsRecord **out, int *count) {
    char *text;
    Status st = fs_read_file(path, &text, NULL);
    if (st != BC_OK) return st;
    int cap = 256, n = 0, line_no = 0;
    MetricsRecord *rows = malloc((size_t)cap * sizeof *rows);
    for (char *line = strtok(text, "\n"); line && rows; line = strtok(NULL, "\n")) {
        line_no++;
        MetricsRecord r = {.knn_accuracy = NAN, .collapse = NAN, .wall_s = NAN};
        double step, epoch = 0;
        if (!read_number(line, "step", &step) || !read_number(line, "loss", &r.loss)) {
            free(rows);
            free(text);
            return error_set(BC_ERR_FORMAT, "%s:%d: not a metrics record (needs \"step\" and \"loss\")",
                             path, line_no);
        }
        r.step = (long)step;
        read_number(line, "epoch", &epoch);
        r.epoch = (int)epoch;
        read_number(line, "lr", &r.lr);
        read_number(line, "tau", &r.tau);
        read_number(line, "images_per_s", &r.images_per_s);
        read_number(line, "wall_s", &r.wall_s);
        read_number(line, "knn_accuracy", &r.knn_accuracy);
        read_number(line, "collapse", &r.collapse);
        if (n == cap) {
            MetricsRecord *bigger = realloc(rows, (size_t)(cap *= 2) * sizeof *rows);
            if (!bigger) free(rows);
            rows = bigger;
            if (!rows) break;
        }
        rows[n++] = r;
    }
    free(text);
    if (!rows) return error_set(BC_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    if (n == 0) {
        free(rows);
        return error_set(BC_ERR_FORMAT, "%s: no metrics records", path);
    }
    *out = rows;
    *count = n;
    return BC_OK;
}
