/* run_folder.c — the run folder as a shared resource: an exclusive lock so two runs never
 * write into one folder, removal of temporary files left by killed runs, and copying a run
 * to a new folder when a resume names another --out. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "byol/train_internal.h"
#include "byolcl/log.h"
#include "util/fs.h"

#define LOCK_FILE_NAME "lock"

Status run_folder_lock(const char *dir, RunFolderLock *lock) {
    lock->lock_fd = -1;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, LOCK_FILE_NAME);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return error_set(BC_ERR_IO, "%s: cannot open the run folder's lock: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char holder[256] = "";
        ssize_t got = pread(fd, holder, sizeof holder - 1, 0);
        holder[got > 0 ? got : 0] = '\0';
        holder[strcspn(holder, "\n")] = '\0';
        close(fd);
        return error_set(BC_ERR_USAGE, "%s is in use by another run (%s); wait for it, stop it, or choose "
                         "another --out", dir, holder[0] ? holder : "holder unknown");
    }
    char host[128] = "?", when[64] = "?", text[320];
    gethostname(host, sizeof host - 1);
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm)) strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    int n = snprintf(text, sizeof text, "pid %ld on %s since %s\n", (long)getpid(), host, when);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)n, 0) != n)
        log_warn("%s: could not record the holder (%s)", path, strerror(errno));
    lock->lock_fd = fd;
    return BC_OK;
}

void run_folder_unlock(RunFolderLock *lock) {
    if (lock->lock_fd >= 0) close(lock->lock_fd); /* closing releases the flock */
    lock->lock_fd = -1;
}

/* "NAME.tmp.PID.N" (fs_write_atomic's temporary names) -> PID, or 0. */
static long temp_owner(const char *name) {
    const char *tmp = strstr(name, ".tmp.");
    if (!tmp) return 0;
    char *end;
    long pid = strtol(tmp + 5, &end, 10);
    if (pid <= 0 || *end != '.') return 0;
    strtol(end + 1, &end, 10);
    return *end ? 0 : pid;
}

int run_folder_remove_stale_temps(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int removed = 0;
    for (struct dirent *e; (e = readdir(d));) {
        long pid = temp_owner(e->d_name);
        /* Only the writer's death makes a temporary stale: a live PID keeps its files. */
        if (pid == 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) == 0) removed++;
    }
    closedir(d);
    if (removed) log_info("%s: removed %d temporary files left by runs that were killed", dir, removed);
    return removed;
}

static Status copy_file(const char *from, const char *to) {
    char *data;
    size_t bytes;
    Status st = fs_read_file(from, &data, &bytes);
    if (st != BC_OK) return st;
    FsPart part = {data, bytes};
    st = fs_write_atomic(to, &part, 1);
    free(data);
    return st;
}

Status run_folder_copy(const char *from_dir, const char *from_checkpoint, const char *to_dir) {
    char to[4200], from[4200];
    snprintf(to, sizeof to, "%s/%s", to_dir, CHECKPOINT_FILE_NAME);
    if (fs_exists(to))
        return error_set(BC_ERR_USAGE, "--out %s already holds a checkpoint: resume that one, or choose an "
                         "empty --out for the copy (nothing was overwritten)", to_dir);
    snprintf(from, sizeof from, "%s/metrics.jsonl", from_dir);
    Status st = BC_OK;
    if (fs_exists(from)) {
        char to_metrics[4200];
        snprintf(to_metrics, sizeof to_metrics, "%s/metrics.jsonl", to_dir);
        st = copy_file(from, to_metrics);
    }
    /* The checkpoint last: a copy interrupted before it leaves no resumable half-run. */
    return st == BC_OK ? copy_file(from_checkpoint, to) : st;
}
