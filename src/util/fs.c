/* fs.c — file helpers with error messages that name the file. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"

Status fs_read_file(const char *path, char **out, size_t *out_bytes) {
    FILE *f = fopen(path, "rb");
    if (!f) return error_set(BC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, used = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        fclose(f);
        return error_set(BC_ERR_OUT_OF_MEMORY, "%s: out of memory reading file", path);
    }
    for (;;) {
        size_t got = fread(buf + used, 1, cap - used, f);
        used += got;
        if (used < cap) break;
        char *bigger = realloc(buf, 2 * cap + 1);
        if (!bigger) {
            free(buf);
            fclose(f);
            return error_set(BC_ERR_OUT_OF_MEMORY, "%s: out of memory reading file", path);
        }
        buf = bigger;
        cap *= 2;
    }
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        return error_set(BC_ERR_IO, "%s: read error", path);
    }
    buf[used] = '\0';
    *out = buf;
    if (out_bytes) *out_bytes = used;
    return BC_OK;
}

bool fs_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

bool fs_is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool fs_same_file(const char *a, const char *b) {
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

Status fs_mkdir_p(const char *path) {
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return error_set(BC_ERR_IO, "%s: path too long", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return error_set(BC_ERR_IO, "%s: cannot create folder: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return error_set(BC_ERR_IO, "%s: cannot create folder: %s", buf, strerror(errno));
    return BC_OK;
}

static Status write_all(int fd, const void *data, size_t bytes, const char *path) {
    const char *p = data;
    while (bytes > 0) {
        ssize_t n = write(fd, p, bytes);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return error_set(BC_ERR_IO, "%s: write failed: %s", path, strerror(errno));
        p += n;
        bytes -= (size_t)n;
    }
    return BC_OK;
}

Status fs_write_atomic(const char *path, const FsPart *parts, int count) {
    char tmp[4200];
    /* pid + a counter: two processes (or threads) writing the same file never share a temp. */
    static _Atomic unsigned counter;
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%u", path, (long)getpid(), counter++);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) return error_set(BC_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
    Status st = BC_OK;
    for (int i = 0; i < count && st == BC_OK; i++)
        st = write_all(fd, parts[i].data, parts[i].bytes, tmp);
    if (st == BC_OK && fsync(fd) != 0)
        st = error_set(BC_ERR_IO, "%s: fsync failed: %s", tmp, strerror(errno));
    if (close(fd) != 0 && st == BC_OK)
        st = error_set(BC_ERR_IO, "%s: close failed: %s", tmp, strerror(errno));
    if (st == BC_OK && rename(tmp, path) != 0)
        st = error_set(BC_ERR_IO, "%s: cannot rename into place: %s", path, strerror(errno));
    if (st != BC_OK) {
        unlink(tmp);
        return st;
    }
    /* Make the rename itself durable: fsync the folder that holds the file. */
    char dir[4200];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        if (slash == dir) slash[1] = '\0';
        else *slash = '\0';
    } else {
        snprintf(dir, sizeof dir, ".");
    }
    int dfd = open(dir, O_RDONLY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return BC_OK;
}
