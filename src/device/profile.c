/* profile.c — the device profile: tuned integers per device (GEMM path, tiles, work-group
 * sizes). The keys, their defaults by device kind and their ranges are declared once in
 * profile_keys.def; a tuned file written by byolcl-bench --tune and BYOLCL_PROFILE overlay
 * the defaults. Every key becomes a -D BC_<KEY>=value build option of the programs whose
 * source names it. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/log.h"
#include "device/device_internal.h"
#include "util/fs.h"

/* LLVM's names for x86 CPUs with AVX-512 (as PoCL puts them in its device names). */
static const char *const avx512_cpus[] = {
    "avx512", "cascadelake", "cooperlake", "cannonlake", "icelake", "tigerlake", "rocketlake",
    "sapphirerapids", "emeraldrapids", "graniterapids", "diamondrapids", "knl", "knm",
    "znver4", "znver5", "x86-64-v4",
};

/* Floats per vector register our kernels can count on: 16 (AVX-512, 32 registers) unless
 * the device is PoCL compiling for a CPU without AVX-512 (AVX2 laptops and desktops: 16
 * registers of 8), where tiles sized for AVX-512 spill. PoCL names a CPU device
 * "<driver>-<LLVM CPU>-<brand>" and reports a preferred float width of 16 either way, so
 * the name is what tells. Other CPU drivers keep the measured AVX-512 defaults. */
int device_cpu_simd_floats(const DeviceInfo *info) {
    if (!strstr(info->platform_name, "Portable Computing Language")) return 16;
    for (size_t i = 0; i < sizeof avx512_cpus / sizeof *avx512_cpus; i++)
        if (strstr(info->name, avx512_cpus[i])) return 16;
    return 8;
}

/* Every key, declared once (profile_keys.def). */
typedef enum { PLAIN, PER_CU, VECTOR_WIDTH, POWER_OF_TWO } KeyRule;

typedef struct {
    const char *name;
    int avx512, avx2, gpu; /* defaults by device kind */
    int min, max;
    KeyRule rule;
} KeySpec;

static const KeySpec key_specs[PROFILE_KEY_COUNT] = {
#define PROFILE_KEY(name, avx512, avx2, gpu, min, max, rule, doc) {#name, avx512, avx2, gpu, min, max, rule},
#include "device/profile_keys.def"
#undef PROFILE_KEY
};

/* The key's index, or -1 when no key has that name. */
static int key_index(const char *key) {
    for (int i = 0; i < PROFILE_KEY_COUNT; i++)
        if (strcmp(key_specs[i].name, key) == 0) return i;
    return -1;
}

void profile_init_defaults(DeviceProfile *profile, const DeviceInfo *info) {
    bool cpu = info->kind == DEVICE_CPU;
    /* AVX2-class CPU: register tiles for 16 registers of 8 floats. */
    bool narrow = cpu && device_cpu_simd_floats(info) == 8;
    int compute_units = info->compute_units ? (int)info->compute_units : 1;
    for (int i = 0; i < PROFILE_KEY_COUNT; i++) {
        const KeySpec *k = &key_specs[i];
        int value = narrow ? k->avx2 : cpu ? k->avx512 : k->gpu;
        profile->values[i] = k->rule == PER_CU ? value * compute_units : value;
    }
}

/* NULL when the key may take value, else why not (static text; the key and value go
 * alongside). A value outside a key's range would reach a kernel as a zero-sized array, a
 * division by zero or a vector type that does not exist. */
static const char *profile_value_problem(const KeySpec *k, int value) {
    if (value < k->min || value > k->max) return "out of range";
    if (k->rule == VECTOR_WIDTH && value != 2 && value != 3 && value != 4 && value != 8 && value != 16)
        return "not an OpenCL vector width (2, 3, 4, 8 or 16)";
    if (k->rule == POWER_OF_TWO && (value & (value - 1)) != 0) return "not a power of two";
    return NULL;
}

/* A value read from a file or the environment: a bad one or an unknown key is reported and
 * the earlier value kept. */
static void profile_put_checked(DeviceProfile *profile, const char *where, const char *key, int value) {
    int i = key_index(key);
    if (i < 0) {
        log_warn("%s: ignored %s = %d (no such profile key; docs/tuning.md lists them)", where, key, value);
        return;
    }
    const char *problem = profile_value_problem(&key_specs[i], value);
    if (problem) {
        log_warn("%s: ignored %s = %d (%s; allowed %d to %d)", where, key, value, problem,
                 key_specs[i].min, key_specs[i].max);
        return;
    }
    profile->values[i] = value;
}

static void sanitize(const char *in, char *out, size_t cap) {
    size_t j = 0;
    for (size_t i = 0; in[i] && j + 1 < cap; i++) {
        unsigned char c = (unsigned char)in[i];
        out[j++] = isalnum(c) || c == '.' || c == '-' ? (char)c : '_';
    }
    out[j] = '\0';
}

/* BYOLCL_PROFILE="KEY=V,KEY=V" overrides the defaults and the tuned file for one run (for
 * experiments, and for the oclgrind runs that pin the GEMM path). */
static void profile_apply_environment(DeviceProfile *profile) {
    const char *env = getenv("BYOLCL_PROFILE");
    if (!env || !env[0]) return;
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", env);
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char key[48];
        int value;
        if (sscanf(item, " %47[A-Za-z0-9_] = %d", key, &value) == 2)
            profile_put_checked(profile, "BYOLCL_PROFILE", key, value);
        else log_warn("BYOLCL_PROFILE: ignored '%s' (expected KEY=integer)", item);
    }
}

void profile_load_overlay(DeviceProfile *profile, const char *cache_root, const DeviceInfo *info) {
    char name[128], driver[96];
    sanitize(info->name, name, sizeof name);
    sanitize(info->driver_version, driver, sizeof driver);
    snprintf(profile->path, sizeof profile->path, "%s/profiles/%s__%s.profile", cache_root, name,
             driver);
    char *text;
    if (fs_read_file(profile->path, &text, NULL) != BC_OK) {
        error_clear(); /* no tuned profile yet: defaults stand */
        profile_apply_environment(profile);
        return;
    }
    int line_no = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        line_no++;
        if (line[0] == '#' || line[0] == '\0') continue;
        char key[48];
        int value;
        if (sscanf(line, "%47[A-Za-z0-9_] = %d", key, &value) == 2)
            profile_put_checked(profile, profile->path, key, value);
        else log_warn("%s:%d: ignored (expected KEY = integer)", profile->path, line_no);
    }
    free(text);
    profile_apply_environment(profile);
}

/* Whether `source` names BC_<key> as a whole token. */
static bool source_names(const char *source, const char *key) {
    char token[64];
    int length = snprintf(token, sizeof token, "BC_%s", key);
    for (const char *p = strstr(source, token); p; p = strstr(p + 1, token)) {
        char next = p[length];
        if (!isalnum((unsigned char)next) && next != '_') return true;
    }
    return false;
}

void profile_format_defines(const DeviceProfile *profile, const char *source, char *out, size_t cap) {
    size_t used = strlen(out);
    for (int i = 0; i < PROFILE_KEY_COUNT && used < cap; i++) {
        if (source && !source_names(source, key_specs[i].name)) continue;
        int n = snprintf(out + used, cap - used, " -D BC_%s=%d", key_specs[i].name, profile->values[i]);
        if (n > 0) used += (size_t)n;
    }
}

int device_profile_get(const Device *device, const char *key) {
    int i = key_index(key);
    if (i < 0) {
        /* A programming error: every key the code reads is declared in profile_keys.def. */
        fprintf(stderr, "byolcl: internal error: device_profile_get(\"%s\"): no such profile key\n", key);
        abort();
    }
    return device->profile.values[i];
}

Status device_profile_set(Device *device, const char *key, int value) {
    int i = key_index(key);
    if (i < 0) return error_set(BC_ERR_USAGE, "profile key %s: no such key", key);
    const char *problem = profile_value_problem(&key_specs[i], value);
    if (problem)
        return error_set(BC_ERR_USAGE, "profile key %s = %d: %s (allowed %d to %d)", key, value,
                         problem, key_specs[i].min, key_specs[i].max);
    if (device->profile.values[i] == value) return BC_OK;
    device->profile.values[i] = value;
    /* Build options changed: programs built under the old values are stale. */
    device_forget_programs(device);
    return BC_OK;
}

const char *device_profile_path(const Device *device) { return device->profile.path; }

Status device_profile_save(const Device *device) {
    char folder[4200];
    snprintf(folder, sizeof folder, "%s", device->profile.path);
    char *slash = strrchr(folder, '/');
    if (slash) *slash = '\0';
    Status st = fs_mkdir_p(folder);
    if (st != BC_OK) return st;
    char text[PROFILE_KEY_COUNT * 64 + 512];
    int used = snprintf(text, sizeof text, "# byolcl device profile for %s (driver %s)\n",
                        device->info.name, device->info.driver_version);
    for (int i = 0; i < PROFILE_KEY_COUNT; i++)
        used += snprintf(text + used, sizeof text - (size_t)used, "%s = %d\n", key_specs[i].name,
                         device->profile.values[i]);
    FsPart part = {text, (size_t)used};
    return fs_write_atomic(device->profile.path, &part, 1);
}
