/* cmd_rescore.c: `rnnlm rescore MODEL NBEST... [options]`: reads n-best
 * lists (Kaldi's or SRILM's layout), rescores them with the model (and an
 * ARPA n-gram) through rnnlm_nbest_rescore, prints the best hypothesis of
 * each utterance ("UTTID w1 w2 ...") and, with --write-nbest, writes the
 * rescored lists. Timing and counts go to stderr. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "opts.h"
#include "rnnlm.h"

/* The command's flags; the library's rnnlm_rescore_options are made from
 * them (rescore_library_options). */
typedef struct {
    int format;   /* 0 kaldi, 1 srilm, 2 srilm-list */
    const char *ac_costs, *lm_costs, *ngram, *write;
    double ascale, lmw, ngw, wip, lambda, oov;
    int rnn_unk, ngram_canon, no_share, one, allow_nonfinite, precision;
    long lanes, threads, max_line;
} rescore_cli_options;

static const rescore_cli_options RESCORE_DEFAULTS = {
    .ascale = 1.0, .lmw = 1.0, .lambda = -1.0, .oov = -10.0, .lanes = 64, .max_line = RNNLM_MAX_LINE_DEFAULT};

static opt_table rescore_table(rescore_cli_options *o) {
    return (opt_table){{
        {"format", OPT_CHOICE, &o->format, 0, 0, "kaldi|srilm|srilm-list",
         "kaldi: NBEST is a text of 'UTTID-N w1 w2 ...' lines; srilm: each NBEST an SRILM n-best file "
         "(NBestList1.0, NBestList2.0 or 'ascore lscore nwords w1 ...'), one utterance each; srilm-list: "
         "NBEST lists such files, one path a line"},
        {"acoustic-costs", OPT_STR, &o->ac_costs, 0, 0, NULL,
         "kaldi: 'UTTID-N COST' lines, COST the negated natural-log acoustic score (Kaldi's ac_cost)"},
        {"ngram-costs", OPT_STR, &o->lm_costs, 0, 0, NULL,
         "kaldi: 'UTTID-N COST' lines, the first pass's LM cost (negated natural log; Kaldi's lm_cost)"},
        {"ngram", OPT_STR, &o->ngram, 0, 0, NULL, "an ARPA n-gram model (plain or gzip) to score the hypotheses with"},
        {"lambda", OPT_FLOAT, &o->lambda, -1, 1, NULL,
         "with --ngram: the LM term is the per-word interpolation ln(L P_rnn + (1-L) P_ngram); -1: no interpolation"},
        {"acoustic-scale", OPT_FLOAT, &o->ascale, -1e6, 1e6, NULL, "weight of the acoustic score"},
        {"lm-weight", OPT_FLOAT, &o->lmw, -1e6, 1e6, NULL,
         "weight of the LM term: the model's natural-log probability (or the interpolation); 0 without "
         "--lambda: the model is not run"},
        {"ngram-weight", OPT_FLOAT, &o->ngw, -1e6, 1e6, NULL,
         "weight of the n-gram term: the --ngram model's natural-log probability (without --lambda), else the "
         "n-best's own LM score (--ngram-costs, SRILM's lscore or g: fields)"},
        {"word-penalty", OPT_FLOAT, &o->wip, -1e6, 1e6, NULL, "added per word of a hypothesis (natural log)"},
        {"ngram-oov-log10", OPT_FLOAT, &o->oov, -99, 0, NULL,
         "log10 probability of a word the --ngram model (or the mixture) gives none: an OOV of both models, "
         "or one the n-gram lacks when it is alone"},
        {"rnn-unk", OPT_CHOICE, &o->rnn_unk, 0, 0, "split|whole|ngram",
         "a word only the n-gram has: the RNN's <unk> probability shared evenly over such words, whole, "
         "or the n-gram's probability in its place (as rnnlm score --ngram)"},
        {"ngram-canon", OPT_FLAG, &o->ngram_canon, 0, 0, NULL,
         "the n-gram looks words up in the model's canonical form (an ARPA model built on canonicalised text)"},
        {"write-nbest", OPT_STR, &o->write, 0, 0, NULL,
         "also write the rescored lists here, best first per utterance (written atomically; a symlink is refused)"},
        {"no-prefix-sharing", OPT_FLAG, &o->no_share, 0, 0, NULL,
         "score each hypothesis on its own (no shared prefixes; for comparison)"},
        {"one-at-a-time", OPT_FLAG, &o->one, 0, 0, NULL,
         "score one hypothesis at a time on one state: no sharing, no batching (for comparison)"},
        {"lanes", OPT_INT, &o->lanes, 1, 65536, NULL, "rows of a batched step"},
        {"threads", OPT_INT, &o->threads, 0, 256, NULL, "compute threads (0: one per core)"},
        {"precision", OPT_CHOICE, &o->precision, 0, 0, "fp32|bf16|auto",
         "matrix products: fp32, bf16 inputs with fp32 sums, or auto: bf16 where measured faster here"},
        {"allow-nonfinite", OPT_FLAG, &o->allow_nonfinite, 0, 0, NULL, "load a model whose weights hold NaN or Inf"},
        {"max-line-bytes", OPT_INT, &o->max_line, 1, 1 << 30, NULL, "longest accepted input line"},
        OPT_TABLE_END,
    }};
}

#define MAX_FILES 65536

#define RESCORE_USAGE \
    "MODEL NBEST... [options]\n\n" \
    "Scores each hypothesis, all in natural log:\n" \
    "  total = acoustic-scale * acoustic + lm-weight * LM + ngram-weight * NGRAM\n" \
    "          + word-penalty * words\n" \
    "LM: the model's log P(words, </s>), or with --ngram --lambda L the sum of\n" \
    "ln(L P_rnn + (1-L) P_ngram) per word; NGRAM: the --ngram model's log P without\n" \
    "--lambda, else the n-best's own LM score. Kaldi costs are read negated, SRILM's\n" \
    "log10 scores times ln 10, its bytelogs times 1024/10000.5. Prints 'UTTID w1 ...',\n" \
    "the best hypothesis of each utterance; counts and hypotheses/s go to stderr."

/* The combinations the table cannot state: 0, or 2 after a message. */
static int rescore_check(const rescore_cli_options *o, int n_pos) {
    if (n_pos < 2 || (o->format != 1 && n_pos != 2)) {
        fprintf(stderr, "rnnlm rescore: needs a model and %s: rnnlm rescore MODEL NBEST [options]\n",
                o->format == 1 ? "n-best files" : "one n-best file");
        return 2;
    }
    if (o->format != 0 && (o->ac_costs || o->lm_costs)) {
        fprintf(stderr, "rnnlm rescore: --acoustic-costs and --ngram-costs go with --format kaldi\n");
        return 2;
    }
    if (o->lambda != -1.0 && o->lambda < 0) {
        fprintf(stderr, "rnnlm rescore: --lambda: %g is outside [0, 1] (or -1: none)\n", o->lambda);
        return 2;
    }
    if (o->lambda >= 0 && !o->ngram) {
        fprintf(stderr, "rnnlm rescore: --lambda needs --ngram FILE.arpa\n");
        return 2;
    }
    return 0;
}

static void rescore_library_options(const rescore_cli_options *c, rnnlm_rescore_options *o) {
    rnnlm_rescore_options_default(o);
    o->acoustic_scale = c->ascale;
    o->lm_weight = c->lmw;
    o->ngram_weight = c->ngw;
    o->word_penalty = c->wip;
    o->lambda = c->lambda;
    o->ngram_oov_log10 = c->oov;
    o->lanes = (int)c->lanes;
    o->no_prefix_sharing = c->one ? 2 : c->no_share;
    o->rnn_unk = c->rnn_unk;
    o->mix_flags = c->ngram_canon ? RNNLM_MIX_NGRAM_CANON : 0;
}

/* The n-best lists of files[0..n) in the layout --format names. */
static rnnlm_status rescore_read(const rescore_cli_options *o, const char **files, size_t n, rnnlm_nbest **nb,
                                 rnnlm_err *err) {
    if (o->format == 0) return rnnlm_nbest_read_kaldi(nb, files[0], o->ac_costs, o->lm_costs, (size_t)o->max_line, err);
    if (o->format == 1) return rnnlm_nbest_read_srilm(nb, files, n, (size_t)o->max_line, err);
    return rnnlm_nbest_read_srilm_list(nb, files[0], (size_t)o->max_line, err);
}

/* "UTTID w1 w2 ...", the best hypothesis of each utterance; -1 after a
 * message when stdout fails. */
static int print_best(const rnnlm_nbest *nb) {
    size_t nu = rnnlm_nbest_utterances(nb);
    for (size_t u = 0; u < nu; u++) {
        const rnnlm_nbest_hyp *hp = rnnlm_nbest_hyp_get(nb, rnnlm_nbest_best(nb, u));
        fputs(rnnlm_nbest_utt_id(nb, u), stdout);
        for (size_t i = 0; i < hp->n; i++) printf(" %s", hp->words[i]);
        putchar('\n');
    }
    if (fflush(stdout) || ferror(stdout)) {
        fprintf(stderr, "rnnlm rescore: writing the best hypotheses: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

/* Loads the model when the LM term runs it or the n-gram's words are
 * matched against its vocabulary (*m stays NULL otherwise), and the n-gram. */
static rnnlm_status rescore_load(const rescore_cli_options *o, const char *model_path, int run_model, rnnlm_model **m,
                                 rnnlm_ngram **g, rnnlm_err *err) {
    if (run_model || o->ngram) {
        if (rnnlm_model_load_ex(m, model_path, o->allow_nonfinite ? RNNLM_LOAD_ALLOW_NONFINITE : 0, err) ||
            rnnlm_model_set_threads(*m, (int)o->threads, err) || rnnlm_model_set_precision(*m, o->precision, err))
            return err->status;
    }
    if (run_model) {
        char path[512];
        rnnlm_model_compute_path(*m, path, sizeof path);
        fprintf(stderr, "rnnlm rescore: compute: %s\n", path);
    }
    if (o->ngram && rnnlm_ngram_load(g, o->ngram, err)) return err->status;
    if (o->ngram) note_ngram_rounding("rescore", o->ngram, *g);
    return RNNLM_OK;
}

int cmd_rescore(int argc, char **argv) {
    rescore_cli_options c = RESCORE_DEFAULTS;
    opt_table t = rescore_table(&c);
    const char **pos = calloc(MAX_FILES + 1, sizeof *pos);
    if (!pos) {
        fprintf(stderr, "rnnlm rescore: out of memory\n");
        return 1;
    }
    int n_pos, rc = opts_parse("rescore", argc, argv, t.opt, NULL, pos, MAX_FILES + 1, &n_pos, RESCORE_USAGE);
    int status = rc > 0 ? 0 : rc < 0 ? 2 : rescore_check(&c, n_pos);
    if (rc || status) {
        free(pos);
        return status;
    }
    rnnlm_err err;
    rnnlm_model *m = NULL;
    rnnlm_ngram *g = NULL;
    rnnlm_nbest *nb = NULL;
    status = 1;
    rnnlm_rescore_options o;
    rescore_library_options(&c, &o);
    /* the model runs for the LM term; its vocabulary also matches the n-gram's words */
    const int run_model = c.lambda >= 0 || c.lmw != 0;
    if (rescore_load(&c, pos[0], run_model, &m, &g, &err) || rescore_read(&c, pos + 1, (size_t)(n_pos - 1), &nb, &err))
        goto fail;
    rnnlm_rescore_stats stats;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (rnnlm_nbest_rescore(nb, m, g, &o, &stats, &err)) goto fail;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double sec = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    if (c.write && rnnlm_nbest_write(nb, c.write, &err)) goto fail;
    if (print_best(nb)) goto done;
    fprintf(stderr,
            "rnnlm rescore: %zu utterances, %zu hypotheses, %zu words; %zu recurrent steps (%s); "
            "%.3f s, %.1f hypotheses/s\n",
            rnnlm_nbest_utterances(nb), stats.hypotheses, stats.words, stats.steps,
            !run_model ? "model not run" : c.one ? "one at a time" : c.no_share ? "no prefix sharing" : "prefix sharing",
            sec, sec > 0 ? (double)stats.hypotheses / sec : 0.0);
    status = 0;
    goto done;
fail:
    fprintf(stderr, "rnnlm rescore: %s\n", err.msg);
done:
    rnnlm_nbest_free(nb);
    rnnlm_ngram_free(g);
    rnnlm_model_free(m);
    free(pos);
    return status;
}
