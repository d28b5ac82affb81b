/* comm.c: the run's communicator (comm.h, rnnlm.h's rnnlm_comm): MPI's world
 * when the build has MPI (RNNLM_MPI) and mpirun started the process, one
 * process otherwise. */
#include "train/comm.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/elapsed.h"

#ifdef RNNLM_MPI
#include <mpi.h>
#endif

struct rnnlm_comm {
    int rank, size;
    int local;         /* ranks on this machine (sharing its cores) */
    int mpi;           /* 1: over MPI_COMM_WORLD (MPI_Init was ours) */
    double seconds;    /* in collectives so far */
};

/* The variables a launcher sets in its ranks' environment: Open MPI's
 * mpirun (OMPI_COMM_WORLD_SIZE), PMIx launchers (PMIX_RANK), MPICH's Hydra
 * and Slurm's PMI (PMI_RANK). */
int rnnlm_comm_launched(void) {
    static const char *const VARS[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"};
    for (size_t i = 0; i < sizeof VARS / sizeof *VARS; i++)
        if (getenv(VARS[i])) return 1;
    return 0;
}

int rnnlm_comm_has_mpi(void) {
#ifdef RNNLM_MPI
    return 1;
#else
    return 0;
#endif
}

rnnlm_status rnnlm_comm_init(rnnlm_comm **out, rnnlm_err *err) {
    *out = NULL;
    rnnlm_comm *c = rnnlm_calloc(1, sizeof *c, "communicator", err);
    if (!c) return RNNLM_E_NOMEM;
    c->size = c->local = 1;
    if (!rnnlm_comm_launched()) { *out = c; return RNNLM_OK; }
#ifdef RNNLM_MPI
    int provided, inited;
    MPI_Initialized(&inited);
    if (inited) { free(c); return rnnlm_fail(err, RNNLM_E_STATE, "MPI is already initialised in this process"); }
    /* only the calling thread talks to MPI; the compute threads never do */
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        free(c);
        return rnnlm_fail(err, RNNLM_E_IO, "MPI_Init failed");
    }
    /* a failed collective (a rank gone) ends the job instead of returning into a hang */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
    MPI_Comm_rank(MPI_COMM_WORLD, &c->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c->size);
    MPI_Comm node;   /* the ranks that share this machine's memory, hence its cores */
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, c->rank, MPI_INFO_NULL, &node) == MPI_SUCCESS) {
        MPI_Comm_size(node, &c->local);
        MPI_Comm_free(&node);
    }
    c->mpi = 1;
    *out = c;
    return RNNLM_OK;
#else
    free(c);
    return rnnlm_fail(err, RNNLM_E_ARG, "this rnnlm was built without MPI (libopenmpi-dev was not found at build "
                      "time), so it cannot train across the ranks mpirun started: each would run alone and "
                      "write the same files. Install openmpi-bin and libopenmpi-dev (scripts/setup.sh) and "
                      "rebuild, or run it without mpirun");
#endif
}

int rnnlm_comm_rank(const rnnlm_comm *c) { return c ? c->rank : 0; }
int rnnlm_comm_size(const rnnlm_comm *c) { return c ? c->size : 1; }
int comm_rank(const comm *c) { return rnnlm_comm_rank(c); }
int comm_size(const comm *c) { return rnnlm_comm_size(c); }
double comm_seconds(const comm *c) { return c ? c->seconds : 0; }
int comm_local_size(const comm *c) { return c && c->local > 0 ? c->local : 1; }

void rnnlm_comm_abort(rnnlm_comm *c, int code) {
#ifdef RNNLM_MPI
    if (c && c->mpi) MPI_Abort(MPI_COMM_WORLD, code);
#else
    (void)code;
#endif
    (void)c;
}

void rnnlm_comm_free(rnnlm_comm *c) {
    if (!c) return;
#ifdef RNNLM_MPI
    if (c->mpi) MPI_Finalize();
#endif
    free(c);
}

#ifdef RNNLM_MPI
/* MPI counts are int: n elements of `size` bytes in pieces of at most 2^28 */
#define PIECE ((size_t)1 << 28)

static rnnlm_status sum_op(comm *c, void *buf, size_t n, size_t size, MPI_Datatype type, MPI_Op op,
                           rnnlm_err *err) {
    double t0 = elapsed_now();
    for (size_t i = 0; i < n; i += PIECE) {
        int k = (int)(n - i < PIECE ? n - i : PIECE);
        if (MPI_Allreduce(MPI_IN_PLACE, (char *)buf + i * size, k, type, op, MPI_COMM_WORLD) != MPI_SUCCESS)
            return rnnlm_fail(err, RNNLM_E_IO, "MPI_Allreduce failed (rank %d of %d)", c->rank, c->size);
    }
    c->seconds += elapsed_now() - t0;
    return RNNLM_OK;
}
#endif

rnnlm_status comm_sum_f32(comm *c, float *buf, size_t n, rnnlm_err *err) {
#ifdef RNNLM_MPI
    if (c && c->mpi && c->size > 1) return sum_op(c, buf, n, sizeof *buf, MPI_FLOAT, MPI_SUM, err);
#endif
    (void)c; (void)buf; (void)n; (void)err;
    return RNNLM_OK;
}

rnnlm_status comm_allreduce_hook(void *arg, float *g, size_t n, rnnlm_err *err) {
    return comm_sum_f32(arg, g, n, err);
}

rnnlm_status comm_sum_f64(comm *c, double *buf, size_t n, rnnlm_err *err) {
#ifdef RNNLM_MPI
    if (c && c->mpi && c->size > 1) return sum_op(c, buf, n, sizeof *buf, MPI_DOUBLE, MPI_SUM, err);
#endif
    (void)c; (void)buf; (void)n; (void)err;
    return RNNLM_OK;
}

rnnlm_status comm_max_u8(comm *c, uint8_t *buf, size_t n, rnnlm_err *err) {
#ifdef RNNLM_MPI
    if (c && c->mpi && c->size > 1) return sum_op(c, buf, n, sizeof *buf, MPI_UINT8_T, MPI_MAX, err);
#endif
    (void)c; (void)buf; (void)n; (void)err;
    return RNNLM_OK;
}

rnnlm_status comm_bcast(comm *c, void *buf, size_t bytes, int root, rnnlm_err *err) {
#ifdef RNNLM_MPI
    if (c && c->mpi && c->size > 1) {
        double t0 = elapsed_now();
        for (size_t i = 0; i < bytes; i += PIECE) {
            int k = (int)(bytes - i < PIECE ? bytes - i : PIECE);
            if (MPI_Bcast((char *)buf + i, k, MPI_BYTE, root, MPI_COMM_WORLD) != MPI_SUCCESS)
                return rnnlm_fail(err, RNNLM_E_IO, "MPI_Bcast failed (rank %d of %d)", c->rank, c->size);
        }
        c->seconds += elapsed_now() - t0;
        return RNNLM_OK;
    }
#endif
    (void)c; (void)buf; (void)bytes; (void)root; (void)err;
    return RNNLM_OK;
}

rnnlm_status comm_gather(comm *c, const void *send, size_t bytes, void *recv, rnnlm_err *err) {
#ifdef RNNLM_MPI
    if (c && c->mpi && c->size > 1) {
        if (bytes > (size_t)0x7fffffff)
            return rnnlm_fail(err, RNNLM_E_ARG, "comm_gather: %zu bytes a rank is past MPI's int count", bytes);
        double t0 = elapsed_now();
        if (MPI_Gather(send, (int)bytes, MPI_BYTE, recv, (int)bytes, MPI_BYTE, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
            return rnnlm_fail(err, RNNLM_E_IO, "MPI_Gather failed (rank %d of %d)", c->rank, c->size);
        c->seconds += elapsed_now() - t0;
        return RNNLM_OK;
    }
#endif
    (void)c; (void)err;
    if (bytes) memmove(recv, send, bytes);
    return RNNLM_OK;
}

rnnlm_status comm_allgather_u32(comm *c, uint32_t v, uint32_t *all, rnnlm_err *err) {
#ifdef RNNLM_MPI
    if (c && c->mpi && c->size > 1) {
        double t0 = elapsed_now();
        if (MPI_Allgather(&v, 1, MPI_UINT32_T, all, 1, MPI_UINT32_T, MPI_COMM_WORLD) != MPI_SUCCESS)
            return rnnlm_fail(err, RNNLM_E_IO, "MPI_Allgather failed (rank %d of %d)", c->rank, c->size);
        c->seconds += elapsed_now() - t0;
        return RNNLM_OK;
    }
#endif
    (void)c; (void)err;
    all[0] = v;
    return RNNLM_OK;
}
