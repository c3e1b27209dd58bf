/* arena.h — the parameter arena: every parameter of a network in one device buffer with a
 * table of (name, offset, count, kind), gradients and momentum mirroring it, and a second
 * section for BatchNorm running statistics that are not trained.
 *
 * Layout. Entries are laid out in the order they are added, each at an offset aligned to
 * ARENA_ALIGN floats (vector loads; the gaps are zero and stay zero). Trainable kinds
 * (weight, bias, bn) live in the PARAMS section, mirrored element for element by GRADS and
 * MOMENTUM; BN running mean/var (PARAM_BN_STAT) live in the STATE section, which has no
 * gradients and no momentum and is never touched by an optimizer. One table, two sections:
 * an entry's offset counts floats from the start of its own section.
 *
 * BYOL. Build the online network's arena as encoder | projector | predictor and the
 * target's as encoder | projector with the same calls: offsets depend only on the order of
 * additions, so the target's table is a prefix of the online one in both sections
 * (arena_is_prefix_of checks it). The EMA update is then one flat kernel over the first
 * arena_floats(target, ARENA_PARAMS) floats, and the target's BN running statistics are
 * COPIED from the online ones after each step (target_update in ema.h), not averaged. */
#ifndef BYOLCL_ARENA_H
#define BYOLCL_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "byolcl/device.h"

/* Every entry starts at a multiple of this many floats (64 bytes: a cache line, a float16). */
enum { ARENA_ALIGN = 16 };
enum { ARENA_NAME_MAX = 96 };

typedef enum {
    PARAM_WEIGHT = 0, /* conv / linear weights: weight decay and LARS adaptation apply */
    PARAM_BIAS,       /* linear biases: excluded from decay and adaptation */
    PARAM_BN,         /* BatchNorm gamma / beta: excluded from decay and adaptation */
    PARAM_BN_STAT     /* BatchNorm running mean / var: STATE section, not trained */
} ParamKind;

/* How init.c fills an entry; `fan` is the fan the rule needs. */
typedef enum {
    INIT_ZEROS = 0,
    INIT_ONES,
    INIT_KAIMING_NORMAL, /* N(0, 2 / fan), fan = fan_out = c_out * kh * kw (PyTorch ResNet) */
    INIT_UNIFORM_FAN_IN  /* U(-1/sqrt(fan), 1/sqrt(fan)), fan = in_features (PyTorch Linear) */
} ParamInit;

typedef struct {
    char name[ARENA_NAME_MAX];
    ParamKind kind;
    ParamInit init;
    int fan;
    size_t offset; /* floats from the start of the entry's section, a multiple of ARENA_ALIGN */
    size_t count;
} ArenaEntry;

/* The four float arrays of an arena. GRADS and MOMENTUM exist only for ARENA_TRAINED. */
typedef enum { ARENA_PARAMS = 0, ARENA_GRADS, ARENA_MOMENTUM, ARENA_STATE } ArenaPart;

typedef enum {
    ARENA_TRAINED, /* params, grads, momentum, state + the optimizer's device tables */
    ARENA_FROZEN   /* params and state only (the BYOL target, an evaluated encoder) */
} ArenaUse;

typedef struct Arena Arena;

Status arena_create(Arena **out);
void arena_destroy(Arena *arena); /* releases the device buffers; NULL is fine */

/* ---- building (before arena_allocate) ---- */
/* Appends an entry; *out_entry (may be NULL) receives its index. Names must be unique. */
Status arena_add(Arena *arena, const char *name, size_t count, ParamKind kind, ParamInit init,
                 int fan, int *out_entry);
/* "<prefix>.weight", (c_out, c_in, kh, kw), Kaiming normal with fan_out. */
Status arena_add_conv2d(Arena *arena, const char *prefix, int c_out, int c_in, int kernel_h,
                        int kernel_w, int *out_weight);
/* "<prefix>.weight" (out, in) and, when out_bias is not NULL, "<prefix>.bias" (out);
 * both PyTorch-default uniform with fan_in = in. */
Status arena_add_linear(Arena *arena, const char *prefix, int out_features, int in_features,
                        int *out_weight, int *out_bias);
typedef struct {
    int gamma, beta;                /* PARAM_BN: 1 and 0 */
    int running_mean, running_var;  /* PARAM_BN_STAT: 0 and 1 */
} BatchNormEntries;
/* "<prefix>.weight", ".bias", ".running_mean", ".running_var", each of `channels`. */
Status arena_add_batchnorm(Arena *arena, const char *prefix, int channels,
                           BatchNormEntries *out);

/* ---- allocation ---- */
/* Creates the device buffers, all zero-filled (initialize with arena_init_params or
 * arena_upload). No entries may be added afterwards. */
Status arena_allocate(Arena *arena, Device *device, ArenaUse use);

/* ---- the table ---- */
int arena_entry_count(const Arena *arena);
const ArenaEntry *arena_entry(const Arena *arena, int index);
int arena_find(const Arena *arena, const char *name); /* index, or -1 */
/* Section lengths in floats (padding included): PARAMS, GRADS and MOMENTUM share one. */
size_t arena_floats(const Arena *arena, ArenaPart part);
/* Sum of the entries' counts in the part's section (what a model "has"). */
size_t arena_parameter_count(const Arena *arena, ArenaPart part);
/* True when every entry of `prefix` equals (name, kind, count, offset) the entry of `whole`
 * at the same index, i.e. prefix's sections are prefixes of whole's. */
bool arena_is_prefix_of(const Arena *prefix, const Arena *whole);

/* ---- device side (after arena_allocate) ---- */
Device *arena_device(const Arena *arena);
/* The buffer behind a part; NULL when the arena has none (GRADS of a frozen arena). */
Buffer *arena_buffer(const Arena *arena, ArenaPart part);
/* An entry's slice of a part. PARAMS / GRADS / MOMENTUM for trainable entries, STATE for
 * PARAM_BN_STAT entries; any other combination (or an unallocated arena) gives a View
 * whose buffer is NULL. */
View arena_view(const Arena *arena, ArenaPart part, int entry);
static inline View arena_param(const Arena *a, int entry) { return arena_view(a, ARENA_PARAMS, entry); }
static inline View arena_grad(const Arena *a, int entry) { return arena_view(a, ARENA_GRADS, entry); }
static inline View arena_state(const Arena *a, int entry) { return arena_view(a, ARENA_STATE, entry); }

/* Gradients to zero: one fill over the whole GRADS buffer (asynchronous). */
Status arena_zero_grad(Arena *arena);
/* Whole-part transfers, host arrays of arena_floats(arena, part) floats in the arena's
 * layout (padding included; uploaded padding must be zero). Blocking. For checkpoints
 * and initialization. */
Status arena_upload(Arena *arena, ArenaPart part, const float *host);
Status arena_download(const Arena *arena, ArenaPart part, float *host);

/* ---- for the optimizer kernels (src/byol/optimizer.c) ---- */
/* Per-entry rows of ARENA_TABLE_COLUMNS ints: offset, count, flags (ARENA_FLAG_*). */
enum { ARENA_TABLE_COLUMNS = 3, ARENA_FLAG_DECAY = 1, ARENA_FLAG_ADAPT = 2 };
/* The device table above, and a map from each ARENA_ALIGN-float chunk of PARAMS to the
 * index of the entry that owns it (padding belongs to the entry before it). TRAINED only. */
const Buffer *arena_table_buffer(const Arena *arena);
const Buffer *arena_chunk_map_buffer(const Arena *arena);
/* Scratch of arena_entry_count floats for per-entry results (LARS trust ratios). */
Buffer *arena_entry_scratch_buffer(const Arena *arena);

#endif
