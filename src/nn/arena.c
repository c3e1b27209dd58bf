/* arena.c — the parameter arena: the entry table while a network is built, then one device
 * buffer per part (params, grads, momentum, state) and the tables the optimizer kernels read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/arena.h"
#include "byolcl/ops.h"

struct Arena {
    ArenaEntry *entries;
    int count, cap;
    size_t param_floats, state_floats; /* section lengths, multiples of ARENA_ALIGN */
    Device *device;                    /* NULL until allocated */
    ArenaUse use;
    Buffer *parts[4];                  /* indexed by ArenaPart */
    Buffer *table, *chunk_map, *entry_scratch;
};

static bool trainable(ParamKind kind) { return kind != PARAM_BN_STAT; }

static size_t align_up(size_t n) { return (n + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN; }

/* Zeroing with a kernel rather than buffer_fill_zero (clEnqueueFillBuffer): oclgrind does
 * not mark filled memory as initialized, so kernels that later read zeroed gradients or
 * momentum (+= accumulation, the first optimizer step) would be reported under the
 * oclgrind tests. On real devices both are one memory-bound pass. */
static Status zero_floats(Device *device, Buffer *buffer) {
    return fill_floats(device, view_of(buffer), buffer_bytes(buffer) / sizeof(float), 0.0f);
}

Status arena_create(Arena **out) {
    *out = calloc(1, sizeof **out);
    return *out ? BC_OK : error_set(BC_ERR_OUT_OF_MEMORY, "out of memory creating an arena");
}

void arena_destroy(Arena *arena) {
    if (!arena) return;
    for (int i = 0; i < 4; i++) buffer_release(arena->parts[i]);
    buffer_release(arena->table);
    buffer_release(arena->chunk_map);
    buffer_release(arena->entry_scratch);
    free(arena->entries);
    free(arena);
}

int arena_find(const Arena *arena, const char *name) {
    for (int i = 0; i < arena->count; i++)
        if (strcmp(arena->entries[i].name, name) == 0) return i;
    return -1;
}

Status arena_add(Arena *arena, const char *name, size_t count, ParamKind kind, ParamInit init,
                 int fan, int *out_entry) {
    if (arena->device)
        return error_set(BC_ERR_USAGE, "arena: cannot add '%s' after arena_allocate", name);
    if (strlen(name) >= ARENA_NAME_MAX)
        return error_set(BC_ERR_USAGE, "arena: name '%s' longer than %d characters", name,
                         ARENA_NAME_MAX - 1);
    if (count == 0) return error_set(BC_ERR_USAGE, "arena: '%s' has no elements", name);
    if ((init == INIT_KAIMING_NORMAL || init == INIT_UNIFORM_FAN_IN) && fan <= 0)
        return error_set(BC_ERR_USAGE, "arena: '%s' needs a positive fan for its init", name);
    if (arena_find(arena, name) >= 0)
        return error_set(BC_ERR_USAGE, "arena: '%s' added twice", name);
    if (arena->count == arena->cap) {
        int cap = arena->cap ? 2 * arena->cap : 64;
        ArenaEntry *bigger = realloc(arena->entries, (size_t)cap * sizeof *bigger);
        if (!bigger) return error_set(BC_ERR_OUT_OF_MEMORY, "arena: out of memory adding '%s'", name);
        arena->entries = bigger;
        arena->cap = cap;
    }
    size_t *section = trainable(kind) ? &arena->param_floats : &arena->state_floats;
    if (*section + align_up(count) > (size_t)INT32_MAX)
        return error_set(BC_ERR_USAGE, "arena: '%s' makes the arena exceed 2^31 floats", name);
    ArenaEntry *e = &arena->entries[arena->count];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    e->kind = kind;
    e->init = init;
    e->fan = fan;
    e->offset = *section;
    e->count = count;
    *section += align_up(count);
    if (out_entry) *out_entry = arena->count;
    arena->count++;
    return BC_OK;
}

static Status add_suffixed(Arena *arena, const char *prefix, const char *suffix, size_t count,
                           ParamKind kind, ParamInit init, int fan, int *out_entry) {
    char name[ARENA_NAME_MAX + 32];
    snprintf(name, sizeof name, "%s.%s", prefix, suffix);
    return arena_add(arena, name, count, kind, init, fan, out_entry);
}

Status arena_add_conv2d(Arena *arena, const char *prefix, int c_out, int c_in, int kernel_h,
                        int kernel_w, int *out_weight) {
    if (c_out <= 0 || c_in <= 0 || kernel_h <= 0 || kernel_w <= 0)
        return error_set(BC_ERR_USAGE, "arena: conv '%s' has a non-positive size", prefix);
    size_t count = (size_t)c_out * (size_t)c_in * (size_t)kernel_h * (size_t)kernel_w;
    return add_suffixed(arena, prefix, "weight", count, PARAM_WEIGHT, INIT_KAIMING_NORMAL,
                        c_out * kernel_h * kernel_w, out_weight);
}

Status arena_add_linear(Arena *arena, const char *prefix, int out_features, int in_features,
                        int *out_weight, int *out_bias) {
    if (out_features <= 0 || in_features <= 0)
        return error_set(BC_ERR_USAGE, "arena: linear '%s' has a non-positive size", prefix);
    Status st = add_suffixed(arena, prefix, "weight", (size_t)out_features * (size_t)in_features,
                             PARAM_WEIGHT, INIT_UNIFORM_FAN_IN, in_features, out_weight);
    if (st != BC_OK || !out_bias) return st;
    return add_suffixed(arena, prefix, "bias", (size_t)out_features, PARAM_BIAS,
                        INIT_UNIFORM_FAN_IN, in_features, out_bias);
}

Status arena_add_batchnorm(Arena *arena, const char *prefix, int channels,
                           BatchNormEntries *out) {
    if (channels <= 0)
        return error_set(BC_ERR_USAGE, "arena: batch norm '%s' has no channels", prefix);
    BatchNormEntries e;
    Status st;
    size_t c = (size_t)channels;
    if ((st = add_suffixed(arena, prefix, "weight", c, PARAM_BN, INIT_ONES, 0, &e.gamma)) ||
        (st = add_suffixed(arena, prefix, "bias", c, PARAM_BN, INIT_ZEROS, 0, &e.beta)) ||
        (st = add_suffixed(arena, prefix, "running_mean", c, PARAM_BN_STAT, INIT_ZEROS, 0,
                           &e.running_mean)) ||
        (st = add_suffixed(arena, prefix, "running_var", c, PARAM_BN_STAT, INIT_ONES, 0,
                           &e.running_var)))
        return st;
    if (out) *out = e;
    return BC_OK;
}

/* The tables the optimizer kernels read: per-entry (offset, count, flags) rows and the
 * owner of every ARENA_ALIGN-float chunk of PARAMS. */
static Status upload_optimizer_tables(Arena *arena) {
    size_t rows = arena->count ? (size_t)arena->count : 1;
    size_t chunks = arena->param_floats / ARENA_ALIGN;
    int *table = calloc(rows * ARENA_TABLE_COLUMNS, sizeof *table);
    int *map = calloc(chunks ? chunks : 1, sizeof *map);
    Status st = BC_OK;
    if (!table || !map) {
        st = error_set(BC_ERR_OUT_OF_MEMORY, "arena: out of memory building the tables");
        goto done;
    }
    for (int i = 0; i < arena->count; i++) {
        const ArenaEntry *e = &arena->entries[i];
        int flags = e->kind == PARAM_WEIGHT ? ARENA_FLAG_DECAY | ARENA_FLAG_ADAPT : 0;
        table[i * ARENA_TABLE_COLUMNS + 0] = (int)e->offset;
        table[i * ARENA_TABLE_COLUMNS + 1] = (int)e->count;
        table[i * ARENA_TABLE_COLUMNS + 2] = flags;
        if (!trainable(e->kind)) continue;
        for (size_t c = e->offset / ARENA_ALIGN; c < (e->offset + align_up(e->count)) / ARENA_ALIGN; c++)
            map[c] = i;
    }
    if ((st = buffer_create(arena->device, rows * ARENA_TABLE_COLUMNS * sizeof *table, &arena->table)) ||
        (st = buffer_write(arena->device, arena->table, 0, rows * ARENA_TABLE_COLUMNS * sizeof *table, table)) ||
        (st = buffer_create(arena->device, (chunks ? chunks : 1) * sizeof *map, &arena->chunk_map)) ||
        (st = buffer_write(arena->device, arena->chunk_map, 0, (chunks ? chunks : 1) * sizeof *map, map)) ||
        (st = buffer_create(arena->device, rows * sizeof(float), &arena->entry_scratch)))
        goto done;
done:
    free(table);
    free(map);
    return st;
}

Status arena_allocate(Arena *arena, Device *device, ArenaUse use) {
    if (arena->device) return error_set(BC_ERR_USAGE, "arena: allocated twice");
    arena->device = device;
    arena->use = use;
    size_t floats[4] = {arena->param_floats, arena->param_floats, arena->param_floats,
                        arena->state_floats};
    Status st = BC_OK;
    for (int p = 0; p < 4 && st == BC_OK; p++) {
        if (use == ARENA_FROZEN && (p == ARENA_GRADS || p == ARENA_MOMENTUM)) continue;
        /* A zero-length section still gets a buffer so views and copies stay uniform. */
        size_t bytes = (floats[p] ? floats[p] : ARENA_ALIGN) * sizeof(float);
        st = buffer_create(device, bytes, &arena->parts[p]);
        if (st == BC_OK) st = zero_floats(device, arena->parts[p]);
    }
    if (st == BC_OK && use == ARENA_TRAINED) st = upload_optimizer_tables(arena);
    if (st != BC_OK) {
        for (int p = 0; p < 4; p++) {
            buffer_release(arena->parts[p]);
            arena->parts[p] = NULL;
        }
        buffer_release(arena->table);
        buffer_release(arena->chunk_map);
        buffer_release(arena->entry_scratch);
        arena->table = arena->chunk_map = arena->entry_scratch = NULL;
        arena->device = NULL;
        return error_wrap(st, "allocating an arena of %zu + %zu floats: ", arena->param_floats,
                          arena->state_floats);
    }
    return BC_OK;
}

int arena_entry_count(const Arena *arena) { return arena->count; }

const ArenaEntry *arena_entry(const Arena *arena, int index) {
    return index >= 0 && index < arena->count ? &arena->entries[index] : NULL;
}

size_t arena_floats(const Arena *arena, ArenaPart part) {
    return part == ARENA_STATE ? arena->state_floats : arena->param_floats;
}

size_t arena_parameter_count(const Arena *arena, ArenaPart part) {
    size_t total = 0;
    for (int i = 0; i < arena->count; i++)
        if (trainable(arena->entries[i].kind) == (part != ARENA_STATE))
            total += arena->entries[i].count;
    return total;
}

bool arena_is_prefix_of(const Arena *prefix, const Arena *whole) {
    if (prefix->count > whole->count) return false;
    for (int i = 0; i < prefix->count; i++) {
        const ArenaEntry *a = &prefix->entries[i], *b = &whole->entries[i];
        if (strcmp(a->name, b->name) != 0 || a->kind != b->kind || a->count != b->count ||
            a->offset != b->offset)
            return false;
    }
    return true;
}

Device *arena_device(const Arena *arena) { return arena->device; }

Buffer *arena_buffer(const Arena *arena, ArenaPart part) {
    return part >= ARENA_PARAMS && part <= ARENA_STATE ? arena->parts[part] : NULL;
}

View arena_view(const Arena *arena, ArenaPart part, int entry) {
    const ArenaEntry *e = arena_entry(arena, entry);
    Buffer *b = arena_buffer(arena, part);
    if (!e || !b || trainable(e->kind) == (part == ARENA_STATE)) return (View){NULL, 0};
    return (View){b, e->offset};
}

Status arena_zero_grad(Arena *arena) {
    Buffer *grads = arena->parts[ARENA_GRADS];
    if (!grads) return error_set(BC_ERR_USAGE, "arena: zero_grad on an arena without gradients");
    return zero_floats(arena->device, grads);
}

static Status check_part(const Arena *arena, ArenaPart part, const char *what) {
    if (!arena_buffer(arena, part))
        return error_set(BC_ERR_USAGE, "arena: %s of part %d, which this arena does not have", what,
                         (int)part);
    return BC_OK;
}

Status arena_upload(Arena *arena, ArenaPart part, const float *host) {
    Status st = check_part(arena, part, "upload");
    if (st != BC_OK || arena_floats(arena, part) == 0) return st;
    return buffer_write(arena->device, arena->parts[part], 0,
                        arena_floats(arena, part) * sizeof(float), host);
}

Status arena_download(const Arena *arena, ArenaPart part, float *host) {
    Status st = check_part(arena, part, "download");
    if (st != BC_OK || arena_floats(arena, part) == 0) return st;
    return buffer_read(arena->device, arena->parts[part], 0,
                       arena_floats(arena, part) * sizeof(float), host);
}

const Buffer *arena_table_buffer(const Arena *arena) { return arena->table; }
const Buffer *arena_chunk_map_buffer(const Arena *arena) { return arena->chunk_map; }
Buffer *arena_entry_scratch_buffer(const Arena *arena) { return arena->entry_scratch; }
