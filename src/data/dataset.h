/* dataset.h: the data pipeline (dataset.c; docs/DATA.md): corpus ->
 * vocabulary -> split -> the id stream of each split, per
 * rnnlm_data_options. Its interface is public: rnnlm.h's "data set"
 * (rnnlm_data_options_default, rnnlm_dataset_load, rnnlm_dataset_free);
 * nothing of the module is the library's own. */
#ifndef RNNLM_DATASET_H
#define RNNLM_DATASET_H

#include "rnnlm.h"

#endif
