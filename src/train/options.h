/* options.h: the training options (rnnlm.h, rnnlm_train_options): their
 * defaults, their checks, and the step engine's configuration made of them. */
#ifndef RNNLM_OPTIONS_H
#define RNNLM_OPTIONS_H

#include "core/common.h"
#include "train/step.h"

/* The step engine's configuration of options o for a vocabulary of V words. */
step_config options_step_config(const rnnlm_train_options *o, long V);

/* The adaptive softmax's cutoffs of o for V words (`adaptive_cutoffs`, or
 * the default: 2000 and 10000 where below V, else V / 2) into cut, *n of
 * them; a malformed list is RNNLM_E_ARG (ordering is the model's check). */
rnnlm_status options_adaptive_cutoffs(const rnnlm_train_options *o, long V, int *cut, int *n,
                                      rnnlm_err *err);

#endif
