#!/usr/bin/env bash
# The GPT-2-small backward pass: lens4j (JMH BackwardBenchmark: forward, forward + backward to every
# activation's gradient, forward + backward with every weight's gradient; default and reproducible passes)
# against PyTorch 2.13 autograd on the same model and shapes (tools/bench/torch_backward.py), alternating the
# two in one session. Raw results go to benchmarks/target/backward-vs-torch and are archived under
# tools/bench/results/backward-vs-torch-<date>-<shapes>/; tools/bench/backward_summary.py makes the table of
# docs/perf/backward.md from them.
#
#   tools/bench/backward_vs_torch.sh [rounds]        # default 3 rounds
#
# Environment: SHAPES (default "1x128 8x128"), THREADS (default "1 2"), REPRODUCIBLE (default "false true"),
# JMH_OPTS (default "-f 1 -wi 1 -w 1 -i 3 -r 1"), TORCH_OPTS (default "--runs 3").
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"
root="$ROOT"
rounds="${1:-3}"
shapes="${SHAPES:-1x128 8x128}"
threads="${THREADS:-1 2}"
reproducible="${REPRODUCIBLE:-false true}"
jmh_opts="${JMH_OPTS:--f 1 -wi 1 -w 1 -i 3 -r 1}"
torch_opts="${TORCH_OPTS:---runs 3}"
out="$root/benchmarks/target/backward-vs-torch"

bench_begin "$out"
printf '%s\n' "rounds $rounds" "shapes $shapes" "threads $threads" "reproducible $reproducible" "jmh $jmh_opts" \
    "torch $torch_opts" >"$out/settings.txt"
csv() { echo "$1" | tr ' ' ','; }

lens4j() {
  # shellcheck disable=SC2086
  run_jmh "$out/jmh-$1.log" 'dev.lens4j.bench.BackwardBenchmark' -p shape="$(csv "$shapes")" -p threads="$(csv "$threads")" \
      -p reproducible="$(csv "$reproducible")" $jmh_opts -rf json -rff "$out/jmh-$1.json"
}
pytorch() {   # autograd
  # shellcheck disable=SC2086
  "$PYTHON" "$root/tools/bench/torch_backward.py" --shapes $shapes --threads $threads $torch_opts >"$out/torch-$1.jsonl"
}
bench_alternate "$rounds" lens4j pytorch
session_end "$out/session.json"

bench_archive "$out" "backward-vs-torch-$(date -u +%Y-%m-%d)-$(echo "$shapes" | tr ' ' '_')"
