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

static int g_one, g_format, g_no_share, g_allow_nonfinite, g_precision, g_rnn_unk, g_ngram_canon;
static const char *g_ac_costs, *g_lm_costs, *g_ngram, *g_write;
static double g_ascale, g_lmw, g_ngw, g_wip, g_lambda, g_oov;
static long g_lanes, g_threads, g_max_line;

static opt_spec rescore_opts[] = {
    {"format", OPT_CHOICE, &g_format, 0, 0, "kaldi|srilm|srilm-list",
     "kaldi: NBEST is a text of 'UTTID-N w1 w2 ...' lines; srilm: each NBEST an SRILM n-best file "
     "(NBestList1.0, NBestList2.0 or 'ascore lscore nwords w1 ...'), one utterance each; srilm-list: "
     "NBEST lists such files, one path a line"},
    {"acoustic-costs", OPT_STR, &g_ac_costs, 0, 0, NULL,
     "kaldi: 'UTTID-N COST' lines, COST the negated natural-log acoustic score (Kaldi's ac_cost)"},
    {"ngram-costs", OPT_STR, &g_lm_costs, 0, 0, NULL,
     "kaldi: 'UTTID-N COST' lines, the first pass's LM cost (negated natural log; Kaldi's lm_cost)"},
    {"ngram", OPT_STR, &g_ngram, 0, 0, NULL, "an ARPA n-gram model (plain or gzip) to score the hypotheses with"},
    {"lambda", OPT_FLOAT, &g_lambda, -1, 1, NULL,
     "with --ngram: the LM term is the per-word interpolation ln(L P_rnn + (1-L) P_ngram); -1: no interpolation"},
    {"acoustic-scale", OPT_FLOAT, &g_ascale, -1e6, 1e6, NULL, "weight of the acoustic score"},
    {"lm-weight", OPT_FLOAT, &g_lmw, -1e6, 1e6, NULL,
     "weight of the LM term: the model's natural-log probability (or the interpolation); 0 without "
     "--lambda: the model is not run"},
    {"ngram-weight", OPT_FLOAT, &g_ngw, -1e6, 1e6, NULL,
     "weight of the n-gram term: the --ngram model's natural-log probability (without --lambda), else the "
     "n-best's own LM score (--ngram-costs, SRILM's lscore or g: fields)"},
    {"word-penalty", OPT_FLOAT, &g_wip, -1e6, 1e6, NULL, "added per word of a hypothesis (natural log)"},
    {"ngram-oov-log10", OPT_FLOAT, &g_oov, -99, 0, NULL,
     "log10 probability of a word the --ngram model (or the mixture) gives none: an OOV of both models, "
     "or one the n-gram lacks when it is alone"},
    {"rnn-unk", OPT_CHOICE, &g_rnn_unk, 0, 0, "split|whole|ngram",
     "a word only the n-gram has: the RNN's <unk> probability shared evenly over such words, whole, "
     "or the n-gram's probability in its place (as rnnlm score --ngram)"},
    {"ngram-canon", OPT_FLAG, &g_ngram_canon, 0, 0, NULL,
     "the n-gram looks words up in the model's canonical form (an ARPA model built on canonicalised text)"},
    {"write-nbest", OPT_STR, &g_write, 0, 0, NULL,
     "also write the rescored lists here, best first per utterance (written atomically; a symlink is refused)"},
    {"no-prefix-sharing", OPT_FLAG, &g_no_share, 0, 0, NULL,
     "score each hypothesis on its own (no shared prefixes; for comparison)"},
    {"one-at-a-time", OPT_FLAG, &g_one, 0, 0, NULL,
     "score one hypothesis at a time on one state: no sharing, no batching (for comparison)"},
    {"lanes", OPT_INT, &g_lanes, 1, 65536, NULL, "rows of a batched step"},
    {"threads", OPT_INT, &g_threads, 0, 256, NULL, "compute threads (0: one per core)"},
    {"precision", OPT_CHOICE, &g_precision, 0, 0, "fp32|bf16", "matrix products: fp32, or bf16 inputs with fp32 sums"},
    {"allow-nonfinite", OPT_FLAG, &g_allow_nonfinite, 0, 0, NULL, "load a model whose weights hold NaN or Inf"},
    {"max-line-bytes", OPT_INT, &g_max_line, 1, 1 << 30, NULL, "longest accepted input line"},
    OPT_TABLE_END,
};

#define MAX_FILES 65536

int cmd_rescore(int argc, char **argv) {
    g_one = g_format = g_no_share = g_allow_nonfinite = g_precision = g_rnn_unk = g_ngram_canon = 0;
    g_ac_costs = g_lm_costs = g_ngram = g_write = NULL;
    g_ascale = g_lmw = 1.0;
    g_ngw = g_wip = 0.0;
    g_lambda = -1.0;
    g_oov = -10.0;
    g_lanes = 64;
    g_threads = 0;
    g_max_line = RNNLM_MAX_LINE_DEFAULT;
    const char **pos = calloc(MAX_FILES + 1, sizeof *pos);
    if (!pos) {
        fprintf(stderr, "rnnlm rescore: out of memory\n");
        return 1;
    }
    int n_pos, rc = opts_parse("rescore", argc, argv, rescore_opts, NULL, pos, MAX_FILES + 1, &n_pos,
                               "MODEL NBEST... [options]\n\n"
                               "Scores each hypothesis, all in natural log:\n"
                               "  total = acoustic-scale * acoustic + lm-weight * LM + ngram-weight * NGRAM\n"
                               "          + word-penalty * words\n"
                               "LM: the model's log P(words, </s>), or with --ngram --lambda L the sum of\n"
                               "ln(L P_rnn + (1-L) P_ngram) per word; NGRAM: the --ngram model's log P without\n"
                               "--lambda, else the n-best's own LM score. Kaldi costs are read negated, SRILM's\n"
                               "log10 scores times ln 10, its bytelogs times 1024/10000.5. Prints 'UTTID w1 ...',\n"
                               "the best hypothesis of each utterance; counts and hypotheses/s go to stderr.");
    if (rc) {
        free(pos);
        return rc > 0 ? 0 : 2;
    }
    if (n_pos < 2 || (g_format != 1 && n_pos != 2)) {
        fprintf(stderr, "rnnlm rescore: needs a model and %s: rnnlm rescore MODEL NBEST [options]\n",
                g_format == 1 ? "n-best files" : "one n-best file");
        free(pos);
        return 2;
    }
    if (g_format != 0 && (g_ac_costs || g_lm_costs)) {
        fprintf(stderr, "rnnlm rescore: --acoustic-costs and --ngram-costs go with --format kaldi\n");
        free(pos);
        return 2;
    }
    if (g_lambda != -1.0 && g_lambda < 0) {
        fprintf(stderr, "rnnlm rescore: --lambda: %g is outside [0, 1] (or -1: none)\n", g_lambda);
        free(pos);
        return 2;
    }
    if (g_lambda >= 0 && !g_ngram) {
        fprintf(stderr, "rnnlm rescore: --lambda needs --ngram FILE.arpa\n");
        free(pos);
        return 2;
    }
    rnnlm_err err;
    rnnlm_model *m = NULL;
    rnnlm_ngram *g = NULL;
    rnnlm_nbest *nb = NULL;
    int status = 1;
    rnnlm_rescore_options o;
    rnnlm_rescore_options_default(&o);
    o.acoustic_scale = g_ascale;
    o.lm_weight = g_lmw;
    o.ngram_weight = g_ngw;
    o.word_penalty = g_wip;
    o.lambda = g_lambda;
    o.ngram_oov_log10 = g_oov;
    o.lanes = (int)g_lanes;
    o.no_prefix_sharing = g_one ? 2 : g_no_share;
    o.rnn_unk = g_rnn_unk;
    o.mix_flags = g_ngram_canon ? RNNLM_MIX_NGRAM_CANON : 0;
    /* the model runs for the LM term; its vocabulary also matches the n-gram's words */
    const int run_model = g_lambda >= 0 || g_lmw != 0, need_model = run_model || g_ngram;
    if (need_model) {
        if (rnnlm_model_load_ex(&m, pos[0], g_allow_nonfinite ? RNNLM_LOAD_ALLOW_NONFINITE : 0, &err) ||
            rnnlm_model_set_threads(m, (int)g_threads, &err) || rnnlm_model_set_precision(m, g_precision, &err))
            goto fail;
    }
    if (run_model) {
        char path[256];
        rnnlm_model_compute_path(m, path, sizeof path);
        fprintf(stderr, "rnnlm rescore: compute: %s\n", path);
    }
    if (g_ngram && rnnlm_ngram_load(&g, g_ngram, &err)) goto fail;
    rnnlm_status st;
    if (g_format == 0)
        st = rnnlm_nbest_read_kaldi(&nb, pos[1], g_ac_costs, g_lm_costs, (size_t)g_max_line, &err);
    else if (g_format == 1)
        st = rnnlm_nbest_read_srilm(&nb, pos + 1, (size_t)(n_pos - 1), (size_t)g_max_line, &err);
    else
        st = rnnlm_nbest_read_srilm_list(&nb, pos[1], (size_t)g_max_line, &err);
    if (st) goto fail;
    rnnlm_rescore_stats stats;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (rnnlm_nbest_rescore(nb, m, g, &o, &stats, &err)) goto fail;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double sec = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    if (g_write && rnnlm_nbest_write(nb, g_write, &err)) goto fail;
    size_t nu = rnnlm_nbest_utterances(nb);
    for (size_t u = 0; u < nu; u++) {
        const rnnlm_nbest_hyp *hp = rnnlm_nbest_hyp_get(nb, rnnlm_nbest_best(nb, u));
        fputs(rnnlm_nbest_utt_id(nb, u), stdout);
        for (size_t i = 0; i < hp->n; i++) printf(" %s", hp->words[i]);
        putchar('\n');
    }
    if (fflush(stdout) || ferror(stdout)) {
        fprintf(stderr, "rnnlm rescore: writing the best hypotheses: %s\n", strerror(errno));
        goto done;
    }
    fprintf(stderr,
            "rnnlm rescore: %zu utterances, %zu hypotheses, %zu words; %zu recurrent steps (%s); "
            "%.3f s, %.1f hypotheses/s\n",
            nu, stats.hypotheses, stats.words, stats.steps,
            !run_model ? "model not run" : g_one ? "one at a time" : g_no_share ? "no prefix sharing" : "prefix sharing", sec,
            sec > 0 ? (double)stats.hypotheses / sec : 0.0);
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
