/* progress.h: the Keras-like progress display of an epoch: a bar redrawn in
 * place on a terminal, or a plain line now and then when output is a file. */
#ifndef RNNLM_CLI_PROGRESS_H
#define RNNLM_CLI_PROGRESS_H

#include <stdio.h>
#include "train.h"

typedef struct {
    FILE *f;
    int tty;
    size_t every;          /* plain mode: a line every `every` steps */
    double last_draw;
} progress;

void progress_begin(progress *pr, FILE *f, size_t n_steps);
void progress_step(progress *pr, const train_progress *p);
/* Ends the bar line (terminal) so the epoch summary starts on its own line. */
void progress_end(progress *pr);

#endif
