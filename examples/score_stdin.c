/* score_stdin.c: scores every line of stdin (a sentence of white-space
 * separated words) with a trained rnnlm model, printing what `rnnlm score`
 * prints: log-probability (natural, base 10), words, OOVs, perplexity.
 * Uses only the installed library (rnnlm.h, pkg-config rnnlm):
 *
 *     make install PREFIX=$HOME/.local
 *     PKG_CONFIG_PATH=$HOME/.local/lib/pkgconfig make -C examples
 *     echo "the cat sat" | LD_LIBRARY_PATH=$HOME/.local/lib examples/score_stdin model.safetensors
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rnnlm.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s MODEL < sentences.txt\n", argv[0]);
        return 2;
    }
    rnnlm_err err;
    rnnlm_model *m;
    rnnlm_state *s;
    if (rnnlm_model_load(&m, argv[1], &err) || rnnlm_state_create(&s, m, &err)) {
        fprintf(stderr, "score_stdin: %s\n", err.msg);
        return 1;
    }
    char line[65536];
    const char *words[4096];
    int status = 0;
    while (fgets(line, sizeof line, stdin)) {
        size_t n = 0;
        for (char *save = NULL, *w = strtok_r(line, " \t\r\n", &save); w && n < 4096;
             w = strtok_r(NULL, " \t\r\n", &save))
            words[n++] = w;
        rnnlm_sentence_score sc;
        if (rnnlm_score_sentence(s, words, n, &sc, NULL, &err)) {
            fprintf(stderr, "score_stdin: %s\n", err.msg);
            status = 1;
            break;
        }
        printf("%.6f\t%.6f\t%zu\t%zu\t%.6g\n", sc.logprob, sc.log10prob, sc.words, sc.oovs, sc.ppl);
    }
    rnnlm_state_free(s);
    rnnlm_model_free(m);
    return status;
}
