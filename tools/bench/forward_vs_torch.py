"""Forward passes, run_with_cache and KV-cache decoding: lens4j against PyTorch 2.13, alternating the two
on each case a few seconds apart (on a shared machine a ratio of two runs that close is far steadier
than either time alone).

Starts long-lived workers, each holding one model: lens4j's dev.lens4j.bench.ForwardWorker (a JVM per
lens4j build: --jar, and --before-jar for an older build measured in the same session) and
tools/bench/torch_forward_worker.py (the reference venv's torch). Then, for every round, thread count
and case, asks every worker of the suite in turn (the order reversed every other round) to time
--runs passes, and records each run's wall-clock and process CPU seconds.

Suites:
  gpt2     GPT-2 small's shape, random float32 weights: lens4j (and lens4j before), PyTorch written the
           efficient way (torch_forward.py), TransformerLens 2.18; forward and cache at 1x128, 8x128,
           1x1024, decoding after a 16-token prompt (--decode-prompts 16 960: after each length).
  pythia   a Pythia-160M-shaped folder (tools/bench/make_bench_models.py), float32: lens4j without weight
           processing against transformers' GPTNeoXForCausalLM on the same file; forward 1x128, 8x128, decoding.
  llama    a Llama-3.2-1B-shaped folder, the same way (LlamaForCausalLM).
  pythia-bf16, llama-bf16   the bfloat16 copies of those folders: lens4j keeps the weights 16-bit and widens
           them in its products, by default (WeightPacking.AUTO) from bfloat16 panel copies that replace the
           mapped pages, and "lens4j mapped" from the mapping in place (WeightPacking.FLOAT32); torch runs the
           model in bfloat16.
  pythia-f16   the float16 copy of the Pythia folder (the dtype Pythia is published in): by default lens4j
           widens its matrices into float32 panel copies when they fit in half the heap, "lens4j mapped"
           multiplies the mapping in place; torch runs the model in float16.

    python tools/bench/forward_vs_torch.py --java JAVA --jar benchmarks/target/benchmarks.jar \
        --suite gpt2 --rounds 3 --out DIR [--before-jar OLD.jar] [--alt-java-opts=-XX:+UseZGC]

--alt-java-opts runs the same build a second time with other JVM options ("lens4j alt"), alternating
with the rest: a collector's effect on runWithCache, for instance.

Writes DIR/session.json (machine, JDK, torch, load at the start and end, worker hellos and loads),
DIR/raw.jsonl (every answer) and DIR/summary.md (medians and median per-round ratios);
tools/bench/forward_vs_torch.sh runs the suites and archives DIR.
"""

import argparse
import json
import os
import statistics
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import benchenv  # noqa: E402
from workers import Worker  # noqa: E402

MODELS_DIR = os.environ.get("LENS4J_BENCH_MODELS", os.path.expanduser("~/.cache/lens4j/bench-models"))


def suite(name, decode_prompts=(16,)):
    """(workers: [(label, kind, load request)], cases: [(op, batch, pos)] ) for a suite; decoding after each prompt length."""
    decode = [("decode", 1, n) for n in decode_prompts]
    if name == "gpt2":
        workers = [("lens4j", "java", {"model": "gpt2-random"}), ("torch", "torch", {"model": "gpt2-plain"}),
                   ("tl", "torch", {"model": "gpt2-tl"})]
        cases = [(op, b, p) for op in ("forward", "cache", "cache-closed") for (b, p) in ((1, 128), (8, 128), (1, 1024))] + decode
        return workers, cases
    family, _, dtype = name.partition("-")
    folder = os.path.join(MODELS_DIR, "%s-%s" % (family, dtype or "f32"))
    torch_dtype = {"bf16": "bfloat16", "f16": "float16"}.get(dtype, "float32")
    workers = [("lens4j", "java", {"model": folder, "processing": "none"}),
               ("torch", "torch", {"model": folder, "dtype": torch_dtype})]
    if dtype in ("bf16", "f16"):
        # by default (WeightPacking.AUTO) lens4j copies the 16-bit matrices into panels on the heap when they fit in
        # half of it (bfloat16 kept bfloat16, float16 widened to float32), releasing the mapped pages; "lens4j mapped"
        # multiplies the mapping in place (FLOAT32)
        workers.insert(1, ("lens4j mapped", "java", {"model": folder, "processing": "none", "packing": "FLOAT32"}))
    cases = [("forward", 1, 128), ("forward", 8, 128)] + decode
    return workers, cases


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--summarize", metavar="DIR", help="only rewrite DIR/summary.md from DIR/raw.jsonl")
    p.add_argument("--java")
    p.add_argument("--jar")
    p.add_argument("--before-jar", help="an older lens4j build, measured as 'lens4j before'")
    p.add_argument("--before-packing", help="the WeightPacking 'lens4j before' loads with (e.g. FLOAT32, to compare "
                   "with 'lens4j mapped'); the default is the lens4j worker's")
    p.add_argument("--before-ops", nargs="+", default=["forward", "cache", "decode"], help="the ops 'lens4j before' runs")
    p.add_argument("--suite")
    p.add_argument("--out")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--runs", type=int, default=3, help="timed passes per case per round and worker")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--ops", nargs="+", help="only these ops (forward, cache, cache-closed, decode)")
    p.add_argument("--shapes", nargs="+", help="only these batch x pos (decoding: --decode-prompts)")
    p.add_argument("--decode-prompts", type=int, nargs="+", default=[16],
                   help="prompt lengths the decoding cases follow (default 16; e.g. 16 960 for long contexts)")
    p.add_argument("--new-tokens", type=int, default=32)
    p.add_argument("--warmup", type=int, default=2,
                   help="untimed passes before a case's first timed one on each thread count, per worker")
    p.add_argument("--first-round-warmup", type=int, default=3,
                   help="more untimed passes in the first round (a fresh JVM's first case could still be compiling: "
                   "0.47-0.58 s against 0.35-0.43 later, GPT-2 1x128)")
    p.add_argument("--xmx", default="10g")
    p.add_argument("--java-opts", default="", help="more JVM options for the lens4j workers")
    p.add_argument("--alt-java-opts", help="also run this build with these JVM options instead, as 'lens4j alt' "
                                            "(e.g. -XX:+UseZGC), alternating with the others")
    args = p.parse_args()
    if args.summarize:
        resummarize(args.summarize)
        return
    if not (args.java and args.jar and args.suite and args.out):
        p.error("--java, --jar, --suite and --out are required")
    os.makedirs(args.out, exist_ok=True)

    workers_spec, cases = suite(args.suite, args.decode_prompts)
    if args.ops:
        cases = [c for c in cases if c[0] in args.ops]
    if args.shapes:
        cases = [c for c in cases if c[0] == "decode" or "%dx%d" % (c[1], c[2]) in args.shapes]
    if args.before_jar:
        before_load = dict(workers_spec[0][2])
        if args.before_packing:
            before_load["packing"] = args.before_packing
        workers_spec = [("lens4j before", "java-before", before_load)] + workers_spec
    if args.alt_java_opts:
        lens4j_load = next(load for label, _, load in workers_spec if label == "lens4j")
        workers_spec = [("lens4j alt", "java-alt", lens4j_load)] + workers_spec
    session = {"suite": args.suite, "cpu": benchenv.cpu_info(), "jdk": benchenv.jdk_version(args.java),
               "load_start": benchenv.load(), "rounds": args.rounds, "runs": args.runs, "warmup": args.warmup,
               "first_round_warmup": args.first_round_warmup,
               "threads": args.threads, "new_tokens": args.new_tokens, "decode_prompts": args.decode_prompts,
               "xmx": args.xmx, "java_opts": args.java_opts, "alt_java_opts": args.alt_java_opts, "workers": {}}
    workers = {}
    for label, kind, load in workers_spec:
        if kind.startswith("java"):
            jar = args.before_jar if kind == "java-before" else args.jar
            opts = args.alt_java_opts if kind == "java-alt" else args.java_opts
            cmd = [args.java, "--add-modules", "jdk.incubator.vector", "-Xmx" + args.xmx] + opts.split() + \
                  ["-cp", jar, "dev.lens4j.bench.ForwardWorker"]
        else:
            cmd = [sys.executable, os.path.join(HERE, "torch_forward_worker.py")]
        w = Worker(label, [c for c in cmd if c])
        session["workers"][label] = {"hello": w.hello, "load": w.ask(op="load", **load)}
        workers[label] = w
        print("%s loaded: %s" % (label, session["workers"][label]["load"]), file=sys.stderr, flush=True)

    raw = []
    with open(os.path.join(args.out, "raw.jsonl"), "w") as rawf:
        for rnd in range(args.rounds):
            for threads in args.threads:
                for op, batch, pos in cases:
                    order = list(workers_spec)
                    if rnd % 2:
                        order.reverse()
                    for label, kind, _ in order:
                        if (op == "cache" and label == "torch" and args.suite != "gpt2") or (op == "decode" and label == "tl"):
                            continue  # transformers has no run_with_cache; TransformerLens's generate is not timed here
                        if op == "cache-closed" and label != "lens4j":
                            continue  # lens4j closing each cache (its arrays reused); Python frees a cache when it drops it
                        if label == "lens4j before" and op not in args.before_ops:
                            continue
                        warmup = args.warmup + (args.first_round_warmup if rnd == 0 else 0)
                        req = {"op": op, "threads": threads, "runs": args.runs, "warmup": warmup}
                        if op == "decode":
                            req.update(prompt=pos, new=args.new_tokens)
                        else:
                            req.update(batch=batch, pos=pos)
                        ans = workers[label].ask(**req)
                        rec = {"round": rnd, "impl": label, "op": op, "shape": "%dx%d" % (batch, pos), "threads": threads,
                               "loadavg_1m": os.getloadavg()[0], **ans}
                        raw.append(rec)
                        rawf.write(json.dumps(rec) + "\n")
                        rawf.flush()
                print("round %d/%d, %d thread(s) done; load %.2f" % (rnd + 1, args.rounds, threads, os.getloadavg()[0]),
                      file=sys.stderr, flush=True)
    for w in workers.values():
        w.close()
    session["load_end"] = benchenv.load()
    with open(os.path.join(args.out, "session.json"), "w") as f:
        json.dump(session, f, indent=1)
    lines = summary(raw, [w[0] for w in workers_spec])
    with open(os.path.join(args.out, "summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def rate(rec, cpu=False):
    """Per run: seconds per pass, or tokens per second for decoding."""
    t = rec["runs_cpu_s" if cpu else "runs_wall_s"]
    return [rec["tokens"] / x for x in t] if rec["op"] == "decode" else t


def summary(raw, impls):
    """One row per (op, shape, threads): each impl's median (seconds per pass, or tokens per second),
    then each impl's speed-up over torch as the median of per-round ratios, by wall-clock and by
    process CPU seconds (on a machine shared with other work, CPU seconds measure the work done;
    wall-clock also counts the time the process waited for a core)."""
    by = {}
    for r in raw:
        by.setdefault((r["op"], r["shape"], r["threads"]), {}).setdefault(r["impl"], {})[r["round"]] = r
    others = [i for i in impls if i != "torch"]
    head = ["op", "batch x pos", "threads"] + ["%s (s, or tok/s)" % i for i in impls] + \
           ["%s / torch, wall" % i for i in others] + ["%s / torch, per CPU s" % i for i in others]
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    order = ["forward", "cache", "cache-closed", "decode"]
    for (op, shape, threads), per in sorted(by.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][2], kv[0][1])):
        cells = [op, shape, str(threads)]
        for impl in impls:
            vals = [v for r in per.get(impl, {}).values() for v in rate(r)]
            cells.append("%.4g" % statistics.median(vals) if vals else "-")
        for cpu in (False, True):
            for impl in others:
                ratios = []
                for rnd, r in per.get(impl, {}).items():
                    base = per.get("torch", {}).get(rnd)
                    if base is not None:
                        a, b = statistics.median(rate(r, cpu)), statistics.median(rate(base, cpu))
                        ratios.append(a / b if op == "decode" else b / a)  # > 1: faster than torch
                cells.append("%.2fx" % statistics.median(ratios) if ratios else "-")
        lines.append("| " + " | ".join(cells) + " |")
    if any(op == "cache" for op, _, _ in by) and "tl" in impls:
        lines += ["", "| batch x pos | threads | impl | cache over its own forward, wall | per CPU s | cache speed-up over tl, wall | per CPU s |",
                  "|---|---|---|---|---|---|---|"]
        for (op, shape, threads), per in sorted(by.items(), key=lambda kv: (kv[0][2], kv[0][1])):
            if op not in ("cache", "cache-closed"):
                continue
            fwd = by.get(("forward", shape, threads), {})
            tl = by.get(("cache", shape, threads), {}).get("tl", {})
            for impl in [i for i in impls if i != "tl" and i in per]:
                cells = [shape, str(threads), impl + (", cache closed" if op == "cache-closed" else "")]
                for ref, speedup in ((fwd.get(impl, {}), False), (tl, True)):
                    for cpu in (False, True):
                        ratios = [statistics.median(rate(ref[rnd], cpu)) / statistics.median(rate(r, cpu)) if speedup
                                  else statistics.median(rate(r, cpu)) / statistics.median(rate(ref[rnd], cpu)) - 1
                                  for rnd, r in per[impl].items() if rnd in ref]
                        cells.append(("%.2fx" if speedup else "%+.0f%%") % (statistics.median(ratios) * (1 if speedup else 100))
                                     if ratios else "-")
                lines.append("| " + " | ".join(cells) + " |")
    return lines


def resummarize(out):
    """Rewrites DIR/summary.md from DIR/raw.jsonl and DIR/session.json (e.g. after changing the summary)."""
    with open(os.path.join(out, "raw.jsonl")) as f:
        raw = [json.loads(line) for line in f if line.strip()]
    impls = []
    for r in raw:
        if r["impl"] not in impls:
            impls.append(r["impl"])
    lines = summary(raw, impls)
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
