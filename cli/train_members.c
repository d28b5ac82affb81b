/* train_members.c: `rnnlm train --members N` (docs/ENSEMBLE.md). The N
 * members are N ordinary runs, each in a child process of its own (own
 * compute threads, workspace and checkpoints; no state shared), started
 * together so that each plans its time on the machine as shared: member K
 * trains with --train-seed + K - 1 and its share of the cores into
 * --save-dir/member-K (--logdir/member-K), member 1 printing as a lone run
 * would and the others into --save-dir/member-K.log. When all have
 * finished, the parent loads each member's best weights and evaluates
 * their equal-weight mixture on the validation and test splits. A member
 * resumes as any run does (--resume DIR/member-K/last.safetensors); `rnnlm
 * eval MODEL --ensemble ...` evaluates the mixture again. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "data_opts.h"
#include "train_opts.h"

enum { MAX_MEMBERS = 64 };

/* dir/member-K with suffix ("" or ".log") into buf; -1 when it does not fit. */
static int member_path(char *buf, size_t cap, const char *dir, long k, const char *suffix) {
    int n = snprintf(buf, cap, "%s/member-%ld%s", dir, k, suffix);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* The directory d made when absent (never through a symlink); 0 or -1 after a message. */
static int ensure_dir(const char *d, const char *flag) {
    struct stat sb;
    if (lstat(d, &sb) == 0) {
        if (S_ISDIR(sb.st_mode)) return 0;
        fprintf(stderr, "rnnlm train: --%s %s: not a directory%s\n", flag, d,
                S_ISLNK(sb.st_mode) ? " (a symbolic link, refused)" : "");
        return -1;
    }
    if (errno == ENOENT && mkdir(d, 0755) == 0) return 0;
    fprintf(stderr, "rnnlm train: --%s %s: %s\n", flag, d, strerror(errno));
    return -1;
}

/* In the child of member k (1-based): c made that member's run, its
 * output redirected; then the run. Never returns. */
static void member_child(train_cli *c, rnnlm_comm *comm, train_run_fn run_one, long k, long threads) {
    const long n = c->o.members;
    static char save[4096], logd[4096], logf[4096];
    int bad = member_path(save, sizeof save, c->o.save_dir, k, "") ||
              member_path(logf, sizeof logf, c->o.save_dir, k, ".log") ||
              (c->o.logdir && member_path(logd, sizeof logd, c->o.logdir, k, ""));
    if (bad) {
        fprintf(stderr, "rnnlm train: member %ld: its directory's name is too long\n", k);
        _exit(2);
    }
    if (k > 1) {   /* member 1 speaks on the terminal; the others into their logs */
        int fd = open(logf, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0) {
            fprintf(stderr, "rnnlm train: member %ld: %s: %s\n", k, logf, strerror(errno));
            _exit(1);
        }
        close(fd);
    }
    c->o.members = 1;
    c->o.save_dir = save;
    if (c->o.logdir) c->o.logdir = logd;
    c->o.train_seed += k - 1;
    c->o.threads = threads;
    printf("ensemble member %ld of %ld: --train-seed %ld, %ld thread%s, --save-dir %s\n", k, n, c->o.train_seed, threads, threads == 1 ? "" : "s", save);
    int status = run_one(c, NULL, comm);
    fflush(stdout);
    fflush(stderr);
    _exit(status);
}

/* Member k's best weights, else its last (of a lone run, n 1: its own); NULL after a message. */
static rnnlm_model *member_model(const train_cli *c, long k, long n, char *path, size_t cap) {
    char dir[4096];
    struct stat sb;
    if (n == 1) snprintf(dir, sizeof dir, "%s", c->o.save_dir);
    else if (member_path(dir, sizeof dir, c->o.save_dir, k, "")) return NULL;
    snprintf(path, cap, "%s/best.safetensors", dir);
    if (stat(path, &sb) != 0) snprintf(path, cap, "%s/last.safetensors", dir);
    return load_model("train", path, 0);
}

/* The mixture of the members on one split, printed (for a lone model, k 1,
 * only with an n-gram to follow); with mw, each pair's components with the
 * n-gram's (mw[0..sp->n)). 0 or -1 after a message. */
static int eval_split(rnnlm_model *const *m, long k, const rnnlm_split_data *sp, long threads, const rnnlm_mix *mx,
                      rnnlm_mix_word *mw) {
    rnnlm_err err;
    double *lp = mw ? rnnlm_calloc(sp->n, sizeof *lp, "log-probabilities", &err) : NULL;
    if (mw && !lp) {
        fprintf(stderr, "rnnlm train: the %s split: %s\n", sp->name, err.msg);
        return -1;
    }
    rnnlm_eval_options eo = {0, 0, 0, (int)threads, lp};
    rnnlm_eval_stream_result r;
    double member_loss[MAX_MEMBERS];
    if (rnnlm_eval_ensemble((const rnnlm_model *const *)m, (size_t)k, sp->x, sp->y, sp->n, &eo, &r, member_loss,
                            &err) ||
        (mw && rnnlm_mix_stream(mx, sp->x, sp->y, sp->n, lp, mw, &err))) {
        fprintf(stderr, "rnnlm train: the %s on the %s split: %s\n", k > 1 ? "ensemble" : "model", sp->name,
                err.msg);
        free(lp);
        return -1;
    }
    free(lp);
    char ppl[32];
    double ce = r.r.loss_sum / (double)r.r.count;
    if (k > 1) {
        printf("ensemble of %ld: %s_loss %.4f - %s_ppl %s (members:", k, sp->name, ce, sp->name,
               fmt_ppl(ppl, sizeof ppl, exp(ce), 2));
        for (long j = 0; j < k; j++)
            printf(" %s", fmt_ppl(ppl, sizeof ppl, exp(member_loss[j] / (double)r.r.count), 2));
        printf(")\n");
    } else {
        printf("model: %s_loss %.4f - %s_ppl %s\n", sp->name, ce, sp->name, fmt_ppl(ppl, sizeof ppl, exp(ce), 2));
    }
    fflush(stdout);
    return 0;
}

/* The perplexity of the pairs w[0..n) mixed at L (L 0: the n-gram alone,
 * its zero probabilities counted in *zeros and left out, as SRILM does). */
static double mix_ppl(const rnnlm_mix_word *w, size_t n, double L, size_t *zeros) {
    double sum = 0.0;
    size_t m = 0, z = 0;
    for (size_t i = 0; i < n; i++) {
        double p = L * w[i].p_rnn + (1.0 - L) * w[i].p_ngram;
        if (p > 0) sum -= log(p), m++;
        else z++;
    }
    if (zeros) *zeros = z;
    return m ? exp(sum / (double)m) : NAN;
}

/* One split's figures with the n-gram: the mixture at L and the n-gram alone. */
static void print_mix(const char *who, const rnnlm_split_data *sp, const rnnlm_mix_word *w, double L) {
    char a[32], b[32], zs[64] = "";
    size_t z0, z;
    double pm = mix_ppl(w, sp->n, L, &z), pg = mix_ppl(w, sp->n, 0.0, &z0);
    if (z0) snprintf(zs, sizeof zs, ", %zu of its pairs at probability 0 left out", z0);
    printf("%s with the n-gram: %s_ppl %s%s (L %.6f; the n-gram alone %s%s)\n", who, sp->name,
           fmt_ppl(a, sizeof a, pm, 2), z ? " (with zero probabilities left out)" : "", L, fmt_ppl(b, sizeof b, pg, 2),
           zs);
}

/* The `rnnlm eval` command that evaluates the mixture on the test split
 * again (L >= 0: with the n-gram at L). */
static void print_again(const train_cli *c, long k, const char *file, double L) {
    const char *who = k > 1 ? "ensemble" : "model";
    if (k > 1) {
        printf("%s of %ld: rnnlm eval %s/member-1/%s --ensemble ", who, k, c->o.save_dir, file);
        for (long j = 2; j <= k; j++) printf("%s%s/member-%ld/%s", j > 2 ? "," : "", c->o.save_dir, j, file);
    } else {
        printf("%s: rnnlm eval %s/%s", who, c->o.save_dir, file);
    }
    if (L >= 0) printf(" --ngram %s --lambda %.6f", c->ngram, L);
    if (c->d.test) printf(" %s", c->d.test);
    else if (!c->d.train && c->d.corpus) {
        printf(" --corpus %s", c->d.corpus);
        if (c->d.split != 0.8 || c->d.seed != 42) printf(" --split %g --seed %ld", c->d.split, (long)c->d.seed);
    } else printf(" TEST-TEXT");
    if (L >= 0 && c->d.test)   /* a FILE with --ngram is scored sentence by sentence: one stream, B 1 */
        printf(" --carry-state scores the test text again as one stream (B 1)\n");
    else printf(" evaluates it again\n");
}

/* --ngram's side of the final figures: the n-gram, the mixture and each
 * split's pairs (validation, test). */
typedef struct {
    rnnlm_ngram *g;
    rnnlm_mix *mx;
    rnnlm_mix_word *mv, *mt;
} ngram_side;

static void ngram_side_free(ngram_side *s) {
    free(s->mt);
    free(s->mv);
    rnnlm_mix_free(s->mx);
    rnnlm_ngram_free(s->g);
}

/* The n-gram of --ngram mixed with m's vocabulary, room for d's pairs; 0 or -1 after a message. */
static int ngram_side_open(ngram_side *s, const char *path, const rnnlm_model *m, const rnnlm_dataset *d) {
    rnnlm_err err;
    if (!d->valid.n) {
        fprintf(stderr, "rnnlm train: --ngram: the n-gram's weight is fitted on the validation split, and this "
                        "run has none\n");
        return -1;
    }
    if (rnnlm_ngram_load(&s->g, path, &err) ||
        rnnlm_mix_create(&s->mx, rnnlm_model_vocab(m), s->g, RNNLM_MIX_UNK_WHOLE, 0, &err) ||
        !(s->mv = rnnlm_calloc(d->valid.n, sizeof *s->mv, "the validation split's mixture", &err)) ||
        (d->test.n && !(s->mt = rnnlm_calloc(d->test.n, sizeof *s->mt, "the test split's mixture", &err)))) {
        fprintf(stderr, "rnnlm train: --ngram %s: %s\n", path, err.msg);
        return -1;
    }
    note_ngram_rounding("train", path, s->g);
    return 0;
}

/* L fitted on the validation split, then both splits' figures at L; 0 or -1 after a message. */
static int ngram_side_report(const ngram_side *s, const char *who, const char *path, const rnnlm_dataset *d,
                             double *L) {
    rnnlm_err err;
    int iters;
    if (rnnlm_mix_em(s->mv, d->valid.n, 0, 0, L, &iters, &err)) {
        fprintf(stderr, "rnnlm train: --ngram: %s\n", err.msg);
        return -1;
    }
    printf("%s with the %d-gram %s: L = %.6f, the RNN's weight, fitted by EM on the validation split (%d "
           "steps)\n", who, rnnlm_ngram_order(s->g), path, *L, iters);
    print_mix(who, &d->valid, s->mv, *L);
    if (d->test.n) print_mix(who, &d->test, s->mt, *L);
    return 0;
}

/* The members' mixture (k 1: the lone run's model) on the validation and
 * test splits (fp32); with --ngram, interpolated with the n-gram, its
 * weight L fitted by EM on the validation split. */
static int eval_members(const train_cli *c, long k) {
    rnnlm_model *m[MAX_MEMBERS] = {NULL};
    char path[4200];
    int status = 1;
    rnnlm_dataset d;
    memset(&d, 0, sizeof d);
    ngram_side ng = {0};
    const char *who = k > 1 ? "ensemble" : "model", *kept;
    for (long j = 0; j < k; j++)
        if (!(m[j] = member_model(c, j + 1, k, path, sizeof path))) goto done;
    kept = strstr(path, "best.") ? "best" : "last";
    if (dataset_load(&d, &c->d) || (c->ngram && ngram_side_open(&ng, c->ngram, m[0], &d))) goto done;
    if (k > 1) printf("ensemble of %ld: the members' %s weights, fp32, P(w) the mean of theirs:\n", k, kept);
    else printf("model: its %s weights, fp32, interpolated with the %d-gram %s:\n", kept, rnnlm_ngram_order(ng.g),
                c->ngram);
    if (d.valid.n && eval_split(m, k, &d.valid, c->o.threads, ng.mx, ng.mv)) goto done;
    if (d.test.n && eval_split(m, k, &d.test, c->o.threads, ng.mx, ng.mt)) goto done;
    double L = -1;
    if (c->ngram && ngram_side_report(&ng, who, c->ngram, &d, &L)) goto done;
    print_again(c, k, strrchr(path, '/') + 1, L);
    status = 0;
done:
    ngram_side_free(&ng);
    rnnlm_dataset_free(&d);
    for (long j = 0; j < k; j++) rnnlm_model_free(m[j]);
    fflush(stdout);
    return status;
}

int train_final_mix(const train_cli *c) { return eval_members(c, 1) ? 1 : 0; }

int train_members(train_cli *c, rnnlm_comm *comm, train_run_fn run_one) {
    const long k = c->o.members;   /* at most MAX_MEMBERS: the option's range */
    if (rnnlm_comm_launched() || rnnlm_comm_size(comm) > 1) {
        fprintf(stderr, "rnnlm train: --members trains the members as processes of this machine, not under mpirun\n");
        return 2;
    }
    if (!c->o.save_dir) {
        fprintf(stderr, "rnnlm train: --members %ld (an ensemble; the hour preset's) needs --save-dir DIR, where "
                        "the members' weights are kept (or --members 1: one model)\n", k);
        return 2;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN), threads = c->o.threads;
    if (cores < 1) cores = 1;
    if (!threads) threads = cores / k > 0 ? cores / k : 1;
    if (ensure_dir(c->o.save_dir, "save-dir") || (c->o.logdir && ensure_dir(c->o.logdir, "logdir"))) return 1;
    printf("ensemble: %ld members side by side, %ld thread%s each, in %s/member-1..%ld (members 2..%ld print into "
           "member-K.log)\n", k, threads, threads == 1 ? "" : "s", c->o.save_dir, k, k);
    fflush(stdout);
    fflush(stderr);
    pid_t pid[MAX_MEMBERS];
    long started = 0;
    for (; started < k; started++) {
        pid[started] = fork();
        if (pid[started] == 0) member_child(c, comm, run_one, started + 1, threads);
        if (pid[started] < 0) {
            fprintf(stderr, "rnnlm train: starting member %ld: %s\n", started + 1, strerror(errno));
            break;
        }
    }
    int failed = started < k;
    for (long j = 0; j < started; j++) {
        int ws = 0;
        while (waitpid(pid[j], &ws, 0) < 0 && errno == EINTR) {}
        int code = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + (WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
        if (code) {
            failed = 1;
            if (j) fprintf(stderr, "rnnlm train: member %ld failed (exit %d): see %s/member-%ld.log\n", j + 1, code,
                           c->o.save_dir, j + 1);
            else fprintf(stderr, "rnnlm train: member 1 failed (exit %d)\n", code);
        }
    }
    if (failed) return 1;
    return eval_members(c, k) ? 1 : 0;
}
