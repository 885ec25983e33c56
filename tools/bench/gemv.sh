#!/usr/bin/env bash
# lens4j's GEMV (the products of a GPT-2-small decoding step, float32 and bfloat16 weights) against
# the memory bandwidth (STREAM triad) and PyTorch 2.13's float32 matmuls of the same step, alternating
# in one session (tools/bench/gemv_bandwidth.py); then JMH GemvBenchmark (per matrix) and
# MemoryBandwidthBenchmark for the record. Rewrites the GEMV block of docs/perf/matmul.md and archives
# the raw results in tools/bench/results/gemv-DATE/.
#
#   tools/bench/gemv.sh [rounds]        # default 5 rounds
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"
rounds="${1:-5}"
jmh_opts="${JMH_OPTS:--f 1 -wi 3 -w 1 -i 5 -r 1}"
out="$ROOT/benchmarks/target/gemv"
(cd "$ROOT" && ./mvnw -q -B -DskipTests -pl benchmarks -am package)
rm -rf "$out"
mkdir -p "$out"
"$PYTHON" "$ROOT/tools/bench/gemv_bandwidth.py" --java "$JAVA_HOME/bin/java" --jar "$ROOT/benchmarks/target/benchmarks.jar" \
    --rounds "$rounds" --seconds "${SECONDS_PER_RUN:-2}" --out "$out" --doc "$ROOT/docs/perf/matmul.md" \
    --command "tools/bench/gemv.sh $rounds"
# shellcheck disable=SC2086
run_jmh "$out/jmh.log" 'dev.lens4j.bench.(GemvBenchmark|MemoryBandwidthBenchmark)' $jmh_opts -rf json -rff "$out/jmh.json"
archive="$ROOT/tools/bench/results/gemv-$(date -u +%Y-%m-%d)"
rm -rf "$archive"
mkdir -p "$archive"
cp "$out"/session.json "$out"/raw.jsonl "$out"/summary.md "$out"/jmh.json "$archive"/
echo "raw results archived in ${archive#"$ROOT"/}" >&2
