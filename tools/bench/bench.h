/* bench.h — byolcl-bench: shared state of one run (device, measured peak, options, rows)
 * and the sections, each a function that checks and times one family of kernels. */
#ifndef BYOLCL_BENCH_H
#define BYOLCL_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "byolcl/device.h"
#include "byolcl/ops.h"
#include "byolcl/train.h" /* BnViews */

typedef enum { RATE_NONE = 0, RATE_FLOPS, RATE_BYTES } RateKind;

/* A ratio of two ops' times over paired runs. */
typedef struct {
    double median, min, max;
} BenchRatio;

/* One measured line of the table. */
typedef struct {
    char section[16];
    char name[96];
    char shape[80];
    char impl[64];
    double median_ms, min_ms;
    int runs;
    RateKind rate_kind;
    double work; /* floating-point operations or bytes per run */
    bool host;   /* timed on the host (OpenBLAS, a step's wall clock), not by device events */
    double share;        /* --step: fraction of the step's wall-clock time (0: not a share) */
    double images_per_s; /* --step: the step's throughput (0: not a step total) */
    const char *paired_with; /* the yardstick timed in alternation with this row (NULL: none) */
    BenchRatio speedup;      /* with paired_with: the yardstick's time over ours, per pair */
} BenchRow;

typedef struct {
    Device *device;
    const char *selector;
    const char *filter; /* NULL: everything */
    bool quick;         /* CI-sized shapes and runs */
    bool check_only;    /* correctness checks only: no timing, no table of times */
    int max_runs;       /* timed runs per row (after warm-up), at most */
    double budget_ms;   /* per row: fewer runs when one run is slow, never fewer than 3 */
    double peak_gflops, peak_gbs;
    FILE *table;        /* where the table goes (NULL when only JSON is written) */
    BenchRow *rows;
    int row_count, row_cap;
    int checks_passed;
    uint64_t seed;
    char pending_section[16], printed_section[16];
    char pending_note[160];
} Bench;

/* ---- bench_report.c ---- */
/* True when the case "section/name" passes --filter (case-insensitive substring). */
bool bench_selected(const Bench *b, const char *section, const char *name);
/* Sets the note printed in the section's header (printed with its first row). */
void bench_section_header(Bench *b, const char *section, const char *note);
/* Appends a row and prints it to the table. */
Status bench_add_row(Bench *b, const BenchRow *row);
Status bench_write_json(const Bench *b, FILE *out);
/* The row's rate in GFLOP/s or GB/s, and as a fraction of the measured peak. */
double bench_row_rate(const BenchRow *row);
double bench_row_fraction(const Bench *b, const BenchRow *row);

/* ---- bench_timing.c ---- */
typedef Status (*BenchOp)(Device *device, void *context);
typedef struct {
    double median_ms, min_ms;
    int runs;
} BenchTime;
/* Runs `op` up to b->max_runs times (at least 3 unless one run takes seconds; fewer than
 * max_runs once b->budget_ms is spent), each timed as the sum of the device time of every kernel it launched (profiling
 * events). The caller has run `op` once already (its check): that is the warm-up. */
Status bench_time_device(Bench *b, BenchOp op, void *context, BenchTime *out);
/* The same with the host's monotonic clock around a synchronous call (OpenBLAS). */
Status bench_time_host(Bench *b, BenchOp op, void *context, BenchTime *out);
/* Times a device op and a host op in alternation (device, host, device, host, ...), each
 * like the two above; *host_over_device is the host time over the device time of each pair.
 * The yardstick comparison of a shared, noisy machine. */
Status bench_time_paired(Bench *b, BenchOp device_op, BenchOp host_op, void *context, BenchTime *device_t,
                         BenchTime *host_t, BenchRatio *host_over_device);
/* The median and minimum of n values (sorted in place) and n as the run count. */
void bench_summarize(double *ms, int n, BenchTime *out);
/* Copies a timing's median, minimum and run count into a row. */
void bench_row_set_time(BenchRow *row, const BenchTime *t);
/* Times `op` and adds a row for it. */
Status bench_measure(Bench *b, BenchRow row, BenchOp op, void *context);

/* ---- bench_data.c: random data and spot checks against plain-C formulas ---- */
float *bench_random(Bench *b, size_t n, float lo, float hi); /* malloc'd; NULL when out of memory */
Status bench_upload_random(Bench *b, size_t n, float lo, float hi, Buffer **buffer, float **host);
Status bench_download(Device *device, const Buffer *buffer, size_t n, float **host);
/* got vs want (computed in double) with a tolerance scaled by `magnitude` (the sum of the
 * absolute products that formed want). */
Status bench_expect_close(Bench *b, const char *what, size_t index, float got, double want,
                          double magnitude);
/* Every element of the device buffer vs want: |got - want| <= 1e-4 + rtol * |want|. */
Status bench_expect_buffer_close(Bench *b, const char *what, const Buffer *buffer, const double *want,
                                 size_t n, double rtol);
/* x in double (malloc'd; NULL when out of memory); a NULL x (an op without that input)
 * gives zeros. */
double *bench_doubles_of(const float *x, size_t n);

/* ---- sections ---- */
Status bench_peak(Bench *b);
Status bench_gemm(Bench *b);
Status bench_conv(Bench *b);
Status bench_layers(Bench *b);
Status bench_optimizer(Bench *b);
Status bench_augment(Bench *b);
Status bench_tune(Bench *b, bool wide);
/* The GPU kernels' searches (bench_tune_gpu.c): our GPU GEMM's sizes, split-k and the
 * implicit-GEMM convolutions', `seconds` (0: no bound) shared between them; saves the winners
 * as the device's profile in one write. */
Status bench_tune_gpu(Bench *b, bool wide, double seconds);
/* The convolutions' and split-k's searches (bench_tune_conv.c, bench_tune_split.c): each
 * leaves its winner applied (--check-only: the profile as loaded) and prints a table of the
 * model's shapes before and after. */
Status bench_tune_conv(Bench *b, bool wide, double seconds);
Status bench_tune_split(Bench *b, bool wide, double seconds);
/* The three conv passes of shape s through conv2d_* against the double references. */
Status bench_tune_check_conv(Bench *b, const char *label, const Conv2dShape *s);
/* The searches' shared pieces: whether a search started at `start` has spent `seconds` (0:
 * no bound; never before one candidate was timed), saying so; a seeded shuffle of `count`
 * items of `size` bytes (at most 256); the lines of a before / after table. */
bool bench_tune_time_is_up(Bench *b, double start, double seconds, bool timed_one, int left, int count);
/* True (the reason printed, the error cleared, *st BC_OK) when candidate `name` did not build
 * or run on this device: beyond its registers or compiler, so not a candidate here. */
bool bench_tune_skipped(Bench *b, const char *name, Status *st);
void bench_tune_shuffle(void *items, int count, size_t size, uint64_t seed);
void bench_tune_comparison_header(Bench *b, const char *what);
void bench_tune_comparison_line(Bench *b, const char *name, const char *shape, double before_ms, double after_ms);
/* The tuners' correctness check: m x n x k (dense operands) in all four transpositions
 * through gemm_with_path against the double reference. */
Status bench_tune_check_gemm(Bench *b, GemmPath path, const char *label, int m, int n, int k);

typedef struct {
    const char *arch;      /* small | resnet18 | resnet50 */
    const char *optimizer; /* sgd | lars */
    int width;             /* 0: both 16 and 32 for small, 64 for the ResNets */
    int batch, image_size, channels, steps;
    const char *method;    /* NULL or "byol": BYOL steps; "simclr": SimCLR's, each next to BYOL's */
    BnViews bn_views;      /* as byolcl train --bn-views */
    int stages;            /* small: residual stages (0: the default, as byolcl train) */
} BenchStepOptions;
Status bench_step(Bench *b, const BenchStepOptions *options);

#endif
