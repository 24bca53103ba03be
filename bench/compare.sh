#!/usr/bin/env bash
# bench/compare.sh: Apache Kafka 4.3.1 and Sluice side by side on this machine, measured with
# Kafka's own perf tools (ProducerPerformance, ConsumerPerformance, EndToEndLatency).
# See bench/README.md; `bench/compare.sh --help` lists the options.
set -euo pipefail

# ---------------------------------------------------------------------------------------------
# Paths (everything is resolved from this script's location, so any working directory works)
# ---------------------------------------------------------------------------------------------
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"   # ROOT_DIR, TARGET, KAFKA_*, SLUICE_BIN/LIB, JAVA, die, log, ensure_*
KAFKA_DATA=$TARGET/kafka-data
SLUICE_DATA=$TARGET/sluice-data

KAFKA_PORT=19092
KAFKA_CONTROLLER_PORT=19093
SLUICE_PORT=29092

SCENARIOS=(p1-100B-acks1 p1-100B-acksall p6-1000B-acks1 cons-p1-100B cons-p6-1000B e2e-100B-acks1)

# JVM flags of Kafka's bin/kafka-run-class.sh (KAFKA_JVM_PERFORMANCE_OPTS)
PERF_FLAGS=(-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
            -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true)
KAFKA_HEAP=(-Xmx1G -Xms1G)                       # bin/kafka-server-start.sh
CLIENT_HEAP=(-Xmx512M)                           # bin/kafka-*-perf-test.sh
SLUICE_OPTS="-Xmx1G -Xms1G -XX:+UseG1GC"         # same heap as the Kafka broker

usage() {
  cat <<'EOF'
Usage: bench/compare.sh [options]

Starts Apache Kafka 4.3.1 (single KRaft node, 127.0.0.1:19092) and Sluice (127.0.0.1:29092)
side by side, runs the same Kafka perf-tool commands against each (alternating: kafka run 1,
sluice run 1, kafka run 2, ...), and prints per-run lines plus a median/range summary and a
sluice/kafka ratio line per scenario. Everything it writes goes to bench/target/.

Options:
  --runs N              measured repetitions per broker (default 5)
  --records N           records per producer/consumer run (default 1000000)
  --e2e-records N       EndToEndLatency records (default records/100, at least 1000, at most 10000)
  --only S1[,S2...]     run only these scenarios (default: all):
                          p1-100B-acks1 p1-100B-acksall p6-1000B-acks1
                          cons-p1-100B cons-p6-1000B e2e-100B-acks1
                        (a consumer scenario alone still fills its topic first, unmeasured)
  --brokers B1[,B2]     kafka, sluice or both (default kafka,sluice)
  --no-warmup           skip the warm-up pass (default: one unmeasured pass per broker, as
                        large as a measured one)
  --warmup-records N    records of the warm-up pass
  --tool-timeout S      kill a perf-tool run after S seconds (default 120 + records/2000)
  --keep-data           keep bench/target/{kafka,sluice}-data after the run (default: deleted)
  --sluice-opts "OPTS"  more JVM options for the Sluice node, after its heap and GC flags
                        (e.g. -Dsluice.leveldb.bundled=true: leveldbjni's bundled LevelDB)
  -h, --help            this text

Example (smoke run, about 1 minute):   bench/compare.sh --records 20000 --runs 1
EOF
}

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
contains() { local x=$1; shift; local y; for y in "$@"; do [ "$x" = "$y" ] && return 0; done; return 1; }

# ---------------------------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------------------------
RUNS=5 RECORDS=1000000 E2E_RECORDS="" WARMUP=1 WARMUP_RECORDS="" ONLY="" BROKER_LIST="kafka,sluice"
TOOL_TIMEOUT="" KEEP_DATA=0
while [ $# -gt 0 ]; do
  opt=$1 val=""
  case "$opt" in
    --*=*) val=${opt#*=}; opt=${opt%%=*} ;;
  esac
  shift_extra=0
  case "$opt" in
    --runs|--records|--e2e-records|--only|--brokers|--warmup-records|--tool-timeout|--sluice-opts)
      if [ -z "$val" ]; then
        [ $# -ge 2 ] || die "option $opt needs a value (try --help)"
        val=$2; shift_extra=1
      fi ;;
  esac
  case "$opt" in
    --runs) RUNS=$val ;;
    --records) RECORDS=$val ;;
    --e2e-records) E2E_RECORDS=$val ;;
    --only) ONLY=$val ;;
    --brokers) BROKER_LIST=$val ;;
    --warmup-records) WARMUP_RECORDS=$val ;;
    --tool-timeout) TOOL_TIMEOUT=$val ;;
    --sluice-opts) SLUICE_OPTS="$SLUICE_OPTS $val" ;;
    --no-warmup) WARMUP=0 ;;
    --keep-data) KEEP_DATA=1 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1' (try --help)" ;;
  esac
  shift; if [ "$shift_extra" = 1 ]; then shift; fi
done

is_uint "$RUNS" && [ "$RUNS" -ge 1 ] || die "--runs needs a whole number >= 1"
is_uint "$RECORDS" && [ "$RECORDS" -ge 1 ] || die "--records needs a whole number >= 1"
if [ -z "$E2E_RECORDS" ]; then
  E2E_RECORDS=$(( RECORDS / 100 )); (( E2E_RECORDS < 1000 )) && E2E_RECORDS=1000; (( E2E_RECORDS > 10000 )) && E2E_RECORDS=10000
fi
is_uint "$E2E_RECORDS" && [ "$E2E_RECORDS" -ge 1 ] || die "--e2e-records needs a whole number >= 1"
# As large as a measured pass: after 200,000 records both brokers were still compiling hot code
# through the first measured run (Sluice's 1 KB consumer used twice the CPU of later runs).
[ -n "$WARMUP_RECORDS" ] || WARMUP_RECORDS=$RECORDS
is_uint "$WARMUP_RECORDS" && [ "$WARMUP_RECORDS" -ge 1 ] || die "--warmup-records needs a whole number >= 1"
WARMUP_E2E_RECORDS=$E2E_RECORDS
[ -n "$TOOL_TIMEOUT" ] || TOOL_TIMEOUT=$(( 120 + RECORDS / 2000 ))
is_uint "$TOOL_TIMEOUT" && [ "$TOOL_TIMEOUT" -ge 10 ] || die "--tool-timeout needs a whole number of seconds >= 10"

SELECTED=()
if [ -z "$ONLY" ]; then
  SELECTED=("${SCENARIOS[@]}")
else
  IFS=, read -r -a wanted <<< "$ONLY"
  for s in "${wanted[@]}"; do contains "$s" "${SCENARIOS[@]}" || die "unknown scenario '$s' (known: ${SCENARIOS[*]})"; done
  for s in "${SCENARIOS[@]}"; do contains "$s" "${wanted[@]}" && SELECTED+=("$s"); done
fi
BROKERS=()
IFS=, read -r -a wanted <<< "$BROKER_LIST"
for b in "${wanted[@]}"; do contains "$b" kafka sluice || die "unknown broker '$b' (kafka or sluice)"; done
for b in kafka sluice; do contains "$b" "${wanted[@]}" && BROKERS+=("$b"); done   # Kafka first: the reference
[ ${#BROKERS[@]} -ge 1 ] || die "--brokers needs kafka, sluice or both"
selected() { contains "$1" "${SELECTED[@]}"; }

command -v python3 >/dev/null || die "python3 is needed for the summary"
command -v timeout >/dev/null || die "coreutils 'timeout' is needed"

# ---------------------------------------------------------------------------------------------
# Run directory, results file, cleanup
# ---------------------------------------------------------------------------------------------
STAMP=$(date +%Y%m%d-%H%M%S)
mkdir -p "$TARGET"
RUN_DIR=$TARGET/runs/$STAMP
while [ -e "$RUN_DIR" ]; do sleep 1; STAMP=$(date +%Y%m%d-%H%M%S); RUN_DIR=$TARGET/runs/$STAMP; done
mkdir -p "$RUN_DIR"
RESULTS=$TARGET/results-$STAMP.txt
: > "$RESULTS"
T_START=$(date +%s)
CLK_TCK=$(getconf CLK_TCK)

declare -A BROKER_PID=()
TOOL_PID=""
declare -A BROKER_PORT=([kafka]=$KAFKA_PORT [sluice]=$SLUICE_PORT)
declare -A BROKER_LOG=([kafka]=$RUN_DIR/kafka.log [sluice]=$RUN_DIR/sluice.log)

emit() { printf '%s\n' "$*" | tee -a "$RESULTS"; }

stop_broker() {   # name: SIGTERM the PID this script started, SIGKILL after 60 s
  local name=$1 pid=${BROKER_PID[$1]:-} i
  [ -n "$pid" ] || return 0
  unset "BROKER_PID[$name]"
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $name (pid $pid, SIGTERM)"
    kill -TERM "$pid" 2>/dev/null || true
    for (( i = 0; i < 120; i++ )); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) still running after 60 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$TOOL_PID" ] && kill -0 "$TOOL_PID" 2>/dev/null; then
    log "stopping the running perf tool (pid $TOOL_PID)"
    kill -TERM "$TOOL_PID" 2>/dev/null || true   # timeout(1) passes it on to the JVM
    wait "$TOOL_PID" 2>/dev/null || true
  fi
  stop_broker sluice
  stop_broker kafka
  if [ "$KEEP_DATA" = 0 ]; then rm -rf "$KAFKA_DATA" "$SLUICE_DATA"; fi
  [ "$rc" = 0 ] || log "exiting with status $rc (logs: $RUN_DIR)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# /proc measurements
# ---------------------------------------------------------------------------------------------
proc_ticks() {   # pid -> utime+stime in clock ticks (fields 14 and 15 of /proc/PID/stat)
  local line f
  line=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  read -r -a f <<< "${line##*) }"          # fields after "pid (comm) ": f[0] is field 3
  echo $(( f[11] + f[12] ))
}
host_busy_ticks() {   # all CPUs: user+nice+system+irq+softirq
  local cpu user nice system idle iowait irq softirq rest
  read -r cpu user nice system idle iowait irq softirq rest < /proc/stat
  echo $(( user + nice + system + irq + softirq ))
}
proc_status_mb() {   # pid field (VmHWM | VmRSS) -> MiB
  awk -v k="$2:" '$1 == k { printf "%.0f", $2 / 1024; found = 1 } END { if (!found) printf "0" }' "/proc/$1/status" 2>/dev/null || echo 0
}

# java with the Kafka tools classpath and logging (used for StorageTool, TopicCommand, perf tools)
kafka_java() { "$JAVA" "${CLIENT_HEAP[@]}" "${PERF_FLAGS[@]}" -Dlog4j2.configurationFile="$LOG4J_CONF" -cp "$KAFKA_LIB/*" "$@"; }

wait_ready() {   # name pid logfile pattern seconds
  local name=$1 pid=$2 file=$3 pattern=$4 secs=$5 i
  for (( i = 0; i < secs * 2; i++ )); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$name exited during start-up; last lines of $file:"; tail -n 30 "$file" >&2 || true
      die "$name did not start"
    fi
    if grep -q "$pattern" "$file" 2>/dev/null; then
      log "$name ready (pid $pid) after ~$(( i / 2 )) s"; return 0
    fi
    sleep 0.5
  done
  log "$name not ready after $secs s; last lines of $file:"; tail -n 30 "$file" >&2 || true
  die "$name did not become ready"
}

start_kafka() {
  local props=$RUN_DIR/kafka-server.properties cluster_id
  rm -rf "$KAFKA_DATA"; mkdir -p "$KAFKA_DATA"
  # Only what a one-node KRaft broker needs; everything else stays at Kafka's defaults (which
  # equal the stock config/server.properties: 3 network / 8 I/O threads, 1 GiB segments, no
  # per-message fsync).
  cat > "$props" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$KAFKA_DATA
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
  log "formatting Kafka storage in ${KAFKA_DATA#"$ROOT_DIR"/}"
  cluster_id=$(timeout 60 "$JAVA" -Dlog4j2.configurationFile="$LOG4J_CONF" -cp "$KAFKA_LIB/*" \
                 kafka.tools.StorageTool random-uuid 2>>"$RUN_DIR/kafka-format.log") || die "StorageTool random-uuid failed"
  timeout 120 "$JAVA" -Dlog4j2.configurationFile="$LOG4J_CONF" -cp "$KAFKA_LIB/*" \
    kafka.tools.StorageTool format -t "$cluster_id" -c "$props" >>"$RUN_DIR/kafka-format.log" 2>&1 \
    || { cat "$RUN_DIR/kafka-format.log" >&2; die "StorageTool format failed"; }
  log "starting Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT (controller :$KAFKA_CONTROLLER_PORT)"
  "$JAVA" "${KAFKA_HEAP[@]}" "${PERF_FLAGS[@]}" -Dlog4j2.configurationFile="$LOG4J_CONF" \
    -cp "$KAFKA_LIB/*" kafka.Kafka "$props" > "${BROKER_LOG[kafka]}" 2>&1 < /dev/null &
  BROKER_PID[kafka]=$!
  wait_ready kafka "${BROKER_PID[kafka]}" "${BROKER_LOG[kafka]}" 'Kafka Server started' 120
}

start_sluice() {
  rm -rf "$SLUICE_DATA"
  log "starting Sluice on 127.0.0.1:$SLUICE_PORT (SLUICE_JAVA_OPTS=\"$SLUICE_OPTS\")"
  SLUICE_JAVA_OPTS=$SLUICE_OPTS "$SLUICE_BIN" node --data-dir "$SLUICE_DATA" --kafka-port "$SLUICE_PORT" \
    --cluster-port 0 > "${BROKER_LOG[sluice]}" 2>&1 < /dev/null &
  BROKER_PID[sluice]=$!   # the launcher exec's java, so this is the JVM's PID
  wait_ready sluice "${BROKER_PID[sluice]}" "${BROKER_LOG[sluice]}" 'Kafka gateway listening on' 120
}

# ---------------------------------------------------------------------------------------------
# One perf-tool run: measured with /proc before/after, parsed into one key=value line
# ---------------------------------------------------------------------------------------------
# The shell's reaped children's user+sys CPU in ms (bash `times`, second line), into CHILD_MS.
# Pure bash, so the measurement itself forks nothing.
CHILD_MS=0
child_cpu_ms() {
  local u s x m sec total=0
  times > "$RUN_DIR/.times"
  { read -r u s; read -r u s; } < "$RUN_DIR/.times"
  for x in "$u" "$s"; do           # "1m2.345s" -> 62345 ms
    m=${x%%m*} sec=${x#*m}; sec=${sec%s}
    total=$(( total + 10#$m * 60000 + 10#${sec%.*} * 1000 + 10#${sec#*.} ))
  done
  CHILD_MS=$total
}

# Globals set by measure(): M_RC M_WALL M_CLIENT_CPU M_BROKER_CPU M_OTHER_CPU M_RSS_PEAK M_RSS_NOW
# M_RSS_ANON M_RSS_FILE M_OUT M_ERR
measure() {   # broker file-stem class args...
  local broker=$1 stem=$2 cls=$3; shift 3
  local pid=${BROKER_PID[$broker]} p0 p1 h0 h1 c0 c1 w0 w1
  M_OUT=$RUN_DIR/$stem.out M_ERR=$RUN_DIR/$stem.err M_RC=0
  p0=$(proc_ticks "$pid"); h0=$(host_busy_ticks)
  child_cpu_ms; c0=$CHILD_MS; w0=$EPOCHREALTIME
  # in the background + wait, so that Ctrl-C / SIGTERM reach the trap at once (cleanup stops TOOL_PID)
  timeout -k 10 "$TOOL_TIMEOUT" "$JAVA" "${CLIENT_HEAP[@]}" "${PERF_FLAGS[@]}" \
    -Dlog4j2.configurationFile="$LOG4J_CONF" -cp "$KAFKA_LIB/*" "$cls" "$@" > "$M_OUT" 2> "$M_ERR" < /dev/null &
  TOOL_PID=$!
  wait "$TOOL_PID" || M_RC=$?
  TOOL_PID=""
  w1=$EPOCHREALTIME; child_cpu_ms; c1=$CHILD_MS
  p1=$(proc_ticks "$pid"); h1=$(host_busy_ticks)
  M_RSS_PEAK=$(proc_status_mb "$pid" VmHWM); M_RSS_NOW=$(proc_status_mb "$pid" VmRSS)
  # what RSS is made of now: anonymous memory (heap, native) and mapped files (page cache)
  M_RSS_ANON=$(proc_status_mb "$pid" RssAnon); M_RSS_FILE=$(proc_status_mb "$pid" RssFile)
  read -r M_WALL M_CLIENT_CPU M_BROKER_CPU M_OTHER_CPU < <(awk -v w0="$w0" -v w1="$w1" -v c=$(( c1 - c0 )) \
      -v p=$(( p1 - p0 )) -v h=$(( h1 - h0 )) -v tck="$CLK_TCK" 'BEGIN {
        client = c / 1000; broker = p / tck; other = h / tck - broker - client
        if (other < 0) other = 0
        printf "%.2f %.2f %.2f %.2f\n", w1 - w0, client, broker, other }')
}

first_error() {   # a short token naming what went wrong in the tool's output ("" if nothing found)
  local cls api
  # prefer an uncaught exception / stack-trace head over exceptions mentioned in WARN log lines
  cls=$(grep -hoE '^(Exception in thread "[^"]*" )?([a-z0-9_]+\.)+[A-Z][A-Za-z0-9_$]*(Exception|Error)\b' "$M_ERR" "$M_OUT" 2>/dev/null \
          | head -n 1 | sed -E 's/.* //; s/.*\.//') || true
  [ -n "$cls" ] || cls=$(grep -hoE '[A-Za-z0-9_$]+(Exception|Error)\b' "$M_ERR" "$M_OUT" 2>/dev/null \
          | grep -vxE 'ERROR|Error' | head -n 1) || true
  api=$(grep -hoE 'does not support [A-Z_]+' "$M_ERR" "$M_OUT" 2>/dev/null | head -n 1 | sed 's/.* //') || true
  printf '%s%s' "$cls" "${api:+($api)}"
}

record_failure() {   # run broker scenario reason
  local run=$1 broker=$2 sc=$3 reason=$4
  emit "run=$run broker=$broker scenario=$sc status=FAILED error=$reason rc=$M_RC wall_s=${M_WALL:-0} log=${M_ERR#"$ROOT_DIR"/}"
  log "  FAILED: $reason (rc=$M_RC) — see ${M_ERR#"$ROOT_DIR"/}"
  { grep -hE '(Exception|Error)\b' "$M_ERR" 2>/dev/null | grep -vE '^\s+at ' | head -n 2 | cut -c1-200 | sed 's/^/      /'; } >&2 || true
}

common_fields() {   # mb -> the broker/client measurement fields of a run line
  awk -v mb="$1" -v w="$M_WALL" -v c="$M_CLIENT_CPU" -v b="$M_BROKER_CPU" -v o="$M_OTHER_CPU" \
      -v hwm="$M_RSS_PEAK" -v now="$M_RSS_NOW" -v anon="$M_RSS_ANON" -v file="$M_RSS_FILE" 'BEGIN {
    printf "mb=%.2f wall_s=%.2f client_cpu_s=%.2f broker_cpu_s=%.2f broker_cpu_s_per_mb=%.5f broker_rss_mb=%d broker_rss_now_mb=%d broker_rss_anon_mb=%d broker_rss_file_mb=%d other_cpu_s=%.2f",
      mb, w, c, b, (mb > 0 ? b / mb : 0), hwm, now, anon, file, o }'
}

run_producer() {   # run broker scenario topic records size acks [measured=1]
  local run=$1 broker=$2 sc=$3 topic=$4 n=$5 size=$6 acks=$7 stem="$2-r$1-$3"
  [ "${8:-1}" = 1 ] || stem="$2-r$1-fill-$4"
  measure "$broker" "$stem" org.apache.kafka.tools.ProducerPerformance \
    --bootstrap-server "127.0.0.1:${BROKER_PORT[$broker]}" --topic "$topic" \
    --num-records "$n" --record-size "$size" --throughput -1 \
    --command-property "acks=$acks" linger.ms=5
  local line re errs
  line=$(grep -E 'records sent, .* 99\.9th' "$M_OUT" | tail -n 1 || true)
  re='^([0-9]+) records sent, ([0-9.]+) records/sec \(([0-9.]+) MB/sec\), ([0-9.]+) ms avg latency, ([0-9.]+) ms max latency, ([0-9]+) ms 50th, ([0-9]+) ms 95th, ([0-9]+) ms 99th, ([0-9]+) ms 99\.9th'
  errs=$(first_error)
  if [ "${8:-1}" != 1 ]; then   # filling a topic for a consumer scenario: not reported
    [ "$M_RC" = 0 ] && [[ $line =~ $re ]] && [ "${BASH_REMATCH[1]}" = "$n" ]; return
  fi
  # failed sends are not counted in "N records sent" (the tool prints their exceptions)
  if [ "$M_RC" != 0 ] || ! [[ $line =~ $re ]] || [ "${BASH_REMATCH[1]}" != "$n" ]; then
    local why=${errs:-no-result}
    [[ $line =~ $re ]] && [ -z "$errs" ] && why=sent-${BASH_REMATCH[1]}-of-$n; [ "$M_RC" = 124 ] && why=timeout-${TOOL_TIMEOUT}s
    record_failure "$run" "$broker" "$sc" "$why"; return 1
  fi
  local rps=${BASH_REMATCH[2]} mbps=${BASH_REMATCH[3]} avg=${BASH_REMATCH[4]} max=${BASH_REMATCH[5]}
  local p50=${BASH_REMATCH[6]} p95=${BASH_REMATCH[7]} p99=${BASH_REMATCH[8]} p999=${BASH_REMATCH[9]} mb
  mb=$(awk -v n="$n" -v s="$size" 'BEGIN { printf "%.4f", n * s / 1048576 }')
  emit "run=$run broker=$broker scenario=$sc status=ok records=$n $(awk -v r="$rps" -v m="$mbps" -v a="$avg" -v x="$max" \
    'BEGIN { printf "records_per_s=%.0f mb_per_s=%.2f avg_ms=%.2f max_ms=%.0f", r, m, a, x }') p50_ms=$p50 p95_ms=$p95 p99_ms=$p99 p999_ms=$p999 $(common_fields "$mb")"
  log "  ok: $(printf '%.0f' "$rps") records/s, $mbps MB/s, p99 $p99 ms, broker $M_BROKER_CPU cpu-s"
}

run_consumer() {   # run broker scenario topic records
  local run=$1 broker=$2 sc=$3 topic=$4 n=$5 stem="$2-r$1-$3"
  measure "$broker" "$stem" org.apache.kafka.tools.ConsumerPerformance \
    --bootstrap-server "127.0.0.1:${BROKER_PORT[$broker]}" --topic "$topic" --num-records "$n" \
    --group "bench-$STAMP-$broker-r$run-$sc" --timeout 20000 --print-metrics
  # header "start.time, end.time, data.consumed.in.MB, MB.sec, ..." and one value line, then the
  # consumer's metrics (printed after the run): its fetch latency is what paces a consumer that
  # keeps one fetch in flight
  local fields
  fields=$(awk -F', *' '
    /^start\.time/ { for (i = 1; i <= NF; i++) h[i] = $i; nh = NF; getline
                     for (i = 1; i <= nh; i++) v[h[i]] = $i; got = 1 }
    END { if (got) printf "%s %s %s %s %s %s %s %s", v["data.consumed.in.nMsg"], v["nMsg.sec"], v["MB.sec"],
                          v["rebalance.time.ms"], v["fetch.time.ms"], v["fetch.nMsg.sec"], v["fetch.MB.sec"], v["data.consumed.in.MB"] }' "$M_OUT")
  local got rps mbps reb fms frps fmbps mb errs flat fetches
  read -r got rps mbps reb fms frps fmbps mb <<< "$fields" || true
  # client-wide lines only ("{client-id=...}"), not the per-topic or per-node ones
  flat=$(sed -nE 's/^consumer-fetch-manager-metrics:fetch-latency-avg:\{client-id=[^,}]*\} *: *([0-9.]+).*/\1/p' "$M_OUT" | head -n 1)
  fetches=$(sed -nE 's/^consumer-fetch-manager-metrics:fetch-total:\{client-id=[^,}]*\} *: *([0-9.]+).*/\1/p' "$M_OUT" | head -n 1)
  errs=$(first_error)
  got=${got%.*}
  if [ "$M_RC" != 0 ] || ! is_uint "${got:-x}" || [ "$got" -lt "$n" ] || grep -q 'Exiting before consuming' "$M_OUT" "$M_ERR"; then
    local why=${errs:-no-result}
    [ -z "$errs" ] && grep -q 'Exiting before consuming' "$M_OUT" "$M_ERR" && why=consumed-${got:-0}-of-$n
    [ "$M_RC" = 124 ] && why=timeout-${TOOL_TIMEOUT}s
    record_failure "$run" "$broker" "$sc" "$why"; return 1
  fi
  emit "run=$run broker=$broker scenario=$sc status=ok records=$got $(awk -v r="$rps" -v m="$mbps" -v rb="$reb" -v f="$fms" -v fr="$frps" -v fm="$fmbps" \
    'BEGIN { printf "records_per_s=%.0f mb_per_s=%.2f rebalance_ms=%.0f fetch_ms=%.0f fetch_records_per_s=%.0f fetch_mb_per_s=%.2f", r, m, rb, f, fr, fm }')${flat:+ fetch_latency_ms=$flat}${fetches:+ fetches=${fetches%.*}} $(common_fields "$mb")"
  log "  ok: $(printf '%.0f' "$rps") records/s ($(printf '%.0f' "$frps") fetch-only), join ${reb} ms, broker $M_BROKER_CPU cpu-s"
}

run_e2e() {   # run broker scenario topic records
  local run=$1 broker=$2 sc=$3 topic=$4 n=$5 stem="$2-r$1-$3"
  measure "$broker" "$stem" org.apache.kafka.tools.EndToEndLatency \
    --bootstrap-server "127.0.0.1:${BROKER_PORT[$broker]}" --topic "$topic" --num-records "$n" \
    --producer-acks 1 --record-size 100
  local avg pct re='50th = ([0-9.]+), 99th = ([0-9.]+), 99\.9th = ([0-9.]+)' errs
  avg=$(sed -nE 's/^Avg latency: ([0-9.]+) ms.*/\1/p' "$M_OUT" | tail -n 1)
  pct=$(grep '^Percentiles' "$M_OUT" | tail -n 1 || true)
  errs=$(first_error)
  if [ "$M_RC" != 0 ] || [ -z "$avg" ] || ! [[ $pct =~ $re ]]; then
    local why=${errs:-no-result}; [ "$M_RC" = 124 ] && why=timeout-${TOOL_TIMEOUT}s
    record_failure "$run" "$broker" "$sc" "$why"; return 1
  fi
  local mb; mb=$(awk -v n="$n" 'BEGIN { printf "%.4f", n * 100 / 1048576 }')
  emit "run=$run broker=$broker scenario=$sc status=ok records=$n avg_ms=$(printf '%.3f' "$avg") p50_ms=${BASH_REMATCH[1]} p99_ms=${BASH_REMATCH[2]} p999_ms=${BASH_REMATCH[3]} $(common_fields "$mb")"
  log "  ok: avg $avg ms, p99 ${BASH_REMATCH[2]} ms, broker $M_BROKER_CPU cpu-s"
}

create_topic() {   # broker topic partitions
  timeout 120 "$JAVA" "${CLIENT_HEAP[@]}" "${PERF_FLAGS[@]}" -Dlog4j2.configurationFile="$LOG4J_CONF" -cp "$KAFKA_LIB/*" \
    org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:${BROKER_PORT[$1]}" \
    --create --if-not-exists --topic "$2" --partitions "$3" --replication-factor 1 \
    >> "$RUN_DIR/$1-topics.log" 2>&1 < /dev/null
}

# ---------------------------------------------------------------------------------------------
# One pass of the selected scenarios against one broker (run 0 = warm-up, not summarised)
# ---------------------------------------------------------------------------------------------
declare -A TOPIC_OK=()
suite() {   # broker run
  local broker=$1 run=$2 n=$RECORDS e=$E2E_RECORDS label
  if [ "$run" = 0 ]; then n=$WARMUP_RECORDS e=$WARMUP_E2E_RECORDS label="warm-up"; else label="run $run/$RUNS"; fi
  local t1="bench-r$run-p1-100b-acks1" t2="bench-r$run-p1-100b-acksall" t6="bench-r$run-p6-1000b" te="bench-r$run-e2e"
  local -A need=()
  { selected p1-100B-acks1 || selected cons-p1-100B; } && need[$t1]=1
  selected p1-100B-acksall && need[$t2]=1
  { selected p6-1000B-acks1 || selected cons-p6-1000B; } && need[$t6]=1
  selected e2e-100B-acks1 && need[$te]=1
  local t parts
  for t in "$t1" "$t2" "$t6" "$te"; do
    [ -n "${need[$t]:-}" ] || continue
    parts=1; [ "$t" = "$t6" ] && parts=6
    if create_topic "$broker" "$t" "$parts"; then TOPIC_OK[$broker/$t]=1
    else TOPIC_OK[$broker/$t]=0; log "$broker: creating topic $t ($parts partitions) failed, see $RUN_DIR/$broker-topics.log"; fi
  done

  local sc
  for sc in "${SELECTED[@]}"; do
    if ! kill -0 "${BROKER_PID[$broker]}" 2>/dev/null; then
      M_RC=-1 M_WALL=0 M_ERR=${BROKER_LOG[$broker]}
      log "$broker $label: $sc ..."; record_failure "$run" "$broker" "$sc" broker-exited; continue
    fi
    # consumer scenarios read what their producer scenario wrote; fill the topic if that one is not selected
    case "$sc" in
      cons-p1-100B) selected p1-100B-acks1 || fill "$broker" "$run" "$t1" "$n" 100 ;;
      cons-p6-1000B) selected p6-1000B-acks1 || fill "$broker" "$run" "$t6" "$n" 1000 ;;
    esac
    log "$broker $label: $sc ..."
    local topic
    case "$sc" in
      p1-100B-acks1|cons-p1-100B) topic=$t1 ;; p1-100B-acksall) topic=$t2 ;;
      p6-1000B-acks1|cons-p6-1000B) topic=$t6 ;; e2e-100B-acks1) topic=$te ;;
    esac
    if [ "${TOPIC_OK[$broker/$topic]:-0}" != 1 ]; then
      M_RC=-1 M_WALL=0 M_ERR=$RUN_DIR/$broker-topics.log
      record_failure "$run" "$broker" "$sc" topic-create-failed; continue
    fi
    case "$sc" in
      p1-100B-acks1)   run_producer "$run" "$broker" "$sc" "$t1" "$n" 100 1 || true ;;
      p1-100B-acksall) run_producer "$run" "$broker" "$sc" "$t2" "$n" 100 all || true ;;
      p6-1000B-acks1)  run_producer "$run" "$broker" "$sc" "$t6" "$n" 1000 1 || true ;;
      cons-p1-100B)    run_consumer "$run" "$broker" "$sc" "$t1" "$n" || true ;;
      cons-p6-1000B)   run_consumer "$run" "$broker" "$sc" "$t6" "$n" || true ;;
      e2e-100B-acks1)  run_e2e "$run" "$broker" "$sc" "$te" "$e" || true ;;
    esac
  done
}

fill() {   # broker run topic records size: unmeasured produce so that a consumer scenario has data
  log "$1 run $2: filling $3 with $4 x $5 B (not measured)"
  run_producer "$2" "$1" "fill" "$3" "$4" "$5" 1 0 || log "  filling $3 failed (see $RUN_DIR)"
}

# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------
for b in "${BROKERS[@]}"; do
  if [ "$b" = kafka ]; then ports=("$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"); else ports=("$SLUICE_PORT"); fi
  for p in "${ports[@]}"; do
    if port_in_use "$p"; then die "127.0.0.1:$p is already in use (a $b broker left over from an earlier run?)"; fi
  done
done

ensure_kafka_lib
contains sluice "${BROKERS[@]}" && ensure_sluice_build

sluice_rev=$(git -C "$ROOT_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$ROOT_DIR" --no-optional-locks status --porcelain --untracked-files=no 2>/dev/null | head -n 1)" ]; then sluice_rev="$sluice_rev+uncommitted"; fi
# each module's jar with its build time: the data path spans several, and an unchanged module's
# jar keeps its time, so one jar's time does not date the build
sluice_jars=$(for j in "$SLUICE_LIB"/sluice-*.jar; do [ -f "$j" ] && basename "$j" .jar | sed -E "s/^sluice-//; s/-[0-9][^-]*(-SNAPSHOT)?$//; s/$/ $(date -r "$j" '+%m-%d %H:%M')/"; done | paste -sd, - | sed 's/,/, /g')
emit "# compare.sh $STAMP: Apache Kafka $KAFKA_VERSION vs Sluice $sluice_rev (jars built: ${sluice_jars:--})"
emit "# host: $(nproc) cpus ($(sed -nE 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $("$JAVA" -version 2>&1 | head -n 1), load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
emit "# brokers=${BROKERS[*]} runs=$RUNS records=$RECORDS e2e_records=$E2E_RECORDS warmup=$([ "$WARMUP" = 1 ] && echo "$WARMUP_RECORDS/$WARMUP_E2E_RECORDS" || echo off) scenarios=$(IFS=,; echo "${SELECTED[*]}")"
emit "# kafka: 127.0.0.1:$KAFKA_PORT, ${KAFKA_HEAP[*]} ${PERF_FLAGS[*]}; sluice: 127.0.0.1:$SLUICE_PORT, SLUICE_JAVA_OPTS=$SLUICE_OPTS; clients: ${CLIENT_HEAP[*]} + the same flags"
emit "# raw outputs: ${RUN_DIR#"$ROOT_DIR"/}"

for b in "${BROKERS[@]}"; do "start_$b"; done

if [ "$WARMUP" = 1 ]; then
  for b in "${BROKERS[@]}"; do suite "$b" 0; done
fi
for (( r = 1; r <= RUNS; r++ )); do
  for b in "${BROKERS[@]}"; do suite "$b" "$r"; done
done

for b in "${BROKERS[@]}"; do
  kill -0 "${BROKER_PID[$b]}" 2>/dev/null || log "warning: $b (pid ${BROKER_PID[$b]}) is no longer running; see ${BROKER_LOG[$b]}"
done
# stop the brokers before summarising (the summary needs no broker)
for b in sluice kafka; do stop_broker "$b"; done

# ---------------------------------------------------------------------------------------------
# Summary: medians and ranges per scenario and broker, then sluice/kafka ratios
# ---------------------------------------------------------------------------------------------
emit "# summary: median over runs 1..$RUNS (warm-up excluded), NAME_range=min..max"
python3 - "$RESULTS" "${SELECTED[*]}" "${BROKERS[*]}" <<'PY' | tee -a "$RESULTS"
import statistics, sys

results, scenarios, brokers = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
runs = []
for line in open(results):
    if not line.startswith("run="):
        continue
    kv = dict(tok.split("=", 1) for tok in line.split() if "=" in tok)
    if kv["run"] != "0":
        runs.append(kv)

TOOL = {
    "producer": ["records_per_s", "mb_per_s", "avg_ms", "p99_ms"],
    "consumer": ["records_per_s", "mb_per_s", "fetch_records_per_s", "fetch_mb_per_s", "rebalance_ms", "fetch_latency_ms", "fetches"],
    "e2e": ["avg_ms", "p50_ms", "p99_ms", "p999_ms"],
}
BROKER = ["broker_cpu_s", "broker_cpu_s_per_mb"]          # median and range
PLAIN = ["broker_rss_mb", "broker_rss_now_mb", "broker_rss_anon_mb", "broker_rss_file_mb", "client_cpu_s", "other_cpu_s", "wall_s"]   # median only
RATIO = {
    "producer": ["records_per_s", "mb_per_s", "p99_ms", "broker_cpu_s_per_mb", "broker_rss_mb"],
    "consumer": ["records_per_s", "mb_per_s", "fetch_records_per_s", "fetch_mb_per_s", "fetch_latency_ms", "broker_cpu_s_per_mb", "broker_rss_mb"],
    "e2e": ["avg_ms", "p50_ms", "p99_ms", "p999_ms", "broker_cpu_s_per_mb", "broker_rss_mb"],
}

def kind(sc):
    return "consumer" if sc.startswith("cons-") else "e2e" if sc.startswith("e2e-") else "producer"

def fmt(name, v):
    if name in ("records_per_s", "fetch_records_per_s", "rebalance_ms", "fetches") or name.startswith("broker_rss"):
        return "%d" % round(v)
    if name == "broker_cpu_s_per_mb":
        return "%.4f" % v
    if name in ("p50_ms", "p95_ms", "p99_ms", "p999_ms"):   # the tools print whole milliseconds
        return "%d" % v if v == int(v) else "%.1f" % v
    if name == "avg_ms" and v < 10:
        return "%.3f" % v
    return "%.2f" % v

def ratio_line(sc, k, s):
    if k is None or s is None:
        who = "+".join(b for b, m in (("kafka", k), ("sluice", s)) if m is None)
        return "scenario=%s ratio=sluice/kafka status=n/a reason=%s-failed" % (sc, who)
    out = ["scenario=%s ratio=sluice/kafka" % sc]
    for name in RATIO[kind(sc)]:
        if name in k and name in s:
            out.append("%s=%s" % (name, "%.2f" % (s[name] / k[name]) if k[name] else "n/a"))
    return " ".join(out)

noisy = sum(1 for r in runs if r["status"] == "ok" and float(r.get("other_cpu_s", 0)) > 1.0)
for sc in scenarios:
    k = kind(sc)
    medians = {}
    for b in brokers:
        mine = [r for r in runs if r["scenario"] == sc and r["broker"] == b]
        ok = [r for r in mine if r["status"] == "ok"]
        bad = [r for r in mine if r["status"] != "ok"]
        head = "scenario=%s broker=%s runs=%d" % (sc, b, len(ok))
        if bad:
            head += " failed=%d" % len(bad)
        if not ok:
            errors = ",".join(sorted({r.get("error", "?") for r in bad})) or "not-run"
            print("%s status=FAILED error=%s log=%s" % (head, errors, bad[0]["log"] if bad else "-"))
            medians[b] = None
            continue
        out, med = [head], {}
        for name in TOOL[k] + BROKER + PLAIN:
            vals = [float(r[name]) for r in ok if name in r]
            if not vals:
                continue
            m = statistics.median(vals)
            med[name] = m
            out.append("%s=%s" % (name, fmt(name, m)))
            if name in TOOL[k] or name in BROKER:
                out.append("%s_range=%s..%s" % (name, fmt(name, min(vals)), fmt(name, max(vals))))
        if bad:
            out.append("error=" + ",".join(sorted({r.get("error", "?") for r in bad})))
        medians[b] = med
        print(" ".join(out))
    if "kafka" in brokers and "sluice" in brokers:
        print(ratio_line(sc, medians["kafka"], medians["sluice"]))
if noisy:
    print("# warning: %d measured run(s) had other_cpu_s > 1 s: something else used the CPU; their figures are skewed" % noisy)
PY

elapsed=$(( $(date +%s) - T_START ))
emit "# finished in $(( elapsed / 60 )) min $(( elapsed % 60 )) s; results: ${RESULTS#"$ROOT_DIR"/}"
