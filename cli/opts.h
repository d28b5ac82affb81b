/* opts.h: the command line's option tables. Each subcommand lists its flags
 * once (name, kind, where the value goes, range, help); parsing, validation
 * with messages that name the flag, and the --help text all come from it. */
#ifndef RNNLM_CLI_OPTS_H
#define RNNLM_CLI_OPTS_H

#include <stddef.h>

typedef enum { OPT_INT, OPT_FLOAT, OPT_STR, OPT_FLAG, OPT_CHOICE, OPT_END } opt_type;

typedef struct {
    const char *name;      /* long name without "--" */
    opt_type type;
    void *value;           /* long *, double *, const char **, int *, int * (choice index) */
    double min, max;       /* inclusive range for INT and FLOAT */
    const char *choices;   /* "adam|adagrad|sgd" for CHOICE */
    const char *help;
} opt_spec;

#define OPT_TABLE_END {NULL, OPT_END, NULL, 0, 0, NULL, NULL}
/* The opt_type of a row of rnnlm_options.def, by its type. */
#define OPT_TYPE_OF_INT OPT_INT
#define OPT_TYPE_OF_REAL OPT_FLOAT
#define OPT_TYPE_OF_STR OPT_STR
#define OPT_TYPE_OF_FLAG OPT_FLAG
#define OPT_TYPE_OF_CHOICE OPT_CHOICE

/* A command's own flags, bound to an options struct the command owns (its
 * defaults are the struct's initialiser: no globals, nothing reset by hand).
 * A function returns the table over a struct, its entries pointing into it:
 *
 *     typedef struct { long k; } neighbors_options;
 *     static opt_table neighbors_table(neighbors_options *o) {
 *         return (opt_table){{
 *             {"k", OPT_INT, &o->k, 1, 1000000, NULL, "how many neighbours"},
 *             OPT_TABLE_END,
 *         }};
 *     }
 *     neighbors_options o = {.k = 10};
 *     opt_table t = neighbors_table(&o);
 *     opts_parse("neighbors", argc, argv, t.opt, NULL, ...);
 *
 * At most OPT_TABLE_MAX flags and the end mark (more do not compile). */
#define OPT_TABLE_MAX 31
typedef struct {
    opt_spec opt[OPT_TABLE_MAX + 1];
} opt_table;

/* Parses argv[0..argc) against up to two tables; positional arguments go to
 * pos (at most max_pos). Returns 0, 1 when --help was asked (usage printed), or
 * -1 after printing one line naming the bad flag to stderr. */
int opts_parse(const char *cmd, int argc, char **argv, const opt_spec *a, const opt_spec *b,
               const char **pos, int max_pos, int *n_pos, const char *usage);
/* Sets one option from its text form (what --name VALUE would do); -1 after a
 * message naming the flag. */
int opts_set(const char *cmd, const opt_spec *o, const char *v);
/* The option's current value as text that opts_set reads back (flags 0/1;
 * an unset string is ""). */
void opts_format(const opt_spec *o, char *buf, size_t cap);
const opt_spec *opts_find(const opt_spec *t, const char *name);
/* True when --name appears in argv, as "--name V" or "--name=V". */
int opts_given(int argc, char **argv, const char *name);
void opts_usage(const char *cmd, const char *usage, const opt_spec *a, const opt_spec *b);

#endif
