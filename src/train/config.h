/* config.h: the run's options as checkpoint metadata, "config.<key>" =
 * value (docs/FORMAT.md), in a fixed order of keys; older checkpoints name
 * them "cli.<flag>" (legacy). Values: integers in decimal, reals as %.17g,
 * choices by name, flags 0/1, strings as they are ("" for none). Options
 * of an invocation (directories, limits, the communicator) are not stored. */
#ifndef RNNLM_CONFIG_H
#define RNNLM_CONFIG_H

#include <stddef.h>

#include "core/common.h"
#include "io/safetensors.h"

#define CONFIG_N_KEYS 52   /* the keys stored */

/* Key i's name, without the "config." prefix. */
const char *config_key_name(size_t i);
/* Key i's value in t and d, as text. */
void config_format(size_t i, const rnnlm_train_options *t, const rnnlm_data_options *d, char *buf, size_t cap);
/* Sets every option that f stores (a key it lacks, newer than the file,
 * keeps its value in t or d). RNNLM_E_FORMAT naming path and the key for a
 * value out of its range, or when f holds no training options at all. */
rnnlm_status config_read(const st_file *f, const char *path, rnnlm_train_options *t, rnnlm_data_options *d,
                         rnnlm_err *err);

#endif
