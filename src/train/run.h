/* run.h: the library side of a training run (rnnlm.h, "training"): the run
 * configuration as checkpoint metadata, shared with what reads it back
 * (the model handle's training batch shape). */
#ifndef RNNLM_RUN_H
#define RNNLM_RUN_H

#include "core/common.h"
#include "io/safetensors.h"
#include "train/train.h"

/* The metadata value of configuration key name ("batch", "max_time", ...:
 * the suffix after "config."), or of its legacy "cli." key in older files;
 * NULL when neither is there. key (cap bytes; may be NULL) receives the key
 * found. */
const char *run_config_value(const st_file *f, const char *name, char *key, size_t cap);

/* The library configuration of options o for a vocabulary of V words. */
train_config run_train_config(const rnnlm_train_options *o, long V);

#endif
