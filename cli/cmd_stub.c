/* cmd_stub.c: subcommands still being written. */
#include <stdio.h>
#include "commands.h"
int cmd_train(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "rnnlm train: not yet\n"); return 1; }
int cmd_summary(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "rnnlm summary: not yet\n"); return 1; }
