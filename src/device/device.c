/* device.c — opening a device (context, one in-order queue, profile, cache folder) and
 * the buffer operations. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/log.h"
#include "device/device_internal.h"

#include <clblast_c.h> /* after cl_check.h: it fixes the OpenCL target version */

static void resolve_cache_root(const DeviceOptions *options, char *out, size_t cap) {
    const char *explicit_dir = options && options->cache_dir ? options->cache_dir : getenv("BYOLCL_CACHE_DIR");
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (explicit_dir && explicit_dir[0]) snprintf(out, cap, "%s", explicit_dir);
    else if (xdg && xdg[0]) snprintf(out, cap, "%s/byolcl", xdg);
    else if (home && home[0]) snprintf(out, cap, "%s/.cache/byolcl", home);
    else snprintf(out, cap, "/tmp/byolcl-cache");
}

static bool env_flag(const char *name) {
    const char *v = getenv(name);
    return v && v[0] && strcmp(v, "0") != 0;
}

static Status choose_device(const char *selector, DeviceInfo *chosen) {
    DeviceInfo *list;
    int count;
    Status st = device_list(&list, &count);
    if (st != BC_OK) return st;
    int index;
    st = device_choose(list, count, selector, &index);
    if (st == BC_OK) *chosen = list[index];
    free(list);
    return st;
}

Status device_open(const char *selector, const DeviceOptions *options, Device **out) {
    *out = NULL;
    Device *d = calloc(1, sizeof *d);
    if (!d) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    Status st = choose_device(selector ? selector : device_default_selector(), &d->info);
    if (st == BC_OK) st = device_find_handles(d->info.flat_index, &d->platform, &d->id);
    if (st != BC_OK) {
        free(d);
        return st;
    }
    cl_int code;
    d->context = clCreateContext(NULL, 1, &d->id, NULL, NULL, &code);
    if (code != CL_SUCCESS) {
        free(d);
        CL_CHECK_RESULT(code, "clCreateContext");
    }
    d->profiling = options && options->profiling;
    cl_command_queue_properties props = d->profiling ? CL_QUEUE_PROFILING_ENABLE : 0;
    d->queue = clCreateCommandQueue(d->context, d->id, props, &code);
    if (code != CL_SUCCESS) {
        clReleaseContext(d->context);
        free(d);
        CL_CHECK_RESULT(code, "clCreateCommandQueue");
    }
    char cache_root[4096];
    resolve_cache_root(options, cache_root, sizeof cache_root);
    bool no_cache = (options && options->no_cache) || env_flag("BYOLCL_NO_CACHE");
    if (!no_cache) snprintf(d->cache_dir, sizeof d->cache_dir, "%s", cache_root);
    const char *kdir = options && options->kernel_dir ? options->kernel_dir : getenv("BYOLCL_KERNEL_DIR");
    if (kdir) snprintf(d->kernel_dir, sizeof d->kernel_dir, "%s", kdir);
    profile_init_defaults(&d->profile, &d->info);
    profile_load_overlay(&d->profile, cache_root, &d->info);
    *out = d;
    return BC_OK;
}

void device_close(Device *device) {
    if (!device) return;
    clFinish(device->queue);
    /* CLBlast caches programs per context; drop them while the context still exists (some
     * drivers, oclgrind among them, do not keep a released context alive for them). */
    CLBlastClearCache();
    device_release_events(device);
    free(device->events);
    device_forget_programs(device);
    for (int i = 0; i < DEVICE_SCRATCH_SLOTS; i++) buffer_release(device->scratch[i]);
    clReleaseCommandQueue(device->queue);
    clReleaseContext(device->context);
    free(device);
}

const DeviceInfo *device_info(const Device *device) { return &device->info; }
DeviceStats device_stats(const Device *device) { return device->stats; }

Status device_finish(Device *device) {
    CL_CHECK(clFinish(device->queue));
    return BC_OK;
}

Status buffer_create(Device *device, size_t bytes, Buffer **out) {
    *out = NULL;
    if (bytes == 0) bytes = 4; /* OpenCL forbids empty buffers; callers may have empty tensors */
    if (bytes > device->info.max_alloc_bytes)
        return error_set(BC_ERR_OUT_OF_MEMORY,
                         "a %.1f MiB buffer exceeds this device's largest allocation (%.1f MiB): "
                         "try a smaller --batch or a narrower model",
                         bytes / 1048576.0, device->info.max_alloc_bytes / 1048576.0);
    Buffer *b = calloc(1, sizeof *b);
    if (!b) return error_set(BC_ERR_OUT_OF_MEMORY, "out of host memory");
    cl_int code;
    b->mem = clCreateBuffer(device->context, CL_MEM_READ_WRITE, bytes, NULL, &code);
    if (code != CL_SUCCESS) {
        free(b);
        CL_CHECK_RESULT(code, "clCreateBuffer");
    }
    b->bytes = bytes;
    *out = b;
    return BC_OK;
}

/* oclgrind 21.10 loses track of initialization when a released buffer's memory is handed
 * out again, and then reports reads of freshly written data as uninitialized. Its check
 * script sets BYOLCL_KEEP_RELEASED_BUFFERS=1 so buffers are never returned in those short
 * test processes. Never set it for real runs. */
static bool keep_released_buffers(void) {
    static int cached = -1;
    if (cached < 0) cached = env_flag("BYOLCL_KEEP_RELEASED_BUFFERS");
    return cached == 1;
}

void buffer_release(Buffer *buffer) {
    if (!buffer) return;
    if (!keep_released_buffers()) clReleaseMemObject(buffer->mem);
    free(buffer);
}

size_t buffer_bytes(const Buffer *buffer) { return buffer->bytes; }

static Status check_range(const Buffer *b, size_t offset, size_t bytes, const char *what) {
    if (offset > b->bytes || bytes > b->bytes - offset)
        return error_set(BC_ERR_USAGE, "%s of %zu bytes at offset %zu overruns a %zu-byte buffer",
                         what, bytes, offset, b->bytes);
    return BC_OK;
}

static Status write_buffer(Device *device, Buffer *buffer, size_t offset, size_t bytes,
                           const void *src, cl_bool blocking) {
    Status st = check_range(buffer, offset, bytes, "write");
    if (st != BC_OK || bytes == 0) return st;
    CL_CHECK(clEnqueueWriteBuffer(device->queue, buffer->mem, blocking, offset, bytes, src, 0,
                                  NULL, NULL));
    return BC_OK;
}

Status buffer_write(Device *device, Buffer *buffer, size_t offset, size_t bytes, const void *src) {
    return write_buffer(device, buffer, offset, bytes, src, CL_TRUE);
}

Status buffer_write_async(Device *device, Buffer *buffer, size_t offset, size_t bytes,
                          const void *src) {
    return write_buffer(device, buffer, offset, bytes, src, CL_FALSE);
}

Status buffer_read(Device *device, const Buffer *buffer, size_t offset, size_t bytes, void *dst) {
    Status st = check_range(buffer, offset, bytes, "read");
    if (st != BC_OK || bytes == 0) return st;
    CL_CHECK(clEnqueueReadBuffer(device->queue, buffer->mem, CL_TRUE, offset, bytes, dst, 0, NULL,
                                 NULL));
    return BC_OK;
}

Status buffer_fill_zero(Device *device, Buffer *buffer, size_t offset, size_t bytes) {
    Status st = check_range(buffer, offset, bytes, "fill");
    if (st != BC_OK || bytes == 0) return st;
    if (offset % 4 != 0 || bytes % 4 != 0)
        return error_set(BC_ERR_USAGE, "buffer_fill_zero needs 4-byte aligned ranges");
    /* A kernel rather than clEnqueueFillBuffer: oclgrind does not see fills as
     * initialization and would flag every later read of the zeros. */
    Kernel *fill;
    if ((st = kernel_get(device, "basic", "fill_uint", &fill))) return st;
    return KERNEL_LAUNCH_1D(device, fill, bytes / 4, ARG_VIEW_OF(buffer, offset / 4), ARG_I(bytes / 4),
                            ARG_I(0));
}

Status buffer_copy(Device *device, const Buffer *src, size_t src_offset, Buffer *dst,
                   size_t dst_offset, size_t bytes) {
    Status st = check_range(src, src_offset, bytes, "copy source");
    if (st == BC_OK) st = check_range(dst, dst_offset, bytes, "copy destination");
    if (st != BC_OK || bytes == 0) return st;
    CL_CHECK(clEnqueueCopyBuffer(device->queue, src->mem, dst->mem, src_offset, dst_offset, bytes,
                                 0, NULL, NULL));
    return BC_OK;
}

Status device_scratch(Device *device, int slot, size_t bytes, Buffer **out) {
    if (slot < 0 || slot >= DEVICE_SCRATCH_SLOTS)
        return error_set(BC_ERR_USAGE, "scratch slot %d out of range", slot);
    Buffer **held = &device->scratch[slot];
    if (*held && (*held)->bytes >= bytes) {
        *out = *held;
        return BC_OK;
    }
    /* Grow by 1.5x so a sequence of slightly larger requests does not reallocate each time.
     * Releasing the old buffer is safe: OpenCL keeps it alive for kernels still queued. */
    size_t grown = *held ? (*held)->bytes + (*held)->bytes / 2 : 0;
    Buffer *fresh;
    Status st = buffer_create(device, bytes > grown ? bytes : grown, &fresh);
    if (st != BC_OK && bytes < grown) st = buffer_create(device, bytes, &fresh);
    if (st != BC_OK) return st;
    buffer_release(*held);
    *held = fresh;
    *out = fresh;
    return BC_OK;
}
