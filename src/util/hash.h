/* hash.h — FNV-1a 64-bit hashing for cache keys and file checksums (not cryptographic). */
#ifndef BYOLCL_UTIL_HASH_H
#define BYOLCL_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

#define FNV64_OFFSET 0xcbf29ce484222325ULL

uint64_t hash_fnv1a(uint64_t state, const void *data, size_t bytes);
uint64_t hash_string(uint64_t state, const char *text); /* hashes the terminating 0 too */

#endif
