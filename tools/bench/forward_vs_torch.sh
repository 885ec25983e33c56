#!/usr/bin/env bash
# The GPT-2-small forward pass, run_with_cache and KV-cache decoding: lens4j (JMH ForwardBenchmark
# and ForwardDecodeBenchmark) against PyTorch CPU (tools/bench/torch_forward.py), alternating the two
# in one session, and writes the medians to docs/perf/forward.md (between the results markers; the
# rest of the file is kept). Raw results are archived under tools/bench/results/.
#
#   tools/bench/forward_vs_torch.sh [rounds]        # default 3 rounds
#
# Environment: JMH_OPTS (default "-f 1 -wi 2 -w 3 -i 3 -r 3"), TORCH_OPTS (default "--runs 3").
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds="${1:-3}"
jmh_opts="${JMH_OPTS:--f 1 -wi 2 -w 3 -i 3 -r 3}"
torch_opts="${TORCH_OPTS:---runs 3}"
out="$root/benchmarks/target/forward-vs-torch"
# shellcheck source=../../.mvn/find-jdk.sh
. "$root/.mvn/find-jdk.sh"
lens4j_find_jdk || exit 1
python=/usr/bin/python3
[ -x "$python" ] || python=python3

(cd "$root" && ./mvnw -q -B -DskipTests -pl benchmarks -am package)
rm -rf "$out"
mkdir -p "$out"

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
  "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -jar "$root/benchmarks/target/benchmarks.jar" \
      'dev.lens4j.bench.(ForwardBenchmark|ForwardDecodeBenchmark)' $jmh_opts \
      -rf json -rff "$out/jmh-$r.json" >"$out/jmh-$r.log" 2>&1 || { cat "$out/jmh-$r.log" >&2; exit 1; }
  echo "round $r/$rounds: PyTorch" >&2
  # shellcheck disable=SC2086
  "$python" "$root/tools/bench/torch_forward.py" $torch_opts >"$out/torch-$r.jsonl"
done
echo "lens4j with the JVM's default collector and heap (G1), for the cache overhead" >&2
# shellcheck disable=SC2086
"$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -jar "$root/benchmarks/target/benchmarks.jar" \
    'dev.lens4j.bench.ForwardBenchmark' $jmh_opts -jvmArgsAppend '--add-modules=jdk.incubator.vector -Xmx8g' \
    -rf json -rff "$out/jmh-default-gc.json" >"$out/jmh-default-gc.log" 2>&1 || { cat "$out/jmh-default-gc.log" >&2; exit 1; }
echo "load_end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/session.txt"

"$python" - "$out" "$root/docs/perf/forward.md" <<'PY'
import glob, json, os, re, statistics, sys

out, doc = sys.argv[1], sys.argv[2]
session = dict(line.split(": ", 1) for line in open(os.path.join(out, "session.txt")).read().splitlines())

def flops(batch, pos):
    # weight matrices (12 blocks of QKV, O, MLP in and out) + the tied unembedding, then attention
    weights = 12 * (768 * 2304 + 768 * 768 + 2 * 768 * 3072) + 768 * 50257
    return 2 * batch * pos * weights + 2 * 12 * 12 * batch * 2 * pos * pos * 64

def read_jmh(files):
    result = {}
    for f in files:
        for b in json.load(open(f)):
            p = b["params"]
            raw = [x for fork in b["primaryMetric"]["rawData"] for x in fork]
            if b["benchmark"].endswith("decode"):
                key = ("decode", "1x16", int(p["threads"]))
            else:
                key = ("forward" if b["benchmark"].endswith(".forward") else "cache", p["shape"], int(p["threads"]))
                raw = [x / 1000.0 for x in raw]
            result.setdefault(key, []).extend(raw)
    return result

default_gc = read_jmh(glob.glob(os.path.join(out, "jmh-default-gc.json")))
lens, torch = {}, {}
for f in sorted(glob.glob(os.path.join(out, "jmh-[0-9]*.json"))):
    for b in json.load(open(f)):
        p = b["params"]
        raw = [x for fork in b["primaryMetric"]["rawData"] for x in fork]
        if b["benchmark"].endswith("decode"):
            key = ("decode", "1x16", int(p["threads"]))           # tokens per second
        else:
            mode = "forward" if b["benchmark"].endswith(".forward") else "cache"
            key = (mode, p["shape"], int(p["threads"]))
            raw = [x / 1000.0 for x in raw]                       # ms -> s
        lens.setdefault(key, []).extend(raw)
torch_version, blas = "", ""
for f in sorted(glob.glob(os.path.join(out, "torch-*.jsonl"))):
    for line in open(f):
        t = json.loads(line)
        torch_version, blas = t["torch"], t["blas"]
        if t["bench"] == "decode":
            torch.setdefault(("decode", "1x16", t["threads"]), []).extend(t["runs_tok_per_s"])
        else:
            torch.setdefault((t["bench"], "%dx%d" % (t["batch"], t["pos"]), t["threads"]), []).extend(t["runs_s"])

med = statistics.median
lines = []
lines.append("Measured %s by `tools/bench/forward_vs_torch.sh %s`." % (session["date"], session["rounds"]))
lines.append("")
lines.append("- JDK: %s; JMH `%s`, one fork per round; forks run with `-XX:+UseParallelGC -Xms8g -Xmx8g -XX:+AlwaysPreTouch` (ForwardBenchmark) and `-Xmx6g` (ForwardDecodeBenchmark)" % (session["jdk"], session["jmh_opts"]))
lines.append("- CPU: %s" % session["cpu"])
lines.append("- PyTorch %s, %s; `torch_forward.py %s`, `OMP_WAIT_POLICY=PASSIVE`" % (torch_version, blas, session["torch_opts"]))
lines.append("- Load average (1, 5, 15 min) at the start: %s; at the end: %s" % (session["load_start"], session.get("load_end", "?")))
lines.append("- Rounds: %s, each lens4j (JMH) then PyTorch; medians over every measured iteration of every round" % session["rounds"])
lines.append("")
lines.append("Forward pass to logits `[batch, pos, 50257]`:")
lines.append("")
lines.append("| batch x pos | threads | lens4j ms | lens4j GFLOP/s | PyTorch ms | PyTorch / lens4j (speed-up) |")
lines.append("|---|---|---|---|---|---|")
for threads in (1, 2):
    for shape in ("1x128", "1x1024", "8x128"):
        key = ("forward", shape, threads)
        if key not in lens:
            continue
        b, p = (int(s) for s in shape.split("x"))
        l = med(lens[key])
        t = med(torch[key]) if key in torch else None
        lines.append("| %s | %d | %.0f | %.0f | %s | %s |" % (shape, threads, 1000 * l, flops(b, p) / l / 1e9,
                     "%.0f" % (1000 * t) if t else "-", "%.2f" % (t / l) if t else "-"))
lines.append("")
lines.append("`runWithCache` with every hook point cached, against the plain forward pass of the same run "
             "(PyTorch: the same forward cloning every hook's tensor into a dict, as TransformerLens's cache does):")
lines.append("")
lines.append("| batch x pos | threads | lens4j cache ms | lens4j overhead | PyTorch cache ms | PyTorch overhead |")
lines.append("|---|---|---|---|---|---|")
for threads in (1, 2):
    for shape in ("1x128", "1x1024", "8x128"):
        key, base = ("cache", shape, threads), ("forward", shape, threads)
        if key not in lens:
            continue
        l, lb = med(lens[key]), med(lens[base])
        t = med(torch[key]) if key in torch else None
        tb = med(torch[base]) if base in torch else None
        lines.append("| %s | %d | %.0f | %+.1f%% | %s | %s |" % (shape, threads, 1000 * l, 100 * (l / lb - 1),
                     "%.0f" % (1000 * t) if t else "-", "%+.1f%%" % (100 * (t / tb - 1)) if t and tb else "-"))
if default_gc:
    lines.append("")
    lines.append("The same two benchmarks with the JVM's default collector and heap sizing (G1, `-Xmx8g` only), one run:")
    lines.append("")
    lines.append("| batch x pos | threads | forward ms | cache ms | overhead |")
    lines.append("|---|---|---|---|---|")
    for threads in (1, 2):
        for shape in ("1x128", "1x1024", "8x128"):
            key, base = ("cache", shape, threads), ("forward", shape, threads)
            if key in default_gc and base in default_gc:
                l, lb = med(default_gc[key]), med(default_gc[base])
                lines.append("| %s | %d | %.0f | %.0f | %+.1f%% |" % (shape, threads, 1000 * lb, 1000 * l, 100 * (l / lb - 1)))
lines.append("")
lines.append("KV-cache greedy decoding after a 16-token prompt, tokens per second (each step reads all 124M "
             "float32 weights, 497 MB; the bound is the machine's memory bandwidth, about 15 GB/s on one core and "
             "30 GB/s on two, i.e. 30 and 60 tokens per second):")
lines.append("")
lines.append("| threads | lens4j tok/s | % of the bandwidth bound | PyTorch tok/s | lens4j / PyTorch |")
lines.append("|---|---|---|---|---|")
for threads in (1, 2):
    key = ("decode", "1x16", threads)
    if key not in lens:
        continue
    l = med(lens[key])
    t = med(torch[key]) if key in torch else None
    lines.append("| %d | %.1f | %.0f%% | %s | %s |" % (threads, l, 100 * l / (30.0 * threads),
                 "%.1f" % t if t else "-", "%.2f" % (l / t) if t else "-"))
block = "<!-- results:begin -->\n" + "\n".join(lines) + "\n<!-- results:end -->"
text = open(doc).read() if os.path.exists(doc) else "# The forward pass: lens4j against PyTorch\n"
if "<!-- results:begin -->" in text:
    text = re.sub(r"<!-- results:begin -->.*<!-- results:end -->", lambda m: block, text, flags=re.S)
else:
    text = text.rstrip() + "\n\n" + block + "\n"
open(doc, "w").write(text)
print("\n".join(lines))
PY

archive="$root/tools/bench/results/forward-vs-torch-$(date -u +%Y-%m-%d)"
rm -rf "$archive"
mkdir -p "$archive"
cp "$out"/session.txt "$out"/*.json "$out"/*.jsonl "$archive"/
echo "raw results archived in ${archive#"$root"/}" >&2
