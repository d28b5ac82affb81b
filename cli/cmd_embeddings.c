/* cmd_embeddings.c: `rnnlm embeddings MODEL --out DIR` (the Embedding
 * Projector's TSV pair) and `rnnlm neighbors MODEL WORD [-k N]`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "opts.h"
#include "rnnlm.h"

static int load(const char *cmd, const char *path, rnnlm_model **m, rnnlm_model_info *info) {
    rnnlm_err err;
    if (rnnlm_model_load(m, path, &err)) {
        fprintf(stderr, "rnnlm %s: %s\n", cmd, err.msg);
        return -1;
    }
    rnnlm_model_info_get(*m, info);
    return 0;
}

typedef struct {
    const char *out;   /* the directory of the pair */
} embeddings_options;

static opt_table embeddings_table(embeddings_options *o) {
    return (opt_table){{
        {"out", OPT_STR, &o->out, 0, 0, NULL, "directory for vectors.tsv and metadata.tsv"},
        OPT_TABLE_END,
    }};
}

typedef struct {
    long k;            /* neighbours to list */
} neighbors_options;

static opt_table neighbors_table(neighbors_options *o) {
    return (opt_table){{
        {"k", OPT_INT, &o->k, 1, 1000000, NULL, "how many neighbours"},
        OPT_TABLE_END,
    }};
}

int cmd_embeddings(int argc, char **argv) {
    embeddings_options o = {0};
    opt_table t = embeddings_table(&o);
    const char *pos[1];
    int n_pos, rc = opts_parse("embeddings", argc, argv, t.opt, NULL, pos, 1, &n_pos, "MODEL --out DIR");
    if (rc) return rc > 0 ? 0 : 2;
    if (n_pos != 1 || !o.out) {
        fprintf(stderr, "rnnlm embeddings: needs MODEL and --out DIR\n");
        return 2;
    }
    rnnlm_model *m;
    rnnlm_model_info c;
    if (load("embeddings", pos[0], &m, &c)) return 1;
    if (mkdir(o.out, 0777) && errno != EEXIST) {
        fprintf(stderr, "rnnlm embeddings: --out: %s: %s\n", o.out, strerror(errno));
        rnnlm_model_free(m);
        return 1;
    }
    rnnlm_err err;
    int status = 0;
    if (rnnlm_embeddings_export(m, o.out, &err)) {
        fprintf(stderr, "rnnlm embeddings: %s\n", err.msg);
        status = 1;
    } else {
        printf("wrote %s/vectors.tsv (%d x %d) and %s/metadata.tsv (%d words); load both in TensorBoard's "
               "Embedding Projector\n", o.out, c.V, c.E, o.out, c.V);
    }
    rnnlm_model_free(m);
    return status;
}

int cmd_neighbors(int argc, char **argv) {
    neighbors_options o = {.k = 10};
    opt_table t = neighbors_table(&o);
    /* -k N is accepted as well as --k N */
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "-k") == 0) argv[i] = "--k";
    const char *pos[2];
    int n_pos, rc = opts_parse("neighbors", argc, argv, t.opt, NULL, pos, 2, &n_pos, "MODEL WORD [-k N]");
    if (rc) return rc > 0 ? 0 : 2;
    if (n_pos != 2) {
        fprintf(stderr, "rnnlm neighbors: needs MODEL and WORD\n");
        return 2;
    }
    rnnlm_model *m;
    rnnlm_model_info c;
    if (load("neighbors", pos[0], &m, &c)) return 1;
    const rnnlm_vocab *v = rnnlm_model_vocab(m);
    int32_t id = rnnlm_vocab_lookup(v, pos[1], strlen(pos[1]));
    int status = 0;
    if (id == RNNLM_UNK && strcmp(pos[1], "<unk>") != 0) {
        fprintf(stderr, "rnnlm neighbors: '%s' is not in the model's vocabulary\n", pos[1]);
        status = 1;
    } else {
        int k = o.k < c.V ? (int)o.k : c.V - 1;
        int32_t *ids = malloc(sizeof *ids * (size_t)(k > 0 ? k : 1));
        float *sims = malloc(sizeof *sims * (size_t)(k > 0 ? k : 1));
        if (!ids || !sims) {
            fprintf(stderr, "rnnlm neighbors: out of memory\n");
            status = 1;
        } else {
            int n = rnnlm_neighbors(m, id, k, ids, sims);
            printf("nearest to '%s' (id %d) by cosine similarity:\n", rnnlm_vocab_word(v, id), id);
            for (int i = 0; i < n; i++) printf("%3d  %-20s %.4f\n", i + 1, rnnlm_vocab_word(v, ids[i]), (double)sims[i]);
        }
        free(ids);
        free(sims);
    }
    rnnlm_model_free(m);
    return status;
}
