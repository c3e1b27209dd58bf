/* device.h — the device-abstraction layer: find OpenCL devices, pick one, move data,
 * build the kernels in cl/ (with a binary cache) and launch them. Nothing outside
 * src/device/ includes CL/cl.h; everything else sees these handles. */
#ifndef BYOLCL_DEVICE_H
#define BYOLCL_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "byolcl/byolcl.h"

typedef enum {
    DEVICE_DISCRETE_GPU = 0, /* ranked first by `auto` */
    DEVICE_INTEGRATED_GPU,   /* a GPU with CL_DEVICE_HOST_UNIFIED_MEMORY */
    DEVICE_ACCELERATOR,
    DEVICE_CPU,
    DEVICE_OTHER
} DeviceKind;

const char *device_kind_name(DeviceKind kind);

/* What `byolcl devices` shows about one device; also the input of the selector. */
typedef struct {
    int platform_index, device_index; /* P:D as listed */
    int flat_index;                   /* N: position in the whole list */
    char platform_name[128];
    char platform_version[128];
    char platform_vendor[128]; /* "The pocl project": lets `--device pocl` match */
    char name[256];
    char vendor[128];
    char driver_version[128];
    char opencl_c_version[64]; /* e.g. "OpenCL C 1.2 PoCL" */
    int c_major, c_minor;      /* parsed from opencl_c_version */
    DeviceKind kind;
    unsigned compute_units;
    unsigned clock_mhz;
    uint64_t global_mem_bytes, max_alloc_bytes, local_mem_bytes;
    size_t max_work_group_size;
    bool fp16, fp64;
} DeviceInfo;

/* The line every command starts with: "device: P:D name (kind, platform)", flushed, so a
 * slow kernel build that follows does not hide which device was picked. */
void device_print_chosen(const DeviceInfo *info);

/* Enumerates every device of every platform. BC_ERR_NO_PLATFORM when no ICD is installed
 * (the message names the package that provides a CPU driver). Free with free(). */
Status device_list(DeviceInfo **out_list, int *out_count);

/* Pure selection over a list (no OpenCL): auto, gpu, igpu, cpu, P:D, N, or a
 * case-insensitive substring of the platform name or vendor / the device name, "platform:device".
 * BC_ERR_USAGE for a malformed selector, BC_ERR_NOT_FOUND when nothing matches.
 * `note` (may be NULL) receives a remark such as "3 devices match 'pocl'; using the first". */
Status device_select(const DeviceInfo *list, int count, const char *selector, int *out_index,
                     char *note, size_t note_cap);
/* The index `auto` picks (discrete GPU > integrated GPU > accelerator > CPU, ties by
 * compute units x clock), or -1 for an empty list. */
int device_rank_best(const DeviceInfo *list, int count);
/* The text printed after a failed selection: the selector syntax and the device list. */
void device_format_choices(const DeviceInfo *list, int count, char *out, size_t cap);

/* device_select for users: warns with the note and, when nothing fits, returns
 * BC_ERR_USAGE with a message holding the selector syntax and the device list. */
Status device_choose(const DeviceInfo *list, int count, const char *selector, int *out_index);

/* Floats per vector register the CPU kernels size their register tiles for: 8 when the
 * device is PoCL compiling for a CPU without AVX-512 (its device name carries LLVM's CPU
 * name, e.g. pthread-haswell-...), else 16. The profile's CPU defaults follow it. */
int device_cpu_simd_floats(const DeviceInfo *info);

/* The selector used when no --device flag is given: $BYOLCL_DEVICE, else "auto". */
const char *device_default_selector(void);

typedef struct Device Device;
typedef struct Buffer Buffer;
typedef struct Kernel Kernel;

typedef struct {
    bool profiling;        /* record an event per launch (for the bench tool) */
    const char *cache_dir; /* NULL: $BYOLCL_CACHE_DIR, $XDG_CACHE_HOME/byolcl, ~/.cache/byolcl */
    bool no_cache;         /* also set by BYOLCL_NO_CACHE=1 */
    const char *kernel_dir;/* NULL: $BYOLCL_KERNEL_DIR, else the sources embedded at build time */
} DeviceOptions;

Status device_open(const char *selector, const DeviceOptions *options, Device **out);
void device_close(Device *device);
const DeviceInfo *device_info(const Device *device);
/* Waits for everything queued so far. Only for the points where the host must see results. */
Status device_finish(Device *device);

/* Counters that make the cache observable (tests prove reuse with these, not timings). */
typedef struct {
    int programs_built_from_source;
    int programs_loaded_from_cache;
    int cache_entries_rejected; /* corrupt or stale files that were rebuilt and replaced */
} DeviceStats;
DeviceStats device_stats(const Device *device);

/* ---- per-device tuning profile: named integers that become -D BC_<NAME>=value ---- */
/* The keys, their defaults and ranges: src/device/profile_keys.def (docs/tuning.md). A key
 * not declared there is a programming error: device_profile_get aborts naming it;
 * device_profile_set refuses it, like a value outside the key's range. */
int device_profile_get(const Device *device, const char *key);
Status device_profile_set(Device *device, const char *key, int value);
/* The file a tuned profile for this device is read from / written to. */
const char *device_profile_path(const Device *device);
Status device_profile_save(const Device *device);

/* ---- buffers ---- */
Status buffer_create(Device *device, size_t bytes, Buffer **out);
void buffer_release(Buffer *buffer);
size_t buffer_bytes(const Buffer *buffer);
/* Blocking write/read: the host memory may be reused as soon as they return. */
Status buffer_write(Device *device, Buffer *buffer, size_t offset, size_t bytes, const void *src);
Status buffer_read(Device *device, const Buffer *buffer, size_t offset, size_t bytes, void *dst);
/* Non-blocking write: `src` must stay valid and unchanged until the next device_finish
 * (or a blocking read, which drains the in-order queue). */
Status buffer_write_async(Device *device, Buffer *buffer, size_t offset, size_t bytes,
                          const void *src);
Status buffer_fill_zero(Device *device, Buffer *buffer, size_t offset, size_t bytes);
Status buffer_copy(Device *device, const Buffer *src, size_t src_offset, Buffer *dst,
                   size_t dst_offset, size_t bytes);

/* ---- kernels ---- */
/* Finds kernel `kernel_name` in program cl/<program>.cl, building (or loading from the
 * binary cache) on first use. The returned handle is owned by the device. */
Status kernel_get(Device *device, const char *program, const char *kernel_name, Kernel **out);
const char *kernel_name(const Kernel *kernel);
/* Builds (or loads from the cache) every program embedded from cl/; `byolcl devices
 * --check` uses it to prove a device can run byolcl and to time the build. */
Status device_build_all_programs(Device *device, int *program_count);

/* A float array inside a device buffer, the unit every op takes: parameter-arena slices,
 * activations, gradients. `offset` counts elements (floats), not bytes. */
typedef struct {
    Buffer *buffer;
    size_t offset;
} View;
static inline View view_of(Buffer *buffer) { return (View){buffer, 0}; }
static inline View view_at(View v, size_t elements) { return (View){v.buffer, v.offset + elements}; }

/* Scratch memory owned by the device, grown on demand: im2col columns, reduction partials.
 * Slots are independent; which op uses which, and how ops that call each other keep apart,
 * is src/ops/scratch.h's table. Contents are undefined on entry; the in-order queue makes
 * reuse by the next op safe. */
enum { DEVICE_SCRATCH_SLOTS = 6 };
Status device_scratch(Device *device, int slot, size_t bytes, Buffer **out);

typedef enum { ARG_BUFFER, ARG_VIEW, ARG_INT, ARG_FLOAT, ARG_LOCAL } ArgKind;
typedef struct {
    ArgKind kind;
    union {
        const Buffer *buffer;
        struct {
            const Buffer *buffer;
            size_t offset; /* in elements of the kernel's pointer type */
        } view;
        int i;
        float f;
        size_t local_bytes;
    };
} KernelArg;

/* A view is a (buffer, element offset) pair: it fills TWO kernel parameters,
 * `__global T *ptr, int ptr_offset`, so kernels can address parts of an arena. */
#define ARG_BUF(b) ((KernelArg){.kind = ARG_BUFFER, .buffer = (b)})
#define ARG_VIEW_OF(b, off) ((KernelArg){.kind = ARG_VIEW, .view = {(b), (off)}})
#define ARG_VIEW(v) ARG_VIEW_OF((v).buffer, (v).offset)
#define ARG_I(x) ((KernelArg){.kind = ARG_INT, .i = (int)(x)})
#define ARG_F(x) ((KernelArg){.kind = ARG_FLOAT, .f = (float)(x)})
#define ARG_LOCAL_BYTES(n) ((KernelArg){.kind = ARG_LOCAL, .local_bytes = (n)})

/* Enqueues one launch. `local` may be NULL (driver's choice). When `local` is given the
 * global size is rounded up to a multiple of it, so kernels must bounds-check. */
Status kernel_launch(Device *device, Kernel *kernel, unsigned dims, const size_t global[],
                     const size_t local[], const KernelArg *args, int arg_count);
#define KERNEL_LAUNCH(device, kernel, dims, global, local, ...)                                \
    kernel_launch((device), (kernel), (dims), (global), (local), (KernelArg[]){__VA_ARGS__},    \
                  (int)(sizeof((KernelArg[]){__VA_ARGS__}) / sizeof(KernelArg)))

/* Launch a 1-D kernel over n items with the profile's WG_1D work-group size. */
Status kernel_launch_1d(Device *device, Kernel *kernel, size_t n, const KernelArg *args,
                        int arg_count);
#define KERNEL_LAUNCH_1D(device, kernel, n, ...)                                               \
    kernel_launch_1d((device), (kernel), (n), (KernelArg[]){__VA_ARGS__},                      \
                     (int)(sizeof((KernelArg[]){__VA_ARGS__}) / sizeof(KernelArg)))

/* ---- profiling (DeviceOptions.profiling) ---- */
typedef struct {
    const char *kernel_name; /* owned by the device */
    int launches;
    double total_ms, min_ms;
    double median_ms; /* of this kernel's launches (the mean of the middle two when even) */
} KernelTiming;
/* Waits for the queue, folds the recorded events into one row per kernel name (sorted by
 * total time, descending) and forgets them. Free *out with free(). A CLBlast GEMM counts as
 * one launch named "clblast_sgemm", timed from the end of the work queued before it to the
 * end of its last kernel (CLBlast may run several). */
Status device_collect_timings(Device *device, KernelTiming **out, int *count);

/* ---- GEMM through CLBlast (row-major; the device profile decides who calls it) ---- */
Status device_gemm_clblast(Device *device, bool trans_a, bool trans_b, size_t m, size_t n,
                           size_t k, float alpha, const Buffer *a, size_t a_offset, size_t lda,
                           const Buffer *b, size_t b_offset, size_t ldb, float beta, Buffer *c,
                           size_t c_offset, size_t ldc);
/* `batch` such products whose A, B and C start a_stride, b_stride and c_stride elements apart
 * (CLBlastSgemmStridedBatched; one product goes through CLBlastSgemm). */
Status device_gemm_clblast_batched(Device *device, bool trans_a, bool trans_b, size_t m, size_t n, size_t k,
                                   float alpha, const Buffer *a, size_t a_offset, size_t lda, size_t a_stride,
                                   const Buffer *b, size_t b_offset, size_t ldb, size_t b_stride, float beta,
                                   Buffer *c, size_t c_offset, size_t ldc, size_t c_stride, size_t batch);

#endif
