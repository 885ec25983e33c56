#!/usr/bin/env bash
# Every measurement in docs/PERFORMANCE.md, in one command, on a quiet machine (never timed end to end: its
# parts took 5 to 46 minutes each on 2 vCPUs, so expect several hours, and 8.4 GB of disk for the family models):
# makes the PyTorch reference venv once (PyTorch 2.13 with MKL and oneDNN, TransformerLens 2.18), then
# runs each comparison script, which rewrites its page under docs/perf/ and archives its raw results
# (with the machine, JDK, torch, BLAS, threads and load) under tools/bench/results/.
#
#   tools/bench/reproduce-all.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/common.sh"                   # ROOT, JAVA_HOME (JDK 25), PYTHON (the reference venv, made when missing)
root="$ROOT"
"$here/matmul_vs_torch.sh" 5          # docs/perf/matmul.md (GEMM)
"$here/gemv.sh" 5                     # docs/perf/matmul.md (GEMV against the memory bandwidth)
"$here/kernels.sh"                    # docs/perf/kernels.md
"$here/forward_vs_torch.sh" 3         # docs/perf/forward.md
"$here/backward_vs_torch.sh" 3        # docs/perf/backward.md (tabulated by backward_summary.py)
"$here/train_vs_torch.sh" 3           # the table in docs/perf/training.md (printed; paste it in)
"$here/gradients_vs_torch.sh" 3       # docs/perf/gradients.md (PyTorch 2.13 from the reference venv)
out="$root/tools/bench/results/analysis-$(date -u +%Y-%m-%d)"
mkdir -p "$out"
"$here/run-jmh.sh" 'dev.lens4j.bench.(PatchingBenchmark|CompositionBenchmark)' -f 1 -wi 1 -i 3 \
    -rf json -rff "$out/jmh.json"     # docs/perf/analysis.md
"$PYTHON" "$here/make_bench_models.py"  # Pythia-160M- and Llama-1B-shaped folders in ~/.cache/lens4j/bench-models
for suite in pythia llama pythia-bf16 llama-bf16; do   # docs/perf/families.md (its tables from each summary.md)
  "$PYTHON" "$here/forward_vs_torch.py" --java "$JAVA_HOME/bin/java" --jar "$root/benchmarks/target/benchmarks.jar" \
      --suite "$suite" --rounds 3 --out "$root/tools/bench/results/forward-families-$(date -u +%Y-%m-%d)/$suite"
done
