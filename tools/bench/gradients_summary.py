"""Summarises a gradients_vs_torch.sh run: reads DIR (session.json, rounds.txt, jmh_opts.txt, torch_opts.txt,
jmh-N.json, torch-N.jsonl) and replaces the block between the results markers of DOC (docs/perf/gradients.md)
with the table, which it also prints.

    python tools/bench/gradients_summary.py DIR DOC

Times are medians over every measured iteration of every round; "PyTorch / lens4j" is the median of the
per-round ratios of the two sides' medians (each round runs both a few seconds apart, so a ratio sees the
same load on both sides while the absolute times drift with the machine's other work).
"""
import glob, json, os, re, statistics, sys

out, doc = sys.argv[1], sys.argv[2]
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchenv
import resultsblock
session = json.load(open(os.path.join(out, "session.json")))
rounds = open(os.path.join(out, "rounds.txt")).read().strip()
jmh_opts = open(os.path.join(out, "jmh_opts.txt")).read().strip()
torch_opts = open(os.path.join(out, "torch_opts.txt")).read().strip()

NAMES = {"forward": "forward", "forwardBackward": "forward_backward", "forwardBackwardGraphView": "forward_backward_graph_view",
         "attributionPatching": "attribution_patching", "eapIg": "eap_ig"}
LABELS = [("forward", "forward pass"), ("forward_backward", "forward + backward pass"),
          ("forward_backward_graph_view", "forward + backward, split q/k/v inputs and head results"),
          ("attribution_patching", "attribution patching, every head and layer sweep"), ("eap_ig", "EAP-IG")]
med = statistics.median

lens, torch, steps, tl = {}, {}, None, "?"      # (bench, threads) -> {round: [seconds]}
for f in glob.glob(os.path.join(out, "jmh-*.json")):
    r = int(re.search(r"jmh-(\d+)\.json$", f).group(1))
    for b in json.load(open(f)):
        steps = int(b["params"]["steps"])
        raw = [x / 1000.0 for fork in b["primaryMetric"]["rawData"] for x in fork]      # ms -> s
        lens.setdefault((NAMES[b["benchmark"].rsplit(".", 1)[1]], int(b["params"]["threads"])), {})[r] = raw
for f in glob.glob(os.path.join(out, "torch-*.jsonl")):
    r = int(re.search(r"torch-(\d+)\.jsonl$", f).group(1))
    for line in open(f):
        t = json.loads(line)
        tl = t["transformer_lens"]
        session["torch"]["torch"]["omp_wait_policy"] = t.get("omp_wait_policy")
        torch.setdefault((t["bench"], t["threads"]), {})[r] = t["runs_s"]


def overall(side, key):
    runs = side.get(key)
    return med([x for xs in runs.values() for x in xs]) if runs else None


def ratio(num, den):
    """Median over the rounds of med(num's round) / med(den's round), for the rounds both have."""
    if not num or not den:
        return None
    shared = sorted(set(num) & set(den))
    return med([med(num[r]) / med(den[r]) for r in shared]) if shared else None


def fmt(x, f="%.3f"):
    return f % x if x is not None else "-"


lines = ["Measured %s by `tools/bench/gradients_vs_torch.sh %s`: %s rounds of lens4j (JMH `%s`, one fork) and "
         "PyTorch (`torch_gradients.py %s`, each case timed after one warm-up run), the side that goes first alternating by round." % (
             session["load_start"]["time"], rounds, rounds, jmh_opts, torch_opts), ""]
lines += benchenv.describe_session(session)
lines.append("- TransformerLens %s; EAP-IG with %d steps on both sides (PyTorch's: the reference implementation, "
             "hannamw/EAP-IG `attribute(..., \"EAP-IG-inputs\", ig_steps=%d)`)" % (tl, steps, steps))
lines.append("- JMH forks run with `-XX:+UseParallelGC -Xms6g -Xmx6g -XX:+AlwaysPreTouch`; lens4j's threads are "
             "`Parallel.setThreads`, PyTorch's `torch.set_num_threads`")
lines.append("")
lines.append("| measurement | threads | rounds | lens4j s | lens4j / its forward + backward | PyTorch s "
             "| PyTorch / its forward + backward | PyTorch / lens4j |")
lines.append("|---|---|---|---|---|---|---|---|")
for threads in (1, 2):
    for key, label in LABELS:
        k = (key, threads)
        if k not in lens and k not in torch:
            continue
        unit = ("forward_backward", threads)
        lines.append("| %s | %d | %d | %s | %s | %s | %s | %s |" % (
            label if key != "eap_ig" else "EAP-IG, %d steps" % steps, threads,
            len(set(lens.get(k, {})) & set(torch.get(k, {}))), fmt(overall(lens, k)),
            fmt(ratio(lens.get(k), lens.get(unit)), "%.2f"), fmt(overall(torch, k)),
            fmt(ratio(torch.get(k), torch.get(unit)), "%.2f"), fmt(ratio(torch.get(k), lens.get(k)), "%.2f")))
lines.append("")
lines.append("In each side's own passes (medians of per-round ratios):")
lines.append("")
lines.append("| threads | side | backward / forward | attribution patching / forward | attribution patching / "
             "(forward + forward and backward) | EAP-IG / graph view's forward and backward (the issue: about %d + 1 = %d) |" % (steps, steps + 1))
lines.append("|---|---|---|---|---|---|")
for threads in (1, 2):
    for name, side in (("lens4j", lens), ("PyTorch", torch)):
        f, fb = side.get(("forward", threads)), side.get(("forward_backward", threads))
        ap, eap, gv = side.get(("attribution_patching", threads)), side.get(("eap_ig", threads)), \
            side.get(("forward_backward_graph_view", threads))
        bwd = ratio(fb, f)
        passes = None
        if f and fb and ap:
            shared = sorted(set(f) & set(fb) & set(ap))
            passes = med([med(ap[r]) / (med(f[r]) + med(fb[r])) for r in shared]) if shared else None
        lines.append("| %d | %s | %s | %s | %s | %s |" % (threads, name, fmt(bwd - 1 if bwd else None, "%.2f"),
                     fmt(ratio(ap, f), "%.2f"), fmt(passes, "%.2f"), fmt(ratio(eap, gv), "%.2f")))
resultsblock.write_results(doc, lines, "Gradient attributions: lens4j against PyTorch autograd")
print("\n".join(lines))
