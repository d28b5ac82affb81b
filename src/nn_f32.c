/* nn_f32.c: the production instance of the network kernels (nn_kernels.inc):
 * float, cblas_sgemm, and the vectorised exp/tanh/sigmoid of nn_math.h. */
#include <cblas.h>
#include "nn.h"
#include "nn_math.h"

#define NN_REAL float
#define NN(name) name##_f32
#define NN_GEMM cblas_sgemm

/* vsigmoid_f32, vtanh_f32, vadd_max_f32, vexp_shift_sum_f32 and
 * vscale_acc_f32 come from nn_math.h under the names the template asks for. */

/* The softmax uses as many threads as the caller gave OpenBLAS. */
static int threads_f32(void) { return openblas_get_num_threads(); }
static void set_threads_f32(int n) { openblas_set_num_threads(n); }

#include "nn_kernels.inc"
#include "nn_infer.inc"
