/* resume.c: rnnlm_checkpoint (resume.h): a training checkpoint opened, and
 * the options of its run read back (config.h). */
#include "train/resume.h"

#include <stdlib.h>
#include <string.h>

#include "model/checkpoint.h"
#include "train/config.h"

rnnlm_status rnnlm_checkpoint_open(rnnlm_checkpoint **out, const char *path, rnnlm_err *err) {
    *out = NULL;
    rnnlm_checkpoint *c = rnnlm_calloc(1, sizeof *c, "checkpoint", err);
    if (!c) return RNNLM_E_NOMEM;
    rnnlm_status st = checkpoint_load(path, &c->m, &c->v, &c->f, err);
    if (!st && !(c->path = strdup(path))) st = rnnlm_fail(err, RNNLM_E_NOMEM, "out of memory");
    if (st) { rnnlm_checkpoint_free(c); return st; }
    *out = c;
    return RNNLM_OK;
}

void rnnlm_checkpoint_free(rnnlm_checkpoint *c) {
    if (!c) return;
    model_free(c->m);
    rnnlm_vocab_free(c->v);
    st_free(c->f);
    free(c->path);
    free(c);
}

rnnlm_status rnnlm_checkpoint_options(const rnnlm_checkpoint *c, rnnlm_train_options *t, rnnlm_data_options *d,
                                      rnnlm_err *err) {
    rnnlm_status st = config_read(c->f, c->path, t, d, err);
    if (st) return st;
    d->fixed_vocab = c->v;
    return RNNLM_OK;
}
