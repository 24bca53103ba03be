# bench/lib.sh: sourced by the other bench/*.sh scripts (not run on its own).
# The paths they share and their two preparation steps: Kafka's jars from Maven Central, and a
# Sluice build to run. The caller sets BENCH_DIR (its own directory) before sourcing.

ROOT_DIR=$(dirname "$BENCH_DIR")
TARGET=$BENCH_DIR/target
KAFKA_VERSION=4.3.1
KAFKA_LIB=$TARGET/kafka-lib
KAFKA_POM=$BENCH_DIR/kafka/pom.xml
LOG4J_CONF=$BENCH_DIR/conf/log4j2.properties
SLUICE_BIN=$ROOT_DIR/cluster-config/bin/sluice
SLUICE_LIB=$ROOT_DIR/cluster-config/target/lib
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java

die() { echo "$(basename "$0"): $*" >&2; exit 2; }
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Kafka's broker and tools (bench/kafka/pom.xml) in bench/target/kafka-lib, fetched once.
ensure_kafka_lib() {
  if [ -f "$KAFKA_LIB/.complete" ]; then return 0; fi
  log "fetching Apache Kafka $KAFKA_VERSION jars from Maven Central into ${KAFKA_LIB#"$ROOT_DIR"/}"
  rm -rf "$KAFKA_LIB"
  # an absolute output directory: with -f, Maven resolves relative ones against bench/kafka/
  mvn -q -B -Dstyle.color=never -f "$KAFKA_POM" dependency:copy-dependencies -DoutputDirectory="$KAFKA_LIB" 2>&1 \
    | sed 's/\x1b\[[0-9;]*m//g' >&2 || die "mvn dependency:copy-dependencies failed"
  [ -f "$KAFKA_LIB/kafka_2.13-$KAFKA_VERSION.jar" ] && [ -f "$KAFKA_LIB/kafka-tools-$KAFKA_VERSION.jar" ] \
    || die "Kafka jars missing in $KAFKA_LIB after mvn"
  echo "$KAFKA_VERSION" > "$KAFKA_LIB/.complete"
}

# A Sluice distribution in cluster-config/target/lib; built if there is none (an existing build
# is used as it is: rebuild after changing the code).
ensure_sluice_build() {
  if compgen -G "$SLUICE_LIB/sluice-engine-*.jar" >/dev/null; then return 0; fi
  log "no Sluice build in ${SLUICE_LIB#"$ROOT_DIR"/}: running 'mvn -q -B package -DskipTests' at the project root"
  ( cd "$ROOT_DIR" && mvn -q -B -Dstyle.color=never package -DskipTests ) 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2 \
    || die "Sluice build failed"
  compgen -G "$SLUICE_LIB/sluice-engine-*.jar" >/dev/null || die "no sluice-engine jar in $SLUICE_LIB after the build"
}

port_in_use() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
