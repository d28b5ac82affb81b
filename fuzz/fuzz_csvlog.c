/* fuzz_csvlog.c: libFuzzer harness of the CSV scalar-log reader of
 * `rnnlm report` (report_log_read over io/csvlog's reader, RFC 4180 rows), then the SVG drawn from
 * what it accepted (written to /dev/null: only the drawing code's memory
 * and arithmetic are under test). */
#include <stdlib.h>

#include "fuzz_input.h"
#include "io/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static FILE *sink;
    if (!sink && !(sink = fopen("/dev/null", "w"))) abort();
    rnnlm_err err;
    report_log log;
    if (report_log_read(&log, fuzz_input_path(data, size), &err) == RNNLM_OK) {
        if (report_render_svg(&log, sink, &err)) abort();
    } else if (!err.msg[0]) {
        abort();
    }
    report_log_free(&log);
    return 0;
}
