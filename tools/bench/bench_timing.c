/* bench_timing.c — how byolcl-bench times things: N calls, each timed by the device's
 * profiling events (the sum over every kernel the call launched) or, for host libraries, by
 * the monotonic clock. The warm-up (kernel builds, first touches of memory) is the
 * correctness check every section runs on the same operands just before. */
#include <stdlib.h>

#include "bench.h"
#include "util/clock.h"

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Device milliseconds of everything launched since the last collection. */
static Status collect_device_ms(Device *device, double *ms) {
    KernelTiming *rows;
    int count;
    Status st = device_collect_timings(device, &rows, &count);
    if (st != BC_OK) return st;
    *ms = 0.0;
    for (int i = 0; i < count; i++) *ms += rows[i].total_ms;
    free(rows);
    return BC_OK;
}

typedef Status (*TimedCall)(Device *device, BenchOp op, void *context, double *ms);

static Status call_on_device(Device *device, BenchOp op, void *context, double *ms) {
    Status st = op(device, context);
    return st == BC_OK ? collect_device_ms(device, ms) : st;
}

static Status call_on_host(Device *device, BenchOp op, void *context, double *ms) {
    double t0 = clock_seconds();
    Status st = op(device, context);
    *ms = (clock_seconds() - t0) * 1e3;
    return st;
}

void bench_summarize(double *ms, int n, BenchTime *out) {
    qsort(ms, (size_t)n, sizeof *ms, by_value);
    out->runs = n;
    out->min_ms = ms[0];
    out->median_ms = n % 2 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
}

/* One op to time and how (device events or host clock). */
typedef struct {
    TimedCall call;
    BenchOp op;
    void *context;
} TimedOp;

/* Runs the ops in turn (a round: each op once) until max_runs rounds, or until the budget is
 * spent and 3 rounds are done; rounds that take seconds (CLBlast on the largest shapes on a
 * CPU) stop once 2 s are spent, so the default run stays within minutes. With two ops,
 * *ratio gets the rounds' time of op 1 over op 0 (median, min, max): both runs of a round
 * see the same moment of a shared machine, where timing each op's runs back to back let a
 * busy minute land on one side only. */
static Status time_rounds(Bench *b, const TimedOp *ops, int n_ops, BenchTime *out, BenchRatio *ratio) {
    double earlier;
    /* Drop what earlier code left in the queue so it is not billed to this op. */
    Status st = collect_device_ms(b->device, &earlier);
    if (st != BC_OK) return st;
    int runs = b->max_runs < 1 ? 1 : b->max_runs;
    double *ms = malloc((size_t)(n_ops + 1) * (size_t)runs * sizeof *ms);
    if (!ms) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    double *ratios = ms + (size_t)n_ops * (size_t)runs;
    int done = 0;
    double spent = 0.0;
    double slow_ms = b->quick ? 200.0 : 2000.0;
    while (st == BC_OK && done < runs && (done < 3 || spent < b->budget_ms) && !(done >= 1 && spent >= slow_ms)) {
        for (int i = 0; st == BC_OK && i < n_ops; i++) {
            st = ops[i].call(b->device, ops[i].op, ops[i].context, &ms[(size_t)i * runs + done]);
            if (st == BC_OK) spent += ms[(size_t)i * runs + done];
        }
        if (st == BC_OK && n_ops == 2) ratios[done] = ms[runs + done] / ms[done];
        if (st == BC_OK) done++;
    }
    if (st == BC_OK) {
        for (int i = 0; i < n_ops; i++) bench_summarize(ms + (size_t)i * runs, done, &out[i]);
        if (ratio && n_ops == 2) {
            BenchTime r;
            bench_summarize(ratios, done, &r); /* sorts them: the largest is last */
            *ratio = (BenchRatio){r.median_ms, r.min_ms, ratios[done - 1]};
        }
    }
    free(ms);
    return st;
}

static Status time_runs(Bench *b, TimedCall call, BenchOp op, void *context, BenchTime *out) {
    TimedOp one = {call, op, context};
    return time_rounds(b, &one, 1, out, NULL);
}

Status bench_time_device(Bench *b, BenchOp op, void *context, BenchTime *out) {
    return time_runs(b, call_on_device, op, context, out);
}

Status bench_time_host(Bench *b, BenchOp op, void *context, BenchTime *out) {
    return time_runs(b, call_on_host, op, context, out);
}

Status bench_time_paired(Bench *b, BenchOp device_op, BenchOp host_op, void *context, BenchTime *device_t,
                         BenchTime *host_t, BenchRatio *host_over_device) {
    TimedOp ops[2] = {{call_on_device, device_op, context}, {call_on_host, host_op, context}};
    BenchTime t[2] = {{0}};
    Status st = time_rounds(b, ops, 2, t, host_over_device);
    *device_t = t[0];
    *host_t = t[1];
    return st;
}

void bench_row_set_time(BenchRow *row, const BenchTime *t) {
    row->median_ms = t->median_ms;
    row->min_ms = t->min_ms;
    row->runs = t->runs;
}

Status bench_measure(Bench *b, BenchRow row, BenchOp op, void *context) {
    BenchTime t = {0};
    Status st = row.host ? bench_time_host(b, op, context, &t) : bench_time_device(b, op, context, &t);
    if (st != BC_OK) return error_wrap(st, "%s %s (%s): ", row.name, row.shape, row.impl);
    bench_row_set_time(&row, &t);
    return bench_add_row(b, &row);
}
