/* dist.c — the rank of this process and the collective operations of a data-parallel run,
 * over the transport of dist_internal.h; a single rank never calls it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dist/dist_internal.h"

static DistInfo info = {.rank = 0, .size = 1, .local_rank = 0, .local_size = 1, .host = ""};
static bool initialized, joined;

bool dist_launched_by_launcher(void) {
    static const char *const markers[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"};
    for (size_t i = 0; i < sizeof markers / sizeof markers[0]; i++)
        if (getenv(markers[i])) return true;
    return false;
}

Status dist_init(void) {
    if (initialized) return BC_OK;
    initialized = true;
    if (gethostname(info.host, sizeof info.host) != 0) snprintf(info.host, sizeof info.host, "unknown-host");
    info.host[sizeof info.host - 1] = '\0';
    if (!dist_launched_by_launcher()) return BC_OK;
    if (!transport_available()) {
        /* Several copies of a build without MPI would each train alone on the same folder. */
        const char *size = getenv("OMPI_COMM_WORLD_SIZE") ? getenv("OMPI_COMM_WORLD_SIZE") : getenv("PMI_SIZE");
        if (size && atoi(size) > 1)
            return error_set(BC_ERR_USAGE, "started by an MPI launcher with %s ranks, but this byolcl was built "
                             "without MPI (-DBYOLCL_MPI=OFF or libopenmpi-dev missing at build time)", size);
        return BC_OK;
    }
    Status st = transport_init(&info);
    if (st == BC_OK) joined = true;
    return st;
}

void dist_finalize(void) {
    if (joined) transport_finalize();
    joined = false;
}

const DistInfo *dist_info(void) { return &info; }
bool dist_built_with_mpi(void) { return transport_available(); }

Status dist_sum_floats(float *values, size_t count) {
    return info.size > 1 ? transport_sum(values, count, false) : BC_OK;
}

Status dist_sum_doubles(double *values, size_t count) {
    return info.size > 1 ? transport_sum(values, count, true) : BC_OK;
}

Status dist_broadcast_doubles(double *values, size_t count) {
    return info.size > 1 ? transport_broadcast(values, count) : BC_OK;
}

Status dist_all_gather_floats(float *all, size_t count) {
    return info.size > 1 ? transport_all_gather(all, count) : BC_OK;
}

Status dist_sum_doubles_callback(void *context, double *values, size_t count) {
    (void)context;
    return dist_sum_doubles(values, count);
}

Status dist_same_everywhere(uint64_t value, bool *same) {
    *same = true;
    if (info.size == 1) return BC_OK;
    uint64_t lo, hi;
    Status st = transport_min_max(value, &lo, &hi);
    if (st == BC_OK) *same = lo == hi;
    return st;
}

Status dist_all_ok(bool ok, bool *all_ok) {
    *all_ok = ok;
    if (info.size == 1) return BC_OK;
    uint64_t lo, hi;
    Status st = transport_min_max(ok ? 1 : 0, &lo, &hi);
    if (st == BC_OK) *all_ok = lo == 1;
    return st;
}

void dist_abort(int exit_code, const char *cause) {
    fflush(stdout);
    fprintf(stderr, "byolcl: rank %d of %d on %s: %s\n", info.rank, info.size, info.host, cause);
    fflush(stderr);
    if (joined) transport_abort(exit_code);
    exit(exit_code);
}
