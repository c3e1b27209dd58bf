/* bench_report.c — the output of byolcl-bench: the --filter test, the table (printed row by
 * row as measurements arrive) and the JSON document for scripts. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "util/json.h"

static bool contains_ignoring_case(const char *text, const char *needle) {
    size_t n = strlen(needle);
    for (const char *t = text; *t; t++) {
        size_t i = 0;
        while (i < n && t[i] && tolower((unsigned char)t[i]) == tolower((unsigned char)needle[i])) i++;
        if (i == n) return true;
    }
    return n == 0;
}

bool bench_selected(const Bench *b, const char *section, const char *name) {
    if (!b->filter || !b->filter[0]) return true;
    char label[160];
    snprintf(label, sizeof label, "%s/%s", section, name);
    return contains_ignoring_case(label, b->filter);
}

void bench_section_header(Bench *b, const char *section, const char *note) {
    snprintf(b->pending_section, sizeof b->pending_section, "%s", section);
    snprintf(b->pending_note, sizeof b->pending_note, "%s", note ? note : "");
}

/* The header of a section is printed with its first row, so a filtered-out section leaves
 * no trace. */
static void print_pending_header(Bench *b, const char *section) {
    if (!b->table || strcmp(b->printed_section, section) == 0) return;
    snprintf(b->printed_section, sizeof b->printed_section, "%s", section);
    const char *note = strcmp(b->pending_section, section) == 0 ? b->pending_note : "";
    fprintf(b->table, "\n== %s%s%s\n", section, note[0] ? ": " : "", note);
    fprintf(b->table, "%-34s %-30s %10s %10s %4s %16s %7s  %s\n", "name", "shape", "median ms", "min ms",
            "runs", "rate", "% peak", "implementation");
}

double bench_row_rate(const BenchRow *row) {
    if (row->rate_kind == RATE_NONE || row->median_ms <= 0) return 0.0;
    return row->work / (row->median_ms * 1e-3) * 1e-9;
}

double bench_row_fraction(const Bench *b, const BenchRow *row) {
    double peak = row->rate_kind == RATE_FLOPS ? b->peak_gflops : b->peak_gbs;
    return row->rate_kind == RATE_NONE || peak <= 0 ? 0.0 : bench_row_rate(row) / peak;
}

static void print_row(Bench *b, const BenchRow *row) {
    char rate[32] = "-", fraction[16] = "-";
    if (row->rate_kind != RATE_NONE) {
        snprintf(rate, sizeof rate, "%.2f %s", bench_row_rate(row),
                 row->rate_kind == RATE_FLOPS ? "GFLOP/s" : "GB/s");
        /* The peak rows define the peak: their share is known only once all have run. */
        if (strcmp(row->section, "peak") != 0)
            snprintf(fraction, sizeof fraction, "%.1f", 100.0 * bench_row_fraction(b, row));
    }
    char paired[64] = "";
    if (row->paired_with)
        snprintf(paired, sizeof paired, "  [%.2fx %s, paired runs %.2f-%.2f]", row->speedup.median,
                 row->paired_with, row->speedup.min, row->speedup.max);
    fprintf(b->table, "%-34s %-30s %10.3f %10.3f %4d %16s %7s  %s%s\n", row->name, row->shape,
            row->median_ms, row->min_ms, row->runs, rate, fraction, row->impl, paired);
    fflush(b->table);
}

Status bench_add_row(Bench *b, const BenchRow *row) {
    if (b->row_count == b->row_cap) {
        int cap = b->row_cap ? 2 * b->row_cap : 64;
        BenchRow *bigger = realloc(b->rows, (size_t)cap * sizeof *bigger);
        if (!bigger) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory for bench rows");
        b->rows = bigger;
        b->row_cap = cap;
    }
    b->rows[b->row_count++] = *row;
    if (b->table) {
        print_pending_header(b, row->section);
        print_row(b, row);
    }
    return BC_OK;
}

Status bench_write_json(const Bench *b, FILE *out) {
    const DeviceInfo *info = device_info(b->device);
    fprintf(out, "{\n  \"device\": ");
    json_write_string(out, info->name);
    fprintf(out, ",\n  \"platform\": ");
    json_write_string(out, info->platform_name);
    fprintf(out, ",\n  \"driver\": ");
    json_write_string(out, info->driver_version);
    fprintf(out, ",\n  \"quick\": %s,\n  \"peak_gflops\": %.3f,\n  \"peak_gbs\": %.3f,\n  \"rows\": [",
            b->quick ? "true" : "false", b->peak_gflops, b->peak_gbs);
    for (int i = 0; i < b->row_count; i++) {
        const BenchRow *r = &b->rows[i];
        fprintf(out, "%s\n    {\"section\": ", i ? "," : "");
        json_write_string(out, r->section);
        fprintf(out, ", \"name\": ");
        json_write_string(out, r->name);
        fprintf(out, ", \"shape\": ");
        json_write_string(out, r->shape);
        fprintf(out, ", \"implementation\": ");
        json_write_string(out, r->impl);
        fprintf(out, ", \"median_ms\": %.6f, \"min_ms\": %.6f, \"runs\": %d, \"timed_on\": \"%s\"",
                r->median_ms, r->min_ms, r->runs, r->host ? "host" : "device");
        if (r->share > 0) fprintf(out, ", \"share_of_step\": %.4f", r->share);
        if (r->images_per_s > 0) fprintf(out, ", \"images_per_s\": %.2f", r->images_per_s);
        if (r->paired_with) {
            fprintf(out, ", \"paired_with\": ");
            json_write_string(out, r->paired_with);
            fprintf(out, ", \"speedup_median\": %.4f, \"speedup_min\": %.4f, \"speedup_max\": %.4f",
                    r->speedup.median, r->speedup.min, r->speedup.max);
        }
        if (r->rate_kind != RATE_NONE)
            fprintf(out, ", \"%s\": %.4f, \"fraction_of_peak\": %.4f",
                    r->rate_kind == RATE_FLOPS ? "gflops" : "gbs", bench_row_rate(r),
                    bench_row_fraction(b, r));
        fprintf(out, "}");
    }
    fprintf(out, "\n  ]\n}\n");
    return ferror(out) ? error_set(BC_ERR_IO, "writing the JSON output failed") : BC_OK;
}
