/* enumerate.c — lists OpenCL platforms and devices and reads what byolcl needs of each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device/device_internal.h"

void device_print_chosen(const DeviceInfo *d) {
    printf("device: %d:%d %s (%s, %s)\n", d->platform_index, d->device_index, d->name, device_kind_name(d->kind),
           d->platform_name);
    fflush(stdout);
}

const char *device_kind_name(DeviceKind kind) {
    switch (kind) {
    case DEVICE_DISCRETE_GPU: return "discrete GPU";
    case DEVICE_INTEGRATED_GPU: return "integrated GPU";
    case DEVICE_ACCELERATOR: return "accelerator";
    case DEVICE_CPU: return "CPU";
    case DEVICE_OTHER: return "other";
    }
    return "other";
}

static Status read_string(cl_device_id id, cl_device_info what, char *out, size_t cap) {
    out[0] = '\0';
    CL_CHECK(clGetDeviceInfo(id, what, cap, out, NULL));
    out[cap - 1] = '\0';
    return BC_OK;
}

#define READ_SCALAR(id, what, var) CL_CHECK(clGetDeviceInfo((id), (what), sizeof(var), &(var), NULL))

Status device_query_info(cl_platform_id platform, cl_device_id id, DeviceInfo *info) {
    CL_CHECK(clGetPlatformInfo(platform, CL_PLATFORM_NAME, sizeof info->platform_name,
                               info->platform_name, NULL));
    CL_CHECK(clGetPlatformInfo(platform, CL_PLATFORM_VENDOR, sizeof info->platform_vendor,
                               info->platform_vendor, NULL));
    CL_CHECK(clGetPlatformInfo(platform, CL_PLATFORM_VERSION, sizeof info->platform_version,
                               info->platform_version, NULL));
    Status st;
    if ((st = read_string(id, CL_DEVICE_NAME, info->name, sizeof info->name))) return st;
    if ((st = read_string(id, CL_DEVICE_VENDOR, info->vendor, sizeof info->vendor))) return st;
    if ((st = read_string(id, CL_DRIVER_VERSION, info->driver_version,
                          sizeof info->driver_version)))
        return st;
    if ((st = read_string(id, CL_DEVICE_OPENCL_C_VERSION, info->opencl_c_version,
                          sizeof info->opencl_c_version)))
        return st;
    info->c_major = 1;
    info->c_minor = 2;
    sscanf(info->opencl_c_version, "OpenCL C %d.%d", &info->c_major, &info->c_minor);

    cl_device_type type;
    cl_bool unified = CL_FALSE;
    cl_uint units = 0, clock = 0;
    cl_ulong global = 0, max_alloc = 0, local = 0;
    size_t max_wg = 0;
    cl_device_fp_config fp64 = 0;
    READ_SCALAR(id, CL_DEVICE_TYPE, type);
    READ_SCALAR(id, CL_DEVICE_HOST_UNIFIED_MEMORY, unified);
    READ_SCALAR(id, CL_DEVICE_MAX_COMPUTE_UNITS, units);
    READ_SCALAR(id, CL_DEVICE_MAX_CLOCK_FREQUENCY, clock);
    READ_SCALAR(id, CL_DEVICE_GLOBAL_MEM_SIZE, global);
    READ_SCALAR(id, CL_DEVICE_MAX_MEM_ALLOC_SIZE, max_alloc);
    READ_SCALAR(id, CL_DEVICE_LOCAL_MEM_SIZE, local);
    READ_SCALAR(id, CL_DEVICE_MAX_WORK_GROUP_SIZE, max_wg);
    READ_SCALAR(id, CL_DEVICE_DOUBLE_FP_CONFIG, fp64);

    if (type & CL_DEVICE_TYPE_GPU) info->kind = unified ? DEVICE_INTEGRATED_GPU : DEVICE_DISCRETE_GPU;
    else if (type & CL_DEVICE_TYPE_ACCELERATOR) info->kind = DEVICE_ACCELERATOR;
    else if (type & CL_DEVICE_TYPE_CPU) info->kind = DEVICE_CPU;
    else info->kind = DEVICE_OTHER;
    info->compute_units = units;
    info->clock_mhz = clock;
    info->global_mem_bytes = global;
    info->max_alloc_bytes = max_alloc;
    info->local_mem_bytes = local;
    info->max_work_group_size = max_wg;
    info->fp64 = fp64 != 0;

    char extensions[8192];
    if (read_string(id, CL_DEVICE_EXTENSIONS, extensions, sizeof extensions) == BC_OK)
        info->fp16 = strstr(extensions, "cl_khr_fp16") != NULL;
    return BC_OK;
}

static Status get_platforms(cl_platform_id **out, cl_uint *count) {
    *out = NULL;
    *count = 0;
    cl_int code = clGetPlatformIDs(0, NULL, count);
    if (code == -1001 /* CL_PLATFORM_NOT_FOUND_KHR */ || (code == CL_SUCCESS && *count == 0))
        return error_set(BC_ERR_NO_PLATFORM,
                         "no OpenCL platform found: no OpenCL driver (ICD) is installed. For "
                         "the CPU install PoCL (Debian/Ubuntu: apt-get install pocl-opencl-icd); "
                         "for a GPU install its vendor's OpenCL driver");
    CL_CHECK_RESULT(code, "clGetPlatformIDs");
    *out = calloc(*count, sizeof **out);
    if (!*out) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory listing platforms");
    cl_int code2 = clGetPlatformIDs(*count, *out, NULL);
    if (code2 != CL_SUCCESS) free(*out);
    CL_CHECK_RESULT(code2, "clGetPlatformIDs");
    return BC_OK;
}

static Status get_devices(cl_platform_id platform, cl_device_id **out, cl_uint *count) {
    *out = NULL;
    *count = 0;
    cl_int code = clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, NULL, count);
    if (code == CL_DEVICE_NOT_FOUND || *count == 0) return BC_OK; /* an empty platform */
    CL_CHECK_RESULT(code, "clGetDeviceIDs");
    *out = calloc(*count, sizeof **out);
    if (!*out) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory listing devices");
    code = clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, *count, *out, NULL);
    if (code != CL_SUCCESS) free(*out);
    CL_CHECK_RESULT(code, "clGetDeviceIDs");
    return BC_OK;
}

/* Walks every (platform, device) pair; `visit` returns false to stop early. */
typedef bool (*DeviceVisitor)(cl_platform_id platform, cl_device_id id, int p, int d, int flat,
                              void *context, Status *status);

static Status visit_devices(DeviceVisitor visit, void *context) {
    cl_platform_id *platforms;
    cl_uint platform_count;
    Status st = get_platforms(&platforms, &platform_count);
    if (st != BC_OK) return st;
    int flat = 0;
    bool go_on = true;
    for (cl_uint p = 0; p < platform_count && go_on && st == BC_OK; p++) {
        cl_device_id *ids;
        cl_uint n;
        st = get_devices(platforms[p], &ids, &n);
        for (cl_uint d = 0; d < n && go_on && st == BC_OK; d++)
            go_on = visit(platforms[p], ids[d], (int)p, (int)d, flat++, context, &st);
        free(ids);
    }
    free(platforms);
    return st;
}

typedef struct {
    DeviceInfo *list;
    int count, cap;
} ListBuilder;

static bool append_info(cl_platform_id platform, cl_device_id id, int p, int d, int flat,
                        void *context, Status *status) {
    ListBuilder *b = context;
    if (b->count == b->cap) {
        int cap = b->cap ? 2 * b->cap : 8;
        DeviceInfo *bigger = realloc(b->list, (size_t)cap * sizeof *bigger);
        if (!bigger) {
            *status = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory listing devices");
            return false;
        }
        b->list = bigger;
        b->cap = cap;
    }
    DeviceInfo *info = &b->list[b->count];
    memset(info, 0, sizeof *info);
    info->platform_index = p;
    info->device_index = d;
    info->flat_index = flat;
    *status = device_query_info(platform, id, info);
    if (*status == BC_OK) b->count++;
    return *status == BC_OK;
}

Status device_list(DeviceInfo **out_list, int *out_count) {
    ListBuilder b = {0};
    Status st = visit_devices(append_info, &b);
    if (st != BC_OK) {
        free(b.list);
        return st;
    }
    if (b.count == 0)
        return error_set(BC_ERR_NO_PLATFORM,
                         "OpenCL platforms exist but offer no device; for the CPU install PoCL "
                         "(apt-get install pocl-opencl-icd)");
    *out_list = b.list;
    *out_count = b.count;
    return BC_OK;
}

typedef struct {
    int wanted;
    cl_platform_id platform;
    cl_device_id id;
    bool found;
} HandleFinder;

static bool match_flat(cl_platform_id platform, cl_device_id id, int p, int d, int flat,
                       void *context, Status *status) {
    (void)p, (void)d, (void)status;
    HandleFinder *f = context;
    if (flat != f->wanted) return true;
    f->platform = platform;
    f->id = id;
    f->found = true;
    return false;
}

Status device_find_handles(int flat_index, cl_platform_id *platform, cl_device_id *id) {
    HandleFinder f = {.wanted = flat_index};
    Status st = visit_devices(match_flat, &f);
    if (st != BC_OK) return st;
    if (!f.found) return error_set(BC_ERR_NOT_FOUND, "device %d disappeared", flat_index);
    *platform = f.platform;
    *id = f.id;
    return BC_OK;
}
