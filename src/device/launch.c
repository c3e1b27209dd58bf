/* launch.c — enqueueing kernels (arguments, global-size rounding) and, when profiling,
 * recording one event per launch to fold into per-kernel timings. */
#include <stdlib.h>
#include <string.h>

#include "device/device_internal.h"

static Status set_args(Kernel *kernel, const KernelArg *args, int arg_count) {
    cl_uint index = 0;
    for (int i = 0; i < arg_count; i++) {
        const KernelArg *a = &args[i];
        switch (a->kind) {
        case ARG_BUFFER:
            CL_CHECK(clSetKernelArg(kernel->handle, index++, sizeof(cl_mem), &a->buffer->mem));
            break;
        case ARG_VIEW: {
            cl_int offset = (cl_int)a->view.offset;
            CL_CHECK(clSetKernelArg(kernel->handle, index++, sizeof(cl_mem), &a->view.buffer->mem));
            CL_CHECK(clSetKernelArg(kernel->handle, index++, sizeof offset, &offset));
            break;
        }
        case ARG_INT:
            CL_CHECK(clSetKernelArg(kernel->handle, index++, sizeof(cl_int), &a->i));
            break;
        case ARG_FLOAT:
            CL_CHECK(clSetKernelArg(kernel->handle, index++, sizeof(cl_float), &a->f));
            break;
        case ARG_LOCAL:
            CL_CHECK(clSetKernelArg(kernel->handle, index++, a->local_bytes, NULL));
            break;
        }
    }
    return BC_OK;
}

Status device_remember_event(Device *device, cl_event event, cl_event since, const Kernel *kernel) {
    if (device->event_count == device->event_cap) {
        int cap = device->event_cap ? 2 * device->event_cap : 256;
        LaunchEvent *bigger = realloc(device->events, (size_t)cap * sizeof *bigger);
        if (!bigger) {
            clReleaseEvent(event);
            if (since) clReleaseEvent(since);
            return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory recording profiling events");
        }
        device->events = bigger;
        device->event_cap = cap;
    }
    device->events[device->event_count++] = (LaunchEvent){event, kernel, since};
    return BC_OK;
}

Status kernel_launch(Device *device, Kernel *kernel, unsigned dims, const size_t global[],
                     const size_t local[], const KernelArg *args, int arg_count) {
    if (dims < 1 || dims > 3) return error_set(BC_ERR_USAGE, "kernel %s: %u dimensions", kernel->name, dims);
    size_t rounded[3];
    for (unsigned i = 0; i < dims; i++) {
        if (global[i] == 0) return BC_OK; /* nothing to do: empty tensors are legal */
        rounded[i] = local ? (global[i] + local[i] - 1) / local[i] * local[i] : global[i];
    }
    Status st = set_args(kernel, args, arg_count);
    if (st != BC_OK) return error_wrap(st, "kernel %s: ", kernel->name);
    cl_event event = NULL;
    cl_int code = clEnqueueNDRangeKernel(device->queue, kernel->handle, dims, NULL, rounded, local,
                                         0, NULL, device->profiling ? &event : NULL);
    if (code != CL_SUCCESS) {
        cl_fail(code, "clEnqueueNDRangeKernel", __FILE__, __LINE__);
        return error_wrap(code == CL_OUT_OF_RESOURCES || code == CL_MEM_OBJECT_ALLOCATION_FAILURE
                              ? BC_ERR_OUT_OF_MEMORY
                              : BC_ERR_OPENCL,
                          "kernel %s: ", kernel->name);
    }
    return device->profiling ? device_remember_event(device, event, NULL, kernel) : BC_OK;
}

Status kernel_launch_1d(Device *device, Kernel *kernel, size_t n, const KernelArg *args,
                        int arg_count) {
    size_t local = (size_t)device_profile_get(device, "WG_1D");
    if (kernel->max_work_group && local > kernel->max_work_group) local = kernel->max_work_group;
    size_t global = n;
    return kernel_launch(device, kernel, 1, &global, &local, args, arg_count);
}

static int by_total_descending(const void *a, const void *b) {
    double ta = ((const KernelTiming *)a)->total_ms, tb = ((const KernelTiming *)b)->total_ms;
    return (ta < tb) - (ta > tb);
}

static int by_value_ascending(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Start and end of one recorded launch in ns; a span starts where its marker ended. */
static Status event_span(const LaunchEvent *e, cl_ulong *start, cl_ulong *end) {
    cl_int c1 = e->since ? clGetEventProfilingInfo(e->since, CL_PROFILING_COMMAND_END, sizeof *start, start, NULL)
                         : clGetEventProfilingInfo(e->event, CL_PROFILING_COMMAND_START, sizeof *start, start, NULL);
    cl_int c2 = clGetEventProfilingInfo(e->event, CL_PROFILING_COMMAND_END, sizeof *end, end, NULL);
    if (c1 != CL_SUCCESS || c2 != CL_SUCCESS)
        return cl_fail(c1 != CL_SUCCESS ? c1 : c2, "clGetEventProfilingInfo", __FILE__, __LINE__);
    if (*end < *start) *end = *start;
    return BC_OK;
}

void device_release_events(Device *device) {
    for (int i = 0; i < device->event_count; i++) {
        clReleaseEvent(device->events[i].event);
        if (device->events[i].since) clReleaseEvent(device->events[i].since);
    }
    device->event_count = 0;
}

/* Median of the launches of row `row` (ms[i] belongs to row_of[i]); `work` holds count doubles. */
static double median_of_row(const double *ms, const int *row_of, int count, int row, double *work) {
    int n = 0;
    for (int i = 0; i < count; i++)
        if (row_of[i] == row) work[n++] = ms[i];
    if (n == 0) return 0.0;
    qsort(work, (size_t)n, sizeof *work, by_value_ascending);
    return n % 2 ? work[n / 2] : 0.5 * (work[n / 2 - 1] + work[n / 2]);
}

Status device_collect_timings(Device *device, KernelTiming **out, int *count) {
    *out = NULL;
    *count = 0;
    CL_CHECK(clFinish(device->queue));
    size_t events = (size_t)device->event_count + 1;
    KernelTiming *rows = calloc(events, sizeof *rows);
    double *ms_of = malloc(events * sizeof *ms_of), *work = malloc(events * sizeof *work);
    int *row_of = malloc(events * sizeof *row_of);
    Status st = rows && ms_of && work && row_of ? BC_OK
                                                : error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    int n = 0;
    for (int i = 0; i < device->event_count; i++) {
        const LaunchEvent *e = &device->events[i];
        cl_ulong start = 0, end = 0;
        if (st == BC_OK) st = event_span(e, &start, &end);
        clReleaseEvent(e->event);
        if (e->since) clReleaseEvent(e->since);
        if (st != BC_OK) continue;
        double ms = (double)(end - start) * 1e-6;
        const char *name = e->kernel->name;
        int row = 0;
        while (row < n && strcmp(rows[row].kernel_name, name) != 0) row++;
        if (row == n) rows[n++] = (KernelTiming){name, 0, 0.0, ms, 0.0};
        rows[row].launches++;
        rows[row].total_ms += ms;
        if (ms < rows[row].min_ms) rows[row].min_ms = ms;
        ms_of[i] = ms;
        row_of[i] = row;
    }
    int recorded = device->event_count;
    device->event_count = 0;
    if (st == BC_OK)
        for (int r = 0; r < n; r++) rows[r].median_ms = median_of_row(ms_of, row_of, recorded, r, work);
    free(ms_of);
    free(work);
    free(row_of);
    if (st != BC_OK) {
        free(rows);
        return st;
    }
    qsort(rows, (size_t)n, sizeof *rows, by_total_descending);
    *out = rows;
    *count = n;
    return BC_OK;
}
