// Table files are read with pread(), not through mmap.
//
// LevelDB maps up to 1000 table files whole and reads through the mappings, so every page a
// reader touched counts in the node's resident memory for as long as the table stays open (up
// to max-open-files - 10 tables: 1 GiB with Sluice's defaults), though it is only page cache.
// With reads through pread() the pages stay in the page cache, where the kernel accounts and
// reclaims them as it does for any file (and for Kafka's log segments), and the process keeps
// only the blocks it holds at the moment. LevelDB's own hook for this (env_posix.cc) must run
// before its default Env exists: this library's load, before any database is opened.
namespace leveldb {
class EnvPosixTestHelper {
 public:
  static void SetReadOnlyMMapLimit(int limit);
};
}  // namespace leveldb

namespace {
__attribute__((constructor)) void ReadTablesWithPread() {
  leveldb::EnvPosixTestHelper::SetReadOnlyMMapLimit(0);
}
}  // namespace
