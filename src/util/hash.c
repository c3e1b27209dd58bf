/* hash.c — FNV-1a 64. */
#include <string.h>

#include "util/hash.h"

uint64_t hash_fnv1a(uint64_t state, const void *data, size_t bytes) {
    const unsigned char *p = data;
    for (size_t i = 0; i < bytes; i++) {
        state ^= p[i];
        state *= 0x100000001b3ULL;
    }
    return state;
}

uint64_t hash_string(uint64_t state, const char *text) {
    return hash_fnv1a(state, text, strlen(text) + 1);
}
