/* augment_config.c — the default T / T' distributions, their validation, and the --aug*
 * command-line flags that set every probability and range. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/augment.h"
#include "byolcl/data.h"

void augment_config_default(AugmentConfig *config) {
    /* BYOL (Grill et al. 2020), appendix B: T and T' differ only in blur and solarization. */
    AugmentViewConfig t = {
        .crop_area_min = 0.08f, .crop_area_max = 1.0f,
        .crop_aspect_min = 3.0f / 4.0f, .crop_aspect_max = 4.0f / 3.0f,
        .flip_prob = 0.5f,
        .jitter_prob = 0.8f, .brightness = 0.4f, .contrast = 0.4f, .saturation = 0.2f, .hue = 0.1f,
        .grayscale_prob = 0.2f,
        .blur_prob = 1.0f, .blur_sigma_min = 0.1f, .blur_sigma_max = 2.0f,
        .solarize_prob = 0.0f, .solarize_threshold = 0.5f,
    };
    *config = (AugmentConfig){.view = {t, t}, .blur_kernel_fraction = 0.1f,
                              .mean = {0, 0, 0}, .std = {1, 1, 1}};
    config->view[1].blur_prob = 0.1f;
    config->view[1].solarize_prob = 0.2f;
}

void augment_config_default_for(AugmentConfig *config, int image_side) {
    augment_config_default(config);
    if (image_side > SMALL_IMAGE_MAX_SIDE) return;
    /* The paper's blur is made for 224 px: at 28-64 px its 3-7 tap kernel with sigma up to 2
     * erases the detail small images have (CIFAR recipes such as solo-learn's turn it off).
     * An 8% crop of a 28-px image is an 8x8 patch, often plain background: crops of at least
     * 30% gained 1.2-2 points per column in equal steps. Measured: docs/training.md#defaults. */
    for (int v = 0; v < 2; v++) {
        config->view[v].blur_prob = 0;
        config->view[v].crop_area_min = SMALL_IMAGE_CROP_AREA_MIN;
    }
}

typedef enum { KEY_PROB, KEY_STRENGTH, KEY_HUE, KEY_RANGE, KEY_THRESHOLD } KeyKind;

/* Per-view keys: where the value lives inside AugmentViewConfig. */
typedef struct {
    const char *name;
    KeyKind kind;
    size_t offset; /* the float (or the first of a MIN,MAX pair) */
    const char *help;
} ViewKey;

#define FIELD(f) offsetof(AugmentViewConfig, f)
static const ViewKey view_keys[] = {
    {"crop-area", KEY_RANGE, FIELD(crop_area_min), "random resized crop: area fraction MIN,MAX"},
    {"crop-aspect", KEY_RANGE, FIELD(crop_aspect_min), "crop aspect ratio w/h MIN,MAX (log-uniform)"},
    {"flip-prob", KEY_PROB, FIELD(flip_prob), "horizontal flip probability"},
    {"jitter-prob", KEY_PROB, FIELD(jitter_prob), "color jitter probability"},
    {"brightness", KEY_STRENGTH, FIELD(brightness), "brightness strength (factor in [1-s, 1+s])"},
    {"contrast", KEY_STRENGTH, FIELD(contrast), "contrast strength"},
    {"saturation", KEY_STRENGTH, FIELD(saturation), "saturation strength (RGB only)"},
    {"hue", KEY_HUE, FIELD(hue), "hue shift range in turns, <= 0.5 (RGB only)"},
    {"grayscale-prob", KEY_PROB, FIELD(grayscale_prob), "grayscale probability (RGB only)"},
    {"blur-prob", KEY_PROB, FIELD(blur_prob), "Gaussian blur probability"},
    {"blur-sigma", KEY_RANGE, FIELD(blur_sigma_min), "blur sigma MIN,MAX in pixels"},
    {"solarize-prob", KEY_PROB, FIELD(solarize_prob), "solarization probability"},
    {"solarize-threshold", KEY_THRESHOLD, FIELD(solarize_threshold), "solarize pixels >= this"},
};
enum { VIEW_KEY_COUNT = sizeof view_keys / sizeof view_keys[0] };

static float *view_field(AugmentViewConfig *v, size_t offset) {
    return (float *)((char *)v + offset);
}

/* Parses up to `max` comma-separated numbers; returns how many, or -1 when malformed. */
static int parse_numbers(const char *text, float *out, int max) {
    int count = 0;
    const char *p = text;
    while (*p) {
        if (count == max) return -1;
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno || !isfinite(v)) return -1;
        out[count++] = (float)v;
        if (*end == ',') end++;
        else if (*end) return -1;
        p = end;
    }
    return count;
}

static Status check_view(const AugmentViewConfig *v, const char *prefix) {
    for (int k = 0; k < VIEW_KEY_COUNT; k++) {
        const ViewKey *key = &view_keys[k];
        const float *x = (const float *)((const char *)v + key->offset);
        bool ok = true;
        const char *rule = "";
        switch (key->kind) {
        case KEY_PROB: ok = x[0] >= 0 && x[0] <= 1, rule = "a probability in [0, 1]"; break;
        case KEY_STRENGTH: ok = x[0] >= 0 && x[0] <= 10, rule = "in [0, 10]"; break;
        case KEY_HUE: ok = x[0] >= 0 && x[0] <= 0.5f, rule = "in [0, 0.5]"; break;
        case KEY_THRESHOLD: ok = x[0] >= 0 && x[0] <= 1, rule = "in [0, 1]"; break;
        case KEY_RANGE: ok = x[0] > 0 && x[0] <= x[1] && x[1] <= 1000, rule = "MIN,MAX with 0 < MIN <= MAX <= 1000"; break;
        }
        if (!ok) {
            if (key->kind == KEY_RANGE)
                return error_set(BC_ERR_USAGE, "--%s%s is %g,%g; it must be %s", prefix, key->name,
                                 x[0], x[1], rule);
            return error_set(BC_ERR_USAGE, "--%s%s is %g; it must be %s", prefix, key->name, x[0], rule);
        }
    }
    if (v->crop_area_max > 1)
        return error_set(BC_ERR_USAGE, "--%scrop-area: the largest area fraction is 1, not %g",
                         prefix, v->crop_area_max);
    return BC_OK;
}

Status augment_config_validate(const AugmentConfig *config) {
    Status st = check_view(&config->view[0], "aug1-");
    if (st == BC_OK) st = check_view(&config->view[1], "aug2-");
    if (st != BC_OK) return st;
    if (config->out_h < 0 || config->out_w < 0)
        return error_set(BC_ERR_USAGE, "--aug-size must be positive, not %dx%d", config->out_h, config->out_w);
    if (!(config->blur_kernel_fraction >= 0 && config->blur_kernel_fraction <= 1))
        return error_set(BC_ERR_USAGE, "--aug-blur-kernel-fraction is %g; it must be in [0, 1]",
                         config->blur_kernel_fraction);
    for (int c = 0; c < 3; c++)
        if (!(config->std[c] > 0 && config->std[c] <= 1e3) || !(fabsf(config->mean[c]) <= 1e3))
            return error_set(BC_ERR_USAGE, "--aug-std must lie in (0, 1000] and --aug-mean in [-1000, 1000] "
                             "(channel %d: mean %g, std %g)", c, config->mean[c], config->std[c]);
    return BC_OK;
}

/* A channel list "m" or "m,m,m" into three floats. */
static Status set_channels(float dst[3], const char *flag, const char *value) {
    float v[3];
    int count = parse_numbers(value, v, 3);
    if (count != 1 && count != 3)
        return error_set(BC_ERR_USAGE, "--%s: '%s' is not one number or three comma-separated numbers",
                         flag, value);
    for (int c = 0; c < 3; c++) dst[c] = v[count == 1 ? 0 : c];
    return BC_OK;
}

static Status set_global(AugmentConfig *config, const char *name, const char *flag, const char *value) {
    if (strcmp(name, "size") == 0) {
        char *end;
        errno = 0;
        long h = strtol(value, &end, 10), w = h;
        if (*end == 'x') w = strtol(end + 1, &end, 10);
        if (errno || *end || end == value || h <= 0 || w <= 0 || h > DATASET_MAX_SIDE || w > DATASET_MAX_SIDE)
            return error_set(BC_ERR_USAGE, "--%s: '%s' is not a size like 32 or 32x48 (each side 1..%d)", flag, value,
                             DATASET_MAX_SIDE);
        config->out_h = (int)h;
        config->out_w = (int)w;
        return BC_OK;
    }
    if (strcmp(name, "blur-kernel-fraction") == 0) {
        float f;
        if (parse_numbers(value, &f, 1) != 1)
            return error_set(BC_ERR_USAGE, "--%s: '%s' is not a number", flag, value);
        config->blur_kernel_fraction = f;
        return BC_OK;
    }
    if (strcmp(name, "mean") == 0) return set_channels(config->mean, flag, value);
    if (strcmp(name, "std") == 0) return set_channels(config->std, flag, value);
    return BC_ERR_NOT_FOUND;
}

Status augment_config_set(AugmentConfig *config, const char *key, const char *value) {
    const char *flag = strncmp(key, "--", 2) == 0 ? key + 2 : key;
    int first = 0, last = 1; /* the views a key applies to */
    const char *name;
    if (strncmp(flag, "aug-", 4) == 0) name = flag + 4;
    else if (strncmp(flag, "aug1-", 5) == 0) name = flag + 5, last = 0;
    else if (strncmp(flag, "aug2-", 5) == 0) name = flag + 5, first = 1;
    else return error_set(BC_ERR_NOT_FOUND, "'%s' is not an augmentation flag", key);
    if (!value) return error_set(BC_ERR_USAGE, "--%s needs a value", flag);

    if (first == 0 && last == 1) {
        AugmentConfig changed = *config; /* a failed flag leaves the config as it was */
        Status st = set_global(&changed, name, flag, value);
        if (st == BC_OK) st = augment_config_validate(&changed);
        if (st == BC_OK) *config = changed;
        if (st != BC_ERR_NOT_FOUND) return st;
    }
    for (int k = 0; k < VIEW_KEY_COUNT; k++) {
        const ViewKey *vk = &view_keys[k];
        if (strcmp(name, vk->name) != 0) continue;
        float v[2];
        int want = vk->kind == KEY_RANGE ? 2 : 1;
        if (parse_numbers(value, v, want) != want)
            return error_set(BC_ERR_USAGE, "--%s: '%s' is not %s", flag, value,
                             want == 2 ? "MIN,MAX" : "a number");
        AugmentConfig changed = *config;
        for (int view = first; view <= last; view++) {
            float *dst = view_field(&changed.view[view], vk->offset);
            for (int i = 0; i < want; i++) dst[i] = v[i];
        }
        Status st = augment_config_validate(&changed);
        if (st != BC_OK) return st;
        *config = changed;
        return BC_OK;
    }
    return error_set(BC_ERR_USAGE, "unknown augmentation flag '--%s' (see --help)", flag);
}

Status augment_flags_take(AugmentFlags *flags, int *argc, char **argv) {
    flags->count = 0;
    AugmentConfig check;
    augment_config_default(&check);
    int kept = 1;
    for (int i = 1; i < *argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--aug", 5) != 0) {
            argv[kept++] = argv[i];
            continue;
        }
        const char *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        if (len >= AUGMENT_FLAG_KEY_MAX) return error_set(BC_ERR_USAGE, "unknown flag '%s'", arg);
        if (flags->count == AUGMENT_MAX_FLAGS)
            return error_set(BC_ERR_USAGE, "more than %d augmentation flags", AUGMENT_MAX_FLAGS);
        char *key = flags->key[flags->count];
        memcpy(key, arg, len);
        key[len] = 0;
        const char *value = eq ? eq + 1 : (i + 1 < *argc ? argv[++i] : NULL);
        Status st = augment_config_set(&check, key, value);
        if (st == BC_ERR_NOT_FOUND) return error_set(BC_ERR_USAGE, "unknown flag '%s'", key);
        if (st != BC_OK) return st;
        flags->value[flags->count++] = value;
    }
    for (int i = kept; i < *argc; i++) argv[i] = NULL;
    *argc = kept;
    return BC_OK;
}

Status augment_flags_apply(const AugmentFlags *flags, AugmentConfig *config) {
    for (int i = 0; i < flags->count; i++) {
        Status st = augment_config_set(config, flags->key[i], flags->value[i]);
        if (st != BC_OK) return st;
    }
    return BC_OK;
}

bool augment_flags_given(const AugmentFlags *flags, const char *name) {
    static const char *const prefixes[] = {"--aug-", "--aug1-", "--aug2-"};
    for (int i = 0; i < flags->count; i++)
        for (size_t p = 0; p < sizeof prefixes / sizeof prefixes[0]; p++) {
            size_t n = strlen(prefixes[p]);
            if (strncmp(flags->key[i], prefixes[p], n) == 0 && strcmp(flags->key[i] + n, name) == 0) return true;
        }
    return false;
}

void augment_config_print_help(FILE *out, const AugmentConfig *config) {
    fprintf(out, "augmentation flags (--aug-KEY sets both views, --aug1-KEY only T, --aug2-KEY only T'):\n");
    for (int k = 0; k < VIEW_KEY_COUNT; k++) {
        const ViewKey *vk = &view_keys[k];
        AugmentViewConfig t = config->view[0], t2 = config->view[1];
        const float *a = view_field(&t, vk->offset), *b = view_field(&t2, vk->offset);
        char def[96];
        if (vk->kind == KEY_RANGE)
            snprintf(def, sizeof def, "T %g,%g  T' %g,%g", a[0], a[1], b[0], b[1]);
        else
            snprintf(def, sizeof def, "T %g  T' %g", a[0], b[0]);
        fprintf(out, "  --aug-%-20s %s (%s)\n", vk->name, vk->help, def);
    }
    fprintf(out, "  --aug-%-20s output size H or HxW (%dx%d; 0 = input size)\n", "size", config->out_h,
            config->out_w);
    fprintf(out, "  --aug-%-20s blur kernel side as a fraction of the image side (%g)\n",
            "blur-kernel-fraction", config->blur_kernel_fraction);
    fprintf(out, "  --aug-%-20s channel mean M or M,M,M on [0,1] pixels (%g,%g,%g)\n", "mean",
            config->mean[0], config->mean[1], config->mean[2]);
    fprintf(out, "  --aug-%-20s channel std S or S,S,S (%g,%g,%g)\n", "std", config->std[0],
            config->std[1], config->std[2]);
    AugmentConfig small;
    augment_config_default_for(&small, SMALL_IMAGE_MAX_SIDE);
    const AugmentViewConfig *t = &small.view[0], *t2 = &small.view[1];
    fprintf(out, "images of at most %d px: blur-prob T %g  T' %g, crop-area T %g,%g  T' %g,%g (set them to override)\n",
            SMALL_IMAGE_MAX_SIDE, t->blur_prob, t2->blur_prob, t->crop_area_min, t->crop_area_max,
            t2->crop_area_min, t2->crop_area_max);
}
