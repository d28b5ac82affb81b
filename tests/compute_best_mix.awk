# compute_best_mix.awk: the mixture-weight estimate of SRILM's
# compute-best-mix script, written here from its documented behaviour, to
# read rnnlm's `--format srilm --debug 2` output as that script reads
# SRILM's `ngram -debug 2 -ppl` output:
#   gawk -f compute_best_mix.awk [-v lambda="l1 l2 ..."] [-v precision=p] PPL1 PPL2 ...
# The word lines are those whose first field is "p("; field 2 is the word
# (tags "<...>" other than <unk> and </s> are skipped), field 10 its log10
# probability, and a line holding "[ -inf" counts as a zero probability
# (log10 = logINF). The files must list the same words in the same order.
# EM over the weights: each word's posterior share of every model, averaged
# over the words some model gives a non-zero probability, until no weight
# moves more than precision. Prints each iteration and
# "best lambda (l1 l2 ...)". With -v fixed=1 no EM is run: each word's
# log10 probability under the given weights is printed instead,
# "word<TAB>log10".
BEGIN {
    if (lambda == "") lambda = "0.5 0.5"
    if (precision == "") precision = 0.001
    M_LN10 = 2.30258509299404568402
    logINF = -320
    unk = "<unk>"
}
function abs(x) { return x < 0 ? -x : x }
function log10(x) { return log(x) / M_LN10 }
function exp10(x) { return x < logINF ? 0 : exp(x * M_LN10) }
function addlogs(x, y,   t) {
    if (x < y) { t = x; x = y; y = t }
    if (y <= logINF) return x
    return x + log10(1 + exp10(y - x))
}
FNR == 1 { nfiles++; num_words = 0 }
$1 == "p(" {
    if ($2 ~ /^</ && $2 != unk && $2 != "</s>") next
    prob = ($0 ~ /\[ -inf/) ? logINF : $10 + 0
    num_words++
    samples[nfiles, num_words] = prob
    if (nfiles == 1) { words[num_words] = $2; total_words = num_words }
    else if (words[num_words] != $2) {
        printf "%s: word %d is %s, not %s as in the first file\n", FILENAME, num_words, $2, words[num_words] > "/dev/stderr"
        bad = 1
        exit 1
    }
}
END {
    if (bad) exit 1
    if (nfiles < 2) { print "need two or more ppl files" > "/dev/stderr"; exit 1 }
    n = split(lambda, lambdas)
    sum = 0
    for (j = 1; j <= nfiles; j++) { if (j > n) lambdas[j] = (1 - sum) / (nfiles - n); sum += lambdas[j] }
    for (j = 1; j <= nfiles; j++) lambdas[j] /= sum
    if (fixed) {
        for (i = 1; i <= total_words; i++) {
            s = logINF
            for (j = 1; j <= nfiles; j++)
                if (samples[j, i] > logINF) s = addlogs(s, samples[j, i] + log10(lambdas[j]))
            printf "%s\t%.17g\n", words[i], s
        }
        exit 0
    }
    for (iter = 1; ; iter++) {
        for (j = 1; j <= nfiles; j++) post[j] = 0
        log_like = 0
        used = 0
        for (i = 1; i <= total_words; i++) {
            all_inf = 1
            for (j = 1; j <= nfiles; j++) if (samples[j, i] > logINF) all_inf = 0
            if (all_inf) continue
            used++
            s = logINF
            for (j = 1; j <= nfiles; j++) {
                lp[j] = samples[j, i] > logINF ? samples[j, i] + log10(lambdas[j]) : logINF
                s = addlogs(s, lp[j])
            }
            log_like += s
            for (j = 1; j <= nfiles; j++) post[j] += exp10(lp[j] - s)
        }
        converged = 1
        out = ""
        for (j = 1; j <= nfiles; j++) {
            w = post[j] / used
            if (abs(w - lambdas[j]) > precision) converged = 0
            lambdas[j] = w
            out = out (j > 1 ? " " : "") w
        }
        printf "iteration %d, lambda = (%s), ppl = %.6g\n", iter, out, exp10(-log_like / used)
        if (converged || iter >= 100000) break
    }
    printf "%d non-oov words, best lambda (%s)\n", used, out
}
