/* dist_mpi.c — the transport over MPI: the only file that includes <mpi.h>. Every
 * collective runs on MPI_COMM_WORLD from the main thread (the loader's threads never call
 * MPI: MPI_THREAD_FUNNELED). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#include "dist/dist_internal.h"

bool transport_available(void) { return true; }

static Status mpi_error(int code, const char *what) {
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) snprintf(text, sizeof text, "error %d", code);
    return error_set(BC_ERR_IO, "MPI %s failed: %s", what, text);
}

Status transport_init(DistInfo *info) {
    int provided = 0;
    int code = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (code != MPI_SUCCESS) return mpi_error(code, "MPI_Init_thread");
    /* Errors come back as codes, so a rank can say what failed before stopping the job. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &info->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &info->size);
    MPI_Comm local;
    code = MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, info->rank, MPI_INFO_NULL, &local);
    if (code != MPI_SUCCESS) return mpi_error(code, "MPI_Comm_split_type");
    MPI_Comm_rank(local, &info->local_rank);
    MPI_Comm_size(local, &info->local_size);
    MPI_Comm_free(&local);
    return BC_OK;
}

void transport_finalize(void) { MPI_Finalize(); }

Status transport_sum(void *values, size_t count, bool doubles) {
    /* MPI counts are ints: large arenas go in pieces. */
    size_t element = doubles ? sizeof(double) : sizeof(float);
    for (size_t done = 0; done < count;) {
        size_t n = count - done < (size_t)1 << 30 ? count - done : (size_t)1 << 30;
        int code = MPI_Allreduce(MPI_IN_PLACE, (char *)values + done * element, (int)n,
                                 doubles ? MPI_DOUBLE : MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        if (code != MPI_SUCCESS) return mpi_error(code, "MPI_Allreduce");
        done += n;
    }
    return BC_OK;
}

Status transport_broadcast(double *values, size_t count) {
    if (count > (size_t)1 << 30) return error_set(BC_ERR_USAGE, "MPI_Bcast: %zu doubles", count);
    int code = MPI_Bcast(values, (int)count, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    return code == MPI_SUCCESS ? BC_OK : mpi_error(code, "MPI_Bcast");
}

Status transport_all_gather(float *all, size_t count) {
    if (count > (size_t)1 << 30) return error_set(BC_ERR_USAGE, "MPI_Allgather: %zu floats per rank", count);
    int code = MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, all, (int)count, MPI_FLOAT, MPI_COMM_WORLD);
    return code == MPI_SUCCESS ? BC_OK : mpi_error(code, "MPI_Allgather");
}

Status transport_min_max(uint64_t value, uint64_t *min, uint64_t *max) {
    uint64_t pair[2] = {value, ~value}; /* max of ~v is ~min: one call for both */
    int code = MPI_Allreduce(MPI_IN_PLACE, pair, 2, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
    if (code != MPI_SUCCESS) return mpi_error(code, "MPI_Allreduce");
    *max = pair[0];
    *min = ~pair[1];
    return BC_OK;
}

void transport_abort(int exit_code) {
    MPI_Abort(MPI_COMM_WORLD, exit_code);
    exit(exit_code); /* MPI_Abort does not return; the compiler cannot know */
}
