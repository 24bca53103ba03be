#!/usr/bin/env bash
# Builds the LevelDB that Sluice's journal runs on: leveldbjni 1.8's own JNI sources (Maven
# Central, org.fusesource.leveldbjni:leveldbjni:1.8:zip:native-src) linked against Debian's
# LevelDB 1.23 (libleveldb-dev, static), with crc32c.cc (hardware CRC32C) in front of it,
# table_reads.cc (table files read with pread, not mapped) and
# Debian's libsnappy.so.1 beside it. Run by the persistence module's build (generate-resources);
# the result goes into the module's jar, where LevelDbLibrary finds it at run time.
#
# Why: the LevelDB inside leveldbjni-all 1.8 writes its log and table files through mmap (a page
# fault and a zero-filled page for every 4 KiB written) and checksums in software; LevelDB 1.23
# writes with write(). Same Java API, same file format. docs/benchmarks.md has the figures.
#
# Usage: build.sh WORK_DIR OUT_DIR JAVA_HOME MODE
#   WORK_DIR  holds leveldbjni-1.8-native-src.zip (copied there by Maven); scratch space
#   OUT_DIR   where libleveldbjni.so, libsnappy.so.1 and build-info.properties go
#   MODE      auto: build it, or warn and leave OUT_DIR empty if this machine cannot
#             required: the same, but failing the build instead of warning
#             off: build nothing (nodes then run leveldbjni's bundled LevelDB 1.8)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
WORK=${1:?WORK_DIR}
OUT=${2:?OUT_DIR}
JDK=${3:?JAVA_HOME}
MODE=${4:-auto}

say() { echo "[sluice-leveldb] $*"; }
cannot() {
  rm -rf "$OUT"
  if [ "$MODE" = required ]; then
    echo "[ERROR] [sluice-leveldb] cannot build Sluice's LevelDB: $*" >&2
    exit 1
  fi
  say "WARNING: not building Sluice's LevelDB: $*."
  say "WARNING: nodes built here run the LevelDB bundled in leveldbjni-all 1.8 (it writes through mmap: slower"
  say "WARNING: and more CPU per MB produced). -Dsluice.leveldb.native=required turns this into a build failure."
  exit 0
}

case "$MODE" in
  auto|required) ;;
  off) rm -rf "$OUT"; say "not built (-Dsluice.leveldb.native=off)"; exit 0 ;;
  *) echo "[ERROR] [sluice-leveldb] sluice.leveldb.native must be auto, required or off, not '$MODE'" >&2; exit 1 ;;
esac
[ "$(uname -s)/$(uname -m)" = Linux/x86_64 ] || cannot "it is built for Linux x86_64 only, this is $(uname -s) $(uname -m)"
for tool in gcc g++ apt-get dpkg-deb unzip sha256sum; do
  command -v "$tool" >/dev/null || cannot "$tool is not installed"
done
[ -f "$JDK/include/jni.h" ] || cannot "no jni.h under $JDK/include (build with a JDK)"
ZIP=$(compgen -G "$WORK/leveldbjni-*-native-src.zip" | head -n 1) || cannot "leveldbjni's native sources are missing in $WORK"

# Up to date: same inputs, same output. Then nothing is downloaded or compiled.
KEY=$(cat "$HERE/build.sh" "$HERE/crc32c.cc" "$HERE/table_reads.cc" "$ZIP" | sha256sum | cut -c1-16)
if [ -f "$OUT/libleveldbjni.so" ] && [ -f "$OUT/libsnappy.so.1" ] && [ "$(cat "$WORK/built.key" 2>/dev/null)" = "$KEY" ]; then
  say "up to date: $OUT"
  exit 0
fi

rm -rf "$WORK/debs" "$WORK/root" "$WORK/src" "$WORK/obj" "$OUT" "$WORK/built.key"
mkdir -p "$WORK/debs" "$WORK/root" "$WORK/src" "$WORK/obj" "$OUT"

# Debian's packages, downloaded (not installed: no root needed) and unpacked here.
say "downloading Debian's libleveldb-dev and libsnappy1v5 (apt-get download)"
if ! (cd "$WORK/debs" && apt-get download libleveldb-dev libsnappy1v5) > "$WORK/apt.log" 2>&1; then
  sed 's/^/[sluice-leveldb]   /' "$WORK/apt.log"
  cannot "apt-get download failed (output above)"
fi
for deb in "$WORK"/debs/*.deb; do dpkg-deb -x "$deb" "$WORK/root"; done
LEVELDB_VERSION=$(dpkg-deb -f "$WORK"/debs/libleveldb-dev_*.deb Version)
SNAPPY_VERSION=$(dpkg-deb -f "$WORK"/debs/libsnappy1v5_*.deb Version)
case "$LEVELDB_VERSION" in
  1.2[0-9]*) ;;
  *) cannot "libleveldb-dev $LEVELDB_VERSION is not a LevelDB 1.2x this build knows" ;;
esac
LIB=$WORK/root/usr/lib/x86_64-linux-gnu
[ -f "$LIB/libleveldb.a" ] && [ -f "$WORK/root/usr/include/leveldb/db.h" ] || cannot "libleveldb-dev has no libleveldb.a or headers"
cp -L "$LIB/libsnappy.so.1" "$OUT/libsnappy.so.1"

unzip -q -o "$ZIP" -d "$WORK/src"
SRC=$(compgen -G "$WORK/src/leveldbjni-*-native-src/src" | head -n 1) || cannot "unexpected layout of $ZIP"
# fusesource's LevelDB fork had DB::SuspendCompactions/ResumeCompactions; stock LevelDB has not
# (Sluice never calls them): they become no-ops.
sed -i -E 's/\(\(leveldb::DB \*\)\(intptr_t\)arg0\)->(Suspend|Resume)Compactions\(\);/(void)arg0;/' "$SRC/leveldbjni.cpp"
if grep -qE '(Suspend|Resume)Compactions\(\);' "$SRC/leveldbjni.cpp"; then cannot "leveldbjni.cpp changed: the compaction patch no longer applies"; fi
# what the glue's autoconf would find on any Linux
printf '#define HAVE_%s 1\n' DLFCN_H INTTYPES_H MEMORY_H PTHREAD_H STDINT_H STDLIB_H STRINGS_H \
  STRING_H SYS_ERRNO_H SYS_STAT_H SYS_TYPES_H UNISTD_H JNI_H > "$SRC/config.h"

say "compiling leveldbjni 1.8's JNI part against LevelDB $LEVELDB_VERSION"
FLAGS=(-O2 -fPIC -DHAVE_CONFIG_H -I"$SRC" -I"$WORK/root/usr/include" -I"$JDK/include" -I"$JDK/include/linux")
OBJ=$WORK/obj
g++ "${FLAGS[@]}" -c "$HERE/crc32c.cc" -o "$OBJ/crc32c.o"
g++ "${FLAGS[@]}" -c "$HERE/table_reads.cc" -o "$OBJ/table_reads.o"
g++ "${FLAGS[@]}" -c "$SRC/leveldbjni.cpp" -o "$OBJ/leveldbjni.o"
g++ "${FLAGS[@]}" -c "$SRC/leveldbjni_stats.cpp" -o "$OBJ/leveldbjni_stats.o"
# the generated accessors read Slice's fields, which the fork had made public; same layout
g++ "${FLAGS[@]}" -Dprivate=public -c "$SRC/leveldbjni_structs.cpp" -o "$OBJ/leveldbjni_structs.o"
gcc "${FLAGS[@]}" -c "$SRC/hawtjni.c" -o "$OBJ/hawtjni.o"
gcc "${FLAGS[@]}" -c "$SRC/buffer.c" -o "$OBJ/buffer.o"
# crc32c.o comes before the archive, so the archive's own crc32c member is never linked;
# libstdc++ is linked in, snappy is found beside the library ($ORIGIN)
g++ -shared -o "$OUT/libleveldbjni.so" "$OBJ"/*.o "$LIB/libleveldb.a" -L"$OUT" -l:libsnappy.so.1 \
  -Wl,-rpath,'$ORIGIN' -Wl,--no-undefined -static-libstdc++ -static-libgcc -lpthread
if nm -C "$OUT/libleveldbjni.so" 2>/dev/null | grep -q 'kStrideExtensionTable'; then
  cannot "the archive's software CRC32C was linked instead of crc32c.cc"
fi

cat > "$OUT/build-info.properties" <<INFO
# Written by persistence/src/main/native/leveldb/build.sh
leveldb=$LEVELDB_VERSION
snappy=$SNAPPY_VERSION
glue=$(basename "$ZIP" -native-src.zip)
crc32c=sse4.2 where the CPU has it, else a table
table-reads=pread
INFO
echo "$KEY" > "$WORK/built.key"
say "built $OUT/libleveldbjni.so (LevelDB $LEVELDB_VERSION, snappy $SNAPPY_VERSION)"
