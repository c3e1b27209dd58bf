/* select.c — the device selector: a pure function from (device list, selector string)
 * to an index, so every form is testable without OpenCL. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "byolcl/device.h"
#include "byolcl/log.h"

static int kind_rank(DeviceKind kind) {
    switch (kind) {
    case DEVICE_DISCRETE_GPU: return 0;
    case DEVICE_INTEGRATED_GPU: return 1;
    case DEVICE_ACCELERATOR: return 2;
    case DEVICE_CPU: return 3;
    default: return 4;
    }
}

static double throughput_score(const DeviceInfo *d) {
    return (double)d->compute_units * (double)(d->clock_mhz ? d->clock_mhz : 1);
}

/* True when a should be preferred over b. */
static bool ranks_before(const DeviceInfo *a, const DeviceInfo *b) {
    int ra = kind_rank(a->kind), rb = kind_rank(b->kind);
    if (ra != rb) return ra < rb;
    return throughput_score(a) > throughput_score(b);
}

typedef bool (*DeviceFilter)(const DeviceInfo *d);
static bool any_device(const DeviceInfo *d) { (void)d; return true; }
static bool is_gpu(const DeviceInfo *d) {
    return d->kind == DEVICE_DISCRETE_GPU || d->kind == DEVICE_INTEGRATED_GPU;
}
static bool is_igpu(const DeviceInfo *d) { return d->kind == DEVICE_INTEGRATED_GPU; }
static bool is_cpu(const DeviceInfo *d) { return d->kind == DEVICE_CPU; }

static int best_matching(const DeviceInfo *list, int count, DeviceFilter keep) {
    int best = -1;
    for (int i = 0; i < count; i++)
        if (keep(&list[i]) && (best < 0 || ranks_before(&list[i], &list[best]))) best = i;
    return best;
}

int device_rank_best(const DeviceInfo *list, int count) {
    return best_matching(list, count, any_device);
}

const char *device_default_selector(void) {
    const char *env = getenv("BYOLCL_DEVICE");
    return env && env[0] ? env : "auto";
}

static bool contains_ignoring_case(const char *haystack, const char *needle) {
    size_t n = strlen(needle);
    if (n == 0) return true;
    for (const char *h = haystack; *h; h++) {
        size_t i = 0;
        while (i < n && h[i] && tolower((unsigned char)h[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n) return true;
    }
    return false;
}

static bool matches_platform(const DeviceInfo *d, const char *needle) {
    return contains_ignoring_case(d->platform_name, needle) ||
           contains_ignoring_case(d->platform_vendor, needle);
}

static bool all_digits(const char *s, size_t n) {
    if (n == 0) return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return false;
    return true;
}

static bool only_digits_and_colons(const char *s) {
    for (; *s; s++)
        if (!isdigit((unsigned char)*s) && *s != ':') return false;
    return true;
}

static Status select_by_indices(const DeviceInfo *list, int count, const char *selector,
                                int *out_index) {
    const char *colon = strchr(selector, ':');
    if (!colon) {
        long flat = strtol(selector, NULL, 10);
        if (flat >= count)
            return error_set(BC_ERR_NOT_FOUND, "device index %ld is out of range (%d device%s)",
                             flat, count, count == 1 ? "" : "s");
        *out_index = (int)flat;
        return BC_OK;
    }
    long p = strtol(selector, NULL, 10), d = strtol(colon + 1, NULL, 10);
    for (int i = 0; i < count; i++)
        if (list[i].platform_index == p && list[i].device_index == d) {
            *out_index = i;
            return BC_OK;
        }
    return error_set(BC_ERR_NOT_FOUND, "no device %ld:%ld (platform:device)", p, d);
}

static Status select_by_name(const DeviceInfo *list, int count, const char *selector,
                             int *out_index, char *note, size_t note_cap) {
    char platform_part[256] = "", device_part[256];
    const char *colon = strchr(selector, ':');
    if (colon) {
        snprintf(platform_part, sizeof platform_part, "%.*s", (int)(colon - selector), selector);
        snprintf(device_part, sizeof device_part, "%s", colon + 1);
    } else {
        snprintf(device_part, sizeof device_part, "%s", selector);
    }
    int first = -1, matches = 0;
    for (int i = 0; i < count; i++) {
        bool platform_hit = matches_platform(&list[i], colon ? platform_part : device_part);
        bool device_hit = contains_ignoring_case(list[i].name, device_part);
        bool hit = colon ? platform_hit && device_hit : platform_hit || device_hit;
        if (!hit) continue;
        if (first < 0) first = i;
        matches++;
    }
    if (first < 0)
        return error_set(BC_ERR_NOT_FOUND, "no device matches '%s'", selector);
    if (matches > 1 && note)
        snprintf(note, note_cap, "%d devices match '%s'; using the first (%d:%d %s)", matches,
                 selector, list[first].platform_index, list[first].device_index,
                 list[first].name);
    *out_index = first;
    return BC_OK;
}

Status device_select(const DeviceInfo *list, int count, const char *selector, int *out_index,
                     char *note, size_t note_cap) {
    if (note && note_cap) note[0] = '\0';
    if (!selector || !selector[0])
        return error_set(BC_ERR_USAGE, "empty device selector");
    struct {
        const char *word;
        DeviceFilter keep;
    } kinds[] = {{"auto", any_device}, {"gpu", is_gpu}, {"igpu", is_igpu}, {"cpu", is_cpu}};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        if (strcasecmp(selector, kinds[k].word) != 0) continue;
        int best = best_matching(list, count, kinds[k].keep);
        if (best < 0) return error_set(BC_ERR_NOT_FOUND, "no %s device found", selector);
        *out_index = best;
        return BC_OK;
    }
    if (only_digits_and_colons(selector)) {
        const char *colon = strchr(selector, ':');
        bool flat_form = !colon && all_digits(selector, strlen(selector));
        bool pd_form = colon && strchr(colon + 1, ':') == NULL &&
                       all_digits(selector, (size_t)(colon - selector)) &&
                       all_digits(colon + 1, strlen(colon + 1));
        if (!flat_form && !pd_form)
            return error_set(BC_ERR_USAGE,
                             "malformed device selector '%s': expected N or P:D (e.g. 0:1)",
                             selector);
        return select_by_indices(list, count, selector, out_index);
    }
    return select_by_name(list, count, selector, out_index, note, note_cap);
}

void device_format_choices(const DeviceInfo *list, int count, char *out, size_t cap) {
    size_t used = 0;
#define APPEND(...)                                                                            \
    do {                                                                                       \
        if (used < cap) {                                                                      \
            int n_ = snprintf(out + used, cap - used, __VA_ARGS__);                            \
            if (n_ > 0) used += (size_t)n_;                                                    \
        }                                                                                      \
    } while (0)
    APPEND("available devices:\n");
    for (int i = 0; i < count; i++)
        APPEND("  %d:%d (N=%d)  %-14s %s — %s\n", list[i].platform_index, list[i].device_index,
               list[i].flat_index, device_kind_name(list[i].kind), list[i].platform_name,
               list[i].name);
    APPEND("selectors: auto | gpu | igpu | cpu | P:D | N | name substring | "
           "platform:device substrings (e.g. pocl, nvidia, intel:uhd)");
#undef APPEND
}

Status device_choose(const DeviceInfo *list, int count, const char *selector, int *out_index) {
    char note[512];
    Status st = device_select(list, count, selector, out_index, note, sizeof note);
    if (st == BC_OK) {
        if (note[0]) log_warn("%s", note);
        return BC_OK;
    }
    char reason[1024], choices[8192];
    snprintf(reason, sizeof reason, "%s", error_last());
    device_format_choices(list, count, choices, sizeof choices);
    return error_set(BC_ERR_USAGE, "device selector '%s' (--device or BYOLCL_DEVICE): %s\n%s",
                     selector, reason, choices);
}
