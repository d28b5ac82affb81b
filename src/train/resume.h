/* resume.h: a checkpoint opened to resume its run (rnnlm.h,
 * rnnlm_checkpoint): what the trainer reads of it. */
#ifndef RNNLM_RESUME_H
#define RNNLM_RESUME_H

#include "core/common.h"
#include "io/safetensors.h"
#include "model/model.h"

struct rnnlm_checkpoint {
    char *path;
    model *m;          /* its model, the resumed run's weights */
    rnnlm_vocab *v;
    st_file *f;        /* its tensors and metadata: the training state, config.*, run.*, data.* */
};

#endif
