#!/usr/bin/env bash
# Training the shipped induction model's recipe to a repeated-block loss below 0.5: lens4j
# (`lens4j train --stop-below 0.5`) against its PyTorch twin (tools/bench/torch_train_induction.py,
# the reference venv's PyTorch 2.13; session.json records the machine, torch, its BLAS and the load),
# alternating the two, for seeds 1..3 on 1 and 2 threads. Prints a markdown table of wall times
# (the numbers in docs/perf/training.md) and archives the raw output under tools/bench/results/.
#
#   tools/bench/train_vs_torch.sh [seeds]      # default 3 seeds
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"
root="$ROOT"
python="$PYTHON"
seeds="${1:-3}"

(cd "$root" && ./mvnw -q -B -DskipTests -pl app -am install)
out="$root/tools/bench/results/train-vs-torch-$(date -u +%Y-%m-%d)"
rm -rf "$out"
mkdir -p "$out"
session_start "$out/session.json"

echo "| seed | threads | lens4j step | lens4j s | load | PyTorch step | PyTorch s | load |"
echo "|---|---|---|---|---|---|---|---|"
for seed in $(seq 1 "$seeds"); do
  for threads in 1 2; do
    load_l="$(cut -d' ' -f1 /proc/loadavg)"
    tmp="$(mktemp -d)"
    "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -XX:+UseParallelGC -jar "$root/app/target/lens4j.jar" \
        train --out "$tmp/run" --threads "$threads" --seed "$seed" --stop-below 0.5 >"$out/lens4j-s$seed-t$threads.log" 2>&1
    rm -rf "$tmp"
    line="$(grep -o 'below 0.5 at step [0-9]* after [0-9.]* s' "$out/lens4j-s$seed-t$threads.log" || echo 'below 0.5 at step - after - s')"
    l_step="$(echo "$line" | awk '{print $5}')"
    l_s="$(echo "$line" | awk '{print $7}')"
    load_t="$(cut -d' ' -f1 /proc/loadavg)"
    "$python" "$root/tools/bench/torch_train_induction.py" --threads "$threads" --seed "$seed" >"$out/torch-s$seed-t$threads.jsonl"
    t_step="$("$python" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["step_below_threshold"])' "$out/torch-s$seed-t$threads.jsonl")"
    t_s="$("$python" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["wall_s_to_threshold"])' "$out/torch-s$seed-t$threads.jsonl")"
    echo "| $seed | $threads | $l_step | $l_s | $load_l | $t_step | $t_s | $load_t |" | tee -a "$out/table.md"
  done
done
session_end "$out/session.json"
echo "raw results archived in ${out#"$root"/}" >&2
