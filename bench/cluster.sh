#!/usr/bin/env bash
# bench/cluster.sh: aggregate produce throughput of a local 3-node Sluice cluster versus one
# node, with the same client (Kafka's ProducerPerformance, 6 partitions x 1 KB, acks=1),
# alternating 1-node and 3-node runs. On one small machine every node shares the same cores, so
# this measures the cost of spreading partitions over nodes (cluster traffic, more JVMs), not
# scaling. Usage: bench/cluster.sh [--records N] [--runs R] [--nodes N]
#        bench/cluster.sh --move-mb M: time moving a partition of M MB (1 KB records) from one
#        node of a 2-node cluster to the other with kafka-reassign-partitions (copy and switch).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"   # ROOT_DIR, TARGET, KAFKA_*, SLUICE_BIN/LIB, JAVA, die, log, ensure_*

RECORDS=300000
RUNS=2
NODES=3
MOVE_MB=""
while [ $# -gt 0 ]; do
  case $1 in
    --move-mb) MOVE_MB=$2; shift 2 ;;
    --records) RECORDS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --nodes) NODES=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "cluster.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ $RECORDS =~ ^[0-9]+$ && $RUNS =~ ^[0-9]+$ && $NODES =~ ^[0-9]+$ && $NODES -ge 2 ]] \
  || { echo "cluster.sh: --records, --runs need numbers, --nodes at least 2" >&2; exit 2; }

ensure_kafka_lib
ensure_sluice_build

STAMP=$(date +%Y%m%d-%H%M%S)
WORK=$TARGET/cluster-runs/$STAMP
mkdir -p "$WORK"
RESULTS=$TARGET/cluster-results-$STAMP.txt
KAFKA_BASE=39092
CLUSTER_BASE=45520
export SLUICE_JAVA_OPTS="-Xmx1G -XX:+UseG1GC"
CURRENT=""

cleanup() {
  if [ -n "$CURRENT" ]; then
    "$SLUICE_BIN" cluster stop --base-dir "$CURRENT" --timeout 60 >&2 || true
  fi
}
trap cleanup EXIT

kafka_java() { "$JAVA" -Xmx512M -Dlog4j2.configurationFile="$LOG4J_CONF" -cp "$KAFKA_LIB/*" "$@"; }

one_run() {   # run nodes
  local run=$1 n=$2 base=$WORK/r$1-n$2 bootstrap="" k out line
  for (( k = 0; k < n; k++ )); do bootstrap+="${bootstrap:+,}127.0.0.1:$((KAFKA_BASE + k))"; done
  log "run $run: $n node(s)"
  CURRENT=$base
  "$SLUICE_BIN" cluster start --nodes "$n" --base-dir "$base" --kafka-base-port "$KAFKA_BASE" \
    --cluster-base-port "$CLUSTER_BASE" --timeout 180 > "$base.start.log" 2>&1 \
    || { cat "$base.start.log" >&2; echo "cluster.sh: the $n-node cluster did not start" >&2; exit 1; }
  kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" --create --topic bench \
    --partitions 6 --replication-factor 1 > "$base.topic.log" 2>&1
  out=$base.producer.log
  kafka_java org.apache.kafka.tools.ProducerPerformance --bootstrap-server "$bootstrap" --topic bench \
    --num-records "$RECORDS" --record-size 1000 --throughput -1 --command-property acks=1 linger.ms=5 > "$out" 2>&1 || true
  line=$(grep -E 'records sent, .* 99\.9th' "$out" | tail -n 1 || true)
  "$SLUICE_BIN" cluster stop --base-dir "$base" --timeout 60 > "$base.stop.log" 2>&1 || true
  CURRENT=""
  rm -rf "$base"/node*/data
  if [[ $line =~ ^([0-9]+)\ records\ sent,\ ([0-9.]+)\ records/sec\ \(([0-9.]+)\ MB/sec\).*\ ([0-9]+)\ ms\ 99th ]] \
     && [ "${BASH_REMATCH[1]}" = "$RECORDS" ]; then
    printf 'CLUSTER-BENCH run=%s nodes=%s records=%s records_per_s=%.0f mb_per_s=%.2f p99_ms=%s\n' \
      "$run" "$n" "$RECORDS" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}" "${BASH_REMATCH[4]}" | tee -a "$RESULTS"
  else
    echo "CLUSTER-BENCH run=$run nodes=$n status=failed (see $out)" | tee -a "$RESULTS"
  fi
}

now_ms() { date +%s%3N; }

# Moves a partition of MOVE_MB MB between the two nodes of a fresh 2-node cluster and reports the
# copy (from the receiving node's log line) and the whole move (from --execute until the new
# leader shows in the topic's metadata).
move_run() {
  local base=$WORK/move bootstrap="127.0.0.1:$KAFKA_BASE,127.0.0.1:$((KAFKA_BASE + 1))" from to t0 t1 copied leader i
  CURRENT=$base
  "$SLUICE_BIN" cluster start --nodes 2 --base-dir "$base" --kafka-base-port "$KAFKA_BASE" \
    --cluster-base-port "$CLUSTER_BASE" --timeout 180 > "$base.start.log" 2>&1 \
    || { cat "$base.start.log" >&2; echo "cluster.sh: the 2-node cluster did not start" >&2; exit 1; }
  kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" --create --topic moving \
    --partitions 1 --replication-factor 1 > "$base.topic.log" 2>&1
  log "filling moving-0 with $MOVE_MB MB"
  kafka_java org.apache.kafka.tools.ProducerPerformance --bootstrap-server "$bootstrap" --topic moving \
    --num-records "$((MOVE_MB * 1000))" --record-size 1000 --throughput -1 --command-property acks=1 linger.ms=5 > "$base.fill.log" 2>&1
  leader_of() { kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" --describe --topic moving 2>/dev/null \
    | sed -n 's/.*Partition: 0.*Leader: \([0-9-]*\).*/\1/p'; }
  from=$(leader_of); to=$(( from == 1 ? 2 : 1 ))
  echo "{\"version\":1,\"partitions\":[{\"topic\":\"moving\",\"partition\":0,\"replicas\":[$to]}]}" > "$base.move.json"
  log "moving moving-0 from node $from to node $to"
  t0=$(now_ms)
  kafka_java org.apache.kafka.tools.reassign.ReassignPartitionsCommand --bootstrap-server "$bootstrap" \
    --reassignment-json-file "$base.move.json" --execute > "$base.execute.log" 2>&1
  for (( i = 0; i < 600; i++ )); do
    leader=$(leader_of)
    [ "$leader" = "$to" ] && break
    sleep 0.2
  done
  t1=$(now_ms)
  copied=$(grep -h 'Copied sluice-partition|moving-0' "$base/node$to/node.log" | tail -n 1 || true)
  "$SLUICE_BIN" cluster stop --base-dir "$base" --timeout 60 > "$base.stop.log" 2>&1 || true
  CURRENT=""
  rm -rf "$base"/node*/data
  if [ "$leader" = "$to" ] && [[ $copied =~ ([0-9]+)\ entries,\ ([0-9]+)\ bytes\ in\ ([0-9]+)\ ms ]]; then
    awk -v b="${BASH_REMATCH[2]}" -v e="${BASH_REMATCH[1]}" -v c="${BASH_REMATCH[3]}" -v t=$((t1 - t0)) \
      'BEGIN { printf "MOVE-BENCH bytes=%d entries=%d copy_ms=%d copy_mb_per_s=%.1f move_ms=%d\n", b, e, c, (b / 1048576) / (c > 0 ? c / 1000 : 0.001), t }' \
      | tee -a "$RESULTS"
  else
    echo "MOVE-BENCH status=failed leader=$leader (see $base.*.log and $base/node$to/node.log)" | tee -a "$RESULTS"
  fi
}

if [ -n "$MOVE_MB" ]; then
  [[ $MOVE_MB =~ ^[0-9]+$ ]] || { echo "cluster.sh: --move-mb needs a number" >&2; exit 2; }
  move_run
  log "results: ${RESULTS#"$ROOT_DIR"/}"
  exit 0
fi

log "$RUNS run(s) of $RECORDS x 1 KB records, 6 partitions, acks=1; 1 node, then $NODES nodes, alternating"
for (( r = 1; r <= RUNS; r++ )); do
  one_run "$r" 1
  one_run "$r" "$NODES"
done

awk -v nodes="$NODES" '
  /^CLUSTER-BENCH/ && /records_per_s=/ {
    n = ""; rps = ""
    for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "nodes") n = kv[2]; if (kv[1] == "records_per_s") rps = kv[2] }
    v[n, ++c[n]] = rps
  }
  function median(n,   i, j, t, k) {
    k = c[n]; for (i = 1; i <= k; i++) a[i] = v[n, i]
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
  }
  END {
    if (c[1] && c[nodes]) {
      m1 = median(1); mn = median(nodes)
      printf "CLUSTER-BENCH median nodes=1 records_per_s=%.0f\n", m1
      printf "CLUSTER-BENCH median nodes=%s records_per_s=%.0f\n", nodes, mn
      printf "CLUSTER-BENCH ratio %s-node/1-node=%.2f\n", nodes, mn / m1
    }
  }' "$RESULTS" | tee -a "$RESULTS"
log "results: ${RESULTS#"$ROOT_DIR"/}"
