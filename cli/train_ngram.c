/* train_ngram.c: `rnnlm train --ngram-order N` (docs/PIPELINE.md, section
 * 7b): before training, an N-gram of the run's own training split, built
 * with IRSTLM (Debian's irstlm: build-lm.sh, improved Kneser-Ney, no
 * pruning; compile-lm writes it as ARPA text) from the split's words as the
 * model sees them, into --save-dir/knN.arpa. The time it took comes out of
 * --budget-minutes, so that a run planned in wall time still ends within
 * its budget, n-gram included. The run then interpolates its final model
 * with it as --ngram does (train_members.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "data_opts.h"
#include "train_opts.h"

/* IRSTLM's programs: $IRSTLM/bin, else Debian's directory. */
static const char *irstlm_prefix(void) {
    const char *e = getenv("IRSTLM");
    return e && *e ? e : "/usr/lib/irstlm";
}

/* prefix/bin/name into buf; 0 when it is an executable file, else -1. */
static int irstlm_tool(char *buf, size_t cap, const char *name) {
    int n = snprintf(buf, cap, "%s/bin/%s", irstlm_prefix(), name);
    return n > 0 && (size_t)n < cap && access(buf, X_OK) == 0 ? 0 : -1;
}

/* dir/name into buf; -1 when it does not fit, or when something that is not
 * a regular file is there (a link is never written through). A regular
 * file there is removed: the build writes it anew. */
static int fresh_path(char *buf, size_t cap, const char *dir, const char *name) {
    int n = snprintf(buf, cap, "%s/%s", dir, name);
    struct stat sb;
    if (n < 0 || (size_t)n >= cap) {
        fprintf(stderr, "rnnlm train: --ngram-order: %s/%s: the name is too long\n", dir, name);
        return -1;
    }
    if (lstat(buf, &sb) == 0 && (!S_ISREG(sb.st_mode) || unlink(buf) != 0)) {
        fprintf(stderr, "rnnlm train: --ngram-order: %s is there and is not a file it may replace%s\n", buf,
                S_ISLNK(sb.st_mode) ? " (a symbolic link, refused)" : "");
        return -1;
    }
    return 0;
}

/* IRSTLM's environment for the programs run_tool starts: $IRSTLM its
 * prefix, its bin first on $PATH (build-lm.sh calls its siblings by name).
 * Set in this process before any fork, so that a child only redirects and
 * executes. 0, or -1 after a message. */
static int irstlm_env(void) {
    static char path[8192];
    const char *old = getenv("PATH");
    int n = snprintf(path, sizeof path, "%s/bin:%s", irstlm_prefix(), old ? old : "/usr/bin:/bin");
    if (n < 0 || (size_t)n >= sizeof path || setenv("IRSTLM", irstlm_prefix(), 1) || setenv("PATH", path, 1)) {
        fprintf(stderr, "rnnlm train: --ngram-order: cannot set IRSTLM's environment\n");
        return -1;
    }
    return 0;
}

/* Runs argv (argv[0] a path), its input /dev/null and its output appended
 * to log (an open descriptor); 0 when it exits 0, else -1 after a message
 * naming the log. */
static int run_tool(char *const *argv, int log, const char *log_path) {
    fflush(stdout);
    fflush(stderr);
    int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_t pid = nul >= 0 ? fork() : -1;
    if (pid == 0) {   /* async-signal-safe calls only */
        if (dup2(log, STDOUT_FILENO) < 0 || dup2(log, STDERR_FILENO) < 0 || dup2(nul, STDIN_FILENO) < 0) _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
    if (nul >= 0) close(nul);
    int ws = 0;
    if (pid > 0)
        while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {}
    if (pid < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
        fprintf(stderr, "rnnlm train: --ngram-order: %s %s (see %s)\n", argv[0],
                pid < 0 ? "could not be started" : "failed", log_path);
        return -1;
    }
    return 0;
}

/* IRSTLM takes "<unk>" for its own out-of-vocabulary class and gives it
 * a probability of its own making, so the model's <unk> goes to IRSTLM
 * under a name of its own (no word of an rnnlm vocabulary holds '|'), and
 * fix_arpa names it "<unk>" again; IRSTLM's class, the mass it keeps for
 * words it never saw, stays in the model under OOV_NAME, which no text
 * holds, so that each distribution of the file still sums to 1. */
#define UNK_STAND_IN "rnnlm|unk"
#define OOV_NAME "<irstlm-oov>"

/* The training split at text as IRSTLM's input: "<s> w1 .. wn </s>" a line,
 * the vocabulary's words, UNK_STAND_IN for <unk>. */
static int write_training_text(const train_cli *c, const char *text) {
    rnnlm_dataset d;
    if (dataset_load(&d, &c->d)) return -1;
    int fd = open(text, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    int status = 0;
    if (!f) {
        fprintf(stderr, "rnnlm train: --ngram-order: %s: %s\n", text, strerror(errno));
        if (fd >= 0) close(fd);
        rnnlm_dataset_free(&d);
        return -1;
    }
    if (c->d.no_markers) {
        fprintf(stderr, "rnnlm train: --ngram-order: the n-gram is built from sentences, and with --no-markers the "
                        "training stream has no sentence boundaries\n");
        status = -1;
    }
    int open_line = 0;
    for (size_t i = 0; i < d.train.n_ids && !status; i++) {
        int32_t id = d.train.ids[i];
        if (id == RNNLM_BOS) {
            if (open_line) fputs(" </s>\n", f);
            open_line = 0;
            continue;
        }
        fputs(open_line ? " " : "<s> ", f);
        fputs(id == RNNLM_UNK ? UNK_STAND_IN : rnnlm_vocab_word(d.vocab, id), f);
        open_line = 1;
    }
    if (open_line && !status) fputs(" </s>\n", f);
    if (fclose(f) != 0 && !status) {
        fprintf(stderr, "rnnlm train: --ngram-order: %s: %s\n", text, strerror(errno));
        status = -1;
    }
    if (!status) printf("ngram: %zu training sentences written to %s\n", d.train.sentences, text);
    rnnlm_dataset_free(&d);
    return status;
}

/* One line of compile-lm's ARPA text as the model's, into out: IRSTLM's
 * "<unk>" written OOV_NAME, UNK_STAND_IN written "<unk>". *own counts the
 * lines that held IRSTLM's "<unk>". */
static void fix_line(const char *s, FILE *out, int *own) {
    const char *names[2] = {"<unk>", UNK_STAND_IN}, *as[2] = {OOV_NAME, "<unk>"};
    for (const char *p = s; *p;) {   /* whole tokens only: the fields are blank-separated */
        size_t k = strcspn(p, " \t");
        int r = -1;
        for (int j = 0; j < 2 && r < 0; j++)
            if (strlen(names[j]) == k && strncmp(p, names[j], k) == 0) r = j;
        if (r == 0) (*own)++;
        if (r >= 0) fputs(as[r], out);
        else fwrite(p, 1, k, out);
        p += k;
        size_t b = strspn(p, " \t");
        fwrite(p, 1, b, out);
        p += b;
    }
    fputc('\n', out);
}

/* IRSTLM's ARPA text at from, as the model's (fix_line: IRSTLM's "<unk>"
 * once, a unigram), written to `to` through a temporary name, fsync'ed and
 * renamed. */
static int fix_arpa(const char *from, const char *to) {
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", to);
    int fd = mkstemp(tmp);
    FILE *out = fd >= 0 && fchmod(fd, 0644) == 0 ? fdopen(fd, "w") : NULL;
    rnnlm_lines *r = NULL;
    rnnlm_err err = {0};
    int status = -1, own = 0;
    if (!out || rnnlm_lines_open(&r, from, (size_t)1 << 20, &err)) {
        fprintf(stderr, "rnnlm train: --ngram-order: %s\n", out ? err.msg : strerror(errno));
        if (fd >= 0 && !out) close(fd);
        goto done;
    }
    const char *line;
    size_t len;
    rnnlm_status st;
    while ((st = rnnlm_lines_next(r, &line, &len, &err)) == RNNLM_OK && line) {
        fix_line(line, out, &own);
    }
    if (st) fprintf(stderr, "rnnlm train: --ngram-order: %s\n", err.msg);
    else if (own != 1) fprintf(stderr, "rnnlm train: --ngram-order: %s holds '<unk>' on %d lines, not on IRSTLM's "
                                       "one unigram\n", from, own);
    else if (fflush(out) != 0 || fsync(fileno(out)) != 0 || rename(tmp, to) != 0)
        fprintf(stderr, "rnnlm train: --ngram-order: %s: %s\n", to, strerror(errno));
    else status = 0;
done:
    rnnlm_lines_close(r);
    if (out) fclose(out);
    if (status) unlink(tmp);
    return status;
}

/* The paths of one build, all under the run's directory. */
typedef struct {
    char text[4200], ilm[4200], irst[4200], arpa[4200], tmp[4200], logp[4200];
    char build[4200], compile[4200];
} ngram_paths;

static int ngram_paths_make(ngram_paths *p, const char *dir, long order) {
    char name[64];
    struct stat sb;
    if (strpbrk(dir, " \t\n*?[]'\"\\$`;&|<>(){}")) {   /* build-lm.sh uses its paths unquoted */
        fprintf(stderr, "rnnlm train: --ngram-order: IRSTLM's build-lm.sh takes paths without blanks or shell "
                        "characters, and --save-dir '%s' has one: choose another, or give --ngram FILE.arpa\n", dir);
        return -1;
    }
    if (lstat(dir, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode)) {
            fprintf(stderr, "rnnlm train: --save-dir %s: not a directory%s\n", dir,
                    S_ISLNK(sb.st_mode) ? " (a symbolic link, refused)" : "");
            return -1;
        }
    } else if (errno != ENOENT || mkdir(dir, 0755) != 0) {
        fprintf(stderr, "rnnlm train: --save-dir %s: %s\n", dir, strerror(errno));
        return -1;
    }
    if (irstlm_tool(p->build, sizeof p->build, "build-lm.sh") ||
        irstlm_tool(p->compile, sizeof p->compile, "compile-lm")) {
        fprintf(stderr, "rnnlm train: --ngram-order %ld builds the n-gram with IRSTLM (Debian's irstlm, which "
                        "scripts/setup.sh installs), and %s/bin holds no build-lm.sh and compile-lm: install it, set "
                        "$IRSTLM to its prefix, give --ngram FILE.arpa, or --ngram-order 0\n", order, irstlm_prefix());
        return -1;
    }
    snprintf(name, sizeof name, "kn%ld.arpa", order);
    if (fresh_path(p->text, sizeof p->text, dir, "ngram-train.txt") ||
        fresh_path(p->ilm, sizeof p->ilm, dir, "ngram.ilm.gz") || fresh_path(p->irst, sizeof p->irst, dir, "ngram-irstlm.arpa") ||
        fresh_path(p->arpa, sizeof p->arpa, dir, name) ||
        fresh_path(p->logp, sizeof p->logp, dir, "ngram.log"))
        return -1;
    snprintf(p->tmp, sizeof p->tmp, "%s/ngram-tmp.XXXXXX", dir);
    if (!mkdtemp(p->tmp)) {
        fprintf(stderr, "rnnlm train: --ngram-order: a temporary directory in %s: %s\n", dir, strerror(errno));
        return -1;
    }
    return 0;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int train_ngram_build(train_cli *c) {
    static ngram_paths p;
    const long order = c->o.ngram_order;
    const double t0 = now_s();
    if (ngram_paths_make(&p, c->o.save_dir, order)) return 1;
    int log = open(p.logp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (log < 0) {
        fprintf(stderr, "rnnlm train: --ngram-order: %s: %s\n", p.logp, strerror(errno));
        rmdir(p.tmp);
        return 1;
    }
    char n_s[16];
    snprintf(n_s, sizeof n_s, "%ld", order);
    char *build[] = {p.build, "-i", p.text, "-n", n_s, "-o", p.ilm, "-k", "1", "-s", "improved-kneser-ney",
                     "-t", p.tmp, NULL};
    char *compile[] = {p.compile, p.ilm, "--text=yes", p.irst, NULL};
    int status = irstlm_env() || write_training_text(c, p.text) || run_tool(build, log, p.logp) ||
                 run_tool(compile, log, p.logp) || fix_arpa(p.irst, p.arpa);
    struct stat sb;
    if (!status && (stat(p.arpa, &sb) != 0 || sb.st_size == 0)) {   /* build-lm.sh's status does not say */
        fprintf(stderr, "rnnlm train: --ngram-order: IRSTLM wrote no model to %s (see %s)\n", p.arpa, p.logp);
        status = 1;
    }
    close(log);
    unlink(p.ilm);
    unlink(p.irst);
    unlink(p.text);
    rmdir(p.tmp);   /* build-lm.sh empties it */
    if (status) return 1;
    double min = (now_s() - t0) / 60.0;
    printf("ngram: a %ld-gram of the training split (IRSTLM, improved Kneser-Ney) in %.1f s: %s", order, 60.0 * min,
           p.arpa);
    if (c->o.budget_minutes > 0) {   /* the hour holds the n-gram's time too */
        c->o.budget_minutes = c->o.budget_minutes > min + 1.0 ? c->o.budget_minutes - min : 1.0;
        printf("; %.2f minutes of --budget-minutes left for training", c->o.budget_minutes);
    }
    printf("\n");
    fflush(stdout);
    c->ngram = p.arpa;
    c->o.ngram_order = 0;   /* built: the runs themselves train an RNN only */
    return 0;
}
