/* cmd_devices.c — `byolcl devices`: every OpenCL platform and device, with what matters
 * for training, and which one the selector (default auto) picks. */
#include <stdio.h>
#include <stdlib.h>

#include "util/cli_flags.h"
#include "cli/commands.h"
#include "util/clock.h"
#include "util/json.h"

void cli_print_chosen_device(const DeviceInfo *info, const char *selector) {
    printf("device: %d:%d %s (%s, %s) — selected by '%s'\n", info->platform_index,
           info->device_index, info->name, device_kind_name(info->kind), info->platform_name,
           selector);
}

/* y = 2x + y on the device against the same on the host. */
static Status self_test(Device *device) {
    enum { N = 1000 };
    float x[N], y[N], got[N];
    for (int i = 0; i < N; i++) x[i] = (float)i * 0.25f, y[i] = 1.0f - (float)i;
    Buffer *bx = NULL, *by = NULL;
    Kernel *axpy;
    Status st = buffer_create(device, sizeof x, &bx);
    if (st == BC_OK) st = buffer_create(device, sizeof y, &by);
    if (st == BC_OK) st = buffer_write(device, bx, 0, sizeof x, x);
    if (st == BC_OK) st = buffer_write(device, by, 0, sizeof y, y);
    if (st == BC_OK) st = kernel_get(device, "basic", "axpy_float", &axpy);
    if (st == BC_OK)
        st = KERNEL_LAUNCH_1D(device, axpy, N, ARG_VIEW_OF(by, 0), ARG_VIEW_OF(bx, 0), ARG_I(N), ARG_F(2.0f));
    if (st == BC_OK) st = buffer_read(device, by, 0, sizeof got, got);
    for (int i = 0; st == BC_OK && i < N; i++)
        if (got[i] != y[i] + 2.0f * x[i])
            st = error_set(BC_ERR_OPENCL, "self-test failed: element %d is %g, expected %g", i,
                           got[i], y[i] + 2.0f * x[i]);
    buffer_release(bx);
    buffer_release(by);
    return st;
}

static void print_table(const DeviceInfo *list, int count, int chosen, int best) {
    for (int i = 0; i < count; i++) {
        const DeviceInfo *d = &list[i];
        printf("\n%s %d:%d (N=%d)  %s\n", i == chosen ? "*" : " ", d->platform_index,
               d->device_index, d->flat_index, d->name);
        printf("    type            %s%s\n", device_kind_name(d->kind), i == best ? "  (auto picks this)" : "");
        printf("    platform        %s — %s\n", d->platform_name, d->platform_version);
        printf("    vendor          %s\n", d->vendor);
        printf("    driver          %s\n", d->driver_version);
        printf("    compute units   %u at %u MHz\n", d->compute_units, d->clock_mhz);
        printf("    global memory   %.1f GiB (largest allocation %.1f GiB)\n",
               d->global_mem_bytes / 1073741824.0, d->max_alloc_bytes / 1073741824.0);
        printf("    local memory    %.0f KiB, work-group up to %zu\n", d->local_mem_bytes / 1024.0,
               d->max_work_group_size);
        printf("    OpenCL C        %s\n", d->opencl_c_version);
        printf("    fp16 / fp64     %s / %s\n", d->fp16 ? "yes" : "no", d->fp64 ? "yes" : "no");
        if (d->kind == DEVICE_CPU)
            printf("    CPU kernels     register tiles for %s\n",
                   device_cpu_simd_floats(d) == 8 ? "AVX2 (16 registers of 8 floats)"
                                                  : "AVX-512 (32 registers of 16 floats)");
    }
}

static void print_json(const DeviceInfo *list, int count, int chosen, int best) {
    printf("{\"selected\": %d, \"auto\": %d, \"devices\": [", chosen, best);
    for (int i = 0; i < count; i++) {
        const DeviceInfo *d = &list[i];
        printf("%s\n  {\"index\": \"%d:%d\", \"flat_index\": %d, \"type\": ", i ? "," : "",
               d->platform_index, d->device_index, d->flat_index);
        json_write_string(stdout, device_kind_name(d->kind));
        const struct {
            const char *key, *value;
        } strings[] = {{"name", d->name},
                       {"vendor", d->vendor},
                       {"platform", d->platform_name},
                       {"platform_version", d->platform_version},
                       {"driver_version", d->driver_version},
                       {"opencl_c_version", d->opencl_c_version}};
        for (size_t s = 0; s < sizeof strings / sizeof strings[0]; s++) {
            printf(", \"%s\": ", strings[s].key);
            json_write_string(stdout, strings[s].value);
        }
        printf(", \"compute_units\": %u, \"clock_mhz\": %u, \"global_mem_bytes\": %llu, "
               "\"max_alloc_bytes\": %llu, \"local_mem_bytes\": %llu, \"max_work_group_size\": %zu, "
               "\"fp16\": %s, \"fp64\": %s, \"cpu_simd_floats\": %d}",
               d->compute_units, d->clock_mhz, (unsigned long long)d->global_mem_bytes,
               (unsigned long long)d->max_alloc_bytes, (unsigned long long)d->local_mem_bytes,
               d->max_work_group_size, d->fp16 ? "true" : "false", d->fp64 ? "true" : "false",
               d->kind == DEVICE_CPU ? device_cpu_simd_floats(d) : 0);
    }
    printf("\n]}\n");
}

/* Builds every kernel program on the device (from the cache when warm) and runs a small
 * computation against the host, timing the build: the cold/warm numbers in README.md. */
static Status check_device(const char *selector) {
    Device *device;
    Status st = device_open(selector, NULL, &device);
    if (st != BC_OK) return st;
    double start = clock_seconds();
    int programs = 0;
    st = device_build_all_programs(device, &programs);
    double build_s = clock_seconds() - start;
    if (st == BC_OK) st = self_test(device);
    if (st == BC_OK) {
        DeviceStats s = device_stats(device);
        printf("\ncheck: %d kernel programs ready in %.2f s (%d compiled, %d from the binary cache), "
               "self-test passed\n",
               programs, build_s, s.programs_built_from_source, s.programs_loaded_from_cache);
    }
    device_close(device);
    return st;
}

Status command_devices(int argc, char **argv) {
    const char *selector = device_default_selector();
    bool json = false, check = false, help = false;
    const CliFlag flags[] = {
        {"--device", FLAG_STRING, &selector, "which device to mark as selected"},
        {"--json", FLAG_BOOL, &json, "print JSON for scripts (the chosen-device line goes to stderr)"},
        {"--check", FLAG_BOOL, &check, "open the selected device, build every kernel and run a self-test"},
    };
    const int flag_count = sizeof flags / sizeof flags[0];
    Status st = cli_parse_or_help(argc, argv, flags, flag_count, "byolcl devices [--device SEL] [--json] [--check]",
                       "Lists every OpenCL platform and device and which one a selector picks.", &help);
    if (st != BC_OK || help) return st;
    DeviceInfo *list;
    int count;
    st = device_list(&list, &count);
    if (st != BC_OK) return st;
    int chosen;
    st = device_choose(list, count, selector, &chosen);
    if (st != BC_OK) {
        free(list);
        return st;
    }
    int best = device_rank_best(list, count);
    if (json) {
        fprintf(stderr, "device: %d:%d %s — selected by '%s'\n", list[chosen].platform_index,
                list[chosen].device_index, list[chosen].name, selector);
        print_json(list, count, chosen, best);
    } else {
        cli_print_chosen_device(&list[chosen], selector);
        print_table(list, count, chosen, best);
    }
    free(list);
    return check ? check_device(selector) : BC_OK;
}
