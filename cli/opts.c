/* opts.c: table-driven option parsing (see opts.h). */
#include "opts.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const opt_spec *find(const opt_spec *t, const char *name, size_t len) {
    for (; t && t->type != OPT_END; t++)
        if (strlen(t->name) == len && strncmp(t->name, name, len) == 0) return t;
    return NULL;
}

static void show_default(const opt_spec *o, char *buf, size_t cap) {
    buf[0] = '\0';
    switch (o->type) {
    case OPT_INT: snprintf(buf, cap, " (default %ld)", *(long *)o->value); break;
    case OPT_FLOAT: snprintf(buf, cap, " (default %g)", *(double *)o->value); break;
    case OPT_STR:
        if (*(const char **)o->value) snprintf(buf, cap, " (default %s)", *(const char **)o->value);
        break;
    case OPT_CHOICE: {
        int idx = *(int *)o->value;
        const char *c = o->choices;
        for (int i = 0; i < idx && c; i++) { c = strchr(c, '|'); if (c) c++; }
        if (c) {
            size_t n = strcspn(c, "|");
            snprintf(buf, cap, " (default %.*s)", (int)n, c);
        }
        break;
    }
    default: break;
    }
}

void opts_usage(const char *cmd, const char *usage, const opt_spec *a, const opt_spec *b) {
    printf("usage: rnnlm %s %s\n", cmd, usage);
    const opt_spec *tabs[2] = {a, b};
    for (int k = 0; k < 2; k++)
        for (const opt_spec *o = tabs[k]; o && o->type != OPT_END; o++) {
            static const char *kind[] = {"INT", "FLOAT", "STR", "", NULL};
            char def[96], flag[64];
            show_default(o, def, sizeof def);
            if (o->type == OPT_CHOICE) snprintf(flag, sizeof flag, "--%s %s", o->name, o->choices);
            else snprintf(flag, sizeof flag, "--%s %s", o->name, kind[o->type]);
            printf("  %-30s %s%s\n", flag, o->help, def);
        }
    printf("  %-30s %s\n", "--help", "this text");
}

int opts_set(const char *cmd, const opt_spec *o, const char *v) {
    char *end;
    switch (o->type) {
    case OPT_INT: {
        errno = 0;
        long x = strtol(v, &end, 10);
        if (errno || end == v || *end) {
            fprintf(stderr, "rnnlm %s: --%s: '%s' is not an integer\n", cmd, o->name, v);
            return -1;
        }
        if ((double)x < o->min || (double)x > o->max) {
            fprintf(stderr, "rnnlm %s: --%s: %ld is outside [%.0f, %.0f]\n", cmd, o->name, x, o->min, o->max);
            return -1;
        }
        *(long *)o->value = x;
        return 0;
    }
    case OPT_FLOAT: {
        errno = 0;
        double x = strtod(v, &end);
        if (errno || end == v || *end || !isfinite(x)) {
            fprintf(stderr, "rnnlm %s: --%s: '%s' is not a finite number\n", cmd, o->name, v);
            return -1;
        }
        if (x < o->min || x > o->max) {   /* the value as given: %g shows 0.9999999 as 1 */
            fprintf(stderr, "rnnlm %s: --%s: %s is outside [%g, %g]\n", cmd, o->name, v, o->min, o->max);
            return -1;
        }
        *(double *)o->value = x;
        return 0;
    }
    case OPT_FLAG:
        if (strcmp(v, "0") && strcmp(v, "1")) {
            fprintf(stderr, "rnnlm %s: --%s: '%s' is not 0 or 1\n", cmd, o->name, v);
            return -1;
        }
        *(int *)o->value = v[0] == '1';
        return 0;
    case OPT_STR:
        if (!*v) { fprintf(stderr, "rnnlm %s: --%s: empty value\n", cmd, o->name); return -1; }
        *(const char **)o->value = v;
        return 0;
    case OPT_CHOICE: {
        const char *c = o->choices;
        for (int i = 0; c; i++) {
            size_t n = strcspn(c, "|");
            if (strlen(v) == n && strncmp(c, v, n) == 0) { *(int *)o->value = i; return 0; }
            c = c[n] ? c + n + 1 : NULL;
        }
        fprintf(stderr, "rnnlm %s: --%s: '%s' is not one of %s\n", cmd, o->name, v, o->choices);
        return -1;
    }
    default: return -1;
    }
}

int opts_parse(const char *cmd, int argc, char **argv, const opt_spec *a, const opt_spec *b,
               const char **pos, int max_pos, int *n_pos, const char *usage) {
    *n_pos = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            opts_usage(cmd, usage, a, b);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            if (arg[0] == '-' && arg[1] != '\0') {
                fprintf(stderr, "rnnlm %s: unknown option '%s' (see rnnlm %s --help)\n", cmd, arg, cmd);
                return -1;
            }
            if (*n_pos >= max_pos) {
                fprintf(stderr, "rnnlm %s: unexpected argument '%s' (see rnnlm %s --help)\n", cmd, arg, cmd);
                return -1;
            }
            pos[(*n_pos)++] = arg;
            continue;
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const opt_spec *o = find(a, name, len);
        if (!o) o = find(b, name, len);
        if (!o) {
            fprintf(stderr, "rnnlm %s: unknown option '--%.*s' (see rnnlm %s --help)\n", cmd, (int)len, name, cmd);
            return -1;
        }
        if (o->type == OPT_FLAG) {
            if (eq) { fprintf(stderr, "rnnlm %s: --%s takes no value\n", cmd, o->name); return -1; }
            *(int *)o->value = 1;
            continue;
        }
        const char *v = eq ? eq + 1 : NULL;
        if (!v) {
            if (i + 1 >= argc) { fprintf(stderr, "rnnlm %s: --%s needs a value\n", cmd, o->name); return -1; }
            v = argv[++i];
        }
        if (opts_set(cmd, o, v)) return -1;
    }
    return 0;
}

void opts_format(const opt_spec *o, char *buf, size_t cap) {
    switch (o->type) {
    case OPT_INT: snprintf(buf, cap, "%ld", *(long *)o->value); break;
    case OPT_FLOAT: snprintf(buf, cap, "%.17g", *(double *)o->value); break;
    case OPT_STR: snprintf(buf, cap, "%s", *(const char **)o->value ? *(const char **)o->value : ""); break;
    case OPT_FLAG: snprintf(buf, cap, "%d", *(int *)o->value); break;
    case OPT_CHOICE: {
        const char *c = o->choices;
        for (int i = 0; i < *(int *)o->value && c; i++) { c = strchr(c, '|'); if (c) c++; }
        snprintf(buf, cap, "%.*s", c ? (int)strcspn(c, "|") : 0, c ? c : "");
        break;
    }
    default: buf[0] = '\0';
    }
}

const opt_spec *opts_find(const opt_spec *t, const char *name) { return find(t, name, strlen(name)); }

int opts_given(int argc, char **argv, const char *name) {
    size_t n = strlen(name);
    for (int i = 0; i < argc; i++)
        if (strncmp(argv[i], "--", 2) == 0 && strncmp(argv[i] + 2, name, n) == 0 &&
            (argv[i][2 + n] == '\0' || argv[i][2 + n] == '='))
            return 1;
    return 0;
}
