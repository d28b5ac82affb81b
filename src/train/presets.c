/* presets.c: the named configurations of `rnnlm train --config NAME`
 * (docs/RECIPE.md sections 2 and 7). A preset changes some options from
 * their defaults; the caller's own settings go on top. */
#include "rnnlm.h"

#include <string.h>

#include "core/common.h"

/* The recipe's industrial configuration: the defaults themselves. */
static void industrial(rnnlm_train_options *t, rnnlm_data_options *d) {
    (void)t;
    (void)d;
}

/* The recipe's toy configuration: the 16-token sequence, V = 15. */
static void toy(rnnlm_train_options *t, rnnlm_data_options *d) {
    t->hidden = 10;
    t->layers = 1;
    t->max_time = 8;
    t->batch = 2;
    t->epochs = 20;
    d->corpus = "toy";
    d->vocab_size = 15;
}

/* The best model an hour of this project's reference 2-core machine buys: a
 * wider tied LSTM with the regularisers of docs/RECIPE.md section 6,
 * validated on 5% of the training sentences (never on the test split). The
 * run is planned in steps, not epochs, so that a corpus of any size gets the
 * hour: 7,000 steps (about an hour there) in whole epochs, 17 of Brown's
 * 412, with the learning rate annealed on a cosine to nearly zero over
 * them, weights averaged over the last quarter (from Brown's epoch 13), and
 * a 60-minute limit as a guard. Its products run in bf16 where that is
 * measured faster on the machine at hand (precision `auto`), else in fp32. */
static void medium(rnnlm_train_options *t, rnnlm_data_options *d) {
    t->hidden = 400;
    t->layers = 2;
    t->tied = 1;
    t->dropout = 0.25;
    t->dropout_out = 0.4;
    t->dropout_emb = 0.3;
    t->dropout_word = 0.1;
    t->weight_drop = 0.3;
    t->locked = 1;
    t->lr = 0.005;
    t->clip = 1;
    t->batch = 64;
    t->max_time = 35;
    t->budget_steps = 7000;
    t->lr_schedule = RNNLM_LR_COSINE;
    t->lr_min = 0.0001;
    t->average_from = 0.75;
    t->max_minutes = 60;
    t->precision = RNNLM_PRECISION_AUTO;   /* bf16 only where it measures faster on this machine */
    d->valid_split = 0.05;
}

/* The best model an hour of the machine at hand buys: medium's model,
 * regularisers and schedule, planned in wall time rather than steps: before
 * training the run times its own steps and a validation here and takes the
 * whole number of epochs that fits the hour (`budget_minutes`, README
 * "Schedules"), stored in its checkpoints as `budget_steps` so that a
 * resume, or a replay elsewhere, follows the same plan. A faster machine
 * gets more epochs, up to 40: on Brown validation flattened after about 24
 * of 36, and a corpus a third its size, given 124 epochs by the hour, was
 * best at its 30th and overfitted after. Time the cap leaves over buys
 * smaller batches, down to 32 (`plan_min_batch`): the small corpus's 40
 * epochs at B = 32 were 2% ahead of B = 64's epoch for epoch on its
 * validation split, where H = 650 fell behind H = 400 from epoch 13; Brown,
 * with no time to spare, keeps B = 64 (B = 32 in its hour gets 29 epochs,
 * and was behind at equal time). Beside medium's regularisers, AR and TAR
 * of the last layer at AWD-LSTM's 2 and 1 (docs/RECIPE.md section 6). The
 * width was chosen on Brown's validation split at equal time: in about 10.5
 * minutes of a 2-core machine, H = 400 (8 epochs) reached 110.1 and H = 650
 * (4 epochs) 123.5; for the whole hour of a 2-core Xeon with AMX, H = 512
 * trained 20 epochs to validation 93.54 where H = 400 trained 27 to 90.54.
 * The output layer is the adaptive softmax tied to the
 * embedding (docs/ADAPTIVE.md) with the default cutoffs (for Brown's
 * V = 10000 a head of 2000 words and one cluster of 8000; any V works): on
 * Brown's validation split a tied adaptive head (cutoffs 2000,6000) matched
 * the tied full softmax epoch for epoch (169.10 against 169.02 after one
 * epoch, 140.21 against 140.25 after two, 127.37 against 127.49 after three)
 * at 1.6 times its tokens a second on one thread of a Xeon with AMX, and
 * 1.4 times on two.
 *
 * The hour trains two such models side by side, one process and one thread
 * each (`members`), and the model is their equal-weight mixture: on a
 * 2-core Xeon with AMX two single-threaded runs trained 1.6-1.7 times the
 * tokens a second of one run on both cores (bench/bench_members.sh; 1.4-1.5
 * times on a busier hour of the same machine), and
 * two members of 19 epochs each, validation 93.93 and 94.06, test 95.95
 * and 95.80, mixed to test 92.01 (4.0% below either), where one model on
 * both cores of the same kind of machine had reached 92.51 in its best
 * hour (36 epochs at B = 128) and 94.20 on a slow day (24 epochs at
 * B = 64). Each member runs at B = 128 with the learning rate scaled by
 * about sqrt(2): on one AMX core 1.3-1.45 times the tokens a second of
 * B = 64, level with it at the hour's end (validation 90.68 after 36
 * epochs against 90.54 after 27). On State of the Union (planned down to
 * B = 32), the two members' mixture scored test 65.84, 36.3% below the
 * modified Kneser-Ney 5-gram, where one model had scored 70.91.
 *
 * The model is then the members' mixture interpolated with a 5-gram of the
 * training split (`ngram_order`, docs/PIPELINE.md section 7b): the command
 * line builds it with IRSTLM before training (39 s on Brown, taken from the
 * hour) and fits the RNN's weight on the validation split. On a 2-core
 * Xeon without AMX (AVX-512 BF16; fp32 chosen), the two members' 19 epochs
 * mixed to test 94.42; with the 5-gram (alone 160.91), L = 0.860: 90.55.
 * The exact modified Kneser-Ney 5-gram of dev/kn_baseline.py (alone 151.33,
 * a better n-gram) gave the mixture less: 90.95 at L = 0.872.
 *
 * Its cosine holds the starting rate for the first 40% of the run
 * (`lr_hold`) and anneals over the rest: with medium's plain cosine the
 * members gained under 1% of validation in their last five epochs, the
 * rate already below a fifth of its start. On the same machine, members of
 * the same seeds and the same 19 epochs reached validation 93.99 and 94.15
 * held, against 96.42 and 96.47 plain; test 95.90 and 96.01, mixed to
 * 92.10, with the 5-gram (L = 0.870) 88.84 where the plain run gave
 * 90.79. */
static void hour(rnnlm_train_options *t, rnnlm_data_options *d) {
    medium(t, d);
    t->softmax = 1;   /* adaptive, tied as medium is */
    t->budget_steps = 0;
    t->budget_minutes = 60;
    t->plan_max_epochs = 40;
    t->plan_min_batch = 32;
    t->ar = 2;
    t->tar = 1;
    t->members = 2;   /* two models side by side, one thread each, their mixture (docs/ENSEMBLE.md) */
    t->batch = 128;   /* the planner halves it where the hour has time to spare */
    t->lr = 0.007;    /* medium's 0.005 at B = 64, times about sqrt(2) */
    t->ngram_order = 5;   /* the members' mixture interpolated with a 5-gram (docs/PIPELINE.md, 7b) */
    t->lr_hold = 0.4;     /* the cosine anneals over the last 60% of the run */
}

/* Every preset, once: a new one is a function above and a name here. */
#define PRESET_LIST(X) X(industrial) X(toy) X(medium) X(hour)

#define PRESET_ENTRY(p) {#p, p},
static const struct {
    const char *name;
    void (*apply)(rnnlm_train_options *, rnnlm_data_options *);
} PRESETS[] = {PRESET_LIST(PRESET_ENTRY)};
#define N_PRESETS (sizeof PRESETS / sizeof PRESETS[0])

#define PRESET_NAME(p) "|" #p
const char *rnnlm_preset_names(void) { return &PRESET_LIST(PRESET_NAME)[1]; }   /* past the first "|" */

rnnlm_status rnnlm_preset_apply(const char *name, rnnlm_train_options *t, rnnlm_data_options *d,
                                rnnlm_err *err) {
    for (size_t i = 0; i < N_PRESETS; i++)
        if (name && strcmp(name, PRESETS[i].name) == 0) {
            PRESETS[i].apply(t, d);
            return RNNLM_OK;
        }
    return rnnlm_fail(err, RNNLM_E_ARG, "configuration '%s' is not one of %s", name ? name : "(none)",
                      rnnlm_preset_names());
}
