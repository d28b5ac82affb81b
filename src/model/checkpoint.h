/* checkpoint.h: an rnnlm model and its vocabulary as one safetensors file,
 * every weight in fp32 under the names and layouts PyTorch gives the same
 * network (nn.Embedding "embedding", one nn.LSTM / nn.GRU / nn.RNN "rnn",
 * nn.Linear "output"); docs/FORMAT.md describes the names, shapes and
 * metadata keys in full.
 *
 *   embedding.weight       (V, E)
 *   rnn.weight_ih_l{k}     (G*H, in)   in = E for k = 0, H above
 *   rnn.weight_hh_l{k}     (G*H, H)
 *   rnn.bias_ih_l{k}       (G*H)
 *   rnn.bias_hh_l{k}       (G*H)
 *   output.weight          (V, H)      absent when the embedding is tied
 *   output.bias            (V)
 *
 * Tensors whose names begin with CHECKPOINT_EXTRA_PREFIX ("train.") belong
 * to the caller (optimiser slots, carried state, ...): checkpoint_save writes
 * the ones it is given, checkpoint_load leaves them in the st_file it hands
 * back. Any other tensor the configuration does not call for is an error.
 */
#ifndef RNNLM_CHECKPOINT_H
#define RNNLM_CHECKPOINT_H

#include <stddef.h>
#include "core/common.h"
#include "model/model.h"
#include "io/safetensors.h"

#define CHECKPOINT_FORMAT "rnnlm"
#define CHECKPOINT_VERSION "1"
#define CHECKPOINT_EXTRA_PREFIX "train."

/* Writes m (its weights, configuration) and v (whose size must be V) to path,
 * atomically. extra_kv = {key0, value0, ...}: n_extra more metadata pairs
 * (keys must not be the checkpoint's own, see FORMAT.md); extra_tensors:
 * n_extra_tensors F32 tensors, each named "train.<something>".
 * RNNLM_E_ARG for a bad argument, RNNLM_E_IO when writing fails. */
rnnlm_status checkpoint_save(const char *path, const model *m, const rnnlm_vocab *v,
                             const char *const *extra_kv, size_t n_extra,
                             const st_tensor *extra_tensors, size_t n_extra_tensors,
                             rnnlm_err *err);

/* Reads path, checks the format, its version, the configuration, the
 * vocabulary and every tensor's presence and shape (RNNLM_E_FORMAT naming
 * what is wrong), then creates *m and *v and fills them. When keep is
 * non-NULL it receives the opened file (for st_meta, checkpoint_get_meta and
 * the "train." tensors; free it with st_free); otherwise the file is freed.
 * On failure *m, *v (and *keep) are NULL. */
rnnlm_status checkpoint_load(const char *path, model **m, rnnlm_vocab **v, st_file **keep,
                             rnnlm_err *err);

/* checkpoint_load refuses a file any of whose tensors (the caller's
 * "train." ones too) holds a NaN or an infinity, naming the tensor and the
 * element (RNNLM_E_FORMAT). With flags RNNLM_LOAD_ALLOW_NONFINITE (rnnlm.h)
 * such a file is loaded as it is, for inspection. */
rnnlm_status checkpoint_load_ex(const char *path, unsigned flags, model **m, rnnlm_vocab **v,
                                st_file **keep, rnnlm_err *err);

/* A metadata value of a loaded checkpoint (the caller's extra keys too), or NULL. */
const char *checkpoint_get_meta(const st_file *f, const char *key);

/* Prefix of the run configuration's metadata keys (docs/FORMAT.md). */
#define CHECKPOINT_CONFIG_PREFIX "config."
/* The prefix of the same keys in checkpoints written before "config." keys:
 * each named after the command-line flag that set it. */
#define CHECKPOINT_LEGACY_PREFIX "cli."

/* The metadata value of configuration key name ("batch", "max_time", ...:
 * the suffix after "config."), or, when legacy is not NULL, of the older
 * "cli.<legacy>" key; NULL when neither is there. key (cap bytes; may be
 * NULL) receives the key found. */
const char *checkpoint_config_value(const st_file *f, const char *name, const char *legacy, char *key, size_t cap);

/* A number of a loaded checkpoint's metadata (its own keys and the
 * caller's): the whole value must parse (no white space, no '+', nothing
 * after it, no overflow) to a value in [lo, hi]; a real is never NaN, and
 * is infinite only where lo or hi is. RNNLM_E_FORMAT naming path (which
 * prefixes the message), the key and the value otherwise, or when the key is
 * absent (test for an optional key with checkpoint_get_meta first). */
rnnlm_status checkpoint_meta_int(const st_file *f, const char *key, long long lo, long long hi,
                                 long long *out, const char *path, rnnlm_err *err);
rnnlm_status checkpoint_meta_real(const st_file *f, const char *key, double lo, double hi,
                                  double *out, const char *path, rnnlm_err *err);

#endif
