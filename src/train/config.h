/* config.h: the options of training and data as rows (rnnlm_options.def:
 * key, type, field, range), and the run's options as checkpoint metadata,
 * "config.<key>" = value (docs/FORMAT.md), for the rows marked
 * RNNLM_OPT_STORED; older checkpoints name them "cli.<legacy>". Values:
 * integers in decimal, reals as %.17g, choices by name, flags 0/1, strings
 * as they are ("" for none). */
#ifndef RNNLM_CONFIG_H
#define RNNLM_CONFIG_H

#include <stddef.h>

#include "core/common.h"
#include "io/safetensors.h"

typedef enum { CONFIG_INT, CONFIG_REAL, CONFIG_STR, CONFIG_FLAG, CONFIG_CHOICE } config_type;

/* One option of rnnlm_train_options or rnnlm_data_options. */
typedef struct {
    const char *key, *legacy;
    config_type type;
    int data;              /* 0: a field of rnnlm_train_options, 1: of rnnlm_data_options */
    size_t off;            /* the field's offset */
    const char *choices;   /* CONFIG_CHOICE: "a|b|c" (NULL: the registered cells) */
    double lo, hi;         /* CONFIG_INT and CONFIG_REAL: the inclusive range */
    unsigned flags;        /* RNNLM_OPT_* */
} config_row;

/* Every row of both structs, in the table's order. */
extern const config_row config_rows[];
extern const size_t config_n_rows;

#define CONFIG_STORED_ROW(where, key, legacy, type, field, choices, lo, hi, flags, flag, help) \
    +CONFIG_STORED_##where(flags)
#define CONFIG_STORED_TRAIN(flags) (((flags) & RNNLM_OPT_STORED) != 0)
#define CONFIG_STORED_DATA(flags) (((flags) & RNNLM_OPT_STORED) != 0)
#define CONFIG_STORED_CLI(flags) 0
/* The keys stored in a checkpoint. */
#define CONFIG_N_KEYS (0 RNNLM_TRAIN_OPTIONS(CONFIG_STORED_ROW) RNNLM_DATA_OPTIONS(CONFIG_STORED_ROW))

/* The field of row r in t or d. */
void *config_field(const config_row *r, rnnlm_train_options *t, rnnlm_data_options *d);
/* A choice row's names. */
const char *config_choices(const config_row *r);
/* The number of names of a choice row. */
int config_n_choices(const config_row *r);

/* Stored key i (< CONFIG_N_KEYS)'s name, without the "config." prefix. */
const char *config_key_name(size_t i);
/* Stored key i's value in t and d, as text. */
void config_format(size_t i, const rnnlm_train_options *t, const rnnlm_data_options *d, char *buf, size_t cap);
/* Sets every option that f stores (a key it lacks, newer than the file,
 * keeps its value in t or d). RNNLM_E_FORMAT naming path and the key for a
 * value out of its range, or when f holds no training options at all. */
rnnlm_status config_read(const st_file *f, const char *path, rnnlm_train_options *t, rnnlm_data_options *d,
                         rnnlm_err *err);

#endif
