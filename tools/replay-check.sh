#!/bin/bash
# Determinism check (issue 18, Must 10): two fresh runs of one jar over one input, each with its own
# application.id, state.dir and output topics, must publish the same snapshots. Prints how many series
# differ, by metric, and keeps both /metrics pages in WORK.
#   [JAR=monitor/target/vigil.jar] [LIMIT=30000] tools/replay-check.sh
# Uses ports 18091-18092 on 127.0.0.1 and an embedded broker; about 5 minutes.
set -u
source "$(dirname "$(realpath "$0")")/embedded-broker.sh"
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
JAR=$(realpath "${JAR:-monitor/target/vigil.jar}")
OPTS="--sun-misc-unsafe-memory-access=allow"
WORK=${WORK:-/tmp/vigil-replay-check}; mkdir -p "$WORK"; cd "$WORK"; rm -rf run1 run2 bootstrap ./*.log ./*.txt
start_broker "$JAR"; echo "broker $B"
# /metrics serves the snapshots topic (a global table): each run needs its own output topics, or both
# would export the same snapshots and the comparison would be empty.
for i in 1 2; do
  $J $OPTS -jar "$JAR" run --set bootstrap.servers="$B" --set topic.partitions=3 --set application.id=replay-$i \
    --set state.dir="$WORK/run$i" --set topic.snapshots=replay-$i.snapshots --set topic.alerts=replay-$i.alerts \
    --set topic.incidents=replay-$i.incidents --set topic.dead-letters=replay-$i.dead-letters \
    --set topic.references=replay-$i.references \
    --set http.port=1809$i > run$i.log 2>&1 &
  eval "P$i=\$!"
done
sleep 25   # the runs create the input topics
$J $OPTS -jar "$JAR" simulate --bootstrap-servers "$B" --days 60 --limit "${LIMIT:-30000}" --seed 11 > sim.log 2>&1
echo "input: $(tail -1 sim.log)"
# Model metrics only: process, JVM, Kafka client and timing series differ between any two runs.
series() { curl -s "localhost:$1/metrics" | grep -E '^vigil_' | grep -v -E '_seconds|_bytes|_total|_lag|_info|process_|jvm_' | sort; }
received() { curl -s "localhost:$1/metrics" | grep '^vigil_ingest_records_total' | awk '{s += $2} END {printf "%d", s}'; }
input=$(sed -E -n 's/^simulated ([0-9]+) predictions and ([0-9]+) ground-truth labels.*/\1 + \2/p' sim.log)
input=$((input))
# caught up: both runs received every input record, then both pages unchanged over five polls 20 s apart
# (80 s: more than two 30 s snapshot rounds, so a reference published after the last record has come through)
for _ in $(seq 60); do
  [ "$(received 18091)" = "$input" ] && [ "$(received 18092)" = "$input" ] && break
  sleep 10
done
echo "received: $(received 18091) and $(received 18092) of $input input records"
previous=""; same=0
for _ in $(seq 30); do
  sleep 20
  now="$(series 18091 | md5sum) $(series 18092 | md5sum)"
  if [ "$now" = "$previous" ]; then same=$((same + 1)); else same=0; fi
  [ $same -ge 4 ] && break
  previous=$now
done
series 18091 > metrics1.txt; series 18092 > metrics2.txt
echo "series: $(wc -l < metrics1.txt) and $(wc -l < metrics2.txt)"
# a series differs when its value differs or only one run has it
diff metrics1.txt metrics2.txt | grep -E '^[<>]' | sed -E 's/^[<>] //; s/ [^ ]*$//' | sort -u > differing.txt
if [ "$(wc -l < metrics1.txt)" -lt 100 ] || [ "$(wc -l < metrics2.txt)" -lt 100 ]; then
  echo "NOTHING TO COMPARE: a run published fewer than 100 model series (see run1.log, run2.log, sim.log)"
elif [ -s differing.txt ]; then
  echo "DIFFERENT: $(wc -l < differing.txt) series, by metric:"
  sed -E 's/\{.*metric="([^"]*)".*/ \1/; s/\{.*series="([^"]*)".*/ \1/; s/\{.*//' differing.txt | sort | uniq -c | sort -rn
else
  echo "IDENTICAL: every model series equal, bit for bit"
fi
kill -TERM "$P1" "$P2"; wait "$P1" "$P2"; kill "$BPID"
