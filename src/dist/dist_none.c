/* dist_none.c — the transport of a build without MPI (-DBYOLCL_MPI=OFF): one rank only. */
#include <stdlib.h>

#include "dist/dist_internal.h"

bool transport_available(void) { return false; }

Status transport_init(DistInfo *info) {
    (void)info;
    return error_set(BC_ERR_USAGE, "this byolcl was built without MPI");
}

void transport_finalize(void) {}

Status transport_sum(void *values, size_t count, bool doubles) {
    (void)values, (void)count, (void)doubles;
    return error_set(BC_ERR_USAGE, "this byolcl was built without MPI");
}

Status transport_broadcast(double *values, size_t count) {
    (void)values, (void)count;
    return error_set(BC_ERR_USAGE, "this byolcl was built without MPI");
}

Status transport_all_gather(float *all, size_t count) {
    (void)all, (void)count;
    return error_set(BC_ERR_USAGE, "this byolcl was built without MPI");
}

Status transport_min_max(uint64_t value, uint64_t *min, uint64_t *max) {
    *min = *max = value;
    return BC_OK;
}

void transport_abort(int exit_code) { exit(exit_code); }
