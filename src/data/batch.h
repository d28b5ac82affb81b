/* batch.h: the batchers over an id stream (batch.c; docs/DATA.md section
 * 6): stateful rows carried across batches, and shuffled windows. Their
 * interface is public: rnnlm.h's "batching" (rnnlm_stream_batcher_*,
 * rnnlm_window_batcher_*); nothing of the module is the library's own. */
#ifndef RNNLM_BATCH_H
#define RNNLM_BATCH_H

#include "rnnlm.h"

#endif
