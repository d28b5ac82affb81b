/* mix.h: interpolating a model with an ARPA n-gram (mix.c;
 * docs/PIPELINE.md). Its interface is public: rnnlm.h's "interpolation"
 * (rnnlm_mix_*); nothing of the module is the library's own. The pipeline's
 * other modules: n-best lists, whose reader (nbest.c) and scorer
 * (rescore.c) share nbest.h. */
#ifndef RNNLM_MIX_H
#define RNNLM_MIX_H

#include "rnnlm.h"

#endif
