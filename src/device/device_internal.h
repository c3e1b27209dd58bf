/* device_internal.h — the structs behind the opaque handles of device.h; private to
 * src/device/. */
#ifndef BYOLCL_DEVICE_INTERNAL_H
#define BYOLCL_DEVICE_INTERNAL_H

#include <stdint.h>

#include "byolcl/device.h"
#include "device/cl_check.h"

/* The profile keys' indices, in profile_keys.def's order. */
enum {
#define PROFILE_KEY(name, avx512, avx2, gpu, min, max, rule, doc) PROFILE_KEY_##name,
#include "device/profile_keys.def"
#undef PROFILE_KEY
    PROFILE_KEY_COUNT
};

typedef struct {
    int values[PROFILE_KEY_COUNT]; /* indexed by PROFILE_KEY_<name> */
    char path[4096]; /* where the tuned profile of this device lives */
} DeviceProfile;

struct Buffer {
    cl_mem mem;
    size_t bytes;
};

struct Kernel {
    cl_kernel handle;
    char program[64];
    char name[96];
    size_t preferred_multiple; /* CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE */
    size_t max_work_group;     /* CL_KERNEL_WORK_GROUP_SIZE */
};

typedef struct {
    char name[64];
    cl_program handle;
} ProgramEntry;

typedef struct {
    cl_event event;
    const Kernel *kernel;
    cl_event since; /* NULL, or a marker whose end starts the span (multi-kernel calls) */
} LaunchEvent;

struct Device {
    cl_platform_id platform;
    cl_device_id id;
    cl_context context;
    cl_command_queue queue;
    DeviceInfo info;
    DeviceProfile profile;
    DeviceStats stats;

    char cache_dir[4096]; /* empty: disk cache disabled */
    char kernel_dir[4096]; /* empty: embedded sources */

    ProgramEntry *programs;
    int program_count;
    Kernel **kernels;
    int kernel_count;

    Buffer *scratch[DEVICE_SCRATCH_SLOTS];

    bool profiling;
    LaunchEvent *events;
    int event_count, event_cap;
};

/* enumerate.c */
Status device_query_info(cl_platform_id platform, cl_device_id id, DeviceInfo *info);
Status device_find_handles(int flat_index, cl_platform_id *platform, cl_device_id *id);

/* profile.c */
void profile_init_defaults(DeviceProfile *profile, const DeviceInfo *info);
void profile_load_overlay(DeviceProfile *profile, const char *cache_dir, const DeviceInfo *info);
/* "-D BC_KEY=value ..." appended to `out` for the keys `source` names (NULL: every key):
 * a program's binary, and its cache entry, then depend on the values it reads only, so a
 * tuner changing a key rebuilds only the programs that use it. */
void profile_format_defines(const DeviceProfile *profile, const char *source, char *out, size_t cap);

/* launch.c: records a profiling event (takes ownership of `event` and `since`, which may be
 * NULL) to be folded into device_collect_timings under kernel->name. */
Status device_remember_event(Device *device, cl_event event, cl_event since, const Kernel *kernel);
/* Releases the remembered events uncollected (their timings are dropped). */
void device_release_events(Device *device);

/* program.c: releases built programs and kernels (after the profile changed). */
void device_forget_programs(Device *device);

/* kernel_sources.c: the text of cl/<name>.cl, embedded or from kernel_dir. malloc'd. */
Status kernel_source_load(const char *kernel_dir, const char *program, char **out);
/* Names of the programs embedded at build time (cl/common.cl excluded). */
int kernel_source_count(void);
const char *kernel_source_name(int index);

/* program_cache.c */
typedef struct {
    uint64_t hi, lo;
} CacheKey;
CacheKey cache_key_compute(const char *source, const char *options, const DeviceInfo *info);
/* BC_OK with a malloc'd binary, BC_ERR_NOT_FOUND when absent, BC_ERR_FORMAT when corrupt. */
Status cache_read(const char *cache_dir, CacheKey key, unsigned char **binary, size_t *bytes);
Status cache_write(const char *cache_dir, CacheKey key, const unsigned char *binary,
                   size_t bytes);
void cache_entry_path(const char *cache_dir, CacheKey key, char *out, size_t cap);

#endif
