/* test_precision.c: precision `auto` (src/model/precision.c, the trainer's
 * resolution in src/train/trainer.c). With the measurement's outcome fixed
 * (precision_fix_measurement): auto resolves to what the measurement says,
 * bf16 only above the 1.05x margin; the choice is named on the compute line;
 * a run's checkpoint stores config.precision=auto with run.precision=<the
 * choice>, the config codec reads `auto` back, and a resumed run keeps the
 * recorded choice when the measurement would now say otherwise. An explicit
 * precision writes no run.precision. The real measurement runs once on a
 * small model (its outcome is not asserted: timings vary). The presets:
 * medium uses auto, industrial and toy stay fp32. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/checkpoint.h"
#include "model/precision.h"
#include "util.h"
#include "util_train.h"

/* ---- the choice from a measurement ------------------------------------------- */

static const model_config SMALL = {.cell = CELL_LSTM, .V = 50, .E = 8, .H = 8, .L = 2, .threads = 1};

static void test_choice_follows_measurement(void **state) {
    (void)state;
    rnnlm_err err;
    precision_choice pc;
    const struct { double ratio; int bf16; } cases[] = {{2.0, 1}, {1.06, 1}, {1.04, 0}, {1.0, 0}, {0.66, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        precision_fix_measurement(cases[i].ratio);
        assert_int_equal(precision_choose(&SMALL, 4, 3, 1, &pc, &err), RNNLM_OK);
        if (pc.bf16 != cases[i].bf16) fail_msg("ratio %g: chose %s", cases[i].ratio, pc.why);
        assert_true(pc.ratio == cases[i].ratio);
        assert_non_null(strstr(pc.why, cases[i].bf16 ? "bf16 (" : "fp32 ("));
    }
    precision_fix_measurement(0);
    /* no shape to measure: refused, not guessed */
    assert_int_equal(precision_choose(&SMALL, 0, 3, 1, &pc, &err), RNNLM_E_ARG);
}

/* The real measurement, training and scoring passes: a ratio and the choice it implies. */
static void test_measurement_runs(void **state) {
    (void)state;
    rnnlm_err err;
    precision_choice pc;
    precision_fix_measurement(0);
    for (int train = 0; train <= 1; train++) {
        model_config c = SMALL;
        c.tied = train;   /* both output products' layouts */
        c.E = c.H;
        assert_int_equal(precision_choose(&c, 5, 4, train, &pc, &err), RNNLM_OK);
        assert_true(pc.ratio > 0);
        assert_int_equal(pc.bf16, pc.ratio > PRECISION_MARGIN);
        print_message("%s pass: %s\n", train ? "training" : "scoring", pc.why);
    }
}

/* ---- a run, its checkpoint, its resume ----------------------------------------- */

/* The toy run of precision `precision` for `epochs` epochs, saving into dir
 * (resuming from resume when set); *path gets its compute line. */
static void toy_run(const char *dir, int precision, long epochs, const char *resume, char *path, size_t cap) {
    rnnlm_err err;
    rnnlm_train_options o;
    rnnlm_data_options d;
    rnnlm_checkpoint *ck;
    if (util_toy_options(&o, &d, resume, &ck, &err)) fail_msg("%s", err.msg);
    if (!resume) {
        o.precision = precision;
    }
    o.epochs = epochs;
    o.threads = 1;
    o.save_dir = dir;
    rnnlm_trainer *t;
    rnnlm_dataset ds;
    memset(&ds, 0, sizeof ds);
    if (rnnlm_trainer_create(&t, &o, &d, &err) || rnnlm_dataset_load(&ds, &d, &err) ||
        rnnlm_trainer_start(t, &ds, ck, &err))
        fail_msg("%s", err.msg);
    rnnlm_trainer_compute_path(t, path, cap);
    rnnlm_epoch_result e;
    while (rnnlm_trainer_epoch(t) <= rnnlm_trainer_epochs(t) && !rnnlm_trainer_stop_reason(t))
        if (rnnlm_trainer_run_epoch(t, NULL, NULL, &e, &err) || rnnlm_trainer_validate(t, &e, &err) ||
            rnnlm_trainer_end_epoch(t, &e, &err))
            fail_msg("%s", err.msg);
    assert_int_equal(rnnlm_trainer_free(t, &err), RNNLM_OK);
    rnnlm_dataset_free(&ds);
    rnnlm_checkpoint_free(ck);
}

/* config.precision and run.precision of dir/last.safetensors (NULL: absent). */
static void stored(const char *dir, char *config, char *run, size_t cap) {
    char path[4200];
    snprintf(path, sizeof path, "%s/last.safetensors", dir);
    rnnlm_err err;
    st_file *f;
    assert_int_equal(st_read_file(&f, path, &err), RNNLM_OK);
    const char *c = checkpoint_get_meta(f, "config.precision"), *r = checkpoint_get_meta(f, "run.precision");
    snprintf(config, cap, "%s", c ? c : "(none)");
    snprintf(run, cap, "%s", r ? r : "(none)");
    st_free(f);
}

static void test_auto_stored_and_kept_on_resume(void **state) {
    (void)state;
    char dir[4096], path[512], cfg[32], run[32], last[4200];
    util_tmp_path(dir, sizeof dir, "auto");
    snprintf(last, sizeof last, "%s/last.safetensors", dir);
    /* the measurement says bf16: the run takes it, says so, and records it */
    precision_fix_measurement(1.5);
    toy_run(dir, RNNLM_PRECISION_AUTO, 1, NULL, path, sizeof path);
    assert_non_null(strstr(path, "precision auto: bf16 (bf16 products 1.50x"));
    assert_non_null(strstr(path, "bf16 inputs"));   /* the backend's own word: its products are bf16 */
    stored(dir, cfg, run, sizeof cfg);
    assert_string_equal(cfg, "auto");
    assert_string_equal(run, "bf16");
    /* the codec reads `auto` back */
    rnnlm_err err;
    rnnlm_checkpoint *ck;
    rnnlm_train_options o;
    rnnlm_data_options d;
    rnnlm_train_options_default(&o);
    rnnlm_data_options_default(&d);
    assert_int_equal(rnnlm_checkpoint_open(&ck, last, &err), RNNLM_OK);
    assert_int_equal(rnnlm_checkpoint_options(ck, &o, &d, &err), RNNLM_OK);
    assert_int_equal(o.precision, RNNLM_PRECISION_AUTO);
    rnnlm_checkpoint_free(ck);
    /* the measurement would now say fp32: the resumed run keeps bf16, never measuring */
    precision_fix_measurement(0.5);
    toy_run(dir, RNNLM_PRECISION_AUTO, 2, last, path, sizeof path);
    assert_non_null(strstr(path, "precision auto: bf16 (the resumed run's, run.precision"));
    assert_non_null(strstr(path, "bf16 inputs"));
    stored(dir, cfg, run, sizeof cfg);
    assert_string_equal(cfg, "auto");
    assert_string_equal(run, "bf16");
    /* and a new run takes the new measurement */
    char dir2[4096];
    util_tmp_path(dir2, sizeof dir2, "auto32");
    toy_run(dir2, RNNLM_PRECISION_AUTO, 1, NULL, path, sizeof path);
    assert_non_null(strstr(path, "precision auto: fp32 (bf16 products 0.50x"));
    assert_null(strstr(path, "bf16 inputs"));
    stored(dir2, cfg, run, sizeof cfg);
    assert_string_equal(run, "fp32");
    precision_fix_measurement(0);
}

/* An explicit precision: no run.precision, no note on the compute line. */
static void test_explicit_writes_no_resolution(void **state) {
    (void)state;
    const int precs[] = {RNNLM_PRECISION_FP32, RNNLM_PRECISION_BF16};
    const char *names[] = {"fp32", "bf16"};
    for (int i = 0; i < 2; i++) {
        char dir[4096], path[512], cfg[32], run[32];
        util_tmp_path(dir, sizeof dir, names[i]);
        toy_run(dir, precs[i], 1, NULL, path, sizeof path);
        assert_null(strstr(path, "precision auto"));
        stored(dir, cfg, run, sizeof cfg);
        assert_string_equal(cfg, names[i]);
        assert_string_equal(run, "(none)");
    }
}

/* rnnlm_model_set_precision(AUTO) on a loaded model: the choice and its reason on the path. */
static void test_model_set_precision_auto(void **state) {
    (void)state;
    char dir[4096], path[512], last[4200];
    util_tmp_path(dir, sizeof dir, "model");
    toy_run(dir, RNNLM_PRECISION_FP32, 1, NULL, path, sizeof path);
    snprintf(last, sizeof last, "%s/last.safetensors", dir);
    rnnlm_err err;
    rnnlm_model *m;
    assert_int_equal(rnnlm_model_load(&m, last, &err), RNNLM_OK);
    precision_fix_measurement(3.0);
    assert_int_equal(rnnlm_model_set_precision(m, RNNLM_PRECISION_AUTO, &err), RNNLM_OK);
    rnnlm_model_compute_path(m, path, sizeof path);
    assert_non_null(strstr(path, "precision auto: bf16 (bf16 products 3.00x as fast as fp32 at this model's scoring"));
    precision_fix_measurement(0.9);
    assert_int_equal(rnnlm_model_set_precision(m, RNNLM_PRECISION_AUTO, &err), RNNLM_OK);
    rnnlm_model_compute_path(m, path, sizeof path);
    assert_non_null(strstr(path, "precision auto: fp32"));
    /* an explicit precision drops the note */
    assert_int_equal(rnnlm_model_set_precision(m, RNNLM_PRECISION_BF16, &err), RNNLM_OK);
    rnnlm_model_compute_path(m, path, sizeof path);
    assert_null(strstr(path, "precision auto"));
    assert_int_equal(rnnlm_model_set_precision(m, 3, &err), RNNLM_E_ARG);
    precision_fix_measurement(0);
    rnnlm_model_free(m);
}

static void test_presets(void **state) {
    (void)state;
    const struct { const char *name; int precision; } want[] = {
        {"industrial", RNNLM_PRECISION_FP32}, {"toy", RNNLM_PRECISION_FP32}, {"medium", RNNLM_PRECISION_AUTO}};
    for (size_t i = 0; i < 3; i++) {
        rnnlm_err err;
        rnnlm_train_options o;
        rnnlm_data_options d;
        rnnlm_train_options_default(&o);
        rnnlm_data_options_default(&d);
        assert_int_equal(rnnlm_preset_apply(want[i].name, &o, &d, &err), RNNLM_OK);
        if (o.precision != want[i].precision) fail_msg("%s: precision %d", want[i].name, o.precision);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_choice_follows_measurement),
        cmocka_unit_test(test_measurement_runs),
        cmocka_unit_test(test_auto_stored_and_kept_on_resume),
        cmocka_unit_test(test_explicit_writes_no_resolution),
        cmocka_unit_test(test_model_set_precision_auto),
        cmocka_unit_test(test_presets),
    };
    return cmocka_run_group_tests_name("precision", tests, util_group_setup, util_group_teardown);
}
