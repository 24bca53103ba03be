// CRC32C for LevelDB, with the CPU's crc32 instruction (SSE 4.2) where it has one.
//
// Linked ahead of Debian's libleveldb.a, this definition of leveldb::crc32c::Extend is the one
// the library uses (the archive's own crc32c.cc.o is then never pulled in). Debian builds
// LevelDB without Google's crc32c library, so its Extend is a table-driven loop: LevelDB
// checksums every byte twice (its log, then its table blocks), which was a tenth of a node's
// CPU while producing. Same function, same results (crc32c_test's vectors are checked by
// LevelDbLibraryTest against java.util.zip.CRC32C).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <nmmintrin.h>

namespace leveldb {
namespace crc32c {
namespace {

// Castagnoli polynomial, reflected.
constexpr uint32_t kPolynomial = 0x82f63b78u;

struct ByteTable {
  uint32_t entry[256];
  ByteTable() {
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ kPolynomial : c >> 1;
      entry[i] = c;
    }
  }
};

const ByteTable kTable;

uint32_t ExtendSoftware(uint32_t l, const uint8_t* p, size_t n) {
  while (n-- > 0) l = kTable.entry[(l ^ *p++) & 0xff] ^ (l >> 8);
  return l;
}

__attribute__((target("sse4.2"))) uint32_t ExtendHardware(uint32_t l32, const uint8_t* p, size_t n) {
  uint64_t l = l32;
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    l = _mm_crc32_u8(static_cast<uint32_t>(l), *p++);
    n--;
  }
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, sizeof word);
    l = _mm_crc32_u64(l, word);
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    l = _mm_crc32_u8(static_cast<uint32_t>(l), *p++);
    n--;
  }
  return static_cast<uint32_t>(l);
}

const bool kHardware = __builtin_cpu_supports("sse4.2");

}  // namespace

// LevelDB's contract (util/crc32c.h): the crc32c of A||data, given init_crc = crc32c(A).
uint32_t Extend(uint32_t init_crc, const char* data, size_t n) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(data);
  uint32_t l = init_crc ^ 0xffffffffu;
  l = kHardware ? ExtendHardware(l, p, n) : ExtendSoftware(l, p, n);
  return l ^ 0xffffffffu;
}

}  // namespace crc32c
}  // namespace leveldb
