/* progress.h: the Keras-like progress display of an epoch: a bar redrawn in
 * place on a terminal, or a plain line now and then when output is a file. */
#ifndef RNNLM_CLI_PROGRESS_H
#define RNNLM_CLI_PROGRESS_H

#include <stdio.h>
#include "rnnlm.h"

typedef struct {
    FILE *f;
    int tty;
    size_t every;          /* plain mode: a line every `every` steps */
    double last_draw;
} progress;

void progress_begin(progress *pr, FILE *f, size_t n_steps);
void progress_step(progress *pr, const rnnlm_train_progress *p);
/* Ends the bar line (terminal) so the epoch summary starts on its own line. */
void progress_end(progress *pr);
/* The line now being written on pr->f (an epoch's summary still gathering
 * its figures) is unfinished until progress_break. */
void progress_line_open(progress *pr);
/* Ends the unfinished progress line, if any (a bar drawn in place, an open
 * summary), and flushes stdout: call it before printing an error, which then
 * starts on a line of its own, and to end a summary line. */
void progress_break(void);

#endif
