/* profile_keys_doc.c — docs/tuning.md's table of profile keys, generated from
 * src/device/profile_keys.def: prints it, or checks (--check FILE) or rewrites (--write FILE)
 * the part of FILE between the two markers, so the document cannot go stale (a ctest). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PLAIN, PER_CU, VECTOR_WIDTH, POWER_OF_TWO };

typedef struct {
    const char *name;
    int avx512, avx2, gpu, min, max, rule;
    const char *doc;
} KeyDoc;

static const KeyDoc keys[] = {
#define PROFILE_KEY(name, avx512, avx2, gpu, min, max, rule, doc) {#name, avx512, avx2, gpu, min, max, rule, doc},
#include "device/profile_keys.def"
#undef PROFILE_KEY
};

static const char begin_marker[] = "<!-- profile keys: generated from src/device/profile_keys.def -->\n";
static const char end_marker[] = "<!-- end of profile keys -->\n";

/* 1 << 20 and up read better as powers of two. */
static void number(char *out, size_t cap, int v) {
    if (v >= 1 << 20 && (v & (v - 1)) == 0) {
        int e = 0;
        while ((1 << e) != v) e++;
        snprintf(out, cap, "2^%d", e);
    } else snprintf(out, cap, "%d", v);
}

static void default_value(char *out, size_t cap, const KeyDoc *k, int v) {
    if (k->rule == PER_CU) snprintf(out, cap, "%d x compute units", v);
    else snprintf(out, cap, "%d", v);
}

static void range(char *out, size_t cap, const KeyDoc *k) {
    if (k->rule == VECTOR_WIDTH) {
        static const int widths[] = {2, 3, 4, 8, 16};
        size_t used = 0;
        out[0] = '\0';
        for (size_t i = 0; i < sizeof widths / sizeof *widths; i++)
            if (widths[i] >= k->min && widths[i] <= k->max)
                used += (size_t)snprintf(out + used, cap - used, "%s%d", used ? ", " : "", widths[i]);
        return;
    }
    char lo[16], hi[16];
    number(lo, sizeof lo, k->min);
    number(hi, sizeof hi, k->max);
    snprintf(out, cap, "%s%s to %s", k->rule == POWER_OF_TWO ? "powers of two, " : "", lo, hi);
}

/* The table, markers included, into a malloc'ed string. */
static char *table(void) {
    size_t cap = 64 * 1024, used = 0;
    char *t = malloc(cap);
    if (!t) return NULL;
    used += (size_t)snprintf(t + used, cap - used, "%s", begin_marker);
    used += (size_t)snprintf(t + used, cap - used,
                             "| Key | AVX-512 CPU | AVX2 CPU | GPU, other | Allowed | What it sets |\n"
                             "|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        const KeyDoc *k = &keys[i];
        char a[32], b[32], g[32], r[64];
        default_value(a, sizeof a, k, k->avx512);
        default_value(b, sizeof b, k, k->avx2);
        default_value(g, sizeof g, k, k->gpu);
        range(r, sizeof r, k);
        used += (size_t)snprintf(t + used, cap - used, "| `%s` | %s | %s | %s | %s | %s |\n", k->name,
                                 a, b, g, r, k->doc);
    }
    snprintf(t + used, cap - used, "%s", end_marker);
    return t;
}

static char *read_all(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) free(s), s = NULL;
    if (s) s[n] = '\0';
    fclose(f);
    return s;
}

int main(int argc, char **argv) {
    char *generated = table();
    if (!generated) return 1;
    if (argc == 1) {
        fputs(generated, stdout);
        return 0;
    }
    if (argc != 3 || (strcmp(argv[1], "--check") != 0 && strcmp(argv[1], "--write") != 0)) {
        fprintf(stderr, "usage: %s [--check FILE | --write FILE]\n", argv[0]);
        return 2;
    }
    const char *path = argv[2];
    char *text = read_all(path);
    if (!text) {
        fprintf(stderr, "%s: cannot read\n", path);
        return 2;
    }
    char *begin = strstr(text, begin_marker);
    char *end = begin ? strstr(begin, end_marker) : NULL;
    if (!end) {
        fprintf(stderr, "%s: no generated-table markers (%.*s ... %.*s)\n", path,
                (int)strlen(begin_marker) - 1, begin_marker, (int)strlen(end_marker) - 1, end_marker);
        return 2;
    }
    end += strlen(end_marker);
    size_t current = (size_t)(end - begin);
    if (strcmp(argv[1], "--check") == 0) {
        if (current == strlen(generated) && memcmp(begin, generated, current) == 0) return 0;
        fprintf(stderr, "%s: the profile-key table differs from src/device/profile_keys.def; "
                        "regenerate it with: profile_keys_doc --write %s\n", path, path);
        return 1;
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return 1;
    fwrite(text, 1, (size_t)(begin - text), f);
    fputs(generated, f);
    fputs(end, f);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "%s: cannot write\n", path);
        return 1;
    }
    return 0;
}
