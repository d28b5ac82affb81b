/* crc32c.h: the Castagnoli CRC (CRC-32C, reflected polynomial 0x82F63B78), as
 * TFRecord framing and therefore TensorBoard event files use it, and the
 * TFRecord mask that keeps a CRC of data holding CRCs from looking like one.
 *
 *     crc32c("123456789", 9) == 0xe3069283
 *
 * crc32c_update() uses the SSE4.2 crc32 instruction when the processor has it
 * (checked once at run time) and a slicing-by-8 table otherwise; both give the
 * same value. Thread-safe. */
#ifndef RNNLM_CRC32C_H
#define RNNLM_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC of data[0..n) continuing from crc, the CRC of what came before
 * (0 for an empty prefix): crc32c_update(crc32c(a), b) == crc32c(a ++ b). */
uint32_t crc32c_update(uint32_t crc, const void *data, size_t n);
static inline uint32_t crc32c(const void *data, size_t n) { return crc32c_update(0, data, n); }

/* The portable slicing-by-8 path, always; for tests and for comparison. */
uint32_t crc32c_update_portable(uint32_t crc, const void *data, size_t n);
/* 1 when crc32c_update() uses the SSE4.2 instruction on this machine. */
int crc32c_hardware(void);

/* TFRecord mask: rotate right by 15 and add a constant (mod 2^32). */
static inline uint32_t crc32c_mask(uint32_t crc) {
    return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}
static inline uint32_t crc32c_unmask(uint32_t masked) {
    uint32_t rot = masked - 0xa282ead8u;
    return (rot >> 17) | (rot << 15);
}

#endif
