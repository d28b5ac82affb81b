/* comm.h: the communicator of a data-parallel training run (rnnlm.h,
 * rnnlm_comm): who this process is among the run's ranks, and the few
 * collectives a synchronous step needs (sums of the gradient and of the
 * batch figures, a broadcast, a gather of the carried state, the weights'
 * checksum compared). Built over MPI when the build finds it (RNNLM_MPI);
 * otherwise, and for a process not started by mpirun, a one-process
 * communicator whose collectives are copies. This is the seam a compute
 * backend interface takes over: the trainer calls nothing of MPI itself.
 *
 * Every collective is called by every rank in the same order. MPI's errors
 * are fatal (MPI_ERRORS_ARE_FATAL): a rank that dies ends the whole job
 * through mpirun rather than leaving the others in a collective. */
#ifndef RNNLM_COMM_H
#define RNNLM_COMM_H

#include <stddef.h>
#include <stdint.h>

#include "core/common.h"

typedef rnnlm_comm comm;

int comm_rank(const comm *c);   /* NULL: 0 */
int comm_size(const comm *c);   /* NULL: 1 */
int comm_local_size(const comm *c);   /* the ranks on this machine, this one included (NULL: 1) */

/* Element-wise sums over the ranks, in place. */
rnnlm_status comm_sum_f32(comm *c, float *buf, size_t n, rnnlm_err *err);
rnnlm_status comm_sum_f64(comm *c, double *buf, size_t n, rnnlm_err *err);
/* comm_sum_f32 as the backend's gradient all-reduce hook (backend/backend.h:
 * arg is the communicator), installed on the model of a run of size > 1. */
rnnlm_status comm_allreduce_hook(void *arg, float *g, size_t n, rnnlm_err *err);
/* Element-wise maxima over the ranks, in place (a union of 0/1 masks). */
rnnlm_status comm_max_u8(comm *c, uint8_t *buf, size_t n, rnnlm_err *err);
/* root's bytes into every rank's buf. */
rnnlm_status comm_bcast(comm *c, void *buf, size_t bytes, int root, rnnlm_err *err);
/* Every rank's `bytes` of send, in rank order, into recv at rank 0 (recv:
 * size x bytes there; unused elsewhere). */
rnnlm_status comm_gather(comm *c, const void *send, size_t bytes, void *recv, rnnlm_err *err);
/* Every rank's v into all (size entries) on every rank. */
rnnlm_status comm_allgather_u32(comm *c, uint32_t v, uint32_t *all, rnnlm_err *err);

/* Seconds spent in the collectives above since the communicator began
 * (0 for one process: nothing is communicated). */
double comm_seconds(const comm *c);

#endif
