/* fuzz_input.h: the readers under fuzzing take a path, so each harness
 * writes its input to an anonymous in-memory file (memfd) and hands the
 * reader "/proc/self/fd/N". The memfd is created once and rewritten per run:
 * no disk traffic and nothing to clean up. Any failure here is the harness's
 * own and aborts (the fuzzer then reports it as a crash, never a pass). */
#ifndef RNNLM_FUZZ_INPUT_H
#define RNNLM_FUZZ_INPUT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *fuzz_input_path(const uint8_t *data, size_t size) {
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("rnnlm-fuzz", 0);
        if (fd < 0) { perror("memfd_create"); abort(); }
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0) { perror("ftruncate"); abort(); }
    size_t done = 0;
    while (done < size) {
        ssize_t w = pwrite(fd, data + done, size - done, (off_t)done);
        if (w <= 0) { perror("pwrite"); abort(); }
        done += (size_t)w;
    }
    return path;
}

#endif
