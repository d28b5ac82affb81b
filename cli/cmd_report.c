/* cmd_report.c: `rnnlm report LOGDIR`: an SVG of the training and validation
 * curves of a run's log (LOGDIR/log.csv), for people without TensorBoard. */
#include <stdio.h>

#include "commands.h"
#include "opts.h"

typedef struct {
    const char *out;   /* NULL: LOGDIR/report.svg */
} report_options;

static opt_table report_table(report_options *o) {
    return (opt_table){{
        {"out", OPT_STR, &o->out, 0, 0, NULL, "the SVG to write (default LOGDIR/report.svg)"},
        OPT_TABLE_END,
    }};
}

int cmd_report(int argc, char **argv) {
    report_options o = {0};
    opt_table t = report_table(&o);
    const char *pos[1];
    int n_pos, rc = opts_parse("report", argc, argv, t.opt, NULL, pos, 1, &n_pos, "LOGDIR [options]");
    if (rc) return rc > 0 ? 0 : 2;
    if (n_pos != 1) {
        fprintf(stderr, "rnnlm report: needs the log directory of a run (rnnlm train --logdir DIR)\n");
        return 2;
    }
    char csv[4096], svg[4096];
    snprintf(csv, sizeof csv, "%s/log.csv", pos[0]);
    snprintf(svg, sizeof svg, "%s/report.svg", pos[0]);
    rnnlm_err err;
    if (rnnlm_report_write(csv, o.out ? o.out : svg, &err)) {
        fprintf(stderr, "rnnlm report: %s\n", err.msg);
        return 1;
    }
    printf("wrote %s\n", o.out ? o.out : svg);
    return 0;
}
