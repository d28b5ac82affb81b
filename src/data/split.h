/* split.h: the seeded splits of a corpus's sentences and their id streams
 * (split.c; docs/DATA.md sections 4 and 5). The public part is rnnlm.h's
 * "split and id streams" (rnnlm_split, rnnlm_ids_build, rnnlm_ids_save);
 * the data set (dataset.c) also carves the validation split here. */
#ifndef RNNLM_SPLIT_H
#define RNNLM_SPLIT_H

#include "core/common.h"

/* The validation split carved from n training sentences idx[0..n) (docs/DATA.md
 * section 4): int(frac * n) of them, chosen by a seeded shuffle of the n
 * positions (MT19937 as rnnlm_split, seeded with seed ^ SPLIT_CARVE_SALT; the
 * last int(frac * n) positions of the shuffle are held out), are moved to the
 * end of idx; both parts keep their relative order. *n_keep: the sentences
 * left for training. RNNLM_E_ARG when frac is outside (0, 1) or either part
 * would be empty. */
#define SPLIT_CARVE_SALT 0x76616c69u   /* "vali" */
rnnlm_status split_carve(size_t *idx, size_t n, double frac, uint32_t seed, size_t *n_keep, rnnlm_err *err);

#endif
