#!/usr/bin/env bash
# Gradient attributions at GPT-2-small 1 x 128: lens4j (JMH GradientBenchmark) against PyTorch 2.13 autograd
# (TransformerLens 2.18 and the EAP-IG reference implementation, tools/bench/torch_gradients.py), alternating
# the two in one session, and writes the medians to docs/perf/gradients.md (between the results markers; the
# rest of the file is kept) with tools/bench/gradients_summary.py. Raw results are archived under tools/bench/results/.
#
#   tools/bench/gradients_vs_torch.sh [rounds]        # default 3 rounds (one took 28 minutes at load 15 on 2 vCPUs)
#
# Environment: JMH_OPTS (default "-f 1 -wi 1 -w 2 -i 3 -r 2"), TORCH_OPTS (default "--runs 3").
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"
root="$ROOT"
rounds="${1:-3}"
jmh_opts="${JMH_OPTS:--f 1 -wi 1 -w 2 -i 3 -r 2}"
torch_opts="${TORCH_OPTS:---runs 3}"
out="$root/benchmarks/target/gradients-vs-torch"

bench_begin "$out"
echo "$rounds" >"$out/rounds.txt"
echo "$jmh_opts" >"$out/jmh_opts.txt"
echo "$torch_opts" >"$out/torch_opts.txt"

lens4j() {
  # shellcheck disable=SC2086
  run_jmh "$out/jmh-$1.log" 'dev.lens4j.bench.GradientBenchmark' $jmh_opts -rf json -rff "$out/jmh-$1.json"
}
pytorch() {   # TransformerLens and the EAP-IG reference
  # shellcheck disable=SC2086
  "$PYTHON" "$root/tools/bench/torch_gradients.py" $torch_opts >"$out/torch-$1.jsonl"
}
bench_alternate "$rounds" lens4j pytorch
session_end "$out/session.json"

"$PYTHON" "$root/tools/bench/gradients_summary.py" "$out" "$root/docs/perf/gradients.md"

bench_archive "$out" "gradients-vs-torch-$(date -u +%Y-%m-%d)"
