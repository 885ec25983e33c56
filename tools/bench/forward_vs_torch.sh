#!/usr/bin/env bash
# The GPT-2-small forward pass, run_with_cache and KV-cache decoding: lens4j (JMH ForwardBenchmark
# and ForwardDecodeBenchmark) against PyTorch CPU and TransformerLens (tools/bench/torch_forward.py), alternating the two
# in one session, and writes the medians to docs/perf/forward.md (between the results markers; the
# rest of the file is kept). Raw results are archived under tools/bench/results/.
#
#   tools/bench/forward_vs_torch.sh [rounds]        # default 3 rounds
#
# PyTorch is the reference venv's 2.13 (MKL, oneDNN), TransformerLens 2.18 on it (tools/bench/setup-python.sh).
# Environment: JMH_OPTS (default "-f 1 -wi 2 -w 3 -i 3 -r 3"), TORCH_OPTS (default "--runs 3").
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"
root="$ROOT"
rounds="${1:-3}"
jmh_opts="${JMH_OPTS:--f 1 -wi 2 -w 3 -i 3 -r 3}"
torch_opts="${TORCH_OPTS:---runs 3}"
out="$root/benchmarks/target/forward-vs-torch"

bench_begin "$out"
echo "$rounds" >"$out/rounds.txt"
echo "$jmh_opts" >"$out/jmh_opts.txt"
echo "$torch_opts" >"$out/torch_opts.txt"

lens4j() {
  # shellcheck disable=SC2086
  run_jmh "$out/jmh-$1.log" 'dev.lens4j.bench.(ForwardBenchmark|ForwardDecodeBenchmark)' $jmh_opts -rf json -rff "$out/jmh-$1.json"
}
pytorch() {
  # shellcheck disable=SC2086
  "$PYTHON" "$root/tools/bench/torch_forward.py" $torch_opts >"$out/torch-$1.jsonl"
}
bench_alternate "$rounds" lens4j pytorch
echo "lens4j with the JVM's default collector and heap (G1), for the cache overhead" >&2
# shellcheck disable=SC2086
run_jmh "$out/jmh-default-gc.log" 'dev.lens4j.bench.ForwardBenchmark' $jmh_opts -jvmArgsAppend '--add-modules=jdk.incubator.vector -Xmx8g' \
    -rf json -rff "$out/jmh-default-gc.json"
session_end "$out/session.json"

"$PYTHON" "$root/tools/bench/forward_summary.py" "$out" "$root/docs/perf/forward.md"

bench_archive "$out" "forward-vs-torch-$(date -u +%Y-%m-%d)"
