/* nbest.c: n-best lists (rnnlm.h, "n-best lists and rescoring"): the
 * readers of Kaldi's and SRILM's layouts, the accessors, and the writer of
 * rescored lists. docs/NBEST.md describes the layouts as read here.
 *
 * Lines come from the library's bounded reader (rnnlm_lines: plain and gzip
 * files alike, a line longer than the limit refused before anything grows
 * with it), each through the rule of all text readers (lines_next_text). */
#include "pipeline/nbest.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/atomic_file.h"
#include "core/linereader.h"

/* ------------------------------------------------------------ tokens */

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

/* The next token of s[*p..n): 1 with tok, len; 0 at the end. */
static int next_tok(const char *s, size_t n, size_t *p, const char **tok, size_t *len) {
    size_t i = *p;
    while (i < n && is_space(s[i])) i++;
    if (i == n) {
        *p = n;
        return 0;
    }
    size_t j = i;
    while (j < n && !is_space(s[j])) j++;
    *tok = s + i;
    *len = j - i;
    *p = j;
    return 1;
}

static int tok_is(const char *t, size_t n, const char *w) { return strlen(w) == n && memcmp(t, w, n) == 0; }

/* A finite number spelling the whole token (strtod's syntax). */
static int parse_number(const char *t, size_t n, double *out) {
    char b[128];
    if (n == 0 || n >= sizeof b) return 0;
    memcpy(b, t, n);
    b[n] = '\0';
    char *end;
    errno = 0;
    double v = strtod(b, &end);
    if (end != b + n || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

/* A printable, bounded quotation of a token for messages. */
static const char *quote(const char *t, size_t n, char *buf, size_t cap) {
    size_t k = n < cap - 4 ? n : cap - 4;
    memcpy(buf, t, k);
    strcpy(buf + k, n > k ? "..." : "");
    return buf;
}

/* ------------------------------------------------------------ building */

static rnnlm_status nb_new(rnnlm_nbest **out, rnnlm_nbest_layout layout, rnnlm_err *err) {
    rnnlm_nbest *nb = rnnlm_calloc(1, sizeof *nb, "n-best list", err);
    if (!nb) return RNNLM_E_NOMEM;
    nb->layout = layout;
    strtab_init(&nb->words);
    strtab_init(&nb->hyp_ids);
    strtab_init(&nb->utt_ids);
    *out = nb;
    return RNNLM_OK;
}

void rnnlm_nbest_free(rnnlm_nbest *nb) {
    if (!nb) return;
    strtab_free(&nb->words);
    strtab_free(&nb->hyp_ids);
    strtab_free(&nb->utt_ids);
    free(nb->wid);
    free(nb->word_ptr);
    free(nb->hyp_word0);
    free(nb->hyp);
    free(nb->utt);
    free(nb->best);
    free(nb);
}

/* Opens utterance id (a new one; returns RNNLM_E_FORMAT through the caller
 * when it was seen before and is not the current one). *fresh = 0 when id
 * is the current utterance. */
static rnnlm_status nb_utterance(rnnlm_nbest *nb, const char *id, size_t len, const char *name, size_t lineno,
                                 rnnlm_err *err) {
    if (nb->n_utt && strtab_len(&nb->utt_ids, (uint32_t)(nb->n_utt - 1)) == len &&
        memcmp(strtab_str(&nb->utt_ids, (uint32_t)(nb->n_utt - 1)), id, len) == 0)
        return RNNLM_OK;
    uint32_t u;
    rnnlm_status st = strtab_intern(&nb->utt_ids, id, len, &u, err);
    if (st) return st;
    if (u != nb->n_utt) {
        char q[80];
        return rnnlm_fail(err, RNNLM_E_FORMAT,
                          "%s:%zu: utterance '%s' appears again after other utterances (its lines must be together)",
                          name, lineno, quote(id, len, q, sizeof q));
    }
    if ((st = rnnlm_grow((void **)&nb->utt, &nb->utt_cap, nb->n_utt + 1, sizeof *nb->utt, "utterances", err)))
        return st;
    nb->utt[nb->n_utt++] = (nbest_utt){nb->n_hyp, 0};
    return RNNLM_OK;
}

/* Starts a hypothesis of the current utterance with the given id. */
static rnnlm_status nb_hyp(rnnlm_nbest *nb, const char *id, size_t len, const char *name, size_t lineno,
                           rnnlm_err *err) {
    uint32_t h;
    rnnlm_status st = strtab_intern(&nb->hyp_ids, id, len, &h, err);
    if (st) return st;
    if (h != nb->n_hyp) {
        char q[80];
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: hypothesis id '%s' appears twice", name, lineno,
                          quote(id, len, q, sizeof q));
    }
    if ((st = rnnlm_grow((void **)&nb->hyp, &nb->hyp_cap, nb->n_hyp + 1, sizeof *nb->hyp, "hypotheses", err)) ||
        (st = rnnlm_grow((void **)&nb->hyp_word0, &nb->word0_cap, nb->n_hyp + 1, sizeof *nb->hyp_word0,
                         "hypotheses", err)))
        return st;
    rnnlm_nbest_hyp *hp = &nb->hyp[nb->n_hyp];
    memset(hp, 0, sizeof *hp);
    hp->utt = nb->n_utt - 1;
    nb->hyp_word0[nb->n_hyp] = nb->n_wid;
    nb->n_hyp++;
    nb->utt[nb->n_utt - 1].n++;
    return RNNLM_OK;
}

/* Appends a word to the last hypothesis. */
static rnnlm_status nb_word(rnnlm_nbest *nb, const char *w, size_t len, rnnlm_err *err) {
    uint32_t id;
    rnnlm_status st = strtab_intern(&nb->words, w, len, &id, err);
    if (st) return st;
    if ((st = rnnlm_grow((void **)&nb->wid, &nb->wid_cap, nb->n_wid + 1, sizeof *nb->wid, "words", err)))
        return st;
    nb->wid[nb->n_wid++] = id;
    nb->hyp[nb->n_hyp - 1].n++;
    return RNNLM_OK;
}

/* Drops a trailing </s> of the last hypothesis (a leading <s> is never added). */
static void nb_drop_end(rnnlm_nbest *nb) {
    rnnlm_nbest_hyp *hp = &nb->hyp[nb->n_hyp - 1];
    if (hp->n && strcmp(strtab_str(&nb->words, nb->wid[nb->n_wid - 1]), "</s>") == 0) {
        hp->n--;
        nb->n_wid--;
    }
}

/* Reading is over: the word pointers, and the checks of the whole. */
static rnnlm_status nb_finish(rnnlm_nbest *nb, const char *name, rnnlm_err *err) {
    if (nb->n_hyp == 0) return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: no hypotheses", name);
    nb->word_ptr = rnnlm_calloc(nb->n_wid ? nb->n_wid : 1, sizeof *nb->word_ptr, "words", err);
    nb->best = nb->word_ptr ? rnnlm_calloc(nb->n_utt, sizeof *nb->best, "utterances", err) : NULL;
    if (!nb->best) return RNNLM_E_NOMEM;
    for (size_t i = 0; i < nb->n_wid; i++) nb->word_ptr[i] = strtab_str(&nb->words, nb->wid[i]);
    for (size_t h = 0; h < nb->n_hyp; h++) {
        nb->hyp[h].words = nb->word_ptr + nb->hyp_word0[h];
        nb->hyp[h].id = strtab_str(&nb->hyp_ids, (uint32_t)h);
        nb->hyp[h].rank = h - nb->utt[nb->hyp[h].utt].first + 1;
    }
    for (size_t u = 0; u < nb->n_utt; u++) nb->best[u] = nb->utt[u].first;
    return RNNLM_OK;
}

/* ------------------------------------------------------------ Kaldi */

/* "ID COST" lines: each id one of the text's, once; every hypothesis gets one. */
static rnnlm_status read_costs(rnnlm_nbest *nb, const char *path, int acoustic, size_t max_line, const char *text,
                               rnnlm_err *err) {
    rnnlm_lines *r;
    rnnlm_status st = rnnlm_lines_open(&r, path, max_line, err);
    if (st) return st;
    char *seen = rnnlm_calloc(nb->n_hyp, 1, "cost flags", err);
    if (!seen) {
        rnnlm_lines_close(r);
        return RNNLM_E_NOMEM;
    }
    char *line;
    size_t n;
    int got;
    char q[80];
    while ((got = lines_next_text(r, &line, &n, err)) > 0) {
        size_t p = 0, il, cl, xl;
        const char *id, *cost, *extra;
        if (!next_tok(line, n, &p, &id, &il)) continue;   /* a blank line */
        if (!next_tok(line, n, &p, &cost, &cl) || next_tok(line, n, &p, &extra, &xl)) {
            st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: expected two fields, 'UTTID-N COST'", path, r->lineno);
            break;
        }
        int64_t h = strtab_find(&nb->hyp_ids, id, il);
        double c;
        if (h < 0) {
            st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: id '%s' is not a hypothesis of %s", path, r->lineno,
                            quote(id, il, q, sizeof q), text);
            break;
        }
        if (seen[h]) {
            st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: a second cost for '%s'", path, r->lineno,
                            quote(id, il, q, sizeof q));
            break;
        }
        if (!parse_number(cost, cl, &c)) {
            st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: cost '%s' is not a finite number", path, r->lineno,
                            quote(cost, cl, q, sizeof q));
            break;
        }
        seen[h] = 1;
        if (acoustic) {
            nb->hyp[h].acoustic = -c;
            nb->hyp[h].has_acoustic = 1;
        } else {
            nb->hyp[h].lm = -c;
            nb->hyp[h].has_lm = 1;
        }
    }
    if (got < 0) st = err ? err->status : RNNLM_E_FORMAT;
    for (size_t h = 0; !st && h < nb->n_hyp; h++)
        if (!seen[h])
            st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s: no cost for '%s' (a hypothesis of %s)", path,
                            strtab_str(&nb->hyp_ids, (uint32_t)h), text);
    free(seen);
    rnnlm_lines_close(r);
    return st;
}

rnnlm_status rnnlm_nbest_read_kaldi(rnnlm_nbest **out, const char *text, const char *acoustic_costs,
                                    const char *lm_costs, size_t max_line, rnnlm_err *err) {
    if (!out) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_nbest_read_kaldi: out is NULL");
    *out = NULL;
    if (!text) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_nbest_read_kaldi: no file");
    rnnlm_nbest *nb = NULL;
    rnnlm_status st = nb_new(&nb, RNNLM_NBEST_KALDI, err);
    if (st) return st;
    rnnlm_lines *r;
    if ((st = rnnlm_lines_open(&r, text, max_line, err))) {
        rnnlm_nbest_free(nb);
        return st;
    }
    char *line;
    size_t n;
    int got;
    char q[80];
    while (!st && (got = lines_next_text(r, &line, &n, err)) > 0) {
        size_t p = 0, il, wl;
        const char *id, *w;
        if (!next_tok(line, n, &p, &id, &il)) continue;   /* a blank line */
        const char *dash = memrchr(id, '-', il);
        size_t ul = dash ? (size_t)(dash - id) : 0, dl = il - ul - (dash != NULL);
        int digits = dash && ul > 0 && dl > 0;
        for (size_t k = 0; digits && k < dl; k++) digits = dash[1 + k] >= '0' && dash[1 + k] <= '9';
        if (!digits) {
            st = rnnlm_fail(err, RNNLM_E_FORMAT,
                            "%s:%zu: the first field '%s' is not a hypothesis id UTTID-N (N in digits)", text,
                            r->lineno, quote(id, il, q, sizeof q));
            break;
        }
        if ((st = nb_utterance(nb, id, ul, text, r->lineno, err)) || (st = nb_hyp(nb, id, il, text, r->lineno, err)))
            break;
        int first = 1;
        while (!st && next_tok(line, n, &p, &w, &wl)) {
            if (!(first && tok_is(w, wl, "<s>"))) st = nb_word(nb, w, wl, err);
            first = 0;
        }
        if (!st) nb_drop_end(nb);
    }
    if (!st && got < 0) st = err ? err->status : RNNLM_E_FORMAT;
    rnnlm_lines_close(r);
    if (!st) st = nb_finish(nb, text, err);
    if (!st && acoustic_costs) st = read_costs(nb, acoustic_costs, 1, max_line, text, err);
    if (!st && lm_costs) st = read_costs(nb, lm_costs, 0, max_line, text, err);
    if (st) {
        rnnlm_nbest_free(nb);
        return st;
    }
    *out = nb;
    return RNNLM_OK;
}

/* ------------------------------------------------------------ SRILM */

/* SRILM's bytelog: a log base 1.0001 scaled down by 1024, so
 * ln p = bytelog * 1024 / 10000.5 (10000.5 ~ 1 / ln 1.0001). */
#define BYTELOG_TO_LN (1024.0 / 10000.5)

/* "(score)" as one token: the number inside the parentheses. */
static int paren_number(const char *t, size_t n, double *v) {
    return n >= 3 && t[0] == '(' && t[n - 1] == ')' && parse_number(t + 1, n - 2, v);
}

/* A line of an SRILM file being read: its text, where the next token
 * starts, and for messages its place. */
typedef struct {
    const char *s;
    size_t n, p;
    const char *path;
    size_t lineno;
} srilm_line;

static int sl_next(srilm_line *l, const char **t, size_t *tl) { return next_tok(l->s, l->n, &l->p, t, tl); }

/* The plain layout's scores: "ascore lscore nwords" (log10), t the first
 * token. */
static rnnlm_status srilm_plain_scores(srilm_line *l, rnnlm_nbest_hyp *hp, const char *t, size_t tl,
                                       rnnlm_err *err) {
    const char *ls, *nw;
    size_t ll, nl;
    double a, lm, words;
    if (!parse_number(t, tl, &a) || !sl_next(l, &ls, &ll) || !parse_number(ls, ll, &lm))
        return rnnlm_fail(err, RNNLM_E_FORMAT,
                          "%s:%zu: expected 'ascore lscore nwords w1 ...' with finite log10 scores", l->path,
                          l->lineno);
    if (!sl_next(l, &nw, &nl) || !parse_number(nw, nl, &words) || words < 0 || words != floor(words) ||
        strspn(nw, "0123456789") < nl)
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: the word count is not a whole number", l->path, l->lineno);
    hp->acoustic = a * M_LN10;
    hp->lm = lm * M_LN10;
    hp->has_acoustic = hp->has_lm = 1;
    return RNNLM_OK;
}

/* NBestList2.0's fields after word w: "( st: S et: E g: G a: A )", the
 * a: and g: values added to *sum_a and *sum_g (*has_a, *has_g: present). */
static rnnlm_status srilm_word_fields(srilm_line *l, const char *w, size_t wl, double *sum_a, double *sum_g,
                                      int *has_a, int *has_g, rnnlm_err *err) {
    char q[80];
    const char *k;
    size_t kl;
    if (!sl_next(l, &k, &kl) || !tok_is(k, kl, "("))
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: word '%s' lacks its '( st: .. et: .. g: .. a: .. )'",
                          l->path, l->lineno, quote(w, wl, q, sizeof q));
    *has_a = *has_g = 0;
    for (;;) {
        if (!sl_next(l, &k, &kl))
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: an unclosed '(' after word '%s'", l->path, l->lineno,
                              quote(w, wl, q, sizeof q));
        if (tok_is(k, kl, ")")) return RNNLM_OK;
        const char *v;
        size_t vl;
        double x;
        if (kl < 2 || k[kl - 1] != ':' || !sl_next(l, &v, &vl) || !parse_number(v, vl, &x))
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: after word '%s': expected 'key: number' pairs and ')'",
                              l->path, l->lineno, quote(w, wl, q, sizeof q));
        if (tok_is(k, kl, "a:")) { *sum_a += x; *has_a = 1; }
        if (tok_is(k, kl, "g:")) { *sum_g += x; *has_g = 1; }
    }
}

/* The rest of a hypothesis line after its scores: the words (a leading <s>
 * dropped); with NBestList2.0 (version 2), each word's fields, their a: and
 * g: summed into the hypothesis's acoustic and LM scores when every word
 * has them, the total standing for the acoustic score otherwise. */
static rnnlm_status srilm_words(srilm_line *l, rnnlm_nbest *nb, int version, double total, rnnlm_err *err) {
    double sum_a = 0, sum_g = 0;
    int all_a = 1, all_g = 1, first = 1;
    const char *t;
    size_t tl;
    rnnlm_status st = RNNLM_OK;
    while (!st && sl_next(l, &t, &tl)) {
        if (version == 2 && tok_is(t, tl, "("))
            return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: a '(' where a word should be", l->path, l->lineno);
        if (!(first && tok_is(t, tl, "<s>"))) st = nb_word(nb, t, tl, err);
        first = 0;
        if (st || version != 2) continue;
        int has_a = 0, has_g = 0;
        st = srilm_word_fields(l, t, tl, &sum_a, &sum_g, &has_a, &has_g, err);
        all_a &= has_a;
        all_g &= has_g;
    }
    if (st) return st;
    nb_drop_end(nb);
    rnnlm_nbest_hyp *hp = &nb->hyp[nb->n_hyp - 1];
    if (version == 1 || version == 2) {
        /* the total score stands for the acoustic one unless the words carry a: */
        int words_a = version == 2 && all_a && hp->n > 0, words_g = version == 2 && all_g && hp->n > 0;
        hp->acoustic = (words_a ? sum_a : total) * BYTELOG_TO_LN;
        hp->has_acoustic = 1;
        if (words_g) {
            hp->lm = sum_g * BYTELOG_TO_LN;
            hp->has_lm = 1;
        }
    }
    /* finite numbers can still overflow once summed or converted (1e308 log10) */
    if (!isfinite(hp->acoustic) || !isfinite(hp->lm))
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: a score is out of range once in natural log", l->path,
                          l->lineno);
    return RNNLM_OK;
}

/* One hypothesis line, t its first token: the hypothesis "UTT-K" (K its
 * place in the file), its scores, its words. */
static rnnlm_status srilm_hyp(srilm_line *l, rnnlm_nbest *nb, int version, const char *base, size_t bl,
                              const char *t, size_t tl, rnnlm_err *err) {
    char q[80], idbuf[300];
    snprintf(idbuf, sizeof idbuf, "%.*s-%zu", (int)(bl < 200 ? bl : 200), base, nb->utt[nb->n_utt - 1].n + 1);
    rnnlm_status st = nb_hyp(nb, idbuf, strlen(idbuf), l->path, l->lineno, err);
    if (st) return st;
    double total = 0;
    if (version == 0) st = srilm_plain_scores(l, &nb->hyp[nb->n_hyp - 1], t, tl, err);
    else if (!paren_number(t, tl, &total))
        st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: expected '(score)' first, not '%s'", l->path, l->lineno,
                        quote(t, tl, q, sizeof q));
    return st ? st : srilm_words(l, nb, version, total, err);
}

/* The utterance id of an SRILM file: its base name, less ".gz", less one
 * more extension (*base, *bl). */
static rnnlm_status srilm_utt_id(const char *path, const char **base, size_t *bl, rnnlm_err *err) {
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 3 && strcmp(b + n - 3, ".gz") == 0) n -= 3;
    const char *dot = memrchr(b, '.', n);
    if (dot && dot > b) n = (size_t)(dot - b);
    if (n == 0) return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: no utterance id in the file's name", path);
    *base = b;
    *bl = n;
    return RNNLM_OK;
}

/* One SRILM file: one utterance. */
static rnnlm_status read_srilm_file(rnnlm_nbest *nb, const char *path, size_t max_line, rnnlm_err *err) {
    const char *base = NULL;
    size_t bl = 0;
    rnnlm_status st = srilm_utt_id(path, &base, &bl, err);
    if (!st) st = nb_utterance(nb, base, bl, path, 0, err);
    if (st) return st;
    if (nb->utt[nb->n_utt - 1].n)
        return rnnlm_fail(err, RNNLM_E_FORMAT, "%s: utterance '%.*s' was read from an earlier file", path,
                          (int)(bl < 200 ? bl : 200), base);
    rnnlm_lines *r;
    if ((st = rnnlm_lines_open(&r, path, max_line, err))) return st;
    char *line;
    size_t n;
    int got, version = -1;   /* 0 plain, 1 NBestList1.0, 2 NBestList2.0 */
    while (!st && (got = lines_next_text(r, &line, &n, err)) > 0) {
        srilm_line l = {line, n, 0, path, r->lineno};
        size_t tl;
        const char *t;
        if (!sl_next(&l, &t, &tl)) continue;
        if (version < 0) {
            if (tok_is(t, tl, "NBestList1.0") || tok_is(t, tl, "NBestList2.0")) {
                version = t[9] == '1' ? 1 : 2;
                if (sl_next(&l, &t, &tl))
                    st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: text after the header", path, r->lineno);
                continue;
            }
            version = 0;
        }
        st = srilm_hyp(&l, nb, version, base, bl, t, tl, err);
    }
    if (!st && got < 0) st = err ? err->status : RNNLM_E_FORMAT;
    if (!st && nb->utt[nb->n_utt - 1].n == 0) st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s: no hypotheses", path);
    rnnlm_lines_close(r);
    return st;
}

rnnlm_status rnnlm_nbest_read_srilm(rnnlm_nbest **out, const char *const *paths, size_t n, size_t max_line,
                                    rnnlm_err *err) {
    if (!out) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_nbest_read_srilm: out is NULL");
    *out = NULL;
    if (!paths || n == 0) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_nbest_read_srilm: no files");
    rnnlm_nbest *nb = NULL;
    rnnlm_status st = nb_new(&nb, RNNLM_NBEST_SRILM, err);
    for (size_t i = 0; !st && i < n; i++)
        st = paths[i] ? read_srilm_file(nb, paths[i], max_line, err)
                      : rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_nbest_read_srilm: path %zu is NULL", i + 1);
    if (!st) st = nb_finish(nb, paths[0], err);
    if (st) {
        rnnlm_nbest_free(nb);
        return st;
    }
    *out = nb;
    return RNNLM_OK;
}

rnnlm_status rnnlm_nbest_read_srilm_list(rnnlm_nbest **out, const char *list, size_t max_line, rnnlm_err *err) {
    if (!out) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_nbest_read_srilm_list: out is NULL");
    *out = NULL;
    if (!list) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_nbest_read_srilm_list: no file");
    rnnlm_nbest *nb = NULL;
    rnnlm_status st = nb_new(&nb, RNNLM_NBEST_SRILM, err);
    if (st) return st;
    rnnlm_lines *r;
    if ((st = rnnlm_lines_open(&r, list, max_line, err))) {
        rnnlm_nbest_free(nb);
        return st;
    }
    char *line;
    size_t n;
    int got, any = 0;
    char path[4097];
    while (!st && (got = lines_next_text(r, &line, &n, err)) > 0) {
        size_t p = 0, tl, xl;
        const char *t, *x;
        if (!next_tok(line, n, &p, &t, &tl)) continue;
        if (next_tok(line, n, &p, &x, &xl) || tl >= sizeof path) {
            st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s:%zu: expected one path a line%s", list, r->lineno,
                            tl >= sizeof path ? " (this one is too long)" : "");
            break;
        }
        memcpy(path, t, tl);
        path[tl] = '\0';
        st = read_srilm_file(nb, path, max_line, err);
        any = 1;
    }
    if (!st && got < 0) st = err ? err->status : RNNLM_E_FORMAT;
    rnnlm_lines_close(r);
    if (!st && !any) st = rnnlm_fail(err, RNNLM_E_FORMAT, "%s: lists no n-best file", list);
    if (!st) st = nb_finish(nb, list, err);
    if (st) {
        rnnlm_nbest_free(nb);
        return st;
    }
    *out = nb;
    return RNNLM_OK;
}

/* ------------------------------------------------------------ accessors */

rnnlm_nbest_layout rnnlm_nbest_layout_of(const rnnlm_nbest *nb) { return nb ? nb->layout : RNNLM_NBEST_KALDI; }
size_t rnnlm_nbest_utterances(const rnnlm_nbest *nb) { return nb ? nb->n_utt : 0; }
size_t rnnlm_nbest_hypotheses(const rnnlm_nbest *nb) { return nb ? nb->n_hyp : 0; }

const char *rnnlm_nbest_utt_id(const rnnlm_nbest *nb, size_t u) {
    return nb && u < nb->n_utt ? strtab_str(&nb->utt_ids, (uint32_t)u) : NULL;
}

size_t rnnlm_nbest_utt_hyps(const rnnlm_nbest *nb, size_t u, size_t *first) {
    if (!nb || u >= nb->n_utt) {
        if (first) *first = 0;
        return 0;
    }
    if (first) *first = nb->utt[u].first;
    return nb->utt[u].n;
}

const rnnlm_nbest_hyp *rnnlm_nbest_hyp_get(const rnnlm_nbest *nb, size_t h) {
    return nb && h < nb->n_hyp ? &nb->hyp[h] : NULL;
}

size_t rnnlm_nbest_best(const rnnlm_nbest *nb, size_t u) { return nb && u < nb->n_utt ? nb->best[u] : 0; }

/* ------------------------------------------------------------ writing */

rnnlm_status rnnlm_nbest_write(const rnnlm_nbest *nb, const char *path, rnnlm_err *err) {
    if (!nb || !path) return rnnlm_fail(err, RNNLM_E_ARG, "rnnlm_nbest_write: NULL argument");
    struct stat sb;
    if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode))
        return rnnlm_fail(err, RNNLM_E_IO, "%s: is a symbolic link; refusing to write through it", path);
    size_t *order = rnnlm_calloc(nb->n_hyp, sizeof *order, "hypothesis order", err);
    if (!order) return RNNLM_E_NOMEM;
    for (size_t h = 0; h < nb->n_hyp; h++)
        order[nb->utt[nb->hyp[h].utt].first + nb->hyp[h].rank - 1] = h;
    rnnlm_atomic_file af;
    rnnlm_status st = rnnlm_atomic_open(&af, path, err);
    if (st) {
        free(order);
        return st;
    }
    fprintf(af.f, "# id rank total acoustic lm rnn ngram nwords words (natural-log scores)\n");
    for (size_t k = 0; k < nb->n_hyp; k++) {
        const rnnlm_nbest_hyp *hp = &nb->hyp[order[k]];
        fprintf(af.f, "%s %zu %.6f %.6f %.6f %.6f %.6f %zu", hp->id, hp->rank, hp->total, hp->acoustic,
                hp->lm, hp->rnn, hp->ngram, hp->n);
        for (size_t i = 0; i < hp->n; i++) fprintf(af.f, " %s", hp->words[i]);
        fputc('\n', af.f);
    }
    free(order);
    return rnnlm_atomic_commit(&af, err);
}
