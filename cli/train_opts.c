/* train_opts.c: the model, training and data options of `train` and
 * `summary` (train_opts.h), made from the rows of rnnlm_options.def. */
#include "train_opts.h"
#include "data_opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A row of rnnlm_options.def as the command line needs it. */
typedef struct {
    const char *key;
    opt_type type;
    size_t off;             /* the field's offset in train_cli */
    double lo, hi;
    const char *choices;
    unsigned flags;
    const char *flag, *help;   /* flag NULL: not on the command line */
} cli_row;

#define CLI_OFF_TRAIN(field) offsetof(train_cli, o.field)
#define CLI_OFF_DATA(field) offsetof(train_cli, d.field)
#define CLI_OFF_CLI(field) offsetof(train_cli, field)
#define CLI_ROW(where, key, legacy, type, field, choices, lo, hi, flags, flag, help) \
    {key, OPT_TYPE_OF_##type, CLI_OFF_##where(field), lo, hi, choices, flags, flag, help},

static const cli_row ROWS[] = {RNNLM_TRAIN_OPTIONS(CLI_ROW)};
static const cli_row DATA_ROWS[] = {RNNLM_DATA_OPTIONS(CLI_ROW)};
#define N_ROWS (sizeof ROWS / sizeof ROWS[0])
#define N_DATA_ROWS (sizeof DATA_ROWS / sizeof DATA_ROWS[0])

/* The table of rows[0..n) that have a flag (and, with `model`, the
 * model's shape alone), each bound to its field in c. */
static void bind(opt_spec *t, const cli_row *rows, size_t n, train_cli *c, int model) {
    for (size_t i = 0; i < n; i++) {
        const cli_row *r = &rows[i];
        if (!r->flag || (model && !(r->flags & RNNLM_OPT_MODEL))) continue;
        const char *choices = r->choices;
        if (r->type == OPT_CHOICE && !choices)   /* the library's registries */
            choices = strcmp(r->key, "config") == 0 ? rnnlm_preset_names() : rnnlm_cell_choices();
        *t++ = (opt_spec){r->flag, r->type, (char *)c + r->off, r->lo, r->hi, choices, r->help};
    }
    *t = (opt_spec)OPT_TABLE_END;
}

/* The row of the flag `name` (n bytes), or of the key when by_key. */
static const cli_row *find(const char *name, size_t n, int by_key) {
    const cli_row *sets[2] = {ROWS, DATA_ROWS};
    size_t counts[2] = {N_ROWS, N_DATA_ROWS};
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < counts[s]; i++) {
            const char *x = by_key ? sets[s][i].key : sets[s][i].flag;
            if (sets[s][i].flag && strlen(x) == n && strncmp(x, name, n) == 0) return &sets[s][i];
        }
    return NULL;
}

int train_opts_resumable(const char *name) {
    const cli_row *r = find(name, strlen(name), 0);
    return r && (r->flags & RNNLM_OPT_RESUMABLE);
}

const char *train_opts_message(const char *msg, char *buf, size_t cap) {
    size_t k = 0;
    for (const char *p = msg; *p && k + 1 < cap;) {
        const char *end = *p == '`' ? strchr(p + 1, '`') : NULL;
        const cli_row *r = end ? find(p + 1, (size_t)(end - p - 1), 1) : NULL;
        if (r) {
            int w = snprintf(buf + k, cap - k, "--%s", r->flag);
            k = w < 0 ? k : k + (size_t)w < cap ? k + (size_t)w : cap - 1;
            p = end + 1;
        } else {
            buf[k++] = *p++;
        }
    }
    if (cap) buf[k < cap ? k : cap - 1] = '\0';
    return buf;
}

const char *train_opts_choice(const char *key, int i, char *buf, size_t cap) {
    const cli_row *r = find(key, strlen(key), 1);
    const char *c = r && r->choices ? r->choices : "";
    for (int j = 0; j < i && c; j++) { c = strchr(c, '|'); if (c) c++; }
    snprintf(buf, cap, "%.*s", c ? (int)strcspn(c, "|") : 0, c ? c : "");
    return buf;
}

static void defaults(train_cli *c) {
    memset(c, 0, sizeof *c);
    rnnlm_train_options_default(&c->o);
    data_opts_defaults(&c->d);
    c->average = "off";
    bind(c->model_table, ROWS, N_ROWS, c, 1);
    bind(c->table, ROWS, N_ROWS, c, 0);
    bind(c->data_table, DATA_ROWS, N_DATA_ROWS, c, 0);
}

int train_opts_preset(train_cli *c, const char *cmd, int argc, char **argv) {
    defaults(c);
    const char *cfg = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) cfg = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0) cfg = argv[i] + 9;
    }
    if (!cfg) return 0;
    rnnlm_err err;
    if (rnnlm_preset_apply(cfg, &c->o, &c->d, &err)) {
        fprintf(stderr, "rnnlm %s: --config: %s\n", cmd, err.msg);
        return -1;
    }
    return 0;
}

/* --average's text (off, auto or an epoch) into o.average; -1 after a message. */
static int read_average(train_cli *c, const char *cmd) {
    const char *a = c->average;
    char *end;
    long e = strtol(a, &end, 10);
    c->o.average_from = 0;
    if (strcmp(a, "off") == 0) c->o.average = 0;
    else if (strcmp(a, "auto") == 0) c->o.average = -1;
    else if (end != a && !*end && e >= 1 && e <= 1000000000L) c->o.average = e;
    else {
        fprintf(stderr, "rnnlm %s: --average: '%s' is not off, auto or an epoch (>= 1)\n", cmd, a);
        return -1;
    }
    return 0;
}

/* Options that give the same thing twice; -1 after a message. */
static int check_conflicts(train_cli *c, const char *cmd, int argc, char **argv) {
    /* An explicit --epochs or --average replaces a preset's budget or fraction; both at once is a conflict. */
    if (opts_given(argc, argv, "average") && opts_given(argc, argv, "average-from")) {
        fprintf(stderr, "rnnlm %s: --average and --average-from both say when averaging starts: give one\n", cmd);
        return -1;
    }
    /* --budget-minutes is planned into --budget-steps: the three give the length, one at a time */
    const char *len[] = {"epochs", "budget-steps", "budget-minutes"};
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            if (opts_given(argc, argv, len[i]) && opts_given(argc, argv, len[j])) {
                fprintf(stderr, "rnnlm %s: --%s and --%s both give the run's length: give one\n", cmd, len[i],
                        len[j]);
                return -1;
            }
    if (opts_given(argc, argv, "epochs")) c->o.budget_steps = 0, c->o.budget_minutes = 0;
    if (opts_given(argc, argv, "budget-steps")) c->o.budget_minutes = 0;
    if (opts_given(argc, argv, "budget-minutes")) c->o.budget_steps = 0;
    /* the cap of a time plan goes with it (a preset's included) */
    if (c->o.budget_minutes == 0) {
        if (opts_given(argc, argv, "plan-max-epochs")) {
            fprintf(stderr, "rnnlm %s: --plan-max-epochs caps a run planned by --budget-minutes, and this run "
                    "has none\n", cmd);
            return -1;
        }
        c->o.plan_max_epochs = 0;
        if (opts_given(argc, argv, "plan-fixed")) {
            fprintf(stderr, "rnnlm %s: --plan-fixed keeps the plan of a run planned by --budget-minutes, and this "
                    "run has none\n", cmd);
            return -1;
        }
        c->o.plan_fixed = 0;
    }
    /* so does its spending of spare time on smaller batches, which also needs the cap and gives way
     * to a batch given by hand */
    if (c->o.plan_min_batch && (c->o.budget_minutes == 0 || c->o.plan_max_epochs == 0)) {
        if (opts_given(argc, argv, "plan-min-batch")) {
            fprintf(stderr, "rnnlm %s: --plan-min-batch spends the time a run planned by --budget-minutes has "
                    "beyond --plan-max-epochs, and this run has %s\n", cmd,
                    c->o.budget_minutes == 0 ? "no time plan" : "no cap on its epochs");
            return -1;
        }
        c->o.plan_min_batch = 0;
    }
    if (opts_given(argc, argv, "batch-size") && !opts_given(argc, argv, "plan-min-batch")) c->o.plan_min_batch = 0;
    if (opts_given(argc, argv, "average") && read_average(c, cmd)) return -1;
    if (opts_given(argc, argv, "valid-split") && c->d.valid) {
        fprintf(stderr, "rnnlm %s: --valid-split and --valid both give a validation split: give one\n", cmd);
        return -1;
    }
    return 0;
}

int train_opts_check(train_cli *c, const char *cmd, int argc, char **argv) {
    const rnnlm_train_options *o = &c->o;
    if (check_conflicts(c, cmd, argc, argv)) return -1;
    if (o->keep_epochs && !o->save_dir) {
        fprintf(stderr, "rnnlm %s: --keep-epochs needs --save-dir (where to write the checkpoints)\n", cmd);
        return -1;
    }
    if (o->save_every && !o->save_dir) {
        fprintf(stderr, "rnnlm %s: --save-every needs --save-dir (where to write the checkpoints)\n", cmd);
        return -1;
    }
    if (data_opts_check(cmd, &c->d, argc, argv)) return -1;
    if (opts_given(argc, argv, "log-every") && !o->logdir) {
        fprintf(stderr, "rnnlm %s: --log-every needs --logdir (where to write the logs)\n", cmd);
        return -1;
    }
    rnnlm_err err;   /* the library's own rules (rnnlm_trainer_create applies them too) */
    if (rnnlm_train_options_check(o, &err)) {
        char msg[sizeof err.msg + 256];
        fprintf(stderr, "rnnlm %s: %s\n", cmd, train_opts_message(err.msg, msg, sizeof msg));
        return -1;
    }
    return 0;
}
