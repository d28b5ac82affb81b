/* progress.c: progress bar / plain progress lines. */
#include "progress.h"
#include "commands.h"

#include <math.h>
#include <unistd.h>

static FILE *g_unfinished;   /* the stream whose last line is not ended yet, if any */

void progress_begin(progress *pr, FILE *f, size_t n_steps) {
    pr->f = f;
    pr->tty = isatty(fileno(f));
    pr->every = n_steps >= 10 ? n_steps / 10 : 1;
    pr->last_draw = -1;
}

static void fmt_time(char *buf, size_t cap, double s) {
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else snprintf(buf, cap, "%ld:%02ld", t / 60, t % 60);
}

void progress_step(progress *pr, const rnnlm_train_progress *p) {
    int last = p->step == p->n_steps;
    if (pr->tty && !last && p->seconds - pr->last_draw < 0.1) return;
    if (!pr->tty && !last && p->step % pr->every != 0) return;
    pr->last_draw = p->seconds;
    const rnnlm_eval_result *s = &p->epoch_sum;
    double loss = s->count ? s->loss_sum / (double)s->count : NAN;
    double acc = s->count ? (double)s->correct / (double)s->count : NAN;
    double tps = p->seconds > 0 ? (double)s->count / p->seconds : 0;
    double eta = p->step ? p->seconds / (double)p->step * (double)(p->n_steps - p->step) : 0;
    char t[32], ppl[32];
    fmt_time(t, sizeof t, last ? p->seconds : eta);
    fmt_ppl(ppl, sizeof ppl, exp(loss), 1);
    if (pr->tty) {
        char bar[31];
        int w = 30, fill = (int)((double)w * (double)p->step / (double)p->n_steps);
        for (int i = 0; i < w; i++) bar[i] = i < fill ? '=' : (i == fill ? '>' : '.');
        bar[w] = '\0';
        fprintf(pr->f, "\r%zu/%zu [%s] - %s %s - %.0f tok/s - loss: %.4f - acc: %.4f - ppl: %s",
                p->step, p->n_steps, bar, last ? "" : "ETA:", t, tps, loss, acc, ppl);
        if (p->comm_per_step > 0)
            fprintf(pr->f, " - comm %.2f ms/step (waiting %.2f)", 1e3 * p->comm_per_step, 1e3 * p->wait_per_step);
        fputs("\033[K", pr->f);
        g_unfinished = pr->f;
    } else {
        fprintf(pr->f, "epoch %d step %zu/%zu - %s %s - %.0f tok/s - loss: %.4f - acc: %.4f - ppl: %s",
                p->epoch, p->step, p->n_steps, last ? "took" : "ETA", t, tps, loss, acc, ppl);
        if (p->comm_per_step > 0)
            fprintf(pr->f, " - comm %.2f ms/step (waiting %.2f)", 1e3 * p->comm_per_step, 1e3 * p->wait_per_step);
        fputc('\n', pr->f);
    }
    if (p->skipped) {
        fprintf(pr->f, "%sstep %zu skipped: non-finite loss or gradient norm (%g); weights untouched\n",
                pr->tty ? "\n" : "", p->step, p->grad_norm);
        g_unfinished = NULL;
    }
    fflush(pr->f);
}

void progress_end(progress *pr) {
    if (pr->tty) fputc('\n', pr->f);
    if (g_unfinished == pr->f) g_unfinished = NULL;
    fflush(pr->f);
}

void progress_line_open(progress *pr) { g_unfinished = pr->f; }

void progress_break(void) {
    if (g_unfinished) fputc('\n', g_unfinished);
    g_unfinished = NULL;
    fflush(stdout);
}
