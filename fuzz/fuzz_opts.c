/* fuzz_opts.c: libFuzzer harness of the command line's option parser
 * (cli/opts.c) on the real tables of three commands: `train` (the model,
 * training and data tables, then the cross-option rules train_opts_check
 * applies), `score` and `data`. The input is an argv: its bytes split at NUL
 * bytes (at most 64 arguments), the first byte choosing the command.
 *
 * Checked: parsing never crashes, and when it accepts the arguments every
 * option's value lies within the range its table states (an integer or a
 * finite number in [min, max], a choice among its choices, a flag 0 or 1, a
 * string non-empty), and reads back through opts_format and opts_set to the
 * same value. A violation aborts (the fuzzer reports it as a crash).
 *
 * The score and data tables are made by static functions of their command
 * files over the command's options struct (score_table, data_cmd_table), so
 * those two files are compiled into this one (their cmd_* functions are
 * never called); train's tables are built into a train_cli (train_opts.c). The parser's
 * messages go to a stderr pointed at /dev/null (sanitizer reports write to
 * file descriptor 2 directly and stay visible); --help's usage goes to a
 * stdout pointed there too. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cli/cmd_data.c"
#include "../cli/cmd_score.c"
#include "data_opts.h"
#include "opts.h"
#include "train_opts.h"

enum { MAX_ARGS = 64 };

/* sentinels: a value no option's parse can give, "not set by this input" */
#define UNSET_LONG LONG_MIN
#define UNSET_INT INT_MIN

/* Aborts with the option and what is wrong (on the real stderr, fd 2). */
static void violation(const opt_spec *o, const char *why) {
    dprintf(2, "fuzz_opts: --%s: %s\n", o->name, why);
    abort();
}

static void unset(const opt_spec *t) {
    for (; t && t->type != OPT_END; t++) switch (t->type) {
        case OPT_INT: *(long *)t->value = UNSET_LONG; break;
        case OPT_FLOAT: *(double *)t->value = NAN; break;
        case OPT_STR: *(const char **)t->value = NULL; break;
        case OPT_FLAG: case OPT_CHOICE: *(int *)t->value = UNSET_INT; break;
        default: break;
        }
}

static int n_choices(const char *c) {
    int n = 1;
    for (; c && *c; c++) n += *c == '|';
    return n;
}

/* The value of o is in its range and reads back to itself. all: every option
 * is checked (train: defaults and presets included), else only those this
 * input set (not at the sentinel). */
static void check_table(const opt_spec *t, int all) {
    static char text[1 << 15];   /* a string option's text form is the string: up to an input's length */
    for (const opt_spec *o = t; o && o->type != OPT_END; o++) {
        switch (o->type) {
        case OPT_INT: {
            long v = *(long *)o->value;
            if (!all && v == UNSET_LONG) continue;
            if ((double)v < o->min || (double)v > o->max) violation(o, "integer outside its range");
            break;
        }
        case OPT_FLOAT: {
            double v = *(double *)o->value;
            if (!all && isnan(v)) continue;
            if (!isfinite(v) || v < o->min || v > o->max) violation(o, "number outside its range");
            break;
        }
        case OPT_STR: {
            const char *v = *(const char **)o->value;
            if (!v) continue;
            if (!*v) violation(o, "empty string accepted");
            break;
        }
        case OPT_FLAG: {
            int v = *(int *)o->value;
            if (!all && v == UNSET_INT) continue;
            if (v != 0 && v != 1) violation(o, "flag neither 0 nor 1");
            break;
        }
        case OPT_CHOICE: {
            int v = *(int *)o->value;
            if (!all && v == UNSET_INT) continue;
            if (v < 0 || v >= n_choices(o->choices)) violation(o, "choice index outside its choices");
            break;
        }
        default: continue;
        }
        /* the text form reads back to the same value (a copy: opts_set keeps
         * a string option's pointer) */
        union { long l; double d; const char *s; int i; } before, after;
        memcpy(&before, o->value, o->type == OPT_INT ? sizeof(long) : o->type == OPT_FLOAT ? sizeof(double)
                                  : o->type == OPT_STR ? sizeof(char *) : sizeof(int));
        opts_format(o, text, sizeof text);
        if (opts_set("fuzz", o, text)) violation(o, "its own text form is refused");
        memcpy(&after, o->value, o->type == OPT_INT ? sizeof(long) : o->type == OPT_FLOAT ? sizeof(double)
                                 : o->type == OPT_STR ? sizeof(char *) : sizeof(int));
        int same = o->type == OPT_INT ? before.l == after.l
                 : o->type == OPT_FLOAT ? before.d == after.d
                 : o->type == OPT_STR ? strcmp(before.s, after.s) == 0 : before.i == after.i;
        if (!same) violation(o, "its text form reads back to another value");
        if (o->type == OPT_STR) *(const char **)o->value = before.s;   /* not the stack buffer */
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    if (!freopen("/dev/null", "w", stdout)) abort();
    FILE *null = fopen("/dev/null", "w");
    if (!null) abort();
    stderr = null;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    int cmd = data[0] % 3;
    /* argv: the rest, split at NUL bytes, each argument its own string */
    char *buf = malloc(size);
    if (!buf) abort();
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0';
    char *argv[MAX_ARGS + 1];
    int argc = 0;
    for (size_t i = 0; i < size - 1 && argc < MAX_ARGS;) {
        argv[argc++] = buf + i;
        i += strlen(buf + i) + 1;
    }
    argv[argc] = NULL;
    const char *pos[2];
    int n_pos;
    switch (cmd) {
    case 0: {   /* train: as cmd_train does before any work */
        static train_cli c;   /* the options and their tables, pointing into it */
        if (train_opts_preset(&c, "train", argc, argv) == 0 &&
            opts_parse("train", argc, argv, c.table, c.data_table, NULL, 0, &n_pos, "[options]") == 0) {
            check_table(c.table, 1);
            check_table(c.data_table, 1);
            if (train_opts_check(&c, "train", argc, argv) == 0) {
                long a = c.o.average;
                if (a < -1 || a > 1000000000L) abort();   /* off, auto or an epoch */
                if (c.o.budget_steps && opts_given(argc, argv, "epochs")) abort();
            }
        }
        break;
    }
    case 1: {   /* score */
        score_options so;
        opt_table t = score_table(&so);
        unset(t.opt);
        if (opts_parse("score", argc, argv, t.opt, NULL, pos, 2, &n_pos, "MODEL FILE|- [options]") == 0) {
            if (n_pos < 0 || n_pos > 2) abort();
            check_table(t.opt, 0);
        }
        break;
    }
    default: {   /* data */
        rnnlm_data_options dopt;
        data_cmd_options dco;
        opt_table dt = data_opts_table(&dopt), t = data_cmd_table(&dco);
        unset(dt.opt);
        unset(t.opt);
        if (opts_parse("data", argc, argv, dt.opt, t.opt, NULL, 0, &n_pos, "[options]") == 0) {
            check_table(dt.opt, 0);
            check_table(t.opt, 0);
        }
        break;
    }
    }
    free(buf);
    return 0;
}
