/* dist.h — data-parallel runs over MPI: which rank this process is, sums across the ranks
 * (gradients, batch-norm statistics, the stop flag) and stopping every rank at once. The
 * only module that includes <mpi.h>; without MPI (or without a launcher) a run is one rank
 * and every call is a no-op, so the single-process path never touches MPI. */
#ifndef BYOLCL_DIST_H
#define BYOLCL_DIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "byolcl/byolcl.h"

typedef struct {
    int rank, size;             /* 0 and 1 for a single process */
    int local_rank, local_size; /* among the ranks on this host (MPI_Comm_split_type shared) */
    char host[256];
} DistInfo;

/* Joins the MPI job when a launcher started this process (mpirun/mpiexec, srun: the
 * environment holds OMPI_COMM_WORLD_SIZE, PMIX_RANK or PMI_SIZE); otherwise, and in builds
 * without MPI, the run is rank 0 of 1. A second call does nothing. */
Status dist_init(void);
/* Leaves the MPI job (after the last collective call; Open MPI's MPI_Finalize waits for
 * every rank, so main() calls it after printing the outcome); no-op for one rank. */
void dist_finalize(void);
const DistInfo *dist_info(void);
/* This build can join MPI jobs (CMake's BYOLCL_MPI). */
bool dist_built_with_mpi(void);

/* In-place sums over every rank (each rank passes the same count). */
Status dist_sum_floats(float *values, size_t count);
Status dist_sum_doubles(double *values, size_t count);
/* Every rank gets rank 0's `count` doubles. */
Status dist_broadcast_doubles(double *values, size_t count);
/* all holds every rank's `count` floats in rank order; this rank's are already in place. */
Status dist_all_gather_floats(float *all, size_t count);
/* *same: every rank passed the same value. */
Status dist_same_everywhere(uint64_t value, bool *same);
/* *all_ok: every rank passed ok (what a rank that failed before the first sum tells the
 * others, so that no rank waits for it). */
Status dist_all_ok(bool ok, bool *all_ok);

/* Prints "byolcl: rank R of N on HOST: CAUSE" to stderr and stops every rank of the job
 * (MPI_Abort) with `exit_code`; a single process just exits. Never returns. */
void dist_abort(int exit_code, const char *cause) __attribute__((noreturn));

/* The sum callback the ops layer takes for cross-replica batch norm (ops.h: CrossReplicaSum). */
Status dist_sum_doubles_callback(void *context, double *values, size_t count);

#endif
