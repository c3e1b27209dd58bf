/* init.h — deterministic seeded initialization, generated on the host so that the same seed
 * gives the same network on every device: a counter-based splitmix64 stream, Box-Muller
 * normals, and the PyTorch rules (Kaiming normal fan_out for convolutions, uniform
 * +-1/sqrt(fan_in) for linear layers, BN gamma 1 / beta 0, running mean 0 / var 1).
 *
 * Reproducibility: the integer stream is exact everywhere. Normals use log, sqrt, cos and
 * sin in double and are then rounded to float; libm implementations differ by at most an
 * ulp or so in double, which changes the float result only when the double lands within
 * that distance of a float rounding boundary (about 1 value in 10^8). Uniforms use no libm
 * at all. Value i of an entry depends only on (seed, entry name, i, rule, fan): the order of
 * entries does not matter and a target built with the same names gets the same values. */
#ifndef BYOLCL_INIT_H
#define BYOLCL_INIT_H

#include <stddef.h>
#include <stdint.h>

#include "byolcl/arena.h"

/* Output number `counter` of the splitmix64 stream whose state starts at `key`. */
uint64_t rng_u64(uint64_t key, uint64_t counter);
/* Uniform in [0, 1) with 53 random bits. */
double rng_uniform(uint64_t key, uint64_t counter);

/* out[i] = N(0, std^2), from pairs of uniforms at counters 2j, 2j+1 (Box-Muller). */
void init_fill_normal(float *out, size_t n, uint64_t key, double std);
/* out[i] = U(-bound, bound). */
void init_fill_uniform(float *out, size_t n, uint64_t key, double bound);

/* The stream key of an entry: a mix of the seed and a hash of the name. */
uint64_t init_entry_key(uint64_t seed, const char *name);
/* Fills e->count floats by the entry's rule. */
void init_fill_entry(const ArenaEntry *e, uint64_t seed, float *out);
/* Fills PARAMS and STATE of an allocated arena (padding zero) and uploads them; gradients
 * and momentum are left as they are (zero after arena_allocate). */
Status arena_init_params(Arena *arena, uint64_t seed);

#endif
