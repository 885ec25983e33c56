"""lens4j's GEMV against the machine's memory bandwidth, measured alternately in one session: for every
round and thread count, STREAM's triad, then all the matrix-vector products of a GPT-2-small decoding
step (124M weights in 49 arrays, 497 MB as float32, 249 MB as bfloat16: far beyond the caches, so each
weight comes from memory as in real decoding) with float32 and bfloat16 weights and either unembedding
(row-major W_U or the tied W_E^T), then the triad again. Each step's GB/s (bytes of the weights as
stored, per second) is divided by the mean of the two triads around it; the summary gives the median
over the rounds of that fraction of the bandwidth bound, and the tokens per second it implies for the
products alone (no attention, layer norms or sampling). PyTorch's float32 matmuls of the same step
(`torch_matmul.py --serve`, MKL) run in the same rounds for comparison.

    python tools/bench/gemv_bandwidth.py --java JAVA --jar benchmarks/target/benchmarks.jar --out DIR [--doc FILE]

Writes DIR/session.json, DIR/raw.jsonl and DIR/summary.md, and replaces the block between the
gemv-results markers of --doc. tools/bench/gemv.sh builds, runs this and archives DIR.
"""

import argparse
import json
import os
import re
import statistics
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import benchenv  # noqa: E402
from matmul_vs_torch import Worker  # noqa: E402



def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--java", required=True)
    p.add_argument("--jar", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--doc")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--seconds", type=float, default=1.0)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--types", nargs="+", default=["F32", "BF16"])
    p.add_argument("--no-torch", action="store_true")
    p.add_argument("--command", default="")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    env = dict(os.environ, OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "PASSIVE"))
    session = {"cpu": benchenv.cpu_info(), "jdk": benchenv.jdk_version(args.java), "load_start": benchenv.load(),
               "rounds": args.rounds, "seconds": args.seconds, "torch": {}}
    lens = Worker("lens4j", [args.java, "--add-modules", "jdk.incubator.vector", "-Xmx6g", "-cp", args.jar,
                             "dev.lens4j.bench.GemmWorker"])
    torch = None if args.no_torch else Worker("torch", [sys.executable, os.path.join(HERE, "torch_matmul.py"), "--serve"], env)
    if torch:
        session["torch"]["torch"] = torch.hello
    raw = []
    with open(os.path.join(args.out, "raw.jsonl"), "w") as rawf:
        def record(rec):
            rec["loadavg_1m"] = os.getloadavg()[0]
            raw.append(rec)
            rawf.write(json.dumps(rec) + "\n")
            rawf.flush()

        for rnd in range(args.rounds):
            for threads in args.threads:
                before = lens.ask(op="triad", threads=threads, seconds=args.seconds)
                items = []
                for unembed in ("N", "T"):
                    for t in args.types:
                        ans = lens.ask(op="decode", type=t, unembed=unembed, threads=threads, seconds=args.seconds)
                        items.append({"impl": "lens4j", "set": unembed, "type": t, **ans})
                    if torch:
                        ans = torch.ask(op="decode", unembed=unembed, threads=threads, seconds=args.seconds)
                        # 2 flops per float32 weight of 4 bytes
                        items.append({"impl": "torch", "set": unembed, "type": "F32",
                                      "gbps_wall": ans["gflops_wall"] * 2, "gbps_cpu": ans["gflops_cpu"] * 2, **ans})
                after = lens.ask(op="triad", threads=threads, seconds=args.seconds)
                bound = (before["gbps_wall"] + after["gbps_wall"]) / 2
                record({"round": rnd, "impl": "triad", "threads": threads, "before": before, "after": after,
                        "gbps_wall": bound})
                for it in items:
                    record({"round": rnd, "threads": threads, "fraction": it["gbps_wall"] / bound, **it})
                print("round %d/%d, %d thread(s): triad %.1f GB/s; load %.2f" % (
                    rnd + 1, args.rounds, threads, bound, os.getloadavg()[0]), file=sys.stderr, flush=True)
    lens.close()
    if torch:
        torch.close()
    session["load_end"] = benchenv.load()
    with open(os.path.join(args.out, "session.json"), "w") as f:
        json.dump(session, f, indent=1)

    med = statistics.median
    lines = ["Measured %s by `%s`: %d rounds of %.1f s per measurement, STREAM triad before and after each "
             "round's GEMVs; medians over the rounds. The bound is the triad of the same round and thread count; "
             "a decoding step of GPT-2 small reads all of its matrices once, so its tokens per second are at most "
             "the bound divided by 497 MB (float32) or 249 MB (bfloat16)." % (
                 session["load_start"]["time"], args.command or "tools/bench/gemv.sh", args.rounds, args.seconds), ""]
    lines += benchenv.describe_session(session)
    lines.append("")
    triads = {t: [r["gbps_wall"] for r in raw if r["impl"] == "triad" and r["threads"] == t] for t in args.threads}
    lines.append("Triad: " + "; ".join("%d thread%s %.1f GB/s (range %.1f-%.1f)" % (
        t, "" if t == 1 else "s", med(v), min(v), max(v)) for t, v in triads.items() if v))
    lines.append("")
    head = ["unembedding", "threads"]
    for t in args.types:
        head += ["lens4j %s GB/s" % t, "%s / triad" % t, "%s tokens/s" % t]
    if torch:
        head += ["torch F32 GB/s", "torch / triad"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for threads in args.threads:
        for unembed in ("N", "T"):
            cells = ["W_U [768, 50257]" if unembed == "N" else "W_E^T (tied)", str(threads)]
            for who, t in [("lens4j", t) for t in args.types] + ([("torch", "F32")] if torch else []):
                rows = [r for r in raw if r.get("impl") == who and r.get("set") == unembed and r.get("type") == t
                        and r["threads"] == threads]
                if not rows:
                    cells += ["-", "-"] + (["-"] if who == "lens4j" else [])
                    continue
                frac = med(r["fraction"] for r in rows)
                gbps = med(r["gbps_wall"] for r in rows)
                cells += ["%.1f" % gbps, ("**%.0f%%**" if frac < 0.9 else "%.0f%%") % (100 * frac)]
                if who == "lens4j":
                    cells.append("%.1f" % (gbps * 1e9 / (124.4e6 * (4 if t == "F32" else 2))))
            lines.append("| " + " | ".join(cells) + " |")
    with open(os.path.join(args.out, "summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    if args.doc:
        block = "<!-- gemv-results:begin -->\n" + "\n".join(lines) + "\n<!-- gemv-results:end -->"
        text = open(args.doc).read()
        if "<!-- gemv-results:begin -->" in text:
            text = re.sub(r"<!-- gemv-results:begin -->.*<!-- gemv-results:end -->", lambda _: block, text, flags=re.S)
        else:
            text = text.rstrip() + "\n\n" + block + "\n"
        with open(args.doc, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
