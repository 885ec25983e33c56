"""Summarises a tools/bench/backward_vs_torch.sh session as a Markdown table (printed): per shape and thread
count, the medians over the rounds of lens4j's forward, forward + backward (activation gradients) and
forward + backward with weight gradients, default and reproducible passes, beside PyTorch autograd's, and
the backward pass's time as a multiple of the forward's ((forward + backward - forward) / forward).

    python tools/bench/backward_summary.py benchmarks/target/backward-vs-torch

The folder may instead hold CPU-time runs: lens4j-*.jsonl from dev.lens4j.bench.BackwardCpuTime and
torch-*.jsonl from tools/bench/torch_backward.py --clock cpu (one thread); then those are summarised.
"""

import glob
import json
import os
import statistics
import sys


def main(folder):
    lens = {}
    names = {"forward": "forward", "forwardBackward": "forwardBackward", "forwardBackwardWeights": "forwardBackwardWeights"}
    for f in sorted(glob.glob(os.path.join(folder, "lens4j-*.jsonl"))):
        for line in open(f):
            r = json.loads(line)
            lens.setdefault((r["shape"], r["threads"], r["reproducible"], names[r["bench"]]), []).append(r["cpu_ms_median"])
    for f in sorted(glob.glob(os.path.join(folder, "jmh-*.json"))):
        for e in json.load(open(f)):
            p = e["params"]
            name = e["benchmark"].rsplit(".", 1)[1]
            key = (p["shape"], int(p["threads"]), p.get("reproducible", "false") == "true", name)
            lens.setdefault(key, []).append(e["primaryMetric"]["score"])  # ms
    torch = {}
    loads = []
    for f in sorted(glob.glob(os.path.join(folder, "torch-*.jsonl"))):
        for line in open(f):
            r = json.loads(line)
            torch.setdefault((f"{r['batch']}x{r['pos']}", r["threads"], r["bench"]), []).append(1000 * r["median_s"])
            loads.append(r["loadavg_1m"])
    med = {k: statistics.median(v) for k, v in lens.items()}
    tmed = {k: statistics.median(v) for k, v in torch.items()}
    shapes = sorted({k[0] for k in med}, key=lambda s: [int(x) for x in s.split("x")])
    threads = sorted({k[1] for k in med})
    print("| shape | threads | passes | forward ms | fwd+bwd ms | fwd+bwd+weights ms | backward / forward | with weights / forward |")
    print("|---|---|---|---|---|---|---|---|")

    def row(shape, t, label, f, fb, fbw):
        if f is None:
            return
        ratio = lambda x: f"{(x - f) / f:.2f}" if x is not None else "-"
        fmt = lambda x: f"{x:,.0f}" if x is not None else "-"
        print(f"| {shape} | {t} | {label} | {fmt(f)} | {fmt(fb)} | {fmt(fbw)} | {ratio(fb)} | {ratio(fbw)} |")

    for shape in shapes:
        for t in threads:
            for rep in (False, True):
                g = lambda n: med.get((shape, t, rep, n))
                row(shape, t, "lens4j reproducible" if rep else "lens4j", g("forward"), g("forwardBackward"),
                    g("forwardBackwardWeights"))
            g = lambda n: tmed.get((shape, t, n))
            row(shape, t, "PyTorch autograd", g("forward"), g("forward_backward"), g("forward_backward_weights"))
    if loads:
        print(f"\nPyTorch runs' 1-minute load average: {min(loads):.1f} to {max(loads):.1f}")


if __name__ == "__main__":
    main(sys.argv[1])
