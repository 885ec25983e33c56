#!/usr/bin/env bash
# lens4j's GEMM against PyTorch 2.13's matmul (MKL), alternating the two every second on the same
# product (tools/bench/matmul_vs_torch.py), at the GPT-2-small shapes on 1 and 2 threads, with B packed
# per call and packed once (PackedMatrix); then JMH MatmulBenchmark (plain, packed and the scalar
# oracle) for the record. Rewrites the results block of docs/perf/matmul.md and archives the raw
# results in tools/bench/results/matmul-vs-torch-DATE/.
#
#   tools/bench/matmul_vs_torch.sh [rounds]        # default 5 rounds
#
# Environment: SECONDS_PER_RUN (default 1), JMH_OPTS (default "-f 1 -wi 3 -w 1 -i 3 -r 1"; the Vector
# API kernels need a few seconds of warm-up), OMP_WAIT_POLICY for torch (default PASSIVE).
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"
rounds="${1:-5}"
jmh_opts="${JMH_OPTS:--f 1 -wi 3 -w 1 -i 3 -r 1}"
out="$ROOT/benchmarks/target/matmul-vs-torch"
(cd "$ROOT" && ./mvnw -q -B -DskipTests -pl benchmarks -am package)
rm -rf "$out"
mkdir -p "$out"
"$PYTHON" "$ROOT/tools/bench/matmul_vs_torch.py" --java "$JAVA_HOME/bin/java" --jar "$ROOT/benchmarks/target/benchmarks.jar" \
    --rounds "$rounds" --seconds "${SECONDS_PER_RUN:-1}" --omp-wait-policy "${OMP_WAIT_POLICY:-PASSIVE}" \
    --out "$out" --doc "$ROOT/docs/perf/matmul.md" --command "tools/bench/matmul_vs_torch.sh $rounds"
echo "JMH MatmulBenchmark (plain and packed) and the scalar oracle" >&2
# shellcheck disable=SC2086
run_jmh "$out/jmh.log" 'dev.lens4j.bench.MatmulBenchmark' -p impl=simd,packed $jmh_opts -rf json -rff "$out/jmh.json"
# shellcheck disable=SC2086
run_jmh "$out/jmh-t.log" 'dev.lens4j.bench.MatmulBenchmark' -p impl=simd,packed -p b=T -p shape=128x768x50257,1024x768x50257 \
    $jmh_opts -rf json -rff "$out/jmh-transposed.json"
# shellcheck disable=SC2086
run_jmh "$out/jmh-scalar.log" 'dev.lens4j.bench.MatmulScalarBenchmark' $jmh_opts -rf json -rff "$out/jmh-scalar.json"
archive="$ROOT/tools/bench/results/matmul-vs-torch-$(date -u +%Y-%m-%d)"
rm -rf "$archive"
mkdir -p "$archive"
cp "$out"/raw.jsonl "$out"/summary.md "$out"/*.json "$archive"/
echo "raw results archived in ${archive#"$ROOT"/}" >&2
