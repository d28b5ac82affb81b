/* adapt_opts.c: the adaptation flags of `rnnlm eval` and `rnnlm score`,
 * their check, and the grid that chooses `auto` values on held-out text
 * (adapt_opts.h; docs/ADAPTATION.md). */
#include "adapt_opts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

/* The grids of `auto`: small, since each point is a pass over the
 * held-out text (docs/ADAPTATION.md, "Choosing the values"). */
static const double LR_GRID[] = {0.01, 0.03, 0.1, 0.3, 1.0};
static const double THETA_GRID[] = {0.3, 1.0, 3.0};
static const double LAMBDA_GRID[] = {0.01, 0.03, 0.1, 0.2};

void adapt_cli_defaults(adapt_cli *a) {
    memset(a, 0, sizeof *a);
    rnnlm_adapt_options_default(&a->o);
    a->decay = a->o.dynamic_decay;
    a->clip = a->o.dynamic_clip;
    a->segment = a->o.dynamic_segment;
    a->cache = a->o.cache_size;
    a->lr_s = "0";
    a->theta_s = "0.3";
    a->lambda_s = "0.1";
}

/* A number of [lo, hi] (hi_open: [lo, hi)) or "auto" (*is_auto); -1 after a message. */
static int parse_value(const char *cmd, const char *flag, const char *s, double lo, double hi, int hi_open, double *x,
                       int *is_auto) {
    if (strcmp(s, "auto") == 0) {
        *is_auto = 1;
        return 0;
    }
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v)) {
        fprintf(stderr, "rnnlm %s: --%s: '%s' is neither a number nor auto\n", cmd, flag, s);
        return -1;
    }
    if (v < lo || v > hi || (hi_open && v >= hi)) {
        fprintf(stderr, "rnnlm %s: --%s: %s is outside [%g, %g%s\n", cmd, flag, s, lo, hi, hi_open ? ")" : "]");
        return -1;
    }
    *x = v;
    return 0;
}

int adapt_opts_check(const char *cmd, adapt_cli *a) {
    rnnlm_adapt_options *o = &a->o;
    if (parse_value(cmd, "dynamic-lr", a->lr_s, 0, 1e6, 0, &o->dynamic_lr, &a->lr_auto) ||
        parse_value(cmd, "cache-theta", a->theta_s, 0, 1e6, 0, &o->cache_theta, &a->theta_auto) ||
        parse_value(cmd, "cache-lambda", a->lambda_s, 0, 1, 1, &o->cache_lambda, &a->lambda_auto))
        return -1;
    o->dynamic_decay = a->decay;
    o->dynamic_clip = a->clip;
    o->dynamic_segment = (int)a->segment;
    o->cache_size = (int)a->cache;
    if ((a->theta_auto || a->lambda_auto) && !o->cache_size) {
        fprintf(stderr, "rnnlm %s: --cache-%s auto needs --cache-size N > 0\n", cmd, a->theta_auto ? "theta" : "lambda");
        return -1;
    }
    int any_auto = a->lr_auto || a->theta_auto || a->lambda_auto;
    if (any_auto && !a->dev) {
        fprintf(stderr, "rnnlm %s: --%s auto needs --adapt-dev FILE, held-out text to choose it on\n", cmd,
                a->lr_auto ? "dynamic-lr" : a->theta_auto ? "cache-theta" : "cache-lambda");
        return -1;
    }
    if (a->dev && !any_auto) {
        fprintf(stderr, "rnnlm %s: --adapt-dev is read only for auto values (--dynamic-lr, --cache-theta, "
                        "--cache-lambda)\n", cmd);
        return -1;
    }
    return 0;
}

int adapt_active(const adapt_cli *a) { return a->lr_auto || a->o.dynamic_lr > 0 || a->o.cache_size > 0; }

const char *adapt_describe(char *buf, size_t cap, const rnnlm_adapt_options *o) {
    char d[128] = "", c[128] = "";
    if (o->dynamic_lr > 0)
        snprintf(d, sizeof d, "dynamic evaluation (lr %g, decay %g, segment %d)", o->dynamic_lr, o->dynamic_decay,
                 o->dynamic_segment);
    if (o->cache_size > 0)
        snprintf(c, sizeof c, "continuous cache (N %d, theta %g, lambda %g)", o->cache_size, o->cache_theta,
                 o->cache_lambda);
    snprintf(buf, cap, "%s%s%s", d, *d && *c ? " + " : "", *d || *c ? c : "no adaptation");
    return buf;
}

int adapt_read_stream(const rnnlm_model *m, const char *path, size_t max_line, int32_t **ids, size_t *n,
                      rnnlm_err *err) {
    rnnlm_corpus *c;
    size_t n_ids;
    *ids = NULL;
    if (rnnlm_corpus_read_text(&c, path, max_line, err)) return -1;
    rnnlm_status st = rnnlm_ids_build(c, rnnlm_model_vocab(m), NULL, 0, 1, ids, &n_ids, err);
    rnnlm_corpus_free(c);
    if (st) return -1;
    *n = n_ids - 1;
    return 0;
}

/* The dev stream's perplexity under o; -1 with err set. */
static int dev_ppl(const rnnlm_model *m, const int32_t *ids, size_t n, const rnnlm_adapt_options *o, double *ppl,
                   rnnlm_err *err) {
    rnnlm_adapt_result r;
    if (rnnlm_eval_adapt(m, ids, ids + 1, n, o, &r, NULL, err)) return -1;
    *ppl = exp(r.loss_sum / (double)r.count);
    return 0;
}

/* One point of a grid: its line, and whether it is the best yet. */
static int grid_point(const rnnlm_model *m, const int32_t *ids, size_t n, const rnnlm_adapt_options *o, double *best,
                      FILE *f, const char *prefix, rnnlm_err *err) {
    double ppl;
    char what[300], p[32];
    if (dev_ppl(m, ids, n, o, &ppl, err)) return -1;
    fprintf(f, "%sadapt-dev: %s: ppl %s\n", prefix, adapt_describe(what, sizeof what, o), fmt_ppl(p, sizeof p, ppl, 4));
    fflush(f);
    if (!(ppl < *best)) return 0;
    *best = ppl;
    return 1;
}

int adapt_tune(adapt_cli *a, const rnnlm_model *m, size_t max_line, FILE *f, const char *prefix, rnnlm_err *err) {
    if (!a->lr_auto && !a->theta_auto && !a->lambda_auto) return 0;
    int32_t *ids;
    size_t n;
    if (adapt_read_stream(m, a->dev, max_line, &ids, &n, err)) return -1;
    int rc = -1;
    double p0;
    char p[32], what[300];
    rnnlm_adapt_options plain = a->o;
    plain.dynamic_lr = 0;
    plain.cache_size = 0;
    if (dev_ppl(m, ids, n, &plain, &p0, err)) goto out;
    fprintf(f, "%sadapt-dev: %s (%zu tokens): no adaptation (one stream): ppl %s\n", prefix, a->dev, n,
            fmt_ppl(p, sizeof p, p0, 4));
    if (a->lr_auto) {   /* the rates, the cache off */
        rnnlm_adapt_options o = plain;
        double best = p0, pick = 0;   /* 0 unless a rate beats no adaptation */
        for (size_t i = 0; i < sizeof LR_GRID / sizeof *LR_GRID; i++) {
            o.dynamic_lr = LR_GRID[i];
            int r = grid_point(m, ids, n, &o, &best, f, prefix, err);
            if (r < 0) goto out;
            if (r) pick = LR_GRID[i];
        }
        a->o.dynamic_lr = pick;
        fprintf(f, "%sadapt-dev: chose --dynamic-lr %g\n", prefix, pick);
    }
    if (a->theta_auto || a->lambda_auto) {   /* theta and lambda, dynamic evaluation off */
        rnnlm_adapt_options o = plain;
        o.cache_size = a->o.cache_size;
        double best = p0, pt = a->o.cache_theta, pl = a->lambda_auto ? 0 : a->o.cache_lambda;   /* lambda 0 unless
                                                                    a point beats no adaptation */
        size_t nt = a->theta_auto ? sizeof THETA_GRID / sizeof *THETA_GRID : 1;
        size_t nl = a->lambda_auto ? sizeof LAMBDA_GRID / sizeof *LAMBDA_GRID : 1;
        for (size_t i = 0; i < nt; i++)
            for (size_t j = 0; j < nl; j++) {
                o.cache_theta = a->theta_auto ? THETA_GRID[i] : a->o.cache_theta;
                o.cache_lambda = a->lambda_auto ? LAMBDA_GRID[j] : a->o.cache_lambda;
                int r = grid_point(m, ids, n, &o, &best, f, prefix, err);
                if (r < 0) goto out;
                if (r) pt = o.cache_theta, pl = o.cache_lambda;
            }
        a->o.cache_theta = pt;
        a->o.cache_lambda = pl;
        fprintf(f, "%sadapt-dev: chose --cache-theta %g --cache-lambda %g\n", prefix, pt, pl);
    }
    fprintf(f, "%sadapt-dev: chosen: %s\n", prefix, adapt_describe(what, sizeof what, &a->o));
    fflush(f);
    rc = 0;
out:
    free(ids);
    return rc;
}
