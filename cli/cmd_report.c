/* cmd_report.c: `rnnlm report LOGDIR`: an SVG of the training and validation
 * curves of a run's log (LOGDIR/log.csv), for people without TensorBoard. */
#include <stdio.h>

#include "commands.h"
#include "opts.h"

static const char *g_out;

static opt_spec report_opts[] = {
    {"out", OPT_STR, &g_out, 0, 0, NULL, "the SVG to write (default LOGDIR/report.svg)"},
    OPT_TABLE_END,
};

int cmd_report(int argc, char **argv) {
    g_out = NULL;
    const char *pos[1];
    int n_pos, rc = opts_parse("report", argc, argv, report_opts, NULL, pos, 1, &n_pos, "LOGDIR [options]");
    if (rc) return rc > 0 ? 0 : 2;
    if (n_pos != 1) {
        fprintf(stderr, "rnnlm report: needs the log directory of a run (rnnlm train --logdir DIR)\n");
        return 2;
    }
    char csv[4096], svg[4096];
    snprintf(csv, sizeof csv, "%s/log.csv", pos[0]);
    snprintf(svg, sizeof svg, "%s/report.svg", pos[0]);
    rnnlm_err err;
    if (rnnlm_report_write(csv, g_out ? g_out : svg, &err)) {
        fprintf(stderr, "rnnlm report: %s\n", err.msg);
        return 1;
    }
    printf("wrote %s\n", g_out ? g_out : svg);
    return 0;
}
