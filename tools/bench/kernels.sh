#!/usr/bin/env bash
# The scalar oracle against the Vector API kernels (JMH SoftmaxBenchmark, LayerNormBenchmark and
# ElementwiseBenchmark, one thread), then writes the table in docs/perf/kernels.md (between the
# results markers) and archives the JMH JSON under tools/bench/results/.
#
#   tools/bench/kernels.sh            # JMH_OPTS default "-f 1 -wi 3 -i 5"
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"
root="$ROOT"
python="$PYTHON"
jmh_opts="${JMH_OPTS:--f 1 -wi 3 -i 5}"
(cd "$root" && ./mvnw -q -B -DskipTests -pl benchmarks -am package)
out="$root/tools/bench/results/kernels-$(date -u +%Y-%m-%d)"
rm -rf "$out"
mkdir -p "$out"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "jdk: $("$JAVA_HOME/bin/java" -version 2>&1 | sed -n 2p)"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, flags: $(grep -o -w -E 'avx2|fma|avx512f|avx512_bf16|avx512_fp16' /proc/cpuinfo | sort -u | tr '\n' ' ')"
  echo "load_start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "jmh_opts: $jmh_opts"
} >"$out/session.txt"
# shellcheck disable=SC2086
"$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -jar "$root/benchmarks/target/benchmarks.jar" \
    'dev.lens4j.bench.(Softmax|LayerNorm|Elementwise)Benchmark' $jmh_opts -rf json -rff "$out/jmh.json" >"$out/jmh.log" 2>&1 \
    || { cat "$out/jmh.log" >&2; exit 1; }
echo "load_end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/session.txt"

"$python" - "$out" "$root/docs/perf/kernels.md" <<'PY'
import json, os, statistics, sys
sys.path.insert(0, os.path.join(os.environ["ROOT"], "tools", "bench"))
import resultsblock
out, doc = sys.argv[1], sys.argv[2]
session = dict(line.split(": ", 1) for line in open(os.path.join(out, "session.txt")).read().splitlines())
rows = {}
for b in json.load(open(os.path.join(out, "jmh.json"))):
    name = b["benchmark"].split(".")[-2].replace("Benchmark", "") + "." + b["benchmark"].split(".")[-1]
    p = b["params"]
    shape = p.get("shape") or p.get("n") or p.get("dModel") or next(v for k, v in p.items() if k != "impl")
    raw = [x for fork in b["primaryMetric"]["rawData"] for x in fork]
    rows.setdefault((name, shape), {})[p["impl"]] = (statistics.median(raw), min(raw), max(raw), b["primaryMetric"]["scoreUnit"])

def elements(name, shape):
    dims = [int(x) for x in str(shape).split("x")]
    n = 1
    for d in dims:
        n *= d
    return n * (128 if name.startswith("LayerNorm") else 1)

def fmt(v):
    return "{:,.0f}".format(v) if v >= 100 else "%.3g" % v

lines = ["Measured %s by `tools/bench/kernels.sh`; JDK %s; CPU %s; JMH `%s`; load average %s at the start, %s at the end."
         % (session["date"], session["jdk"], session["cpu"], session["jmh_opts"], session["load_start"], session.get("load_end", "?")), "",
         "| benchmark | shape | scalar, median (min-max) | panama, median (min-max) | speed-up | panama ns/element |",
         "|---|---|---:|---:|---:|---:|"]
for (name, shape) in sorted(rows, key=lambda k: (k[0], elements(*k))):
    r = rows[(name, shape)]
    if "scalar" not in r or "panama" not in r:
        continue
    s, p = r["scalar"], r["panama"]
    unit = s[3].replace("/op", "").replace("us", "µs")
    to_ns = {"ns": 1, "µs": 1e3, "ms": 1e6}[unit]
    label = "[128, %s]" % shape if name.startswith("LayerNorm") else "[%s]" % str(shape).replace("x", ", ")
    lines.append("| %s | %s | %s (%s-%s) %s | %s (%s-%s) %s | %.1fx | %.2f |" % (
        name, label, fmt(s[0]), fmt(s[1]), fmt(s[2]), unit, fmt(p[0]), fmt(p[1]), fmt(p[2]), unit,
        s[0] / p[0], p[0] * to_ns / elements(name, shape)))
resultsblock.write_results(doc, lines, "Kernels: the Vector API against the scalar oracle")
print("\n".join(lines))
PY
echo "raw results archived in ${out#"$root"/}" >&2
