/* train_opts.c: model/training options and the recipe's presets. */
#include "train_opts.h"
#include "data_opts.h"

#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

rnnlm_train_options g_train_opts;
int g_train_preset, g_train_quick, g_train_overwrite;
const char *g_train_resume;
const char *g_train_average;

#define MODEL_OPTS                                                                                     \
    {"config", OPT_CHOICE, &g_train_preset, 0, 0, NULL, /* choices: defaults() */                               \
     "the recipe's configuration; other flags override it"},                                           \
    {"cell", OPT_CHOICE, &g_train_opts.cell, 0, 0, NULL, "recurrent cell"}, /* choices: defaults() */ \
    {"hidden", OPT_INT, &g_train_opts.hidden, 1, 65536, NULL, "H, width of every recurrent layer"},    \
    {"embed", OPT_INT, &g_train_opts.embed, 0, 65536, NULL, "E, embedding width (0: same as H)"},     \
    {"layers", OPT_INT, &g_train_opts.layers, 1, RNNLM_MAX_LAYERS, NULL, "L, recurrent layers"},                    \
    {"dropout", OPT_FLOAT, &g_train_opts.dropout, 0, 0.99, NULL, "dropout rate after each recurrent layer"}, \
    {"tied", OPT_FLAG, &g_train_opts.tied, 0, 0, NULL, "tie input and output embeddings (E == H)"},  \
    {"init", OPT_CHOICE, &g_train_opts.init, 0, 0, "recipe|uniform", "initialisation"}

opt_spec model_opt_table[] = {MODEL_OPTS, OPT_TABLE_END};

opt_spec train_opt_table[] = {
    MODEL_OPTS,
    {"max-time", OPT_INT, &g_train_opts.max_time, 1, 100000, NULL, "T, time steps of a batch (BPTT length)"},
    {"batch-size", OPT_INT, &g_train_opts.batch, 1, 100000, NULL, "B, rows of a batch"},
    {"epochs", OPT_INT, &g_train_opts.epochs, 1, 100000, NULL, "training epochs"},
    {"optimizer", OPT_CHOICE, &g_train_opts.optimizer, 0, 0, "adam|adagrad|sgd", "optimiser"},
    {"lr", OPT_FLOAT, &g_train_opts.lr, -1, 100, NULL, "learning rate, > 0 (-1: 0.01 for adam, 0.1 otherwise)"},
    {"eps-torch", OPT_FLAG, &g_train_opts.eps_torch, 0, 0, NULL, "Adam with PyTorch's epsilon placement"},
    {"loss", OPT_CHOICE, &g_train_opts.loss, 0, 0, "full|sampled",
     "training loss: full softmax, or sampled softmax (evaluation is always full)"},
    {"samples", OPT_INT, &g_train_opts.samples, 0, 1 << 24, NULL,
     "K, log-uniform candidates per batch of --loss sampled (<= V; 0: 1024, or V when smaller)"},
    {"dense-adam", OPT_FLAG, &g_train_opts.dense_adam, 0, 0, NULL,
     "--loss sampled: decay every row's Adam moments each step (default: lazy, touched rows only)"},
    {"clip", OPT_FLOAT, &g_train_opts.clip, 0, 1e9, NULL, "global gradient-norm clip (0: none)"},
    {"dropout-out", OPT_FLOAT, &g_train_opts.dropout_out, 0, 0.99, NULL,
     "dropout on the last layer's output (0: --dropout's rate)"},
    {"dropout-emb", OPT_FLOAT, &g_train_opts.dropout_emb, 0, 0.99, NULL, "dropout on the embedding output"},
    {"dropout-word", OPT_FLOAT, &g_train_opts.dropout_word, 0, 0.99, NULL,
     "word dropout: whole embedding rows, one mask per batch"},
    {"weight-drop", OPT_FLOAT, &g_train_opts.weight_drop, 0, 0.99, NULL,
     "DropConnect on the recurrent matrices, one mask per batch"},
    {"locked", OPT_FLAG, &g_train_opts.locked, 0, 0, NULL,
     "variational dropout: embedding and layer-output masks drawn per row, shared by the T steps"},
    {"weight-decay", OPT_FLOAT, &g_train_opts.weight_decay, 0, 0.99, NULL,
     "L2 penalty on the weight matrices, not the biases (not with --loss sampled)"},
    {"pipeline", OPT_CHOICE, &g_train_opts.pipeline, 0, 0, "stateful|windowed",
     "carried-state BPTT rows, or the recipe's shuffled windows"},
    {"threads", OPT_INT, &g_train_opts.threads, 0, 256, NULL,
     "compute threads (0: one per core; under mpirun, the cores shared among the ranks on a machine)"},
    {"precision", OPT_CHOICE, &g_train_opts.precision, 0, 0, "fp32|bf16",
     "matrix products: fp32, or bf16 inputs with fp32 sums (weights and optimiser stay fp32)"},
    {"train-seed", OPT_INT, &g_train_opts.train_seed, 0, 1e18, NULL, "seed of initialisation, dropout, shuffling"},
    {"max-steps", OPT_INT, &g_train_opts.max_steps, 0, 1e12, NULL, "steps per epoch (0: the whole epoch)"},
    {"max-bad-steps", OPT_INT, &g_train_opts.max_bad, 1, 1e9, NULL, "consecutive non-finite steps before stopping"},
    {"logdir", OPT_STR, &g_train_opts.logdir, 0, 0, NULL, "write TensorBoard events and log.csv here"},
    {"log-every", OPT_INT, &g_train_opts.log_every, 1, 1e9, NULL, "batch scalars every N steps"},
    {"save-dir", OPT_STR, &g_train_opts.save_dir, 0, 0, NULL,
     "write last.safetensors (resumable) and best.safetensors here"},
    {"keep-epochs", OPT_FLAG, &g_train_opts.keep_epochs, 0, 0, NULL,
     "also write epoch-N.safetensors to --save-dir: the weights evaluated at each epoch's end"},
    {"save-every", OPT_INT, &g_train_opts.save_every, 0, 1e12, NULL, "also checkpoint every N steps (0: epoch ends)"},
    {"resume", OPT_STR, &g_train_resume, 0, 0, NULL, "continue the run of this checkpoint exactly"},
    {"overwrite", OPT_FLAG, &g_train_overwrite, 0, 0, NULL,
     "when --save-dir or --logdir holds another run's files (checkpoints, log.csv, event files, report.svg), "
     "remove those and start anew (without it such a directory is refused; --resume continues that run)"},
    {"quick", OPT_FLAG, &g_train_quick, 0, 0, NULL, "a first result in about a minute: 1 epoch of 150 steps"},
    /* data parallelism under mpirun (docs/SCALING.md) */
    {"batch-per-rank", OPT_INT, &g_train_opts.batch_per_rank, 0, 100000, NULL,
     "under mpirun: the global batch B = this x the ranks, instead of --batch-size (0: --batch-size)"},
    {"lr-scaling", OPT_CHOICE, &g_train_opts.lr_scaling, 0, 0, "none|sqrt|linear",
     "with --batch-per-rank: the lr times sqrt(k) or k, k = the new B / --batch-size"},
    /* schedules, early stopping, averaged weights, the time limit (README "Schedules") */
    {"lr-schedule", OPT_CHOICE, &g_train_opts.lr_schedule, 0, 0, "constant|plateau|step|cosine",
     "learning-rate schedule"},
    {"lr-decay", OPT_FLOAT, &g_train_opts.lr_decay, 1e-9, 1, NULL, "plateau, step: lr multiplier of each decay"},
    {"lr-patience", OPT_INT, &g_train_opts.lr_patience, 0, 1e9, NULL,
     "plateau: epochs without a validation improvement before each decay"},
    {"lr-step", OPT_INT, &g_train_opts.lr_step, 1, 1e9, NULL, "step: decay every N epochs"},
    {"lr-min", OPT_FLOAT, &g_train_opts.lr_min, 0, 100, NULL, "the lr's floor; cosine anneals to it"},
    {"patience", OPT_INT, &g_train_opts.patience, 0, 1e9, NULL,
     "stop after N epochs without a validation improvement (0: never)"},
    {"average", OPT_STR, &g_train_average, 0, 0, NULL,
     "off, auto or EPOCH: evaluate, keep as best and test the running mean of the weights from EPOCH on "
     "(auto: from the first epoch that does not improve)"},
    {"max-minutes", OPT_FLOAT, &g_train_opts.max_minutes, 0, 1e12, NULL,
     "cut the run after F minutes of wall time (0: no limit): last.safetensors holds the position and "
     "--resume finishes the run as if never cut (a resumed run has no limit unless given one)"},
    {"stop-at-step", OPT_INT, &g_train_opts.stop_at_step, 0, 1e12, NULL,
     "cut the run as --max-minutes does once its global step reaches N (0: never)"},
    {"allow-data-change", OPT_FLAG, &g_train_opts.allow_data_change, 0, 0, NULL,
     "--resume on data that differ from the checkpoint's (refused by default)"},
    {"budget-steps", OPT_INT, &g_train_opts.budget_steps, 0, 1e12, NULL,
     "plan the run in optimiser steps: the whole number of epochs nearest N steps, in place of --epochs "
     "(0: --epochs)"},
    {"average-from", OPT_FLOAT, &g_train_opts.average_from, 0, 1, NULL,
     "average from the epoch at this fraction of the run's epochs, in place of --average's EPOCH (0: --average)"},
    OPT_TABLE_END,
};

/* --cell takes the kinds the library has registered */
static void cell_choices(opt_spec *t) {
    for (; t->type != OPT_END; t++)
        if (strcmp(t->name, "cell") == 0) t->choices = rnnlm_cell_choices();
}

static void defaults(void) {
    cell_choices(model_opt_table);
    cell_choices(train_opt_table);
    for (opt_spec *t = model_opt_table; t->type != OPT_END; t++)
        if (strcmp(t->name, "config") == 0) t->choices = rnnlm_preset_names();
    for (opt_spec *t = train_opt_table; t->type != OPT_END; t++)
        if (strcmp(t->name, "config") == 0) t->choices = rnnlm_preset_names();
    rnnlm_train_options_default(&g_train_opts);
    g_train_preset = 0;
    g_train_quick = 0;
    g_train_overwrite = 0;
    g_train_resume = NULL;
    g_train_average = "off";
}

int train_opts_preset(const char *cmd, int argc, char **argv) {
    defaults();
    const char *cfg = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) cfg = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0) cfg = argv[i] + 9;
    }
    if (!cfg) return 0;
    rnnlm_err err;
    if (rnnlm_preset_apply(cfg, &g_train_opts, &g_data_opts, &err)) {
        fprintf(stderr, "rnnlm %s: --config: %s\n", cmd, err.msg);
        return -1;
    }
    return 0;
}

/* True when --name appears in argv, as "--name V" or "--name=V". */
static int given(int argc, char **argv, const char *name) {
    size_t n = strlen(name);
    for (int i = 0; i < argc; i++)
        if (strncmp(argv[i], "--", 2) == 0 && strncmp(argv[i] + 2, name, n) == 0 &&
            (argv[i][2 + n] == '\0' || argv[i][2 + n] == '='))
            return 1;
    return 0;
}

/* A positive value that the library's float keeps positive and normal. */
static int float_positive(double x) { return x > 0 && (float)x >= FLT_MIN; }

int train_opts_check(const char *cmd, int argc, char **argv) {
    const rnnlm_train_options *o = &g_train_opts;
    if (o->lr != -1 && o->lr <= 0) {
        fprintf(stderr, "rnnlm %s: --lr: %g is not a learning rate: give a positive number, "
                "or -1 for the optimiser's default\n", cmd, o->lr);
        return -1;
    }
    const struct { const char *name; double v; } tiny[] = {
        {"lr", o->lr}, {"clip", o->clip}, {"dropout", o->dropout}, {"dropout-out", o->dropout_out},
        {"dropout-emb", o->dropout_emb}, {"dropout-word", o->dropout_word},
        {"weight-drop", o->weight_drop}, {"weight-decay", o->weight_decay}};
    for (size_t i = 0; i < sizeof tiny / sizeof tiny[0]; i++)
        if (tiny[i].v > 0 && !float_positive(tiny[i].v)) {
            fprintf(stderr, "rnnlm %s: --%s: %g is too small for single precision (the smallest is %g)\n",
                    cmd, tiny[i].name, tiny[i].v, (double)FLT_MIN);
            return -1;
        }
    /* An explicit --epochs or --average replaces a preset's budget or fraction; both at once is a conflict. */
    if (given(argc, argv, "epochs") && given(argc, argv, "budget-steps")) {
        fprintf(stderr, "rnnlm %s: --epochs and --budget-steps both give the run's length: give one\n", cmd);
        return -1;
    }
    if (given(argc, argv, "average") && given(argc, argv, "average-from")) {
        fprintf(stderr, "rnnlm %s: --average and --average-from both say when averaging starts: give one\n", cmd);
        return -1;
    }
    if (given(argc, argv, "epochs")) g_train_opts.budget_steps = 0;
    if (given(argc, argv, "average")) {   /* off | auto | EPOCH */
        g_train_opts.average_from = 0;
        const char *a = g_train_average;
        char *end;
        long e = strtol(a, &end, 10);
        if (strcmp(a, "off") == 0) g_train_opts.average = 0;
        else if (strcmp(a, "auto") == 0) g_train_opts.average = -1;
        else if (end != a && !*end && e >= 1 && e <= 1000000000L) g_train_opts.average = e;
        else {
            fprintf(stderr, "rnnlm %s: --average: '%s' is not off, auto or an epoch (>= 1)\n", cmd, a);
            return -1;
        }
    }
    if (o->lr_min > 0 && !float_positive(o->lr_min)) {
        fprintf(stderr, "rnnlm %s: --lr-min: %g is too small for single precision (the smallest is %g)\n", cmd,
                o->lr_min, (double)FLT_MIN);
        return -1;
    }
    if (o->weight_decay > 0 && o->loss == 1) {
        fprintf(stderr, "rnnlm %s: --weight-decay is not available with --loss sampled (its sparse updates "
                "leave untouched rows as they are)\n", cmd);
        return -1;
    }
    if (o->keep_epochs && !o->save_dir) {
        fprintf(stderr, "rnnlm %s: --keep-epochs needs --save-dir (where to write the checkpoints)\n", cmd);
        return -1;
    }
    if (o->save_every && !o->save_dir) {
        fprintf(stderr, "rnnlm %s: --save-every needs --save-dir (where to write the checkpoints)\n", cmd);
        return -1;
    }
    if (given(argc, argv, "valid-split") && g_data_opts.valid) {
        fprintf(stderr, "rnnlm %s: --valid-split and --valid both give a validation split: give one\n", cmd);
        return -1;
    }
    if (data_opts_check(cmd, argc, argv)) return -1;
    if (given(argc, argv, "log-every") && !o->logdir) {
        fprintf(stderr, "rnnlm %s: --log-every needs --logdir (where to write the logs)\n", cmd);
        return -1;
    }
    rnnlm_err err;   /* the library's own rules (rnnlm_trainer_create applies them too) */
    if (rnnlm_train_options_check(o, &err)) {
        fprintf(stderr, "rnnlm %s: %s\n", cmd, err.msg);
        return -1;
    }
    return 0;
}
