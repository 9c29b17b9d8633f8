#!/bin/bash
# Idle cost of tasks (docs/scaling.md, "What a task, an instance and a standby cost"): `vigil run` at its defaults on input topics of
# P partitions with no input at all, after it is ready and a warm-up, for each P in PARTITIONS: CPU
# milliseconds per second of the monitor's process and of the broker's (an embedded broker in its own JVM),
# from /proc/<pid>/stat (utime + stime).
#   [JAR=monitor/target/vigil.jar] [PARTITIONS="2 4 8 16"] [SECONDS_MEASURED=60] tools/idle-cpu.sh
# Uses port 18090 on 127.0.0.1; about 2 minutes per partition count.
set -u
source "$(dirname "$(realpath "$0")")/embedded-broker.sh"
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
JAR=$(realpath "${JAR:-monitor/target/vigil.jar}")
OPTS="--sun-misc-unsafe-memory-access=allow"
WORK=${WORK:-/tmp/vigil-idle-cpu}; mkdir -p "$WORK"; cd "$WORK"
MEASURE=${SECONDS_MEASURED:-60}
HZ=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' /proc/$1/stat; }
echo "| partitions | tasks | monitor CPU ms/s | broker CPU ms/s |"
echo "|---|---|---|---|"
for P in ${PARTITIONS:-2 4 8 16}; do
  rm -rf state bootstrap ./*.log
  start_broker "$JAR" broker-$P.log
  $J $OPTS -jar "$JAR" run --set bootstrap.servers=$B --set topic.partitions=$P --set state.dir=$WORK/state \
    --set http.port=18090 > run-$P.log 2>&1 &
  VPID=$!
  for i in $(seq 120); do [ "$(curl -s -o /dev/null -w '%{http_code}' localhost:18090/health/ready)" = 200 ] && break; sleep 1; done
  tasks=$(curl -s localhost:18090/api/status | python3 -c 'import json,sys; s=json.load(sys.stdin); print(len(s["tasks"]["active"]))' 2>/dev/null || echo "?")
  sleep 20
  v0=$(ticks $VPID); b0=$(ticks $BPID); t0=$(date +%s.%N)
  sleep "$MEASURE"
  v1=$(ticks $VPID); b1=$(ticks $BPID); t1=$(date +%s.%N)
  awk -v p=$P -v n="$tasks" -v v=$((v1 - v0)) -v b=$((b1 - b0)) -v hz=$HZ -v t0=$t0 -v t1=$t1 \
    'BEGIN { s = t1 - t0; printf "| %d | %s | %.1f | %.1f |\n", p, n, v / hz * 1000 / s, b / hz * 1000 / s }'
  kill -TERM $VPID; wait $VPID 2>/dev/null; kill $BPID; wait $BPID 2>/dev/null
done
echo "($(date -u +%Y-%m-%dT%H:%MZ), $($J -version 2>&1 | head -1), $(nproc) processors, load $(cut -d' ' -f1-3 /proc/loadavg))"
