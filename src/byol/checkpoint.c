/* checkpoint.c — the sectioned, checksummed, atomically written checkpoint file. Layout:
 * "BYOLCKPT", u32 version, u32 section count, u64 header checksum, then per section a
 * 32-byte name, u64 size, u64 checksum and the bytes. Little-endian hosts only (checked). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byolcl/checkpoint.h"
#include "util/fs.h"
#include "util/hash.h"

#define CHECKPOINT_MAGIC "BYOLCKPT"

typedef struct {
    char magic[8];
    uint32_t version, section_count;
    uint64_t header_checksum; /* over magic, version and count */
} FileHeader;

typedef struct {
    char name[CHECKPOINT_NAME_MAX];
    uint64_t bytes, checksum;
} SectionHeader;

typedef struct {
    char name[CHECKPOINT_NAME_MAX];
    const unsigned char *data;
    size_t bytes;
} LoadedSection;

struct Checkpoint {
    char path[4096];
    char *contents;
    LoadedSection *sections;
    int count;
};

static uint64_t file_header_checksum(const FileHeader *h) {
    uint64_t s = hash_fnv1a(FNV64_OFFSET, h->magic, sizeof h->magic);
    s = hash_fnv1a(s, &h->version, sizeof h->version);
    return hash_fnv1a(s, &h->section_count, sizeof h->section_count);
}

Status checkpoint_write(const char *path, const CheckpointSection *sections, int count) {
    FileHeader fh = {.version = CHECKPOINT_FORMAT_VERSION, .section_count = (uint32_t)count};
    memcpy(fh.magic, CHECKPOINT_MAGIC, 8);
    fh.header_checksum = file_header_checksum(&fh);
    FsPart *parts = calloc((size_t)(2 * count + 1), sizeof *parts);
    SectionHeader *headers = calloc((size_t)count + 1, sizeof *headers);
    if (!parts || !headers) {
        free(parts);
        free(headers);
        return error_set(BC_ERR_OUT_OF_MEMORY, "%s: out of memory writing checkpoint", path);
    }
    parts[0] = (FsPart){&fh, sizeof fh};
    for (int i = 0; i < count; i++) {
        if (strlen(sections[i].name) >= CHECKPOINT_NAME_MAX) {
            free(parts);
            free(headers);
            return error_set(BC_ERR_USAGE, "checkpoint section name '%s' is too long", sections[i].name);
        }
        memset(headers[i].name, 0, sizeof headers[i].name);
        memcpy(headers[i].name, sections[i].name, strlen(sections[i].name));
        headers[i].bytes = sections[i].bytes;
        headers[i].checksum = hash_fnv1a(FNV64_OFFSET, sections[i].data, sections[i].bytes);
        parts[1 + 2 * i] = (FsPart){&headers[i], sizeof headers[i]};
        parts[2 + 2 * i] = (FsPart){sections[i].data, sections[i].bytes};
    }
    Status st = fs_write_atomic(path, parts, 2 * count + 1);
    free(parts);
    free(headers);
    return st == BC_OK ? BC_OK : error_wrap(st, "writing checkpoint: ");
}

static Status bad(Checkpoint *c, const char *what) {
    Status st = error_set(BC_ERR_FORMAT, "%s: not a usable byolcl checkpoint: %s", c->path, what);
    checkpoint_free(c);
    return st;
}

Status checkpoint_read(const char *path, Checkpoint **out) {
    *out = NULL;
    Checkpoint *c = calloc(1, sizeof *c);
    if (!c) return error_set(BC_ERR_OUT_OF_MEMORY, "out of memory");
    snprintf(c->path, sizeof c->path, "%s", path);
    size_t size;
    Status st = fs_read_file(path, &c->contents, &size);
    if (st != BC_OK) {
        free(c);
        return st;
    }
    FileHeader fh;
    if (size < sizeof fh) return bad(c, "the file is too short (truncated?)");
    memcpy(&fh, c->contents, sizeof fh);
    if (memcmp(fh.magic, CHECKPOINT_MAGIC, 8) != 0) return bad(c, "wrong magic bytes");
    if (fh.header_checksum != file_header_checksum(&fh)) return bad(c, "the header is corrupt");
    if (fh.version != CHECKPOINT_FORMAT_VERSION) {
        char what[160];
        snprintf(what, sizeof what, "format version %u, this byolcl reads version %u", fh.version,
                 CHECKPOINT_FORMAT_VERSION);
        return bad(c, what);
    }
    c->sections = calloc((size_t)fh.section_count + 1, sizeof *c->sections);
    if (!c->sections) return bad(c, "out of memory");
    size_t at = sizeof fh;
    for (uint32_t i = 0; i < fh.section_count; i++) {
        SectionHeader sh;
        if (size - at < sizeof sh) return bad(c, "truncated inside the section table");
        memcpy(&sh, c->contents + at, sizeof sh);
        at += sizeof sh;
        if (sh.name[CHECKPOINT_NAME_MAX - 1] != '\0') return bad(c, "a section name is corrupt");
        if (sh.bytes > size - at) {
            char what[160];
            snprintf(what, sizeof what, "section '%s' is truncated", sh.name);
            return bad(c, what);
        }
        if (hash_fnv1a(FNV64_OFFSET, c->contents + at, sh.bytes) != sh.checksum) {
            char what[160];
            snprintf(what, sizeof what, "section '%s' fails its checksum", sh.name);
            return bad(c, what);
        }
        LoadedSection *s = &c->sections[c->count++];
        memcpy(s->name, sh.name, sizeof s->name);
        s->data = (const unsigned char *)c->contents + at;
        s->bytes = sh.bytes;
        at += sh.bytes;
    }
    if (at != size) return bad(c, "trailing bytes after the last section");
    *out = c;
    return BC_OK;
}

Status checkpoint_section(const Checkpoint *c, const char *name, const void **data, size_t *bytes) {
    for (int i = 0; i < c->count; i++)
        if (strcmp(c->sections[i].name, name) == 0) {
            *data = c->sections[i].data;
            *bytes = c->sections[i].bytes;
            return BC_OK;
        }
    return error_set(BC_ERR_FORMAT, "%s: checkpoint has no '%s' section", c->path, name);
}

Status checkpoint_section_exact(const Checkpoint *c, const char *name, void *dst, size_t bytes) {
    const void *data = NULL;
    size_t have = 0;
    Status st = checkpoint_section(c, name, &data, &have);
    if (st != BC_OK) return st;
    if (have != bytes)
        return error_set(BC_ERR_FORMAT,
                         "%s: section '%s' holds %zu bytes where %zu were expected (a checkpoint "
                         "of another architecture or configuration?)",
                         c->path, name, have, bytes);
    memcpy(dst, data, bytes);
    return BC_OK;
}

const char *checkpoint_path(const Checkpoint *c) { return c->path; }

void checkpoint_free(Checkpoint *c) {
    if (!c) return;
    free(c->contents);
    free(c->sections);
    free(c);
}
