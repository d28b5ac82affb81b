/* crc32c.c: CRC-32C by slicing-by-8 tables, or by the SSE4.2 crc32
 * instruction when the processor has it (see crc32c.h). */
#include "core/crc32c.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <nmmintrin.h>
#define CRC32C_HAVE_X86 1
#else
#define CRC32C_HAVE_X86 0
#endif

#define CRC32C_POLY 0x82f63b78u /* 0x1EDC6F41 bit-reversed */

/* table[k][b]: the CRC contribution of byte b followed by k zero bytes. */
static uint32_t table[8][256];
static int use_hw;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void crc32c_init(void) {
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t c = b;
        for (int i = 0; i < 8; i++) c = (c >> 1) ^ (CRC32C_POLY & (0u - (c & 1u)));
        table[0][b] = c;
    }
    for (uint32_t b = 0; b < 256; b++)
        for (int k = 1; k < 8; k++)
            table[k][b] = (table[k - 1][b] >> 8) ^ table[0][table[k - 1][b] & 0xffu];
#if CRC32C_HAVE_X86
    __builtin_cpu_init();
    use_hw = __builtin_cpu_supports("sse4.2") ? 1 : 0;
#endif
}

static uint32_t sw_bytes(uint32_t c, const uint8_t *p, size_t n) {
    while (n--) c = (c >> 8) ^ table[0][(c ^ *p++) & 0xffu];
    return c;
}

/* c is the raw (pre-inverted) register. Eight bytes at a time: the first four
 * fold into the register, the next four are looked up as they stand. */
static uint32_t sw_crc(uint32_t c, const uint8_t *p, size_t n) {
    while (n >= 8) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + 4, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        lo = __builtin_bswap32(lo);
        hi = __builtin_bswap32(hi);
#endif
        lo ^= c;
        c = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^ table[5][(lo >> 16) & 0xff] ^
            table[4][lo >> 24] ^ table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^
            table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    return sw_bytes(c, p, n);
}

#if CRC32C_HAVE_X86
__attribute__((target("sse4.2"))) static uint32_t hw_crc(uint32_t c, const uint8_t *p, size_t n) {
    uint64_t c64 = c;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c64 = _mm_crc32_u64(c64, w);
        p += 8;
        n -= 8;
    }
    c = (uint32_t)c64;
    while (n--) c = _mm_crc32_u8(c, *p++);
    return c;
}
#endif

uint32_t crc32c_update_portable(uint32_t crc, const void *data, size_t n) {
    pthread_once(&init_once, crc32c_init);
    return ~sw_crc(~crc, (const uint8_t *)data, n);
}

uint32_t crc32c_update(uint32_t crc, const void *data, size_t n) {
    pthread_once(&init_once, crc32c_init);
#if CRC32C_HAVE_X86
    if (use_hw) return ~hw_crc(~crc, (const uint8_t *)data, n);
#endif
    return ~sw_crc(~crc, (const uint8_t *)data, n);
}

int crc32c_hardware(void) {
    pthread_once(&init_once, crc32c_init);
    return use_hw;
}
