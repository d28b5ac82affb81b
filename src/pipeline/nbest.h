/* nbest.h: the n-best list object shared by its reader (nbest.c) and its
 * scorer (rescore.c); the public interface is rnnlm.h, "n-best lists".
 * Words, hypothesis ids and utterance ids are interned (strtab), so a word
 * is mapped to a model's id once however often the lists repeat it. */
#ifndef RNNLM_NBEST_H
#define RNNLM_NBEST_H

#include "core/common.h"
#include "core/strtab.h"

typedef struct {
    size_t first, n;      /* its hypotheses */
} nbest_utt;

struct rnnlm_nbest {
    rnnlm_nbest_layout layout;
    strtab words;            /* distinct words */
    strtab hyp_ids;          /* hypothesis i is id i */
    strtab utt_ids;          /* utterance u is id u */
    uint32_t *wid;           /* every hypothesis's words (word ids), hypothesis after hypothesis */
    size_t n_wid, wid_cap;
    const char **word_ptr;   /* (n_wid) the words' strings, set when reading ends */
    size_t *hyp_word0;       /* (n_hyp) each hypothesis's first entry of wid */
    rnnlm_nbest_hyp *hyp;
    size_t n_hyp, hyp_cap, word0_cap;
    nbest_utt *utt;
    size_t n_utt, utt_cap;
    size_t *best;            /* (n_utt) after rescoring */
};

#endif
