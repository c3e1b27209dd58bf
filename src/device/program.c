/* program.c — builds the programs in cl/ for the open device: options from the device
 * (-cl-std from its OpenCL C version) and its profile (-D defines), an in-memory table of
 * built programs and kernels, and the on-disk binary cache in front of the compiler. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/log.h"
#include "device/device_internal.h"

static void build_options(const Device *device, const char *source, char *out, size_t cap) {
    /* -cl-std follows the device's OpenCL C version, never the platform's; 3.0 compilers
     * without the 2.x features still accept CL1.2 code, so anything newer builds as 2.0
     * at most. */
    int major = device->info.c_major, minor = device->info.c_minor;
    if (major > 2) major = 2, minor = 0;
    snprintf(out, cap, "-cl-std=CL%d.%d", major, minor);
    profile_format_defines(&device->profile, source, out, cap);
}

static Status build_log_error(Device *device, cl_program program, const char *name,
                              const char *options) {
    size_t log_bytes = 0;
    clGetProgramBuildInfo(program, device->id, CL_PROGRAM_BUILD_LOG, 0, NULL, &log_bytes);
    char *log = calloc(1, log_bytes + 1);
    if (log) clGetProgramBuildInfo(program, device->id, CL_PROGRAM_BUILD_LOG, log_bytes, log, NULL);
    Status st = error_set(BC_ERR_BUILD,
                          "cl/%s.cl failed to compile for %s (options: %s)\nbuild log:\n%s", name,
                          device->info.name, options, log ? log : "(unavailable)");
    free(log);
    return st;
}

static Status build_from_source(Device *device, const char *name, const char *source,
                                const char *options, cl_program *out) {
    cl_int code;
    cl_program program = clCreateProgramWithSource(device->context, 1, &source, NULL, &code);
    CL_CHECK_RESULT(code, "clCreateProgramWithSource");
    code = clBuildProgram(program, 1, &device->id, options, NULL, NULL);
    if (code != CL_SUCCESS) {
        Status st = code == CL_BUILD_PROGRAM_FAILURE
                        ? build_log_error(device, program, name, options)
                        : cl_fail(code, "clBuildProgram", __FILE__, __LINE__);
        clReleaseProgram(program);
        return st;
    }
    device->stats.programs_built_from_source++;
    *out = program;
    return BC_OK;
}

static Status build_from_binary(Device *device, const unsigned char *binary, size_t bytes,
                                const char *options, cl_program *out) {
    cl_int code, binary_status;
    cl_program program = clCreateProgramWithBinary(device->context, 1, &device->id, &bytes,
                                                   &binary, &binary_status, &code);
    if (code != CL_SUCCESS || binary_status != CL_SUCCESS) {
        if (program) clReleaseProgram(program);
        return BC_ERR_FORMAT;
    }
    if (clBuildProgram(program, 1, &device->id, options, NULL, NULL) != CL_SUCCESS) {
        clReleaseProgram(program);
        return BC_ERR_FORMAT;
    }
    device->stats.programs_loaded_from_cache++;
    *out = program;
    return BC_OK;
}

static Status program_binary(cl_program program, unsigned char **out,
                             size_t *bytes) {
    CL_CHECK(clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof *bytes, bytes, NULL));
    if (*bytes == 0) return BC_ERR_NOT_FOUND;
    *out = malloc(*bytes);
    if (!*out) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    CL_CHECK(clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof *out, out, NULL));
    return BC_OK;
}

/* Cache first; a corrupt or unusable entry is counted, rebuilt from source and replaced. */
static Status build_program(Device *device, const char *name, cl_program *out) {
    char *source;
    Status st = kernel_source_load(device->kernel_dir, name, &source);
    if (st != BC_OK) return st;
    char options[4096];
    build_options(device, source, options, sizeof options);
    bool use_cache = device->cache_dir[0] != '\0';
    CacheKey key = cache_key_compute(source, options, &device->info);
    if (use_cache) {
        unsigned char *binary;
        size_t bytes;
        st = cache_read(device->cache_dir, key, &binary, &bytes);
        if (st == BC_OK) {
            st = build_from_binary(device, binary, bytes, options, out);
            free(binary);
            if (st == BC_OK) {
                free(source);
                return BC_OK;
            }
        }
        if (st != BC_ERR_NOT_FOUND) {
            device->stats.cache_entries_rejected++;
            log_debug("kernel cache entry for cl/%s.cl was unusable; rebuilding", name);
        }
        error_clear();
    }
    st = build_from_source(device, name, source, options, out);
    free(source);
    if (st != BC_OK || !use_cache) return st;
    unsigned char *binary;
    size_t bytes;
    if (program_binary(*out, &binary, &bytes) == BC_OK) {
        /* A cache that cannot be written only costs time: warn, don't fail. */
        if (cache_write(device->cache_dir, key, binary, bytes) != BC_OK)
            log_warn("kernel cache not written: %s", error_last());
        free(binary);
    }
    error_clear();
    return BC_OK;
}

static Status find_program(Device *device, const char *name, cl_program *out) {
    for (int i = 0; i < device->program_count; i++)
        if (strcmp(device->programs[i].name, name) == 0) {
            *out = device->programs[i].handle;
            return BC_OK;
        }
    if (strlen(name) >= sizeof device->programs[0].name)
        return error_set(BC_ERR_USAGE, "program name '%s' too long", name);
    cl_program program;
    Status st = build_program(device, name, &program);
    if (st != BC_OK) return st;
    ProgramEntry *bigger = realloc(device->programs, (size_t)(device->program_count + 1) * sizeof *bigger);
    if (!bigger) {
        clReleaseProgram(program);
        return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    }
    device->programs = bigger;
    ProgramEntry *e = &device->programs[device->program_count++];
    snprintf(e->name, sizeof e->name, "%s", name);
    e->handle = program;
    *out = program;
    return BC_OK;
}

Status kernel_get(Device *device, const char *program, const char *kernel_name, Kernel **out) {
    for (int i = 0; i < device->kernel_count; i++) {
        Kernel *k = device->kernels[i];
        if (strcmp(k->name, kernel_name) == 0 && strcmp(k->program, program) == 0) {
            *out = k;
            return BC_OK;
        }
    }
    cl_program handle;
    Status st = find_program(device, program, &handle);
    if (st != BC_OK) return st;
    Kernel *k = calloc(1, sizeof *k);
    Kernel **bigger = realloc(device->kernels, (size_t)(device->kernel_count + 1) * sizeof *bigger);
    if (!k || !bigger) {
        free(k);
        if (bigger) device->kernels = bigger;
        return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    }
    device->kernels = bigger;
    cl_int code;
    k->handle = clCreateKernel(handle, kernel_name, &code);
    if (code != CL_SUCCESS) {
        free(k);
        if (code == CL_INVALID_KERNEL_NAME)
            return error_set(BC_ERR_NOT_FOUND, "cl/%s.cl has no kernel named '%s'", program,
                             kernel_name);
        CL_CHECK_RESULT(code, "clCreateKernel");
    }
    snprintf(k->program, sizeof k->program, "%s", program);
    snprintf(k->name, sizeof k->name, "%s", kernel_name);
    clGetKernelWorkGroupInfo(k->handle, device->id, CL_KERNEL_WORK_GROUP_SIZE,
                             sizeof k->max_work_group, &k->max_work_group, NULL);
    clGetKernelWorkGroupInfo(k->handle, device->id, CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE,
                             sizeof k->preferred_multiple, &k->preferred_multiple, NULL);
    device->kernels[device->kernel_count++] = k;
    *out = k;
    return BC_OK;
}

const char *kernel_name(const Kernel *kernel) { return kernel->name; }

void device_forget_programs(Device *device) {
    /* Remembered launches name kernels freed below (a profile change between a launch and
     * the collection of its timing, as in byolcl-bench --tune): their timings belong to the
     * old build options anyway. */
    device_release_events(device);
    for (int i = 0; i < device->kernel_count; i++) {
        clReleaseKernel(device->kernels[i]->handle);
        free(device->kernels[i]);
    }
    for (int i = 0; i < device->program_count; i++) clReleaseProgram(device->programs[i].handle);
    free(device->kernels);
    free(device->programs);
    device->kernels = NULL;
    device->programs = NULL;
    device->kernel_count = device->program_count = 0;
}

Status device_build_all_programs(Device *device, int *program_count) {
    *program_count = 0;
    for (int i = 0; i < kernel_source_count(); i++) {
        const char *name = kernel_source_name(i);
        if (!name) continue;
        cl_program program;
        Status st = find_program(device, name, &program);
        if (st != BC_OK) return st;
        (*program_count)++;
    }
    return BC_OK;
}
