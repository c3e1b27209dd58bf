/* init.c — seeded host-side initialization of arena entries (see init.h for the rules and
 * why the numbers are the same on every machine). */
#include <math.h>
#include <stdlib.h>

#include "byolcl/init.h"
#include "util/hash.h"

static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t rng_u64(uint64_t key, uint64_t counter) {
    return mix64(key + (counter + 1) * 0x9e3779b97f4a7c15ULL);
}

double rng_uniform(uint64_t key, uint64_t counter) {
    return (double)(rng_u64(key, counter) >> 11) * 0x1.0p-53;
}

void init_fill_normal(float *out, size_t n, uint64_t key, double std) {
    const double two_pi = 6.283185307179586476925286766559;
    for (size_t i = 0; i < n; i += 2) {
        uint64_t pair = i / 2;
        /* u1 in (0, 1] so that log(u1) is finite. */
        double u1 = (double)((rng_u64(key, 2 * pair) >> 11) + 1) * 0x1.0p-53;
        double u2 = rng_uniform(key, 2 * pair + 1);
        double r = sqrt(-2.0 * log(u1));
        out[i] = (float)(std * r * cos(two_pi * u2));
        if (i + 1 < n) out[i + 1] = (float)(std * r * sin(two_pi * u2));
    }
}

void init_fill_uniform(float *out, size_t n, uint64_t key, double bound) {
    for (size_t i = 0; i < n; i++) out[i] = (float)(bound * (2.0 * rng_uniform(key, i) - 1.0));
}

uint64_t init_entry_key(uint64_t seed, const char *name) {
    return mix64(seed ^ 0x5851f42d4c957f2dULL) ^ hash_string(FNV64_OFFSET, name);
}

void init_fill_entry(const ArenaEntry *e, uint64_t seed, float *out) {
    uint64_t key = init_entry_key(seed, e->name);
    switch (e->init) {
    case INIT_ZEROS:
        for (size_t i = 0; i < e->count; i++) out[i] = 0.0f;
        break;
    case INIT_ONES:
        for (size_t i = 0; i < e->count; i++) out[i] = 1.0f;
        break;
    case INIT_KAIMING_NORMAL:
        init_fill_normal(out, e->count, key, sqrt(2.0 / e->fan));
        break;
    case INIT_UNIFORM_FAN_IN:
        init_fill_uniform(out, e->count, key, 1.0 / sqrt((double)e->fan));
        break;
    }
}

Status arena_init_params(Arena *arena, uint64_t seed) {
    if (!arena_device(arena))
        return error_set(BC_ERR_USAGE, "arena_init_params: the arena is not allocated");
    size_t pf = arena_floats(arena, ARENA_PARAMS), sf = arena_floats(arena, ARENA_STATE);
    float *params = calloc(pf ? pf : 1, sizeof *params), *state = calloc(sf ? sf : 1, sizeof *state);
    Status st = BC_OK;
    if (!params || !state) {
        st = error_set(BC_ERR_OUT_OF_MEMORY, "arena_init_params: out of memory (%zu floats)", pf + sf);
        goto done;
    }
    for (int i = 0; i < arena_entry_count(arena); i++) {
        const ArenaEntry *e = arena_entry(arena, i);
        init_fill_entry(e, seed, (e->kind == PARAM_BN_STAT ? state : params) + e->offset);
    }
    if ((st = arena_upload(arena, ARENA_PARAMS, params)) == BC_OK)
        st = arena_upload(arena, ARENA_STATE, state);
done:
    free(params);
    free(state);
    return st;
}
