/* nn.h: the network kernels behind model.c, written once (nn_kernels.inc)
 * and compiled twice: over float with cblas_sgemm (nn_f32.c, production) and
 * over double with cblas_dgemm (nn_f64.c, the gradient check's reference).
 * Types and functions carry the suffix _f32 or _f64. */
#ifndef RNNLM_NN_H
#define RNNLM_NN_H

#include <stdint.h>
#include "common.h"
#include "model.h"
#include "rng.h"

#define NN_MAX_THREADS 8 /* threads sharing the rows of a softmax slice */

#define NN_REAL float
#define NN(name) name##_f32
#include "nn_decl.inc"
#undef NN_REAL
#undef NN

#define NN_REAL double
#define NN(name) name##_f64
#include "nn_decl.inc"
#undef NN_REAL
#undef NN

#endif
