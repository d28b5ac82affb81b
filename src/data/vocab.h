/* vocab.h: the size-capped vocabulary (vocab.c; docs/DATA.md section 3):
 * built from a corpus's counts (canonicalised when asked, canon.h), looked
 * up, written to and read from its file. Its interface is public: rnnlm.h's
 * "vocabulary" (rnnlm_vocab_*). What is the library's own is the mark and
 * version that open the file's first line, "#rnnlm-vocab 1 canon=...
 * size=... distinct=..." (docs/FORMAT.md). */
#ifndef RNNLM_VOCAB_H
#define RNNLM_VOCAB_H

#include "rnnlm.h"

#define VOCAB_MAGIC "#rnnlm-vocab"
#define VOCAB_VERSION 1

#endif
