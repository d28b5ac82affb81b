/* commands.h: the subcommands of the rnnlm program. Each returns the process
 * exit status: 0 success, 1 failure (one line on stderr says why), 2 usage. */
#ifndef RNNLM_CLI_COMMANDS_H
#define RNNLM_CLI_COMMANDS_H

int cmd_data(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_embeddings(int argc, char **argv);
int cmd_neighbors(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_ngram(int argc, char **argv);
int cmd_rescore(int argc, char **argv);

#endif
