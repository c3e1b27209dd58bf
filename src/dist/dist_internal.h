/* dist_internal.h — the transport under dist.c: MPI (dist_mpi.c) or nothing (dist_none.c,
 * builds without MPI). dist.c calls it only when the job has more than one rank, or to
 * join one. Private to src/dist/. */
#ifndef BYOLCL_DIST_DIST_INTERNAL_H
#define BYOLCL_DIST_DIST_INTERNAL_H

#include "byolcl/dist.h"

/* A launcher's environment variables are present (dist.c). */
bool dist_launched_by_launcher(void);

bool transport_available(void);
/* Initializes MPI and fills rank, size, local_rank, local_size (host is filled by dist.c). */
Status transport_init(DistInfo *info);
void transport_finalize(void);
/* In-place sum of `count` floats (or doubles) over every rank. */
Status transport_sum(void *values, size_t count, bool doubles);
/* values = rank 0's. */
Status transport_broadcast(double *values, size_t count);
/* all = every rank's `count` floats in rank order (this rank's already in place). */
Status transport_all_gather(float *all, size_t count);
/* The smallest and the largest of every rank's value. */
Status transport_min_max(uint64_t value, uint64_t *min, uint64_t *max);
void transport_abort(int exit_code) __attribute__((noreturn));

#endif
