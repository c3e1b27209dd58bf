/* train_checkpoint.c — what a BYOL checkpoint holds: the configuration, the method, the
 * time budget and where batch norm takes its statistics (own sections: checkpoints without
 * them are BYOL, without a budget, with batch norm per view), the progress, the device it
 * was made on, a layout description (to refuse another architecture with a clear message)
 * and the online and target arenas (parameters, BN running statistics, momentum; SimCLR
 * has no target). Floats are stored as they lie in the arenas, so any device can load them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byol/train_internal.h"
#include "byolcl/checkpoint.h"
#include "byolcl/dist.h"
#include "util/fs.h"

void train_checkpoint_path(const char *file_or_run_dir, char *out, size_t cap) {
    if (fs_is_dir(file_or_run_dir)) snprintf(out, cap, "%s/%s", file_or_run_dir, CHECKPOINT_FILE_NAME);
    else snprintf(out, cap, "%s", file_or_run_dir);
}

/* "name count kind\n" per entry: equal layouts mean the arrays line up. */
static char *describe_layout(const Arena *arena) {
    size_t cap = 256 + (size_t)arena_entry_count(arena) * (ARENA_NAME_MAX + 40), used = 0;
    char *text = malloc(cap);
    if (!text) return NULL;
    text[0] = '\0';
    for (int i = 0; i < arena_entry_count(arena); i++) {
        const ArenaEntry *e = arena_entry(arena, i);
        used += (size_t)snprintf(text + used, cap - used, "%s %zu %d\n", e->name, e->count, (int)e->kind);
    }
    return text;
}

typedef struct {
    const char *name;
    Arena *arena;
    ArenaPart part;
} ArenaSection;

static int arena_sections(const ByolModel *m, ArenaSection out[5]) {
    out[0] = (ArenaSection){"online.params", m->online, ARENA_PARAMS};
    out[1] = (ArenaSection){"online.state", m->online, ARENA_STATE};
    out[2] = (ArenaSection){"online.momentum", m->online, ARENA_MOMENTUM};
    if (!m->target) return 3;
    out[3] = (ArenaSection){"target.params", m->target, ARENA_PARAMS};
    out[4] = (ArenaSection){"target.state", m->target, ARENA_STATE};
    return 5;
}

/* The loss guard names the step; this catches an update that diverged after the last
 * finite loss, so a checkpoint never holds NaN or infinite numbers. */
static Status refuse_non_finite(const char *path, const char *section, const float *values, size_t count) {
    for (size_t i = 0; i < count; i++)
        if (!isfinite(values[i]))
            return error_set(BC_ERR_NUMERIC, "training diverged: %s holds a non-finite value (element %zu); %s was "
                             "not written (the checkpoint there, if any, is the last good one)", section, i, path);
    return BC_OK;
}

Status train_checkpoint_save(const char *path, const TrainConfig *config, const TrainProgress *progress,
                             const ByolModel *model, const char *device_name) {
    ArenaSection arenas[5];
    int n = arena_sections(model, arenas);
    float *data[5] = {0};
    char *layout = describe_layout(model->online);
    Status st = layout ? BC_OK : error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    CheckpointSection sections[13];
    int count = 0;
    sections[count++] = (CheckpointSection){"config", config, TRAIN_CONFIG_STORED_BYTES};
    sections[count++] = (CheckpointSection){"method", &config->method, sizeof config->method};
    sections[count++] = (CheckpointSection){"budget", &config->budget, sizeof config->budget};
    sections[count++] = (CheckpointSection){"bn_views", &config->bn_views, sizeof config->bn_views};
    sections[count++] = (CheckpointSection){"progress", progress, sizeof *progress};
    sections[count++] = (CheckpointSection){"device", device_name, strlen(device_name)};
    int32_t ranks = dist_info()->size; /* how many ranks trained it (any count may resume it) */
    sections[count++] = (CheckpointSection){"ranks", &ranks, sizeof ranks};
    if (layout) sections[count++] = (CheckpointSection){"layout", layout, strlen(layout)};
    for (int i = 0; i < n && st == BC_OK; i++) {
        size_t floats = arena_floats(arenas[i].arena, arenas[i].part);
        data[i] = malloc((floats ? floats : 1) * sizeof(float));
        if (!data[i]) st = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory saving a checkpoint");
        if (st == BC_OK) st = arena_download(arenas[i].arena, arenas[i].part, data[i]);
        if (st == BC_OK) st = refuse_non_finite(path, arenas[i].name, data[i], floats);
        sections[count++] = (CheckpointSection){arenas[i].name, data[i], floats * sizeof(float)};
    }
    if (st == BC_OK) st = checkpoint_write(path, sections, count);
    for (int i = 0; i < n; i++) free(data[i]);
    free(layout);
    return st;
}

Status train_checkpoint_read_config(const char *path, TrainConfig *config, TrainProgress *progress,
                                    char *device_name, size_t device_name_cap) {
    Checkpoint *c;
    Status st = checkpoint_read(path, &c);
    if (st != BC_OK) return st;
    const void *data;
    size_t bytes;
    st = checkpoint_section(c, "config", &data, &bytes);
    if (st == BC_OK && bytes != TRAIN_CONFIG_STORED_BYTES && bytes != TRAIN_CONFIG_BYTES_BEFORE_BACKGROUND)
        st = error_set(BC_ERR_FORMAT, "%s: the configuration was written by another byolcl version "
                       "(%zu bytes, this one uses %zu)", path, bytes, (size_t)TRAIN_CONFIG_STORED_BYTES);
    if (st == BC_OK) {
        memset(config, 0, sizeof *config);
        memcpy(config, data, bytes);
        /* Checkpoints made before --background composited transparent pixels onto white. */
        if (bytes == TRAIN_CONFIG_BYTES_BEFORE_BACKGROUND) memset(config->background, 255, sizeof config->background);
        /* Checkpoints made before SimCLR and the ablations were BYOL with a predictor. */
        config->method = (MethodConfig){.kind = METHOD_BYOL, .predictor = 1};
        if (checkpoint_section(c, "method", &data, &bytes) == BC_OK)
            st = checkpoint_section_exact(c, "method", &config->method, sizeof config->method);
        else
            error_clear();
    }
    /* Checkpoints made before --minutes had no time budget. */
    if (st == BC_OK && checkpoint_section(c, "budget", &data, &bytes) == BC_OK)
        st = checkpoint_section_exact(c, "budget", &config->budget, sizeof config->budget);
    else if (st == BC_OK)
        error_clear();
    /* Checkpoints made before --bn-views ran each view through its own forward. */
    config->bn_views = BN_VIEWS_SEPARATE;
    if (st == BC_OK && checkpoint_section(c, "bn_views", &data, &bytes) == BC_OK)
        st = checkpoint_section_exact(c, "bn_views", &config->bn_views, sizeof config->bn_views);
    else if (st == BC_OK)
        error_clear();
    if (st == BC_OK && config->bn_views != BN_VIEWS_SEPARATE && config->bn_views != BN_VIEWS_CONCAT)
        st = error_set(BC_ERR_FORMAT, "%s: the bn_views section holds %d, not separate (0) or concat (1)", path,
                       (int)config->bn_views);
    if (st == BC_OK) st = checkpoint_section_exact(c, "progress", progress, sizeof *progress);
    if (st == BC_OK) st = checkpoint_section(c, "device", &data, &bytes);
    if (st == BC_OK) snprintf(device_name, device_name_cap, "%.*s", (int)bytes, (const char *)data);
    checkpoint_free(c);
    return st;
}

Status train_checkpoint_load_state(const char *path, ByolModel *model) {
    Checkpoint *c;
    Status st = checkpoint_read(path, &c);
    if (st != BC_OK) return st;
    const void *data;
    size_t bytes;
    char *layout = describe_layout(model->online);
    st = layout ? checkpoint_section(c, "layout", &data, &bytes)
                : error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    if (st == BC_OK && (bytes != strlen(layout) || memcmp(data, layout, bytes) != 0))
        st = error_set(BC_ERR_FORMAT, "%s: the checkpoint holds a different architecture than the "
                       "one configured (layers or sizes differ)", path);
    ArenaSection arenas[5];
    int n = arena_sections(model, arenas);
    for (int i = 0; i < n && st == BC_OK; i++) {
        size_t floats = arena_floats(arenas[i].arena, arenas[i].part);
        st = checkpoint_section(c, arenas[i].name, &data, &bytes);
        if (st == BC_OK && bytes != floats * sizeof(float))
            st = error_set(BC_ERR_FORMAT, "%s: section '%s' has %zu bytes, the model needs %zu", path,
                           arenas[i].name, bytes, floats * sizeof(float));
        if (st == BC_OK && floats) st = arena_upload(arenas[i].arena, arenas[i].part, data);
    }
    free(layout);
    checkpoint_free(c);
    return st;
}

/* BC_OK when the checkpoint's layout is the full online network `config` describes. */
static Status check_online_layout(const Checkpoint *c, const TrainConfig *config, const char *path) {
    /* The full online table (never allocated) gives the layout text to compare with. */
    Arena *online = NULL;
    Network *net = NULL;
    Status st = arena_create(&online);
    if (st == BC_OK)
        st = network_build(online, &config->encoder, &config->projector, train_config_predictor(config), &net);
    network_destroy(net);
    char *layout = st == BC_OK ? describe_layout(online) : NULL;
    arena_destroy(online);
    if (st != BC_OK) return st;
    if (!layout) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    const void *data;
    size_t bytes;
    st = checkpoint_section(c, "layout", &data, &bytes);
    if (st == BC_OK && (bytes != strlen(layout) || memcmp(data, layout, bytes) != 0))
        st = error_set(BC_ERR_FORMAT, "%s: the checkpoint's parameters do not match the architecture its "
                       "configuration describes (layers or sizes differ)", path);
    free(layout);
    return st;
}

Status train_checkpoint_load_encoder(const char *path, const TrainConfig *config, Arena *encoder) {
    Arena *online = NULL;
    Network *net = NULL;
    Status st = arena_create(&online);
    if (st == BC_OK) st = network_build(online, &config->encoder, &config->projector, &config->predictor, &net);
    network_destroy(net);
    if (st == BC_OK && !arena_is_prefix_of(encoder, online))
        st = error_set(BC_ERR_FORMAT, "%s: the encoder is not a prefix of the online network", path);
    arena_destroy(online);
    if (st != BC_OK) return st;
    Checkpoint *c;
    st = checkpoint_read(path, &c);
    if (st != BC_OK) return st;
    st = check_online_layout(c, config, path);
    const void *data;
    size_t bytes;
    static const struct {
        const char *name;
        ArenaPart part;
    } parts[2] = {{"online.params", ARENA_PARAMS}, {"online.state", ARENA_STATE}};
    for (int i = 0; i < 2 && st == BC_OK; i++) {
        size_t floats = arena_floats(encoder, parts[i].part);
        st = checkpoint_section(c, parts[i].name, &data, &bytes);
        if (st == BC_OK && bytes < floats * sizeof(float))
            st = error_set(BC_ERR_FORMAT, "%s: section '%s' has %zu bytes, the encoder needs %zu", path,
                           parts[i].name, bytes, floats * sizeof(float));
        if (st == BC_OK && floats) st = arena_upload(encoder, parts[i].part, data);
    }
    checkpoint_free(c);
    return st;
}

Status train_checkpoint_read_network(const char *path, const TrainConfig *config, bool target,
                                     CheckpointNetwork *out) {
    memset(out, 0, sizeof *out);
    Checkpoint *c;
    Status st = checkpoint_read(path, &c);
    if (st != BC_OK) return st;
    st = check_online_layout(c, config, path);
    const char *names[2] = {target ? "target.params" : "online.params", target ? "target.state" : "online.state"};
    float **arrays[2] = {&out->params, &out->state};
    size_t *counts[2] = {&out->param_floats, &out->state_floats};
    for (int i = 0; i < 2 && st == BC_OK; i++) {
        const void *data;
        size_t bytes;
        st = checkpoint_section(c, names[i], &data, &bytes);
        if (st == BC_OK && bytes % sizeof(float) != 0)
            st = error_set(BC_ERR_FORMAT, "%s: section '%s' is not a float array (%zu bytes)", path, names[i], bytes);
        if (st == BC_OK && !(*arrays[i] = malloc(bytes ? bytes : 1)))
            st = error_set(BC_ERR_OUT_OF_MEMORY, "out of memory reading %s", path);
        if (st == BC_OK) {
            memcpy(*arrays[i], data, bytes);
            *counts[i] = bytes / sizeof(float);
        }
    }
    checkpoint_free(c);
    if (st != BC_OK) checkpoint_network_free(out);
    return st;
}

void checkpoint_network_free(CheckpointNetwork *network) {
    free(network->params);
    free(network->state);
    memset(network, 0, sizeof *network);
}
