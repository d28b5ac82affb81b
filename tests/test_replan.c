/* test_replan.c: a time plan made again after each epoch (timeplan_replan,
 * the anchored cosine and averaging epoch of src/train/schedule.c, the
 * trainer's re-plan in src/train/trainer.c). The arithmetic: a plan that
 * still fits stays, one that does not shrinks, one with time to spare grows
 * (up to its cap) only past the margin that keeps noise from moving it; the
 * anchored progress is continuous where the plan changes and ends at 1. A
 * toy run on a clock the test drives (rnnlm_trainer_set_clock): epochs that
 * take a fifth of the budget cut a 10-epoch plan to 4 after the first, the
 * learning rate runs on without a jump and reaches the cosine's end at the
 * new length, averaging moves to the new plan's epoch, the note says so, the
 * checkpoint stores the new plan and its anchor, and a run stopped after
 * epoch 2 and resumed (on a clock that would re-plan it again, had a
 * resumed run re-planned) ends byte-identical to the run never stopped.
 * `plan_fixed` keeps the first plan. `lr_hold` holds the starting rate for
 * a fraction of the run, re-planned or not, and resumes exactly. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/checkpoint.h"
#include "train/schedule.h"
#include "train/timeplan.h"
#include "util.h"
#include "util_train.h"

/* ---- the arithmetic ------------------------------------------------------------ */

static void test_replan_epochs(void **state) {
    (void)state;
    /* a 60-minute budget fills 57.6 min (3456 s) */
    assert_int_equal(timeplan_replan(60, 600, 100, 5, 33, 40), 33);    /* 5 + 28 fit: stays */
    assert_int_equal(timeplan_replan(60, 600, 120, 5, 30, 40), 28);    /* 5 + 23 fit: shrinks */
    assert_int_equal(timeplan_replan(60, 3400, 120, 25, 30, 40), 25);  /* none fits: the run ends here */
    /* grows only when one more fits 93% (3348 s): 5 + floor(2748 / 90) = 35, up to the cap */
    assert_int_equal(timeplan_replan(60, 600, 90, 5, 30, 40), 35);
    assert_int_equal(timeplan_replan(60, 600, 60, 5, 30, 40), 40);
    assert_int_equal(timeplan_replan(60, 600, 60, 5, 40, 40), 40);
    /* inside the margin: 5 + 28 fit 96% but only 5 + 27 fit 93%, so 32 stays 32 */
    assert_int_equal(timeplan_replan(60, 600, 100, 5, 32, 40), 32);
    assert_int_equal(timeplan_replan(60, 600, 100, 5, 33, 40), 33);
    /* a finished plan, or no duration, is left as it is */
    assert_int_equal(timeplan_replan(60, 3000, 1000, 30, 30, 40), 30);
    assert_int_equal(timeplan_replan(60, 600, 0, 5, 30, 40), 30);
}

static void test_anchored_cosine(void **state) {
    (void)state;
    /* unanchored, the progress is step / total and the cosine is sched_cosine's */
    for (int64_t s = 0; s <= 40; s += 5)
        assert_true(fabs(sched_cosine_at(0.005, 1e-4, sched_progress(s, 40, 0, 0)) -
                         sched_cosine(0.005, 1e-4, s, 40)) < 1e-15);
    /* a plan of 40 steps cut to 16 at step 4: continuous there, 1 at the new end, clamped */
    double p0 = 4.0 / 40.0;
    assert_true(fabs(sched_progress(4, 16, 4, p0) - p0) < 1e-15);
    assert_true(sched_progress(16, 16, 4, p0) == 1.0);
    assert_true(sched_progress(20, 16, 4, p0) == 1.0);
    assert_true(fabs(sched_progress(10, 16, 4, p0) - (p0 + (1 - p0) * 6.0 / 12.0)) < 1e-15);
    assert_true(sched_progress(16, 4, 4, p0) == 1.0);   /* no steps left */
    for (int64_t s = 5; s <= 16; s++) assert_true(sched_progress(s, 16, 4, p0) > sched_progress(s - 1, 16, 4, p0));
    /* the averaging epoch: unanchored it is sched_plan_average's; anchored, the rest splits alike */
    for (long e = 1; e <= 50; e++)
        assert_int_equal(sched_replan_average(0.75, 0, 0, e), sched_plan_average(0, 0.75, e));
    assert_int_equal(sched_replan_average(0.75, 0.1, 1, 4), 4);    /* 1 + ceil(0.65 / 0.9 * 3) */
    assert_int_equal(sched_replan_average(0.75, 0.5, 20, 30), 25); /* 20 + ceil(0.5 * 10) */
    assert_int_equal(sched_replan_average(0.75, 0.8, 30, 34), 31); /* past the fraction: the next epoch */
}

/* ---- a run on the test's clock ------------------------------------------------- */

typedef struct {
    double now;          /* what the clock reads */
    double epoch_s;      /* what each epoch takes on it */
    rnnlm_trainer *t;
    double lr[1024];     /* the learning rate of each global step */
    int n_lr;
} run_clock;

static double read_clock(void *user) { return ((run_clock *)user)->now; }

static void on_step(const rnnlm_train_progress *p, void *user) {
    run_clock *c = user;
    if (p->global_step >= 1 && p->global_step <= 1024) c->lr[p->global_step - 1] = rnnlm_trainer_lr(c->t);
    if (p->global_step > c->n_lr) c->n_lr = (int)p->global_step;
}

/* The toy run planned for 1 minute, at most 10 epochs, cosine (held at its
 * rate for the fraction hold of the run), averaged over the last quarter,
 * into dir; stops after stop_after epochs (0: the end);
 * resumes from resume when set. notes gets the re-plans' notes. */
static void toy_run(const char *dir, int fixed, double hold, double epoch_s, int stop_after, const char *resume,
                    run_clock *c, char *notes, size_t cap) {
    rnnlm_err err;
    rnnlm_train_options o;
    rnnlm_data_options d;
    rnnlm_checkpoint *ck;
    if (util_toy_options(&o, &d, resume, &ck, &err)) fail_msg("%s", err.msg);
    if (!resume) {
        o.epochs = 1;
        o.budget_minutes = 1;
        o.plan_max_epochs = 10;
        o.plan_fixed = fixed;
        o.lr_schedule = RNNLM_LR_COSINE;
        o.lr_min = 1e-4;
        o.lr_hold = hold;
        o.average_from = 0.75;
    }
    o.threads = 1;
    o.save_dir = dir;
    memset(c, 0, sizeof *c);
    c->epoch_s = epoch_s;
    rnnlm_trainer *t;
    rnnlm_dataset ds;
    memset(&ds, 0, sizeof ds);
    if (rnnlm_trainer_create(&t, &o, &d, &err)) fail_msg("%s", err.msg);
    c->t = t;
    rnnlm_trainer_set_clock(t, read_clock, c);
    if (rnnlm_dataset_load(&ds, &d, &err) || rnnlm_trainer_start(t, &ds, ck, &err)) fail_msg("%s", err.msg);
    if (notes && cap) notes[0] = 0;
    rnnlm_epoch_result e;
    while (rnnlm_trainer_epoch(t) <= rnnlm_trainer_epochs(t) && !rnnlm_trainer_stop_reason(t)) {
        if (rnnlm_trainer_run_epoch(t, on_step, c, &e, &err) || rnnlm_trainer_validate(t, &e, &err))
            fail_msg("%s", err.msg);
        c->now += c->epoch_s;
        if (rnnlm_trainer_end_epoch(t, &e, &err)) fail_msg("%s", err.msg);
        const char *note = rnnlm_trainer_replan_note(t);
        if (notes && *note) snprintf(notes + strlen(notes), cap - strlen(notes), "%s\n", note);
        if (stop_after && e.epoch == stop_after) break;
    }
    assert_int_equal(rnnlm_trainer_free(t, &err), RNNLM_OK);
    rnnlm_dataset_free(&ds);
    rnnlm_checkpoint_free(ck);
}

static const char *meta(const st_file *f, const char *key) {
    const char *v = checkpoint_get_meta(f, key);
    return v ? v : "(none)";
}

/* Two files equal to the byte. */
static void assert_same_file(const char *path, const char *path2) {
    size_t n1, n2;
    char *a = util_read_file(path, &n1), *b = util_read_file(path2, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);
    free(a);
    free(b);
}

static void test_run_replans(void **state) {
    (void)state;
    char dir[4096], dir2[4096], dir3[4096], path[4200], path2[4200], notes[1024];
    util_tmp_path(dir, sizeof dir, "replan");
    util_tmp_path(dir2, sizeof dir2, "replan-stopped");
    util_tmp_path(dir3, sizeof dir3, "replan-fixed");
    snprintf(path, sizeof path, "%s/last.safetensors", dir);
    snprintf(path2, sizeof path2, "%s/last.safetensors", dir2);
    run_clock c;
    /* 12 s an epoch: after the first, 1 + floor((57.6 - 12) / 12) = 4 of the plan's 10 fit */
    toy_run(dir, 0, 0, 12, 0, NULL, &c, notes, sizeof notes);
    print_message("%s", notes);
    assert_non_null(strstr(notes, "after epoch 1, 4 epochs in place of 10 (an epoch took 12 s, the mean of the "
                                  "last 1; 0.2 of 1 min gone); averaging from epoch 4, not 8\n"));
    assert_null(strstr(notes, "after epoch 2"));   /* the new plan fits: it stays */
    int spe = c.n_lr / 4;
    assert_int_equal(c.n_lr, 4 * spe);
    /* the learning rate: the old plan's up to the re-plan, then on from its progress to the new end */
    double lr0 = c.lr[0];
    for (int s = 0; s < c.n_lr; s++) {
        double want = s < spe ? sched_cosine(lr0, 1e-4, s, 10 * spe)
                              : sched_cosine_at(lr0, 1e-4, sched_progress(s, 4 * spe, spe, 0.1));
        if (fabs(c.lr[s] - want) > 1e-9 * lr0) fail_msg("step %d: lr %.9g, want %.9g", s, c.lr[s], want);
        if (s) assert_true(c.lr[s] < c.lr[s - 1]);
    }
    assert_true(c.lr[spe - 1] - c.lr[spe] < 2 * (c.lr[spe - 2] - c.lr[spe - 1]));   /* no jump */
    assert_true(c.lr[c.n_lr - 1] < 0.05 * lr0);                                      /* near the floor */
    /* the checkpoint: the new plan, its anchor, averaging from epoch 4 */
    rnnlm_err err;
    st_file *f;
    assert_int_equal(st_read_file(&f, path, &err), RNNLM_OK);
    assert_string_equal(meta(f, "config.epochs"), "4");
    char want[64];
    snprintf(want, sizeof want, "%d", 4 * spe);
    assert_string_equal(meta(f, "config.budget_steps"), want);
    assert_string_equal(meta(f, "config.average"), "4");
    snprintf(want, sizeof want, "%d", spe);
    assert_string_equal(meta(f, "run.plan_step"), want);
    assert_true(strtod(meta(f, "run.plan_progress"), NULL) == 0.1);
    assert_string_equal(meta(f, "run.avg_start"), "4");
    st_free(f);
    /* stopped after epoch 2 and resumed on a clock 100 times slower: the same run to the byte */
    toy_run(dir2, 0, 0, 12, 2, NULL, &c, notes, sizeof notes);
    toy_run(dir2, 0, 0, 1200, 0, path2, &c, notes, sizeof notes);
    assert_string_equal(notes, "");
    assert_same_file(path, path2);
    /* plan_fixed: the same clock changes nothing, and no anchor is stored */
    toy_run(dir3, 1, 0, 12, 0, NULL, &c, notes, sizeof notes);
    assert_string_equal(notes, "");
    assert_int_equal(c.n_lr, 10 * spe);
    snprintf(path, sizeof path, "%s/last.safetensors", dir3);
    assert_int_equal(st_read_file(&f, path, &err), RNNLM_OK);
    assert_string_equal(meta(f, "config.epochs"), "10");
    assert_string_equal(meta(f, "run.plan_step"), "(none)");
    st_free(f);
}

/* `lr_hold`: the cosine held at the starting rate for the first half of the
 * run, then annealed over the rest; a fixed plan of 10 epochs holds 5, and a
 * plan cut to 4 after the first epoch holds to half of the anchored progress
 * (between epochs 2 and 3), then runs on to the floor at the new end. The
 * key is stored, and a run stopped after epoch 2 and resumed ends
 * byte-identical to the run never stopped. */
static void test_run_held(void **state) {
    (void)state;
    char dir[4096], dir2[4096], path[4200], path2[4200], notes[1024];
    util_tmp_path(dir, sizeof dir, "held-fixed");
    run_clock c;
    toy_run(dir, 1, 0.5, 12, 0, NULL, &c, notes, sizeof notes);
    int spe = c.n_lr / 10;
    assert_int_equal(c.n_lr, 10 * spe);
    double lr0 = c.lr[0];
    for (int s = 0; s < c.n_lr; s++) {
        double want = s <= 5 * spe ? lr0 : sched_cosine_at(lr0, 1e-4, (s - 5.0 * spe) / (5.0 * spe));
        if (fabs(c.lr[s] - want) > 1e-9 * lr0) fail_msg("step %d: lr %.9g, want %.9g", s, c.lr[s], want);
    }
    snprintf(path, sizeof path, "%s/last.safetensors", dir);
    rnnlm_err err;
    st_file *f;
    assert_int_equal(st_read_file(&f, path, &err), RNNLM_OK);
    assert_true(strtod(meta(f, "config.lr_hold"), NULL) == 0.5);
    st_free(f);
    /* re-planned to 4 epochs after the first (progress 0.1 there, 1 at step 4 spe) */
    util_tmp_path(dir, sizeof dir, "held");
    util_tmp_path(dir2, sizeof dir2, "held-stopped");
    toy_run(dir, 0, 0.5, 12, 0, NULL, &c, notes, sizeof notes);
    assert_non_null(strstr(notes, "after epoch 1, 4 epochs in place of 10"));
    assert_int_equal(c.n_lr, 4 * spe);
    int held = 0;
    for (int s = 0; s < c.n_lr; s++) {
        double p = s < spe ? (double)s / (10.0 * spe) : sched_progress(s, 4 * spe, spe, 0.1);
        double want = sched_cosine_held(lr0, 1e-4, 0.5, p);
        if (fabs(c.lr[s] - want) > 1e-9 * lr0) fail_msg("step %d: lr %.9g, want %.9g", s, c.lr[s], want);
        held += c.lr[s] == lr0;
    }
    assert_true(held > spe && held < 3 * spe);
    assert_true(c.lr[c.n_lr - 1] < 0.05 * lr0);
    snprintf(path, sizeof path, "%s/last.safetensors", dir);
    snprintf(path2, sizeof path2, "%s/last.safetensors", dir2);
    toy_run(dir2, 0, 0.5, 12, 2, NULL, &c, notes, sizeof notes);
    toy_run(dir2, 0, 0.5, 1200, 0, path2, &c, notes, sizeof notes);
    assert_same_file(path, path2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replan_epochs),
        cmocka_unit_test(test_anchored_cosine),
        cmocka_unit_test(test_run_replans),
        cmocka_unit_test(test_run_held),
    };
    return cmocka_run_group_tests(tests, util_group_setup, util_group_teardown);
}
