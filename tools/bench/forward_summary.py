"""Summarises a forward_vs_torch.sh run: reads DIR (session.json, rounds.txt, jmh_opts.txt,
torch_opts.txt, jmh-N.json, jmh-default-gc.json, torch-N.jsonl) and replaces the block between the
results markers of DOC (docs/perf/forward.md) with the tables, which it also prints.

    python tools/bench/forward_summary.py DIR DOC
"""
import glob, json, os, statistics, sys

out, doc = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchenv
import resultsblock
session = json.load(open(os.path.join(out, "session.json")))
session["rounds"] = open(os.path.join(out, "rounds.txt")).read().strip()
session["jmh_opts"] = open(os.path.join(out, "jmh_opts.txt")).read().strip()
session["torch_opts"] = open(os.path.join(out, "torch_opts.txt")).read().strip()

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
tl_version = None
for f in sorted(glob.glob(os.path.join(out, "torch-*.jsonl"))):
    for line in open(f):
        t = json.loads(line)
        tl_version = t.get("transformer_lens", tl_version)
        # the policy torch_forward.py ran with (it sets PASSIVE unless the caller set one)
        session["torch"]["torch"]["omp_wait_policy"] = t.get("omp_wait_policy")
        if t["bench"] == "decode":
            torch.setdefault(("decode", "1x16", t["threads"]), []).extend(t["runs_tok_per_s"])
        else:
            torch.setdefault((t["bench"], "%dx%d" % (t["batch"], t["pos"]), t["threads"]), []).extend(t["runs_s"])

med = statistics.median
lines = []
lines.append("Measured %s by `tools/bench/forward_vs_torch.sh %s`: %s rounds of lens4j (JMH) and of PyTorch and "
             "TransformerLens (`torch_forward.py %s`), the side that goes first alternating by round; medians over every measured iteration of every round."
             % (session["load_start"]["time"], session["rounds"], session["rounds"], session["torch_opts"]))
lines.append("")
lines += benchenv.describe_session(session)
lines.append("- JMH `%s`, one fork per round; forks run with `-XX:+UseParallelGC -Xms8g -Xmx8g -XX:+AlwaysPreTouch` "
             "(ForwardBenchmark) and `-Xmx6g` (ForwardDecodeBenchmark); TransformerLens %s" % (session["jmh_opts"], tl_version or "not installed"))
lines.append("")
lines.append("Forward pass to logits `[batch, pos, 50257]`:")
lines.append("")
lines.append("| batch x pos | threads | lens4j ms | lens4j GFLOP/s | PyTorch ms | PyTorch / lens4j (speed-up) | TransformerLens ms |")
lines.append("|---|---|---|---|---|---|---|")
for threads in (1, 2):
    for shape in ("1x128", "1x1024", "8x128"):
        key = ("forward", shape, threads)
        if key not in lens:
            continue
        b, p = (int(s) for s in shape.split("x"))
        l = med(lens[key])
        t = med(torch[key]) if key in torch else None
        tl = med(torch[("tl_forward", shape, threads)]) if ("tl_forward", shape, threads) in torch else None
        lines.append("| %s | %d | %.0f | %.0f | %s | %s | %s |" % (shape, threads, 1000 * l, flops(b, p) / l / 1e9,
                     "%.0f" % (1000 * t) if t else "-", "%.2f" % (t / l) if t else "-", "%.0f" % (1000 * tl) if tl else "-"))
lines.append("")
lines.append("`runWithCache` with every hook point cached, against the plain forward pass of the same run "
             "(PyTorch: the same forward cloning every hook's tensor into a dict, as TransformerLens's cache does):")
lines.append("")
lines.append("| batch x pos | threads | lens4j cache ms | lens4j overhead | PyTorch cache ms | PyTorch overhead | TL run_with_cache ms | TL / lens4j (speed-up) |")
lines.append("|---|---|---|---|---|---|---|---|")
for threads in (1, 2):
    for shape in ("1x128", "1x1024", "8x128"):
        key, base = ("cache", shape, threads), ("forward", shape, threads)
        if key not in lens:
            continue
        l, lb = med(lens[key]), med(lens[base])
        t = med(torch[key]) if key in torch else None
        tb = med(torch[base]) if base in torch else None
        tl = med(torch[("tl_cache", shape, threads)]) if ("tl_cache", shape, threads) in torch else None
        lines.append("| %s | %d | %.0f | %+.1f%% | %s | %s | %s | %s |" % (shape, threads, 1000 * l, 100 * (l / lb - 1),
                     "%.0f" % (1000 * t) if t else "-", "%+.1f%%" % (100 * (t / tb - 1)) if t and tb else "-",
                     "%.0f" % (1000 * tl) if tl else "-", "%.2f" % (tl / l) if tl else "-"))
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
resultsblock.write_results(doc, lines, "The forward pass: lens4j against PyTorch")
print("\n".join(lines))
