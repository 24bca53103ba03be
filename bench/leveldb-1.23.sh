#!/usr/bin/env bash
# bench/leveldb-1.23.sh: an experiment, not Sluice's default. Builds leveldbjni 1.8's JNI glue
# against Debian's LevelDB 1.23 (libleveldb-dev) instead of the LevelDB bundled in
# leveldbjni-all 1.8, so a node can be measured on a LevelDB that writes with write() rather
# than through mmap. See bench/README.md ("LevelDB 1.23 experiment") and docs/benchmarks.md.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"   # TARGET, JAVA, die, log
OUT=$TARGET/leveldb-1.23
ARTIFACT=org.fusesource.leveldbjni:leveldbjni:1.8:zip:native-src   # the glue's C/C++ sources

case "${1:-}" in
  -h|--help)
    cat <<'EOF'
Usage: bench/leveldb-1.23.sh

Builds bench/target/leveldb-1.23/libleveldbjni.so: leveldbjni 1.8's JNI sources (Maven Central,
org.fusesource.leveldbjni:leveldbjni:1.8:zip:native-src) compiled against the system's LevelDB
(Debian: apt-get install libleveldb-dev; a C++ compiler). Two calls that stock LevelDB lacks
(DB::SuspendCompactions/ResumeCompactions, which Sluice never calls) become no-ops.

Use it by pointing hawtjni's loader at the directory, e.g.
  SLUICE_JAVA_OPTS="-Xmx1g -XX:+UseG1GC -Dlibrary.leveldbjni.path=bench/target/leveldb-1.23" \
    cluster-config/bin/sluice node --data-dir /tmp/sluice-ldb123
  bench/compare.sh --sluice-opts "-Dlibrary.leveldbjni.path=$PWD/bench/target/leveldb-1.23"
The node then links /usr/lib/.../libleveldb.so (LevelDB 1.23). Data written by either LevelDB
is readable by the other (same file format); keep experiments on their own data directory.
EOF
    exit 0 ;;
  "") ;;
  *) die "unknown option $1 (see --help)" ;;
esac

command -v g++ >/dev/null || die "needs a C++ compiler (Debian: apt-get install g++)"
[ -f /usr/include/leveldb/db.h ] || die "needs LevelDB's headers and library (Debian: apt-get install libleveldb-dev)"
JAVA_BIN=$(readlink -f "$(command -v "$JAVA")")
JDK=$(dirname "$(dirname "$JAVA_BIN")")
[ -f "$JDK/include/jni.h" ] || die "no jni.h under $JDK/include (set JAVA_HOME to a JDK)"

mkdir -p "$OUT"
log "fetching $ARTIFACT"
mvn -q -B dependency:copy -Dartifact="$ARTIFACT" -DoutputDirectory="$OUT" >&2 || die "fetching $ARTIFACT failed"
rm -rf "$OUT/src-tree"; mkdir -p "$OUT/src-tree"
unzip -q -o "$OUT/leveldbjni-1.8-native-src.zip" -d "$OUT/src-tree"
SRC=$(echo "$OUT"/src-tree/leveldbjni-*-native-src/src)
[ -f "$SRC/leveldbjni.cpp" ] || die "unexpected layout of the native sources in $OUT/src-tree"

# fusesource's LevelDB fork had DB::SuspendCompactions/ResumeCompactions; stock LevelDB has not
sed -i -E 's/\(\(leveldb::DB \*\)\(intptr_t\)arg0\)->(Suspend|Resume)Compactions\(\);/(void)arg0;/' "$SRC/leveldbjni.cpp"
if grep -qE '(Suspend|Resume)Compactions\(\);' "$SRC/leveldbjni.cpp"; then die "could not patch leveldbjni.cpp"; fi
# what the glue's autoconf would find on any Linux
printf '#define HAVE_%s 1\n' DLFCN_H INTTYPES_H MEMORY_H PTHREAD_H STDINT_H STDLIB_H STRINGS_H \
  STRING_H SYS_ERRNO_H SYS_STAT_H SYS_TYPES_H UNISTD_H JNI_H > "$SRC/config.h"

log "compiling against $(dpkg-query -W -f '${Package} ${Version}' libleveldb-dev 2>/dev/null || echo 'the system LevelDB')"
FLAGS=(-O2 -fPIC -DHAVE_CONFIG_H -I"$SRC" -I"$JDK/include" -I"$JDK/include/linux")
OBJ=$OUT/obj; rm -rf "$OBJ"; mkdir -p "$OBJ"
g++ "${FLAGS[@]}" -c "$SRC/leveldbjni.cpp" -o "$OBJ/leveldbjni.o"
g++ "${FLAGS[@]}" -c "$SRC/leveldbjni_stats.cpp" -o "$OBJ/leveldbjni_stats.o"
# the generated struct accessors read Slice's fields, which the fork had made public; the layout
# is the same in stock LevelDB
g++ "${FLAGS[@]}" -Dprivate=public -c "$SRC/leveldbjni_structs.cpp" -o "$OBJ/leveldbjni_structs.o"
gcc "${FLAGS[@]}" -c "$SRC/hawtjni.c" -o "$OBJ/hawtjni.o"
gcc "${FLAGS[@]}" -c "$SRC/buffer.c" -o "$OBJ/buffer.o"
g++ -shared -o "$OUT/libleveldbjni.so" "$OBJ"/*.o -lleveldb
log "built $OUT/libleveldbjni.so; use it with -Dlibrary.leveldbjni.path=$OUT"
