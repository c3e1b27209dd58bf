/* profile.c — the device profile: tuned integers per device (GEMM path, tiles, work-group
 * sizes). Defaults come from the device kind; a tuned file written by byolcl-bench --tune
 * overlays them. Every entry becomes a -D BC_<KEY>=value build option. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/log.h"
#include "device/device_internal.h"
#include "util/fs.h"

static void profile_put(DeviceProfile *profile, const char *key, int value) {
    for (int i = 0; i < profile->count; i++)
        if (strcmp(profile->entries[i].key, key) == 0) {
            profile->entries[i].value = value;
            return;
        }
    if (profile->count == PROFILE_MAX_ENTRIES) return;
    ProfileEntry *e = &profile->entries[profile->count++];
    snprintf(e->key, sizeof e->key, "%s", key);
    e->value = value;
}

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

void profile_init_defaults(DeviceProfile *profile, const DeviceInfo *info) {
    profile->count = 0;
    bool cpu = info->kind == DEVICE_CPU;
    /* AVX2-class CPU: register tiles for 16 registers of 8 floats (below). */
    bool narrow = cpu && device_cpu_simd_floats(info) == 8;
    /* Our kernels on every device until a tuned profile says otherwise. On CPU drivers
     * (PoCL) they beat CLBlast outright. On an H200 CLBlast ran each GEMM alone 2-11x
     * faster, yet a training step's hundreds of calls of changing shapes ran far slower
     * through it: small-w16 557 vs 48 ms, ResNet-18 at 32x32 2235 vs 738 ms (2026-11-28),
     * most of it time the GPU waited for CLBlast's host work (handing CLBlast a reused
     * temporary buffer did not change that). */
    profile_put(profile, "GEMM_PATH", 0);
    profile_put(profile, "WG_1D", cpu ? 64 : 256);
    /* Our GEMM: each work-item holds TILE_M rows x TILE_N columns of C in registers
     * (8 x 16 = eight AVX-512 vectors); GEMM_WG_N x GEMM_WG_M tiles per work-group. CPUs:
     * 12 rows, so with two panels (GEMM_TILE_NP) 24 of AVX-512's 32 registers accumulate
     * and each pair of B vectors feeds 24 FMAs instead of 16: the small ResNet's GEMM time
     * per step, relative to its direct convolutions in the same runs, fell 10% at width 32
     * and 4% at width 16 (medians of three alternating --step runs, PoCL, 2-core VM). */
    /* AVX2 (16 registers of 8 floats): 6 rows x two 8-wide panels, 12 accumulators next
     * to two B vectors and a broadcast (the classic 6x16 AVX2 SGEMM tile); 12 x 16 there
     * spilled (w16 step on PoCL's haswell target, same VM: GEMM 147 -> 76 ms). */
    profile_put(profile, "GEMM_TILE_M", narrow ? 6 : cpu ? 12 : 8);
    profile_put(profile, "GEMM_TILE_N", narrow ? 8 : 16);
    profile_put(profile, "GEMM_WG_N", cpu ? 1 : 16);
    profile_put(profile, "GEMM_WG_M", cpu ? 2 : 4);
    /* CPUs: A packed into row tiles and two panels per work-item (16 accumulators), when
     * the product has at least GEMM_PACK_A_MIN_PANELS panels for each packed tile to feed. */
    profile_put(profile, "GEMM_PACK_A", cpu ? 1 : 0);
    profile_put(profile, "GEMM_PACK_A_MIN_PANELS", 9);
    /* Panels per work-item of the kernel that reads A in place: 2 on CPUs (each broadcast
     * feeds two FMAs), 1 on GPUs (registers are shared by many work-items there). */
    profile_put(profile, "GEMM_TILE_NP", cpu ? 2 : 1);
    /* A * B^T with m < n computed as (B * A^T)^T on CPUs: the small A^T is packed instead of
     * the large B^T (weight gradients), saving a round trip of B through memory. */
    profile_put(profile, "GEMM_NT_SWAP", cpu ? 1 : 0);
    /* Split-k: long depths over small outputs in chunks of GEMM_SPLIT_K, summed after; only
     * where k >= GEMM_SPLIT_RATIO x the output's longer side. 0: off. CPUs: chunks whose
     * operands stay in L2 while every work-item of the chunk uses them. GPUs: enough chunks
     * to fill the device (a weight gradient's output alone fills a few of its cores). */
    profile_put(profile, "GEMM_SPLIT_K", cpu ? 1024 : 512);
    profile_put(profile, "GEMM_SPLIT_RATIO", 4);
    /* CPUs: a B that is not transposed is read in place, each work-item copying its panels
     * into local memory (cache-resident on CPU drivers) instead of packing all of B first. */
    profile_put(profile, "GEMM_LOCAL_B", cpu ? 1 : 0);
    profile_put(profile, "GEMM_LOCAL_B_KB", 256);
    profile_put(profile, "GEMM_LOCAL_B_MAX_M", 128);
    profile_put(profile, "GEMM_LOCAL_B_MIN_ITEMS", 8 * (int)(info->compute_units ? info->compute_units : 1));
    /* conv2d's im2col/col2im: a panel of GEMM_TILE_N lanes per work-item (1) suits CPUs,
     * one element per work-item (0) suits GPUs. */
    profile_put(profile, "CONV_VECTOR", cpu ? 1 : 0);
    /* Stride-1 convolutions computed directly, without a patch matrix (1), suit CPUs. */
    profile_put(profile, "CONV_DIRECT", cpu ? 1 : 0);
    /* 3x3 direct convolutions on blocked register tiles (8 channels x 3 rows, 6 x 4 vectors
     * on narrow planes) instead of 16 channels x 1 vector. */
    profile_put(profile, "CONV_DIRECT_BLOCKED", cpu ? 1 : 0);
    /* 3x3 direct convolutions with 16 output channels per vector where rows fill pixel
     * vectors badly (28, 14 and 7 wide) and there are 16+ input channels. */
    profile_put(profile, "CONV_DIRECT_CHANNEL_LANES", cpu ? 1 : 0);
    /* Their channels per vector: 8 on AVX2, where 14 accumulators of 16 floats spill. */
    profile_put(profile, "CONV_LANES", narrow ? 8 : 16);
    /* 3x3 stride-1 weight gradients straight from the tensors (no patch matrix) on CPUs. */
    profile_put(profile, "CONV_WGRAD_DIRECT", cpu ? 1 : 0);
    /* Output channels per weight-gradient work-item: 2 x 9 accumulators fit AVX-512's
     * registers; on AVX2 one channel's 9 (two spilled: w16 step, haswell target, 112 -> 78 ms). */
    profile_put(profile, "WGRAD_CO", narrow ? 1 : 2);
    /* Convolutions as implicit GEMMs over whole batches (cl/conv2d_igemm.cl) on GPUs: a
     * work-group of WG_M x WG_N work-items, each TILE_M x TILE_N outputs in registers, so
     * 64 x 64 tiles staged TILE_K deep through local memory (rows padded by PAD floats);
     * every GPU takes 256 work-items and 8.5 KB of local memory. Weight gradients slice
     * their depth until WGRAD_GROUPS work-groups (4 per compute unit) run, slices at least
     * WGRAD_MIN_K deep. Starting points for the tuner, not measured optima. */
    int units = (int)(info->compute_units ? info->compute_units : 1);
    profile_put(profile, "CONV_IGEMM", cpu ? 0 : 1);
    profile_put(profile, "CONV_IGEMM_WG_M", 16);
    profile_put(profile, "CONV_IGEMM_WG_N", 16);
    profile_put(profile, "CONV_IGEMM_TILE_M", 4);
    profile_put(profile, "CONV_IGEMM_TILE_N", 4);
    profile_put(profile, "CONV_IGEMM_TILE_K", 16);
    profile_put(profile, "CONV_IGEMM_PAD", 1);
    profile_put(profile, "CONV_IGEMM_WGRAD_GROUPS", 4 * units);
    profile_put(profile, "CONV_IGEMM_WGRAD_MIN_K", 1024);
    /* Batch norm: per-plane float16 kernels (1) suit CPUs, one element per work-item (0)
     * suits GPUs. */
    profile_put(profile, "BN_PLANES", cpu ? 1 : 0);
    /* GPUs: the statistics and gradient sums as work-group reductions (BN_GPU_WG work-items,
     * a power of two, over BN_GPU_CHUNK values of a channel each, read in coalesced runs),
     * then the per-channel merge. */
    profile_put(profile, "BN_GPU", cpu ? 0 : 1);
    profile_put(profile, "BN_GPU_WG", 256);
    profile_put(profile, "BN_GPU_CHUNK", 16384);
    /* Vector stores as one instruction through a 4-byte-aligned vector type (PoCL's vstore16
     * writes 4-lane pieces); GPUs keep vstoreN, whose compilers may lack clang's types. */
    profile_put(profile, "STORE_UNALIGNED", cpu ? 1 : 0);
}

/* The values each known key's kernels and host code can take: one outside them would reach
 * a kernel as a zero-sized array, a division by zero or a vector type that does not exist,
 * so it is refused with the key named instead. Unknown keys pass (experiments). */
typedef struct {
    const char *key;
    int min, max;
} KeyRange;

static const KeyRange key_ranges[] = {
    {"GEMM_PATH", 0, 1},          {"WG_1D", 1, 4096},           {"GEMM_TILE_M", 1, 16},
    {"GEMM_TILE_N", 2, 16},       {"GEMM_WG_N", 1, 1024},       {"GEMM_WG_M", 1, 1024},
    {"GEMM_PACK_A", 0, 1},        {"GEMM_PACK_A_MIN_PANELS", 1, 1 << 20},
    {"GEMM_TILE_NP", 1, 2},       {"GEMM_NT_SWAP", 0, 1},       {"GEMM_SPLIT_K", 0, 1 << 30},
    {"GEMM_SPLIT_RATIO", 1, 1 << 20},                           {"GEMM_LOCAL_B", 0, 1},
    {"GEMM_LOCAL_B_KB", 1, 1 << 20},                            {"GEMM_LOCAL_B_MAX_M", 1, 1 << 30},
    {"GEMM_LOCAL_B_MIN_ITEMS", 1, 1 << 30},                     {"CONV_VECTOR", 0, 1},
    {"CONV_DIRECT", 0, 1},        {"CONV_DIRECT_BLOCKED", 0, 1},  {"CONV_DIRECT_CHANNEL_LANES", 0, 1},
    {"CONV_DIRECT_MAX_TILE_KB", 0, 1 << 20},                    {"CONV_WGRAD_DIRECT", 0, 1},
    {"WGRAD_CO", 1, 3},           {"WGRAD_CHUNK_KB", 1, 1 << 20},
    {"CONV_SCRATCH_KB", 1, 1 << 30},                            {"BN_PLANES", 0, 1},
    {"BN_PLANE_ITEMS", 1, 4096},  {"BN_CHUNK", 1, 1 << 30},     {"AUGMENT_WG", 1, 4096},
    {"STORE_UNALIGNED", 0, 1},    {"CONV_LANES", 8, 16},
    {"CONV_IGEMM", 0, 1},         {"CONV_IGEMM_WG_M", 1, 64},   {"CONV_IGEMM_WG_N", 1, 64},
    {"CONV_IGEMM_TILE_M", 1, 16}, {"CONV_IGEMM_TILE_N", 1, 16}, {"CONV_IGEMM_TILE_K", 1, 64},
    {"CONV_IGEMM_PAD", 0, 8},     {"CONV_IGEMM_WGRAD_GROUPS", 1, 1 << 20},
    {"CONV_IGEMM_WGRAD_MIN_K", 1, 1 << 30},                     {"BN_GPU", 0, 1},
    {"BN_GPU_WG", 1, 1024},       {"BN_GPU_CHUNK", 1, 1 << 30},
};

/* NULL when key may take value, else why not (static text; the key and value go alongside). */
static const char *profile_value_problem(const char *key, int value, int *min, int *max) {
    for (size_t i = 0; i < sizeof key_ranges / sizeof *key_ranges; i++) {
        if (strcmp(key_ranges[i].key, key) != 0) continue;
        *min = key_ranges[i].min, *max = key_ranges[i].max;
        if (value < *min || value > *max) return "out of range";
        /* Vector widths OpenCL has (float2, 3, 4, 8, 16). */
        if (strcmp(key, "GEMM_TILE_N") == 0 && value != 2 && value != 3 && value != 4 &&
            value != 8 && value != 16)
            return "not a vector width (2, 3, 4, 8 or 16)";
        if (strcmp(key, "CONV_LANES") == 0 && value != 8 && value != 16) return "not 8 or 16";
        /* The work-group reductions halve their width each step. */
        if (strcmp(key, "BN_GPU_WG") == 0 && (value & (value - 1)) != 0) return "not a power of two";
        return NULL;
    }
    return NULL;
}

/* profile_put for values read from a file or the environment: a bad one is reported and the
 * earlier value kept. */
static void profile_put_checked(DeviceProfile *profile, const char *where, const char *key, int value) {
    int min = 0, max = 0;
    const char *problem = profile_value_problem(key, value, &min, &max);
    if (problem) {
        log_warn("%s: ignored %s = %d (%s; allowed %d to %d)", where, key, value, problem, min, max);
        return;
    }
    profile_put(profile, key, value);
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

void profile_format_defines(const DeviceProfile *profile, char *out, size_t cap) {
    size_t used = strlen(out);
    for (int i = 0; i < profile->count && used < cap; i++) {
        int n = snprintf(out + used, cap - used, " -D BC_%s=%d", profile->entries[i].key,
                         profile->entries[i].value);
        if (n > 0) used += (size_t)n;
    }
}

int device_profile_get(const Device *device, const char *key, int fallback) {
    const DeviceProfile *p = &device->profile;
    for (int i = 0; i < p->count; i++)
        if (strcmp(p->entries[i].key, key) == 0) return p->entries[i].value;
    return fallback;
}

Status device_profile_set(Device *device, const char *key, int value) {
    int min = 0, max = 0;
    const char *problem = profile_value_problem(key, value, &min, &max);
    if (problem)
        return error_set(BC_ERR_USAGE, "profile key %s = %d: %s (allowed %d to %d)", key, value,
                         problem, min, max);
    if (device->profile.count == PROFILE_MAX_ENTRIES && device_profile_get(device, key, -1) == -1)
        return error_set(BC_ERR_USAGE, "device profile is full (%d keys)", PROFILE_MAX_ENTRIES);
    profile_put(&device->profile, key, value);
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
    char text[PROFILE_MAX_ENTRIES * 64 + 512];
    int used = snprintf(text, sizeof text, "# byolcl device profile for %s (driver %s)\n",
                        device->info.name, device->info.driver_version);
    for (int i = 0; i < device->profile.count; i++)
        used += snprintf(text + used, sizeof text - (size_t)used, "%s = %d\n",
                         device->profile.entries[i].key, device->profile.entries[i].value);
    FsPart part = {text, (size_t)used};
    return fs_write_atomic(device->profile.path, &part, 1);
}
