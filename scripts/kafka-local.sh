#!/usr/bin/env bash
# kafka-local.sh - run one real Apache Kafka broker (KRaft, combined
# broker+controller, 127.0.0.1 only) for blazerules' tests. Needs only Java
# (17+) and, for the first run, Maven with access to Maven Central: Kafka's own
# jars are resolved from Maven Central into .kafka/dist/ (git-ignored) and
# reused afterwards, so later runs work offline.
#
# Usage: scripts/kafka-local.sh COMMAND [ARGS]
#
#   up                 start a fresh broker (new data dir) unless one is already
#                      running; prints the bootstrap address (127.0.0.1:PORT) as
#                      the only line on stdout. Everything else goes to stderr.
#   down               stop the broker (SIGTERM, SIGKILL after a timeout) and
#                      delete its data dir and state. No-op if nothing runs.
#   stop               stop the broker but keep data dir, ports and state.
#   start              restart a stopped broker on the same ports with the same
#                      data; prints the bootstrap address like `up`.
#   restart            stop + start.
#   status             human-readable status; exit 0 if running, 3 if not.
#   address            print the bootstrap address if running (exit 3 if not).
#   topic create NAME PARTITIONS [REPLICATION_FACTOR]   (idempotent)
#   topic list | topic describe [NAME] | topic delete NAME
#   produce TOPIC [ConsoleProducer args...]   lines from stdin -> TOPIC
#   consume TOPIC [ConsoleConsumer args...]   e.g. --from-beginning --max-messages 3
#   tool CLASS [ARGS...]   run any Java main class on Kafka's classpath
#   logs [N]           last N (default 100) lines of the broker log
#   fetch              only resolve/cache the Kafka jars (e.g. to warm a cache)
#   classpath          print the Java classpath of the cached Kafka jars
#
# Environment:
#   KAFKA_VERSION            Kafka release (default 3.9.2; 4.x works too)
#   KAFKA_PORT               client (PLAINTEXT) port; default: a free random one
#   KAFKA_CONTROLLER_PORT    KRaft controller port; default: a free random one
#   KAFKA_HEAP_OPTS          broker heap (default "-Xms128m -Xmx512m")
#   KAFKA_JVM_OPTS           extra broker JVM options
#   KAFKA_AUTO_CREATE_TOPICS auto.create.topics.enable (default true)
#   KAFKA_EXTRA_PROPERTIES   extra server.properties lines (newline separated)
#   KAFKA_START_TIMEOUT      seconds to wait for the broker to serve (default 60)
#   KAFKA_STOP_TIMEOUT       seconds between SIGTERM and SIGKILL (default 30)
#   KAFKA_MVN_TIMEOUT        seconds allowed for the Maven download (default 900)
#   KAFKA_MVN_ARGS           extra Maven arguments (e.g. "-s my-settings.xml")
#   KAFKA_LOCAL_DIR          state/cache root (default <repo>/.kafka). Several independent
#                            brokers (clusters) at once: one directory each, e.g.
#                            `KAFKA_LOCAL_DIR=.kafka/cluster-b scripts/kafka-local.sh up` beside
#                            the default one (catalog moves between clusters: docs/catalog.md)
#   JAVA_HOME                Java to use (default: java on PATH)
#
# Files: .kafka/dist/kafka_2.13-VERSION/lib  cached jars
#        .kafka/run/{state,server.properties,broker.log}  the running broker
#        ${TMPDIR:-/tmp}/blazerules-kafka.XXXXXXXX     its data dir (KRaft log dirs)
#        .kafka/last-broker.log  log of the last broker torn down by `down`
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
CONF_DIR="$SCRIPT_DIR/kafka"
STATE_ROOT="${KAFKA_LOCAL_DIR:-$REPO_ROOT/.kafka}"
[[ "$STATE_ROOT" == /* ]] || STATE_ROOT="$PWD/$STATE_ROOT"
RUN_DIR="$STATE_ROOT/run"
DIST_ROOT="$STATE_ROOT/dist"
STATE_FILE="$RUN_DIR/state"
BROKER_LOG="$RUN_DIR/broker.log"
BROKER_CONF="$RUN_DIR/server.properties"
DATA_PREFIX="blazerules-kafka."

REQ_VERSION="${KAFKA_VERSION:-3.9.2}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
MVN_TIMEOUT="${KAFKA_MVN_TIMEOUT:-900}"
LOCK_TIMEOUT="${KAFKA_LOCK_TIMEOUT:-$((MVN_TIMEOUT + START_TIMEOUT + 60))}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}"

log() { printf 'kafka-local: %s\n' "$*" >&2; }
die() { printf 'kafka-local: error: %s\n' "$*" >&2; exit 1; }
now() { date +%s; }

# ---------------------------------------------------------------- java / jars

JAVA=""
find_java() {
  [[ -n "$JAVA" ]] && return 0
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    JAVA="$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    JAVA="$(command -v java)"
  else
    die "java not found (install a JDK/JRE 17+ or set JAVA_HOME)"
  fi
}

java_major() {
  local v
  v="$("$JAVA" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)"
  v="${v#1.}"
  echo "${v%%[.+-]*}"
}

kafka_major() { echo "${1%%.*}"; }

log_profile() { # the logging backend the Kafka release ships with
  if (( $(kafka_major "$1") >= 4 )); then echo log4j2; else echo reload4j; fi
}

dist_dir() { echo "$DIST_ROOT/kafka_2.13-$1"; }

check_version_string() {
  [[ "$1" =~ ^[0-9]+\.[0-9]+\.[0-9]+([.-][A-Za-z0-9.-]+)?$ ]] ||
    die "bad KAFKA_VERSION '$1' (expected e.g. 3.9.2 or 4.1.1)"
}

file_hash() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -c1-16
  else cksum "$1" | cut -d' ' -f1; fi
}

# Resolve Kafka VERSION (+ tools + logging backend) into the cache, once.
ensure_dist() {
  local version="$1" profile dist marker want tmp rc
  check_version_string "$version"
  profile="$(log_profile "$version")"
  dist="$(dist_dir "$version")"
  marker="$dist/.complete"
  want="kafka=$version profile=$profile pom=$(file_hash "$CONF_DIR/pom.xml")"
  if [[ -f "$marker" && "$(cat "$marker")" == "$want" ]]; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 ||
    die "Kafka $version is not cached in $dist and Maven (mvn) is not installed; install Maven (needed once, to download Kafka from Maven Central)"
  mkdir -p "$DIST_ROOT"
  tmp="$(mktemp -d "$DIST_ROOT/.resolve.XXXXXX")"
  log "downloading Apache Kafka $version ($profile logging) via Maven into $dist (first run only; ~45 MB)..."
  rc=0
  # shellcheck disable=SC2086
  timeout "$MVN_TIMEOUT" mvn -B -q -f "$CONF_DIR/pom.xml" \
      -Dkafka.version="$version" -P "$profile" ${KAFKA_MVN_ARGS:-} \
      org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp/lib" \
      </dev/null >"$tmp/mvn.log" 2>&1 || rc=$?
  if (( rc != 0 )) || [[ ! -f "$tmp/lib/kafka_2.13-$version.jar" ]]; then
    log "Maven output (last 40 lines):"
    tail -n 40 "$tmp/mvn.log" | sed 's/\x1b\[[0-9;]*m//g' >&2 || true
    rm -rf "$tmp"
    if (( rc == 124 )); then die "Maven timed out after ${MVN_TIMEOUT}s resolving org.apache.kafka:kafka_2.13:$version"; fi
    die "could not resolve org.apache.kafka:kafka_2.13:$version from Maven Central (exit $rc); check the version exists and that Maven can reach Maven Central (see ~/.m2/settings.xml)"
  fi
  printf '%s\n' "$want" >"$tmp/.complete"
  rm -rf "$dist"
  mv "$tmp" "$dist"
  log "cached $(find "$dist/lib" -name '*.jar' | wc -l) jars in $dist/lib"
}

classpath() { echo "$(dist_dir "$1")/lib/*"; }

log_opts() { # $1 version, $2 broker|tools
  local suffix=""
  [[ "$2" == tools ]] && suffix="-tools"
  if [[ "$(log_profile "$1")" == log4j2 ]]; then
    echo "-Dlog4j2.configurationFile=$CONF_DIR/log4j2$suffix.properties"
  else
    echo "-Dlog4j.configuration=file:$CONF_DIR/log4j$suffix.properties"
  fi
}

# Run a Kafka CLI class in a small, fast-starting JVM.
run_tool() {
  local version="$1"; shift
  find_java
  ensure_dist "$version"
  "$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Djava.awt.headless=true \
    "$(log_opts "$version" tools)" -cp "$(classpath "$version")" "$@"
}

# ---------------------------------------------------------------- state

S_STATUS="" S_PID="" S_PORT="" S_CPORT="" S_DATA="" S_VERSION="" S_CLUSTER=""
read_state() {
  S_STATUS="" S_PID="" S_PORT="" S_CPORT="" S_DATA="" S_VERSION="" S_CLUSTER=""
  [[ -f "$STATE_FILE" ]] || return 1
  local k v
  while IFS='=' read -r k v; do
    case "$k" in
      status) S_STATUS="$v" ;; pid) S_PID="$v" ;; port) S_PORT="$v" ;;
      controller_port) S_CPORT="$v" ;; data_dir) S_DATA="$v" ;;
      version) S_VERSION="$v" ;; cluster_id) S_CLUSTER="$v" ;;
    esac
  done <"$STATE_FILE"
  return 0
}

write_state() {
  mkdir -p "$RUN_DIR"
  {
    echo "status=$S_STATUS"
    echo "pid=$S_PID"
    echo "port=$S_PORT"
    echo "controller_port=$S_CPORT"
    echo "bootstrap=127.0.0.1:$S_PORT"
    echo "data_dir=$S_DATA"
    echo "version=$S_VERSION"
    echo "cluster_id=$S_CLUSTER"
  } >"$STATE_FILE.tmp"
  mv "$STATE_FILE.tmp" "$STATE_FILE"
}

# Is PID alive and really the broker started from our run dir (not a reused pid)?
broker_alive() {
  local pid="$1" cmd st
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  if [[ -d /proc/$pid ]]; then
    st="$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null || true)"
    [[ -n "$st" && "$st" != Z && "$st" != X ]] || return 1
    cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  else
    kill -0 "$pid" 2>/dev/null || return 1
    cmd="$(ps -p "$pid" -o args= 2>/dev/null || true)"
  fi
  [[ "$cmd" == *kafka.Kafka* && "$cmd" == *"$BROKER_CONF"* ]]
}

# Is PID (a child this script launched, so not a reused pid) still running?
child_alive() {
  local st
  st="$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null || true)"
  if [[ -n "$st" ]]; then [[ "$st" != Z && "$st" != X ]]; else kill -0 "$1" 2>/dev/null; fi
}

rss_of() {
  local kb
  kb="$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status" 2>/dev/null || true)"
  [[ -n "$kb" ]] && echo "$((kb / 1024)) MiB" || echo "?"
}

# Delete a data dir, but only one this script created.
remove_data_dir() {
  local d="$1"
  [[ -n "$d" ]] || return 0
  case "$(basename "$d")" in
    "$DATA_PREFIX"*) rm -rf -- "$d" ;;
    *) log "warning: not deleting unexpected data dir '$d'" ;;
  esac
}

# Forget the broker: delete its data dir and state, keep its log for post-mortems.
clear_state() {
  if read_state; then remove_data_dir "$S_DATA"; fi
  if [[ -s "$BROKER_LOG" ]]; then cp -f "$BROKER_LOG" "$STATE_ROOT/last-broker.log" 2>/dev/null || true; fi
  rm -rf -- "$RUN_DIR"
}

# SIGTERM, wait, then SIGKILL. Returns once the process is gone.
terminate() {
  local pid="$1" deadline
  broker_alive "$pid" || return 0
  log "stopping broker pid $pid (SIGTERM)..."
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$(( $(now) + STOP_TIMEOUT ))
  while broker_alive "$pid" && (( $(now) < deadline )); do sleep 0.2; done
  if broker_alive "$pid"; then
    log "broker pid $pid still alive after ${STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$(( $(now) + 10 ))
    while broker_alive "$pid" && (( $(now) < deadline )); do sleep 0.2; done
    broker_alive "$pid" && die "could not kill broker pid $pid"
  fi
  return 0
}

# ---------------------------------------------------------------- ports

port_in_use() {
  local out
  if command -v ss >/dev/null 2>&1 && out="$(ss -Hltn "sport = :$1" 2>/dev/null)"; then
    [[ -n "$out" ]]
  else
    port_open "$1"
  fi
}

# shellcheck disable=SC2016  # $1 is expanded by the inner bash
port_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null; }

# Does PID own the listening socket on PORT? (unknown -> yes)
port_owned_by() {
  local out
  command -v ss >/dev/null 2>&1 || return 0
  out="$(ss -Hltnp "sport = :$1" 2>/dev/null)" || return 0
  [[ "$out" == *"pid=$2,"* ]]
}

pick_port() { # free port in 20000-31999 (below Linux's ephemeral range)
  local p i
  for ((i = 0; i < 200; i++)); do
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 12000 ))
    [[ "$p" == "${1:-}" ]] && continue
    port_in_use "$p" || { echo "$p"; return 0; }
  done
  die "could not find a free TCP port"
}

valid_port() { [[ "$1" =~ ^[0-9]+$ ]] && (( $1 > 0 && $1 < 65536 )); }

# ---------------------------------------------------------------- broker

gen_cluster_id() { # base64url of 16 random bytes, like kafka-storage random-uuid
  local id i
  for ((i = 0; i < 20; i++)); do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" != -* && ${#id} -eq 22 ]] && { echo "$id"; return 0; }
  done
  die "could not generate a cluster id"
}

render_config() {
  local auto="${KAFKA_AUTO_CREATE_TOPICS:-true}"
  sed -e "s|@PORT@|$S_PORT|g" -e "s|@CONTROLLER_PORT@|$S_CPORT|g" \
      -e "s|@DATA_DIR@|$S_DATA|g" -e "s|@AUTO_CREATE_TOPICS@|$auto|g" \
      "$CONF_DIR/server.properties.in" >"$BROKER_CONF.tmp"
  if [[ -n "${KAFKA_EXTRA_PROPERTIES:-}" ]]; then
    printf '\n# KAFKA_EXTRA_PROPERTIES\n%s\n' "$KAFKA_EXTRA_PROPERTIES" >>"$BROKER_CONF.tmp"
  fi
  mv "$BROKER_CONF.tmp" "$BROKER_CONF"
}

format_storage() {
  log "formatting KRaft storage in $S_DATA (cluster id $S_CLUSTER)"
  run_tool "$S_VERSION" kafka.tools.StorageTool format -t "$S_CLUSTER" -c "$BROKER_CONF" \
    >>"$BROKER_LOG" 2>&1 || {
      tail -n 30 "$BROKER_LOG" >&2 || true
      return 1
    }
}

LAUNCHED_PID=""
launch_broker() {
  local setsid=()
  command -v setsid >/dev/null 2>&1 && setsid=(setsid)
  find_java
  printf '\n===== %s: starting Kafka %s (127.0.0.1:%s, controller :%s) =====\n' \
    "$(date '+%F %T')" "$S_VERSION" "$S_PORT" "$S_CPORT" >>"$BROKER_LOG"
  # Own session (immune to the caller's Ctrl-C / hangup), no inherited stdio and
  # no lock fd, so callers capturing our stdout never wait on the broker.
  # shellcheck disable=SC2086
  "${setsid[@]}" "$JAVA" $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
      -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
      -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
      ${KAFKA_JVM_OPTS:-} \
      -Dkafka.logs.dir="$RUN_DIR" "$(log_opts "$S_VERSION" broker)" \
      -cp "$(classpath "$S_VERSION")" kafka.Kafka "$BROKER_CONF" \
      </dev/null >>"$BROKER_LOG" 2>&1 9>&- &
  LAUNCHED_PID=$!
  S_PID="$LAUNCHED_PID"
  write_state
}

# 0 = serving clients, 1 = timed out, 2 = process died, 3 = died: address in use
wait_ready() {
  local pid="$1" deadline left probe
  find_java
  # A real client round trip: AdminClient listTopics via Kafka's own TopicCommand.
  probe=("$JAVA" -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Djava.awt.headless=true
         "$(log_opts "$S_VERSION" tools)" -cp "$(classpath "$S_VERSION")"
         org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$S_PORT" --list)
  deadline=$(( $(now) + START_TIMEOUT ))
  while (( $(now) < deadline )); do
    # Our own child, just launched: until it execs java its command line is still this
    # script's (setsid, bash), so only its death counts here, not broker_alive's match.
    if ! child_alive "$pid"; then
      grep -q 'Address already in use' "$BROKER_LOG" 2>/dev/null && return 3
      return 2
    fi
    if port_open "$S_PORT" && port_owned_by "$S_PORT" "$pid"; then
      left=$(( deadline - $(now) )); (( left < 5 )) && left=5
      if timeout "$left" "${probe[@]}" </dev/null >/dev/null 2>>"$BROKER_LOG" 9>&-; then
        broker_alive "$pid" && return 0
      fi
    fi
    sleep 0.3
  done
  return 1
}

print_log_tail() {
  if [[ -s "$BROKER_LOG" ]]; then
    log "---- last 40 lines of $BROKER_LOG ----"
    tail -n 40 "$BROKER_LOG" >&2 || true
    log "---- end of broker log ----"
  fi
}

describe_failure() { # $1 wait_ready code
  case "$1" in
    1) echo "broker did not accept clients within ${START_TIMEOUT}s (KAFKA_START_TIMEOUT)" ;;
    2) echo "broker process exited during startup" ;;
    3) echo "broker could not bind its ports (address already in use)" ;;
    *) echo "broker failed to start (code $1)" ;;
  esac
}

# ---------------------------------------------------------------- locking / cleanup

take_lock() {
  mkdir -p "$STATE_ROOT"
  exec 9>"$STATE_ROOT/.lock"
  if command -v flock >/dev/null 2>&1; then
    flock -w "$LOCK_TIMEOUT" 9 ||
      die "timed out waiting for another kafka-local.sh (lock $STATE_ROOT/.lock)"
  fi
}

# While a start is in progress, an unexpected exit (error, Ctrl-C) must not
# leave a broker or data behind.
STARTING="" # "" | fresh | restart
on_exit() {
  local rc=$?
  if [[ -n "$STARTING" ]]; then
    if [[ -n "$LAUNCHED_PID" ]]; then
      kill -KILL "$LAUNCHED_PID" 2>/dev/null || true
      wait "$LAUNCHED_PID" 2>/dev/null || true
    fi
    if [[ "$STARTING" == fresh ]]; then
      clear_state
    elif read_state; then
      S_STATUS=stopped S_PID="" write_state
    fi
    STARTING=""
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- commands

running_address() { # prints address and returns 0 if our broker runs
  read_state || return 1
  broker_alive "$S_PID" || return 1
  echo "127.0.0.1:$S_PORT"
}

cmd_up() {
  take_lock
  if read_state && broker_alive "$S_PID" && [[ "$S_STATUS" != running ]]; then
    # an earlier start was interrupted (e.g. the caller was SIGKILLed) after launch
    log "found broker pid $S_PID in state '$S_STATUS'; waiting for it to serve clients"
    local wrc=0
    wait_ready "$S_PID" || wrc=$?
    if (( wrc == 0 )); then
      S_STATUS=running
      write_state
    else
      log "it did not become ready ($(describe_failure "$wrc")); replacing it"
      terminate "$S_PID"
      clear_state
    fi
  fi
  if running_address; then
    if [[ "$S_VERSION" != "$REQ_VERSION" ]]; then
      log "note: running broker is Kafka $S_VERSION (KAFKA_VERSION=$REQ_VERSION ignored; 'down' first to switch)"
    fi
    if [[ -n "${KAFKA_PORT:-}" && "$KAFKA_PORT" != "$S_PORT" ]]; then
      log "note: running broker uses port $S_PORT (KAFKA_PORT=$KAFKA_PORT ignored; 'down' first to switch)"
    fi
    log "broker already running (pid $S_PID)"
    return 0
  fi
  if read_state; then
    log "discarding previous broker state (status '$S_STATUS', pid '${S_PID:-none}' not running)"
    clear_state
  fi
  find_java
  local jm; jm="$(java_major)"
  if (( $(kafka_major "$REQ_VERSION") >= 4 )) && [[ "$jm" =~ ^[0-9]+$ ]] && (( jm < 17 )); then
    die "Kafka $REQ_VERSION needs Java 17+, found Java $jm ($JAVA)"
  fi
  ensure_dist "$REQ_VERSION"

  local fixed_ports="" attempt rc t0
  [[ -n "${KAFKA_PORT:-}" || -n "${KAFKA_CONTROLLER_PORT:-}" ]] && fixed_ports=1
  t0=$(now)
  for attempt in 1 2 3; do
    STARTING=fresh
    S_VERSION="$REQ_VERSION"
    if [[ -n "${KAFKA_PORT:-}" ]]; then
      valid_port "$KAFKA_PORT" || die "bad KAFKA_PORT '$KAFKA_PORT'"
      port_in_use "$KAFKA_PORT" && die "KAFKA_PORT $KAFKA_PORT is already in use"
      S_PORT="$KAFKA_PORT"
    else
      S_PORT="$(pick_port "${KAFKA_CONTROLLER_PORT:-}")"
    fi
    if [[ -n "${KAFKA_CONTROLLER_PORT:-}" ]]; then
      valid_port "$KAFKA_CONTROLLER_PORT" || die "bad KAFKA_CONTROLLER_PORT '$KAFKA_CONTROLLER_PORT'"
      [[ "$KAFKA_CONTROLLER_PORT" == "$S_PORT" ]] && die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ"
      port_in_use "$KAFKA_CONTROLLER_PORT" && die "KAFKA_CONTROLLER_PORT $KAFKA_CONTROLLER_PORT is already in use"
      S_CPORT="$KAFKA_CONTROLLER_PORT"
    else
      S_CPORT="$(pick_port "$S_PORT")"
    fi
    mkdir -p "$RUN_DIR"
    S_DATA="$(mktemp -d "${TMPDIR:-/tmp}/${DATA_PREFIX}XXXXXXXX")"
    S_CLUSTER="$(gen_cluster_id)"
    S_STATUS=starting S_PID=""
    write_state
    render_config
    format_storage || die "formatting KRaft storage failed (see above)"
    launch_broker
    log "started Kafka $S_VERSION pid $S_PID on 127.0.0.1:$S_PORT (controller :$S_CPORT); waiting until it serves clients..."
    rc=0; wait_ready "$S_PID" || rc=$?
    if (( rc == 0 )); then
      S_STATUS=running
      write_state
      STARTING=""
      log "ready in $(( $(now) - t0 ))s: bootstrap 127.0.0.1:$S_PORT (pid $S_PID, rss $(rss_of "$S_PID"), log $BROKER_LOG)"
      echo "127.0.0.1:$S_PORT"
      return 0
    fi
    # A broker that dies while starting beside others (the Kafka suites start private brokers
    # in parallel) has most likely lost a race for a port it picked: retry on other ports.
    if (( rc == 3 || rc == 2 )) && [[ -z "$fixed_ports" ]] && (( attempt < 3 )); then
      log "$(describe_failure "$rc") on $S_PORT/$S_CPORT; retrying with other ports"
      kill -KILL "$S_PID" 2>/dev/null || true
      wait "$S_PID" 2>/dev/null || true
      LAUNCHED_PID=""
      clear_state
      continue
    fi
    print_log_tail
    die "$(describe_failure "$rc"); broker killed and its data removed (log kept in $STATE_ROOT/last-broker.log)"
  done
}

cmd_down() {
  take_lock
  if ! read_state; then
    log "no broker state in $RUN_DIR; nothing to stop"
    rm -rf -- "$RUN_DIR"
    return 0
  fi
  terminate "$S_PID"
  clear_state
  log "broker stopped; data dir ${S_DATA:-?} removed (log kept in $STATE_ROOT/last-broker.log)"
}

cmd_stop() {
  take_lock
  read_state || die "no broker to stop (nothing started with 'up')"
  if broker_alive "$S_PID"; then
    local t0; t0=$(now)
    terminate "$S_PID"
    log "broker stopped in $(( $(now) - t0 ))s; data kept in $S_DATA ('start' resumes on 127.0.0.1:$S_PORT)"
  else
    log "broker was not running"
  fi
  S_STATUS=stopped S_PID=""
  write_state
}

cmd_start() {
  take_lock
  read_state || die "no stopped broker to start (use 'up' for a fresh one)"
  if broker_alive "$S_PID"; then
    log "broker already running (pid $S_PID)"
    echo "127.0.0.1:$S_PORT"
    return 0
  fi
  [[ -n "$S_DATA" && -d "$S_DATA" ]] || die "data dir '$S_DATA' of the stopped broker is gone; run 'down' then 'up'"
  [[ -f "$BROKER_CONF" ]] || die "$BROKER_CONF is missing; run 'down' then 'up'"
  port_in_use "$S_PORT" && die "port $S_PORT (client) is now used by another process; cannot restart on the same address"
  port_in_use "$S_CPORT" && die "port $S_CPORT (controller) is now used by another process"
  find_java
  ensure_dist "$S_VERSION"
  STARTING=restart
  local t0 rc=0; t0=$(now)
  S_STATUS=starting
  launch_broker
  log "restarted Kafka $S_VERSION pid $S_PID on 127.0.0.1:$S_PORT with data in $S_DATA; waiting..."
  wait_ready "$S_PID" || rc=$?
  if (( rc != 0 )); then
    print_log_tail
    die "$(describe_failure "$rc"); broker killed, data kept in $S_DATA"
  fi
  S_STATUS=running
  write_state
  STARTING=""
  log "ready in $(( $(now) - t0 ))s (pid $S_PID, rss $(rss_of "$S_PID"))"
  echo "127.0.0.1:$S_PORT"
}

cmd_status() {
  if ! read_state; then
    echo "not running (no broker state in $RUN_DIR)"
    return 3
  fi
  if broker_alive "$S_PID"; then
    echo "running: bootstrap=127.0.0.1:$S_PORT controller=127.0.0.1:$S_CPORT pid=$S_PID rss=$(rss_of "$S_PID") kafka=$S_VERSION"
    echo "  data=$S_DATA log=$BROKER_LOG"
    return 0
  fi
  if [[ "$S_STATUS" == stopped ]]; then
    echo "stopped: bootstrap=127.0.0.1:$S_PORT kafka=$S_VERSION data=$S_DATA ('start' to resume, 'down' to discard)"
  else
    echo "dead: broker pid ${S_PID:-?} (status '$S_STATUS') is not running; 'down' cleans up, 'up' starts fresh"
  fi
  return 3
}

cmd_address() {
  running_address || { log "no broker running"; return 3; }
}

require_running() {
  running_address >/dev/null || die "no broker running (run '$0 up' first)"
}

cmd_topic() {
  local sub="${1:-}"; shift || true
  require_running
  local bs="127.0.0.1:$S_PORT"
  case "$sub" in
    create)
      [[ $# -ge 2 ]] || die "usage: topic create NAME PARTITIONS [REPLICATION_FACTOR]"
      [[ "$2" =~ ^[0-9]+$ ]] || die "PARTITIONS must be a number"
      run_tool "$S_VERSION" org.apache.kafka.tools.TopicCommand --bootstrap-server "$bs" \
        --create --if-not-exists --topic "$1" --partitions "$2" --replication-factor "${3:-1}" >&2
      ;;
    list) run_tool "$S_VERSION" org.apache.kafka.tools.TopicCommand --bootstrap-server "$bs" --list ;;
    describe)
      if [[ $# -ge 1 ]]; then
        run_tool "$S_VERSION" org.apache.kafka.tools.TopicCommand --bootstrap-server "$bs" --describe --topic "$1"
      else
        run_tool "$S_VERSION" org.apache.kafka.tools.TopicCommand --bootstrap-server "$bs" --describe
      fi ;;
    delete)
      [[ $# -ge 1 ]] || die "usage: topic delete NAME"
      run_tool "$S_VERSION" org.apache.kafka.tools.TopicCommand --bootstrap-server "$bs" --delete --if-exists --topic "$1" >&2
      ;;
    *) die "usage: topic create NAME PARTITIONS [RF] | list | describe [NAME] | delete NAME" ;;
  esac
}

cmd_produce() {
  [[ $# -ge 1 ]] || die "usage: produce TOPIC [ConsoleProducer args...]  (messages from stdin)"
  require_running
  local topic="$1" cls; shift
  if (( $(kafka_major "$S_VERSION") >= 4 )); then cls=org.apache.kafka.tools.ConsoleProducer
  else cls=kafka.tools.ConsoleProducer; fi
  run_tool "$S_VERSION" "$cls" --bootstrap-server "127.0.0.1:$S_PORT" --topic "$topic" "$@"
}

cmd_consume() {
  [[ $# -ge 1 ]] || die "usage: consume TOPIC [ConsoleConsumer args...]"
  require_running
  local topic="$1"; shift
  run_tool "$S_VERSION" org.apache.kafka.tools.consumer.ConsoleConsumer \
    --bootstrap-server "127.0.0.1:$S_PORT" --topic "$topic" "$@"
}

tools_version() { if read_state && [[ -n "$S_VERSION" ]]; then echo "$S_VERSION"; else echo "$REQ_VERSION"; fi; }

cmd_tool() {
  [[ $# -ge 1 ]] || die "usage: tool CLASS [ARGS...]"
  local v; v="$(tools_version)"
  run_tool "$v" "$@"
}

cmd_logs() {
  local n="${1:-100}" f="$BROKER_LOG"
  [[ -f "$f" ]] || f="$STATE_ROOT/last-broker.log"
  [[ -f "$f" ]] || die "no broker log yet"
  tail -n "$n" "$f"
}

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

main() {
  local cmd="${1:-}"; shift || true
  case "$cmd" in
    up) cmd_up ;;
    down) cmd_down ;;
    stop) cmd_stop ;;
    start) cmd_start ;;
    restart) cmd_stop; cmd_start ;;
    status) cmd_status ;;
    address|bootstrap) cmd_address ;;
    topic) cmd_topic "$@" ;;
    produce) cmd_produce "$@" ;;
    consume) cmd_consume "$@" ;;
    tool) cmd_tool "$@" ;;
    logs) cmd_logs "$@" ;;
    fetch) find_java; ensure_dist "$REQ_VERSION"; log "Kafka $REQ_VERSION cached in $(dist_dir "$REQ_VERSION")" ;;
    classpath) ensure_dist "$(tools_version)"; classpath "$(tools_version)" ;;
    -h|--help|help) usage ;;
    "") usage >&2; exit 2 ;;
    *) log "unknown command '$cmd'"; usage >&2; exit 2 ;;
  esac
}

main "$@"
