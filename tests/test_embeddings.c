/* test_embeddings.c: cosine neighbours on a hand-made embedding, and the
 * projector's TSV pair (V vector lines, header + V metadata lines, one order). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/embeddings.h"

static void test_neighbors(void **state) {
    (void)state;
    /* 5 words in 2-d: 0 points east, 1 north-east, 2 north, 3 west, 4 zero */
    const float emb[10] = {1, 0, 1, 1, 0, 2, -3, 0, 0, 0};
    int32_t ids[4];
    float sims[4];
    int n = embeddings_neighbors(emb, 5, 2, 0, 4, ids, sims);
    assert_int_equal(n, 4);
    assert_int_equal(ids[0], 1);                         /* cos 45 degrees */
    assert_true(sims[0] > 0.7071f - 1e-6f && sims[0] < 0.7071f + 1e-4f);
    assert_true(ids[1] == 2 || ids[1] == 4);             /* both 0 */
    assert_int_equal(ids[3], 3);                         /* opposite: -1 */
    assert_true(sims[3] < -0.9999f);
    for (int i = 0; i < n; i++) assert_int_not_equal(ids[i], 0);   /* never itself */
    assert_int_equal(embeddings_neighbors(emb, 5, 2, 0, 2, ids, sims), 2);
    assert_int_equal(ids[0], 1);
    assert_int_equal(embeddings_neighbors(emb, 5, 2, 7, 2, ids, sims), 0);   /* bad id */
}

static int count_lines(const char *path, char *first, size_t cap) {
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (n == 0 && first) { strncpy(first, line, cap - 1); first[cap - 1] = 0; }
        n++;
    }
    fclose(f);
    return n;
}

static void test_export(void **state) {
    (void)state;
    rnnlm_err err;
    rnnlm_corpus *c;
    rnnlm_vocab *v;
    assert_int_equal(rnnlm_corpus_toy(&c, &err), RNNLM_OK);
    assert_int_equal(rnnlm_vocab_build(&v, c, 0, RNNLM_CANON_NONE, &err), RNNLM_OK);
    int V = (int)rnnlm_vocab_size(v), E = 3;
    float *emb = malloc(sizeof(float) * (size_t)V * E);
    for (int i = 0; i < V * E; i++) emb[i] = (float)i * 0.5f;
    char dir[] = "/tmp/rnnlm_emb_XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(embeddings_export(dir, emb, V, E, v, &err), RNNLM_OK);
    char path[256], first[256];
    snprintf(path, sizeof path, "%s/vectors.tsv", dir);
    assert_int_equal(count_lines(path, first, sizeof first), V);
    assert_string_equal(first, "0\t0.5\t1\n");
    unlink(path);
    snprintf(path, sizeof path, "%s/metadata.tsv", dir);
    assert_int_equal(count_lines(path, first, sizeof first), V + 1);
    assert_string_equal(first, "word\tcount\n");
    FILE *f = fopen(path, "r");
    char line[256];
    for (int i = 0; i <= 4; i++) assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_string_equal(line, "<s>\t3\n");   /* id 3: the toy corpus's literal <s>, counted 3 times */
    unlink(path);
    /* a vocabulary that does not match the rows is refused */
    assert_int_equal(embeddings_export(dir, emb, V - 1, E, v, &err), RNNLM_E_ARG);
    /* an unwritable directory */
    assert_int_equal(embeddings_export("/nonexistent/dir", emb, V, E, v, &err), RNNLM_E_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/dir"));
    rmdir(dir);
    free(emb);
    rnnlm_vocab_free(v);
    rnnlm_corpus_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_neighbors),
        cmocka_unit_test(test_export),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
