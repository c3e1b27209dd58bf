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

/* Runs until max_runs, or until the budget is spent and 3 runs are done; a row whose runs
 * take seconds each (CLBlast on the largest shapes on a CPU) stops once 2 s are spent, so
 * the default run stays within minutes. */
static Status time_runs(Bench *b, TimedCall call, BenchOp op, void *context, BenchTime *out) {
    double earlier;
    /* Drop what earlier code left in the queue so it is not billed to this op. */
    Status st = collect_device_ms(b->device, &earlier);
    if (st != BC_OK) return st;
    int runs = b->max_runs < 1 ? 1 : b->max_runs;
    double *ms = malloc((size_t)runs * sizeof *ms);
    if (!ms) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    int done = 0;
    double spent = 0.0;
    double slow_ms = b->quick ? 200.0 : 2000.0;
    while (st == BC_OK && done < runs && (done < 3 || spent < b->budget_ms) && !(done >= 1 && spent >= slow_ms)) {
        st = call(b->device, op, context, &ms[done]);
        if (st == BC_OK) spent += ms[done++];
    }
    if (st == BC_OK) {
        qsort(ms, (size_t)done, sizeof *ms, by_value);
        out->runs = done;
        out->min_ms = ms[0];
        out->median_ms = done % 2 ? ms[done / 2] : 0.5 * (ms[done / 2 - 1] + ms[done / 2]);
    }
    free(ms);
    return st;
}

Status bench_time_device(Bench *b, BenchOp op, void *context, BenchTime *out) {
    return time_runs(b, call_on_device, op, context, out);
}

Status bench_time_host(Bench *b, BenchOp op, void *context, BenchTime *out) {
    return time_runs(b, call_on_host, op, context, out);
}

Status bench_measure(Bench *b, BenchRow row, BenchOp op, void *context) {
    BenchTime t = {0};
    Status st = row.host ? bench_time_host(b, op, context, &t) : bench_time_device(b, op, context, &t);
    if (st != BC_OK) return error_wrap(st, "%s %s (%s): ", row.name, row.shape, row.impl);
    row.median_ms = t.median_ms;
    row.min_ms = t.min_ms;
    row.runs = t.runs;
    return bench_add_row(b, &row);
}
