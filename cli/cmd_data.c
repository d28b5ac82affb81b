/* cmd_data.c: `rnnlm data`: the data pipeline's figures (sentences, tokens,
 * split sizes, id counts, the first ids and their words, <unk> rates),
 * optionally a check of the batchers on those streams, and optionally the
 * id streams and the vocabulary written out (--write-ids) for other tools
 * such as the n-gram baseline dev/kn_baseline.py, or the splits as text
 * (--write-text) for an n-gram toolkit. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "data_opts.h"

/* The flags of data beyond the data options (data_opts.h). */
typedef struct {
    long show, batch, time;
    const char *write_ids;   /* NULL: nothing written */
    const char *write_text;  /* NULL: nothing written */
} data_cmd_options;

static const data_cmd_options DATA_CMD_DEFAULTS = {.show = 25, .batch = 0, .time = 25};

static opt_table data_cmd_table(data_cmd_options *o) {
    return (opt_table){{
        {"show", OPT_INT, &o->show, 0, 1000000, NULL, "how many leading training ids to print"},
        {"batch-size", OPT_INT, &o->batch, 0, 1 << 20, NULL, "also report stateful batching with B rows (0: no)"},
        {"max-time", OPT_INT, &o->time, 1, 1 << 20, NULL, "T, steps per batch, with --batch-size"},
        {"write-ids", OPT_STR, &o->write_ids, 0, 0, NULL,
         "write DIR/{train,valid,test}.ids (each split's id stream, space-separated, one line) and DIR/vocab.tsv"},
        {"write-text", OPT_STR, &o->write_text, 0, 0, NULL,
         "write DIR/{train,valid,test}.txt: each split, one sentence a line, in the vocabulary's words (<unk> "
         "for the rest): the text to train an n-gram on for `--ngram`"},
        OPT_TABLE_END,
    }};
}

static void print_split(const rnnlm_split_data *s) {
    if (!s->n_ids) return;
    printf("%-5s  %9zu sentences  %10zu tokens  %10zu ids  <unk> %5.2f%% of ids\n", s->name, s->sentences,
           s->tokens, s->n_ids, 100.0 * (double)s->unk / (double)s->n_ids);
}

/* DIR/NAME.ids: the split's n_ids ids, separated by one space, then a newline
 * (rnnlm_ids_save: written atomically). 0, or -1 after a message. */
static int write_split_ids(const char *dir, const rnnlm_split_data *s) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s.ids", dir, s->name) >= (int)sizeof path) {
        fprintf(stderr, "rnnlm data: --write-ids: path too long\n");
        return -1;
    }
    rnnlm_err err;
    if (rnnlm_ids_save(path, s->ids, s->n_ids, &err)) {
        fprintf(stderr, "rnnlm data: %s\n", err.msg);
        return -1;
    }
    return 0;
}

/* DIR, made when absent; 0, or -1 after a message. */
static int make_dir(const char *dir) {
    if (mkdir(dir, 0777) && errno != EEXIST) {
        fprintf(stderr, "rnnlm data: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* --write-text DIR: each present split as text, DIR/NAME.txt. */
static int write_text(const char *dir, const rnnlm_dataset *d, int no_markers) {
    if (no_markers) {
        fprintf(stderr, "rnnlm data: --write-text writes a sentence a line, and with --no-markers the streams "
                        "have no sentence boundaries\n");
        return -1;
    }
    if (make_dir(dir)) return -1;
    const rnnlm_split_data *sp[3] = {&d->train, &d->valid, &d->test};
    for (int k = 0; k < 3; k++) {
        if (!sp[k]->n_ids) continue;
        char path[4096];
        rnnlm_err err;
        if (snprintf(path, sizeof path, "%s/%s.txt", dir, sp[k]->name) >= (int)sizeof path) {
            fprintf(stderr, "rnnlm data: --write-text: path too long\n");
            return -1;
        }
        if (rnnlm_ids_save_text(path, sp[k]->ids, sp[k]->n_ids, d->vocab, &err)) {
            fprintf(stderr, "rnnlm data: %s\n", err.msg);
            return -1;
        }
    }
    printf("wrote the text of %s%s%sin %s\n", d->train.n_ids ? "train " : "", d->valid.n_ids ? "valid " : "",
           d->test.n_ids ? "test " : "", dir);
    return 0;
}

/* --write-ids DIR: the vocabulary and each present split's id stream. */
static int write_ids(const char *dir, const rnnlm_dataset *d) {
    if (make_dir(dir)) return -1;
    char path[4096];
    if (snprintf(path, sizeof path, "%s/vocab.tsv", dir) >= (int)sizeof path) {
        fprintf(stderr, "rnnlm data: --write-ids: path too long\n");
        return -1;
    }
    rnnlm_err err;
    if (rnnlm_vocab_save(d->vocab, path, &err)) {
        fprintf(stderr, "rnnlm data: %s\n", err.msg);
        return -1;
    }
    const rnnlm_split_data *sp[3] = {&d->train, &d->valid, &d->test};
    for (int k = 0; k < 3; k++)
        if (sp[k]->n_ids && write_split_ids(dir, sp[k])) return -1;
    printf("wrote %s/vocab.tsv and the id streams of %s%s%s\n", dir, d->train.n_ids ? "train " : "",
           d->valid.n_ids ? "valid " : "", d->test.n_ids ? "test" : "");
    return 0;
}

int cmd_data(int argc, char **argv) {
    rnnlm_data_options dopt;
    data_opts_defaults(&dopt);
    data_cmd_options o = DATA_CMD_DEFAULTS;
    opt_table dt = data_opts_table(&dopt), t = data_cmd_table(&o);
    int n_pos, rc = opts_parse("data", argc, argv, dt.opt, t.opt, NULL, 0, &n_pos, "[options]");
    if (rc) return rc > 0 ? 0 : 2;
    if (data_opts_check("data", &dopt, argc, argv)) return 2;
    rnnlm_dataset d;
    if (dataset_load(&d, &dopt)) return 1;
    printf("corpus %s: %zu sentences, %zu tokens\n", d.source, d.sentences, d.tokens);
    char cap[32];   /* the toy keeps its whole vocabulary: no cap applied */
    if (strcmp(d.source, "toy") == 0) snprintf(cap, sizeof cap, "no cap");
    else snprintf(cap, sizeof cap, "cap %ld", dopt.vocab_size);
    printf("vocabulary: %zu ids (%zu distinct %swords, %s)\n", rnnlm_vocab_size(d.vocab),
           rnnlm_vocab_distinct(d.vocab), rnnlm_vocab_canon(d.vocab) ? "canonical " : "", cap);
    print_split(&d.train);
    print_split(&d.valid);
    print_split(&d.test);
    size_t show = (size_t)o.show < d.train.n_ids ? (size_t)o.show : d.train.n_ids;
    if (show) {
        printf("first %zu training ids:", show);
        for (size_t i = 0; i < show; i++) printf(" %d", d.train.ids[i]);
        printf("\nfirst %zu training words:", show);
        for (size_t i = 0; i < show; i++) printf(" %s", rnnlm_vocab_word(d.vocab, d.train.ids[i]));
        printf("\n");
    }
    int status = 0;
    if (o.write_ids && write_ids(o.write_ids, &d)) status = 1;
    if (o.write_text && write_text(o.write_text, &d, dopt.no_markers)) status = 1;
    if (o.batch > 0) {
        rnnlm_err err;
        rnnlm_stream_batcher sb;
        rnnlm_window_batcher wb;
        if (rnnlm_stream_batcher_init(&sb, d.train.x, d.train.y, d.train.n, (int)o.batch, (int)o.time, 0, &err)) {
            fprintf(stderr, "rnnlm data: %s\n", err.msg);
            status = 1;
        } else {
            printf("stateful batches: %zu of %ld x %ld (rows of %zu pairs; last batch %zu wide)\n", sb.n_batches,
                   o.batch, o.time, sb.rows_len, sb.rows_len - (sb.n_batches - 1) * (size_t)o.time);
            if (!rnnlm_window_batcher_init(&wb, d.train.x, d.train.y, d.train.n, (int)o.batch, (int)o.time,
                                           (size_t)(o.batch * o.time), 0, &err)) {
                printf("windowed batches: %zu (%zu windows of %ld; training x has %zu ids)\n", wb.n_batches,
                       wb.n_windows, o.time, wb.n_windows * (size_t)o.time);
                rnnlm_window_batcher_free(&wb);
            }
        }
    }
    rnnlm_dataset_free(&d);
    return status;
}
