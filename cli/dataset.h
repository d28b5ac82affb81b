/* dataset.h: the data options shared by every subcommand that reads a corpus,
 * and the loaded data set: vocabulary and the id streams of each split. */
#ifndef RNNLM_CLI_DATASET_H
#define RNNLM_CLI_DATASET_H

#include "opts.h"
#include "rnnlm.h"

typedef struct {
    const char *corpus;      /* "brown", "toy" or a plain-text file */
    const char *brown_dir;
    const char *train, *valid, *test;   /* separate plain-text files */
    long vocab_size, seed, max_line;
    double split;
    int no_canon, no_markers;
    const char *vocab_in, *vocab_out;
    const rnnlm_vocab *fixed_vocab;   /* use this one (a model's), not built or read */
} data_opts;

/* One split: pairs x[i] -> y[i], i < n (for a stream, x = ids, y = ids + 1). */
typedef struct {
    int32_t *ids;            /* owned */
    int32_t *y_own;          /* owned when y is not ids + 1 (toy) */
    const int32_t *x, *y;
    size_t n_ids, n, sentences, tokens, unk;
    const char *name;
} split_data;

typedef struct {
    const rnnlm_vocab *vocab;
    rnnlm_vocab *own_vocab;          /* freed with the data set; NULL when borrowed */
    split_data train, valid, test;   /* valid.n == 0 when absent */
    size_t sentences, tokens;        /* whole corpus */
    const char *source;
} dataset;

void data_opts_defaults(data_opts *o);
extern opt_spec data_opt_table[];
extern data_opts g_data_opts;        /* what data_opt_table fills */

/* Loads per the options; prints one line naming the cause to stderr on failure. */
int dataset_load(dataset *d, const data_opts *o);
void dataset_free(dataset *d);

#endif
