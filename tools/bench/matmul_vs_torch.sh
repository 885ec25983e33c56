#!/usr/bin/env bash
# lens4j GEMM against PyTorch CPU (OpenBLAS), alternating the two in one session, and writes the
# medians to docs/perf/matmul.md (between the results markers; the rest of the file is kept).
#
#   tools/bench/matmul_vs_torch.sh [rounds]        # default 3 rounds
#
# Each round runs JMH (MatmulBenchmark and AttentionScoreBenchmark, threads 1 and 2, one fork)
# and then tools/bench/torch_matmul.py on the same shapes and thread counts, so that both see the
# same machine conditions. Raw results go to benchmarks/target/matmul-vs-torch/.
# Environment: JMH_OPTS (default "-f 1 -wi 6 -w 2 -i 3 -r 2"; the Vector API kernels need several seconds
# of warm-up under load), TORCH_OPTS (default "--runs 3 --min-time 1").
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds="${1:-3}"
jmh_opts="${JMH_OPTS:--f 1 -wi 6 -w 2 -i 3 -r 2}"
torch_opts="${TORCH_OPTS:---runs 3 --min-time 1}"
out="$root/benchmarks/target/matmul-vs-torch"
# shellcheck source=../../.mvn/find-jdk.sh
. "$root/.mvn/find-jdk.sh"
lens4j_find_jdk || exit 1
python=/usr/bin/python3
[ -x "$python" ] || python=python3

(cd "$root" && ./mvnw -q -B -DskipTests -pl benchmarks -am package)
rm -rf "$out"
mkdir -p "$out"

# JMH refuses to start while another JMH run holds its lock: wait for it instead of running alongside.
run_jmh() {
  local log="$1"; shift
  while true; do
    if "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -jar "$root/benchmarks/target/benchmarks.jar" "$@" >"$log" 2>&1; then
      return 0
    fi
    if grep -q "Unable to acquire the JMH lock" "$log"; then
      echo "another JMH run holds the lock; waiting" >&2
      sleep 30
    else
      cat "$log" >&2
      return 1
    fi
  done
}

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "jdk: $("$JAVA_HOME/bin/java" -version 2>&1 | sed -n 2p)"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, $(lscpu | grep -o 'avx512f' | head -1 || echo 'no avx512f')"
  echo "load_start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "rounds: $rounds"
  echo "jmh_opts: $jmh_opts"
  echo "torch_opts: $torch_opts"
} >"$out/session.txt"

for r in $(seq 1 "$rounds"); do
  echo "round $r/$rounds: lens4j (JMH)" >&2
  # shellcheck disable=SC2086
  run_jmh "$out/jmh-$r.log" 'dev.lens4j.bench.(MatmulBenchmark|AttentionScoreBenchmark)' $jmh_opts \
      -rf json -rff "$out/jmh-$r.json"
  echo "round $r/$rounds: PyTorch" >&2
  # shellcheck disable=SC2086
  "$python" "$root/tools/bench/torch_matmul.py" $torch_opts >"$out/torch-$r.jsonl"
done
echo "scalar baseline (JMH MatmulScalarBenchmark)" >&2
# shellcheck disable=SC2086
run_jmh "$out/jmh-scalar.log" 'dev.lens4j.bench.MatmulScalarBenchmark' $jmh_opts -rf json -rff "$out/jmh-scalar.json"
echo "load_end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/session.txt"

"$python" - "$out" "$root/docs/perf/matmul.md" <<'PY'
import glob, json, os, re, statistics, sys

out, doc = sys.argv[1], sys.argv[2]
PEAK = {1: 214.0, 2: 427.0}  # FP32 FMA peak of this machine, GFLOP/s (docs: REFERENCE)
session = dict(line.split(": ", 1) for line in open(os.path.join(out, "session.txt")).read().splitlines())

lens, torch, blas, torch_version = {}, {}, "", ""
for f in sorted(glob.glob(os.path.join(out, "jmh-[0-9]*.json"))):
    for b in json.load(open(f)):
        p = b["params"]
        if "AttentionScore" in b["benchmark"]:
            key = ("attn", "12x%sx64x%s" % (p["pos"], p["pos"]), int(p["threads"]))
        else:
            key = ("gemm", p["shape"], int(p["threads"]))
        raw = [x for fork in b["secondaryMetrics"]["gflops"]["rawData"] for x in fork]
        lens.setdefault(key, []).extend(raw)
for f in sorted(glob.glob(os.path.join(out, "torch-*.jsonl"))):
    for line in open(f):
        t = json.loads(line)
        torch.setdefault((t["kind"], t["shape"], t["threads"]), []).extend(t["gflops_runs"])
        blas, torch_version = t["blas"], t["torch"]
scalar = {}
sf = os.path.join(out, "jmh-scalar.json")
if os.path.exists(sf):
    for b in json.load(open(sf)):
        raw = [x for fork in b["secondaryMetrics"]["gflops"]["rawData"] for x in fork]
        scalar[(b["params"]["shape"], b["params"]["impl"])] = statistics.median(raw)

def fmt(x):
    return "%.1f" % x

rows = []
order = ["1024x768x3072", "1024x768x2304", "128x768x50257", "1024x3072x768",
         "256x256x256", "511x511x511", "768x768x768", "1024x1024x1024", "12x128x64x128", "12x1024x64x1024"]
keys = sorted(set(lens) | set(torch), key=lambda k: (k[2], order.index(k[1]) if k[1] in order else 99, k[1]))
for key in keys:
    kind, shape, threads = key
    l = statistics.median(lens[key]) if key in lens else None
    t = statistics.median(torch[key]) if key in torch else None
    label = shape if kind == "gemm" else "attn " + shape
    rows.append("| %s | %d | %s | %s | %s | %s | %s |" % (
        label, threads,
        fmt(l) if l else "-",
        ("%.0f%%" % (100 * l / PEAK[threads])) if l else "-",
        "%s&ndash;%s" % (fmt(min(lens[key])), fmt(max(lens[key]))) if key in lens else "-",
        fmt(t) if t else "-",
        ("%.2f" % (l / t)) if l and t else "-"))

lines = []
lines.append("Measured %s by `tools/bench/matmul_vs_torch.sh %s`." % (session["date"], session["rounds"]))
lines.append("")
lines.append("- JDK: %s; JMH `%s`, one fork per round" % (session["jdk"], session["jmh_opts"]))
lines.append("- CPU: %s" % session["cpu"])
lines.append("- PyTorch %s, %s; `torch_matmul.py %s`, `OMP_WAIT_POLICY=PASSIVE`" % (torch_version, blas, session["torch_opts"]))
lines.append("- Load average (1, 5, 15 min) at the start: %s; at the end: %s" % (session["load_start"], session.get("load_end", "?")))
lines.append("- Rounds: %s, each lens4j (JMH) then PyTorch; the medians are over every measured iteration of every round" % session["rounds"])
lines.append("")
lines.append("| shape (m x k x n) | threads | lens4j GFLOP/s | % of peak | lens4j range | PyTorch GFLOP/s | lens4j / PyTorch |")
lines.append("|---|---|---|---|---|---|---|")
lines.extend(rows)
if scalar:
    lines.append("")
    lines.append("Scalar oracle (`Gemm.multiplyScalar`) against `Gemm.multiply`, one thread (JMH `MatmulScalarBenchmark`), GFLOP/s:")
    lines.append("")
    lines.append("| shape | scalar | simd | speed-up |")
    lines.append("|---|---|---|---|")
    for shape in sorted({s for s, _ in scalar}, key=lambda s: int(s.split("x")[0])):
        sc, si = scalar.get((shape, "scalar")), scalar.get((shape, "simd"))
        lines.append("| %s | %s | %s | %s |" % (shape, fmt(sc) if sc else "-", fmt(si) if si else "-",
                                               ("%.0fx" % (si / sc)) if sc and si else "-"))
block = "<!-- results:begin -->\n" + "\n".join(lines) + "\n<!-- results:end -->"

if os.path.exists(doc):
    text = open(doc).read()
    if "<!-- results:begin -->" in text:
        text = re.sub(r"<!-- results:begin -->.*<!-- results:end -->", lambda m: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
else:
    text = "# Matrix multiplication: lens4j against PyTorch\n\n" + block + "\n"
open(doc, "w").write(text)
print("\n".join(lines))
PY

# Archive the raw results next to the scripts (STYLE: results archived as JSON, summarised in docs/).
archive="$root/tools/bench/results/matmul-vs-torch-$(date -u +%Y-%m-%d)"
rm -rf "$archive"
mkdir -p "$archive"
cp "$out"/session.txt "$out"/*.json "$out"/*.jsonl "$archive"/
echo "raw results archived in ${archive#"$root"/}" >&2
