/* adapt.h: evaluation-time adaptation (adapt.c; docs/ADAPTATION.md):
 * dynamic evaluation and the continuous cache over one stream scored in
 * order. Its interface is public: rnnlm.h's "adapting at evaluation"
 * (rnnlm_adapt_options_default, rnnlm_adapt_options_check,
 * rnnlm_eval_adapt); nothing of the module is the library's own. */
#ifndef RNNLM_ADAPT_H
#define RNNLM_ADAPT_H

#include "rnnlm.h"

#endif
