/* main.c: the rnnlm program: dispatch to a subcommand. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

static const struct {
    const char *name;
    int (*run)(int, char **);
    const char *what;
} COMMANDS[] = {
    {"data", cmd_data, "read a corpus, build the vocabulary and split; print the figures"},
    {"train", cmd_train, "train a model (the recipe's industrial run by default)"},
    {"summary", cmd_summary, "print a model's layers, weight shapes and parameter counts"},
    {"embeddings", cmd_embeddings, "export word embeddings for TensorBoard's Embedding Projector"},
    {"neighbors", cmd_neighbors, "nearest words to a word by cosine similarity of embeddings"},
    {"report", cmd_report, "draw a run's training and validation curves as an SVG"},
    {"eval", cmd_eval, "perplexity, cross-entropy, accuracy of a model on a text file or Brown's test split"},
    {"score", cmd_score, "log-probability of each line (sentence) of a file or stdin"},
    {"generate", cmd_generate, "text from a model: greedy or sampled, reproducible with --seed"},
    {"ngram", cmd_ngram, "an ARPA n-gram model: its perplexity on a text (SRILM's summary), its counts"},
    {"rescore", cmd_rescore, "rescore n-best lists (Kaldi or SRILM layout) and print each utterance's best"},
};

static void usage(FILE *f) {
    fprintf(f, "usage: rnnlm COMMAND [options]   (rnnlm COMMAND --help for its options)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof COMMANDS / sizeof *COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].what);
}

int main(int argc, char **argv) {
    /* A write past `ulimit -f` then fails with EFBIG, which every writer
     * reports with the file's name, instead of SIGXFSZ ending the process
     * without a word. */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) { usage(stderr); return 2; }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    /* under mpirun with several ranks, only train shares its work among them
     * (docs/SCALING.md); any other command would run once a rank, each
     * printing and writing the same files */
    const char *ranks = getenv("OMPI_COMM_WORLD_SIZE") ? getenv("OMPI_COMM_WORLD_SIZE") : getenv("PMI_SIZE");
    if (ranks && atoi(ranks) > 1 && strcmp(argv[1], "train") != 0) {
        fprintf(stderr, "rnnlm %s: runs in one process; under mpirun only `rnnlm train` shares its work among "
                "the ranks (here %d): run it without mpirun\n", argv[1], atoi(ranks));
        return 2;
    }
    for (size_t i = 0; i < sizeof COMMANDS / sizeof *COMMANDS; i++)
        if (strcmp(argv[1], COMMANDS[i].name) == 0) return COMMANDS[i].run(argc - 2, argv + 2);
    fprintf(stderr, "rnnlm: unknown command '%s' (see rnnlm --help)\n", argv[1]);
    return 2;
}
