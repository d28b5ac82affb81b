/* options.h: the training options (rnnlm.h, rnnlm_train_options): their
 * defaults, their checks, and the step engine's configuration made of them. */
#ifndef RNNLM_OPTIONS_H
#define RNNLM_OPTIONS_H

#include "core/common.h"
#include "train/step.h"

/* The step engine's configuration of options o for a vocabulary of V words. */
step_config options_step_config(const rnnlm_train_options *o, long V);

#endif
