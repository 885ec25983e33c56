"""lens4j's GEMM against PyTorch's matmul, alternating the two every second on the same product.

Starts lens4j's GemmWorker (a JVM) and tools/bench/torch_matmul.py --serve (the reference venv's
torch 2.13 on MKL; and Debian's torch 1.13 on OpenBLAS under /usr/bin/python3 as an extra column
when it is installed), then, for every round, thread count and shape, asks each in turn to run the
product for --seconds and records its rate. The order of the libraries alternates from round to
round. Each row of the summary is the median over the rounds of each library's GFLOP/s and the
median of the per-round ratios lens4j / PyTorch (a ratio of two runs a few seconds apart, which the
machine's changing load disturbs far less than either number alone). Rates per CPU second
(process CPU time) are kept in the raw results too.

    python tools/bench/matmul_vs_torch.py --java JAVA --jar benchmarks/target/benchmarks.jar \
        --rounds 5 --out DIR [--doc docs/perf/matmul.md]

Writes DIR/session.json (machine, JDK, torches, load at the start and end), DIR/raw.jsonl (every
measurement) and DIR/summary.md, and replaces the block between the results markers of --doc.
tools/bench/matmul_vs_torch.sh builds the benchmarks, runs this and archives DIR.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import benchenv  # noqa: E402
from workers import Worker  # noqa: E402

GPT2_SHAPES = ["%dx%s" % (m, s) for m in (128, 1024)
               for s in ("768x2304", "768x768", "768x3072", "3072x768", "768x50257", "768x50257T")]
WHAT = {"768x2304": "QKV", "768x768": "attention out", "768x3072": "MLP in", "3072x768": "MLP out",
        "768x50257": "unembed W_U", "768x50257T": "unembed W_E^T"}


def parse_shape(shape):
    layout = "T" if shape.endswith("T") else "N"
    m, k, n = (int(x) for x in shape.rstrip("T").split("x"))
    return m, k, n, layout


def summarise(raw, impls, base):
    """Rows keyed (threads, shape): medians per impl and median per-round ratios to `base`."""
    by = {}
    for r in raw:
        by.setdefault((r["threads"], r["shape"]), {}).setdefault(r["impl"], {})[r["round"]] = r
    rows = []
    for (threads, shape), per in sorted(by.items(), key=lambda kv: (kv[0][0], GPT2_SHAPES.index(kv[0][1])
                                                                        if kv[0][1] in GPT2_SHAPES else 99)):
        row = {"threads": threads, "shape": shape, "med": {}, "range": {}, "ratio": {}, "ratio_cpu": {}}
        for impl in impls:
            if impl not in per:
                continue
            rates = [x["gflops_wall"] for x in per[impl].values()]
            row["med"][impl] = statistics.median(rates)
            row["range"][impl] = (min(rates), max(rates))
            if impl != base and base in per:
                rounds = sorted(set(per[impl]) & set(per[base]))
                row["ratio"][impl] = statistics.median(per[impl][i]["gflops_wall"] / per[base][i]["gflops_wall"] for i in rounds)
                row["ratio_cpu"][impl] = statistics.median(per[impl][i]["gflops_cpu"] / per[base][i]["gflops_cpu"] for i in rounds)
        rows.append(row)
    return rows


def table(rows, lens_impls, base, extra):
    head = ["shape (m x k x n)", "what", "threads"]
    for impl in lens_impls:
        head += ["%s GFLOP/s" % impl, "%s / torch" % impl]
    head += ["torch 2.13 GFLOP/s"]
    if extra:
        head += ["torch 1.13 GFLOP/s"]
    head += ["%s / torch per CPU s" % impl.replace("lens4j ", "") for impl in lens_impls]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        s = row["shape"]
        m, k, n, layout = parse_shape(s)
        cells = ["%dx%dx%d%s" % (m, k, n, " (B^T)" if layout == "T" else ""), WHAT.get(s.split("x", 1)[1], ""),
                 str(row["threads"])]
        for impl in lens_impls:
            v = row["med"].get(impl)
            cells.append("%.1f" % v if v else "-")
            r = row["ratio"].get(impl)
            cells.append(("**%.2f**" % r if r < 1.0 else "%.2f" % r) if r else "-")
        cells.append("%.1f" % row["med"][base] if base in row["med"] else "-")
        if extra:
            cells.append("%.1f" % row["med"][extra] if extra in row["med"] else "-")
        for impl in lens_impls:
            r = row["ratio_cpu"].get(impl)
            cells.append("%.2f" % r if r else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--java", required=True)
    p.add_argument("--jar", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--doc")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--seconds", type=float, default=1.0, help="seconds per measurement")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--shapes", nargs="+", default=GPT2_SHAPES)
    p.add_argument("--variants", nargs="+", default=["plain", "packed"],
                   help="lens4j variants: plain (Gemm.multiply, B packed per call), packed (a PackedMatrix made once)")
    p.add_argument("--omp-wait-policy", default="PASSIVE", help="for the torch workers; 'unset' leaves it unset")
    p.add_argument("--no-debian", action="store_true", help="skip Debian's torch even when it is installed")
    p.add_argument("--command", default="", help="the command line to quote in the doc")
    p.add_argument("--java-opts", nargs="*", default=[],
                   help="extra JVM options for lens4j's worker, e.g. -XX:UseAVX=2 (with --isa avx2)")
    p.add_argument("--isa", choices=["native", "avx2"], default="native",
                   help="avx2: both sides as on an AVX2-only CPU (give lens4j --java-opts -XX:UseAVX=2; PyTorch gets "
                        "MKL_ENABLE_INSTRUCTIONS=AVX2, ONEDNN_MAX_CPU_ISA=AVX2, ATEN_CPU_CAPABILITY=avx2)")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)

    env = dict(os.environ)
    if args.omp_wait_policy == "unset":
        env.pop("OMP_WAIT_POLICY", None)
    else:
        env["OMP_WAIT_POLICY"] = args.omp_wait_policy
    if args.isa == "avx2":
        env.update(MKL_ENABLE_INSTRUCTIONS="AVX2", ONEDNN_MAX_CPU_ISA="AVX2", ATEN_CPU_CAPABILITY="avx2")
    session = {"cpu": benchenv.cpu_info(), "jdk": benchenv.jdk_version(args.java), "load_start": benchenv.load(),
               "rounds": args.rounds, "seconds": args.seconds, "threads": args.threads, "torch": {},
               "isa": args.isa, "java_opts": args.java_opts}
    workers = {}
    workers["lens4j"] = Worker("lens4j", [args.java, *args.java_opts, "--add-modules", "jdk.incubator.vector", "-Xmx8g",
                                          "-cp", args.jar,
                                          "dev.lens4j.bench.GemmWorker"])
    session["gemm_kernel"] = workers["lens4j"].hello.get("gemm_kernel")
    workers["torch"] = Worker("torch", [sys.executable, os.path.join(HERE, "torch_matmul.py"), "--serve"], env)
    session["torch"]["torch"] = workers["torch"].hello
    extra = None
    if not args.no_debian and os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != "/usr/bin/python3":
        if subprocess.run(["/usr/bin/python3", "-c", "import torch"], capture_output=True).returncode == 0:
            workers["debian"] = Worker("debian", ["/usr/bin/python3", os.path.join(HERE, "torch_matmul.py"), "--serve"], env)
            session["torch"]["debian"] = workers["debian"].hello
            extra = "debian"

    lens_impls = ["lens4j " + v for v in args.variants]
    raw = []
    with open(os.path.join(args.out, "raw.jsonl"), "w") as rawf:
        for rnd in range(args.rounds):
            for threads in args.threads:
                for shape in args.shapes:
                    m, k, n, layout = parse_shape(shape)
                    order = [("lens4j", v) for v in args.variants] + [("torch", None)] + ([("debian", None)] if extra else [])
                    if rnd % 2:
                        order.reverse()
                    for who, variant in order:
                        req = {"op": "gemm", "m": m, "k": k, "n": n, "b": layout, "threads": threads, "seconds": args.seconds}
                        if variant:
                            req["variant"] = variant
                        ans = workers[who].ask(**req)
                        rec = {"round": rnd, "impl": "lens4j " + variant if variant else who, "shape": shape,
                               "threads": threads, "loadavg_1m": os.getloadavg()[0], **ans}
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

    rows = summarise(raw, lens_impls + ["torch"] + ([extra] if extra else []), "torch")
    lines = ["Measured %s by `%s`: %d rounds, %.1f s per measurement, lens4j and PyTorch alternating on each "
             "product; medians over the rounds, ratios the median of the per-round ratios (bold: below 1). The last "
             "columns compare rates per CPU second (process CPU time), which time spent descheduled by other "
             "processes does not dilute." % (
                 session["load_start"]["time"], args.command or "tools/bench/matmul_vs_torch.sh", args.rounds, args.seconds),
             ""]
    lines += benchenv.describe_session(session)
    lines.append("- lens4j GEMM kernel: %s; variants: %s" % (session["gemm_kernel"], ", ".join(
        {"plain": "`plain` = `Gemm.multiply` on a row-major (or transposed) B, packed per call",
         "packed": "`packed` = `Gemm.multiplyPacked` on a `PackedMatrix` of B made once, as an engine holds its weights"}.get(v, v)
        for v in args.variants)))
    lines.append("")
    lines += table(rows, lens_impls, "torch", extra)
    with open(os.path.join(args.out, "summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    if args.doc:
        block = "<!-- results:begin -->\n" + "\n".join(lines) + "\n<!-- results:end -->"
        text = open(args.doc).read() if os.path.exists(args.doc) else "# Matrix multiplication\n"
        if "<!-- results:begin -->" in text:
            text = re.sub(r"<!-- results:begin -->.*<!-- results:end -->", lambda _: block, text, flags=re.S)
        else:
            text = text.rstrip() + "\n\n" + block + "\n"
        with open(args.doc, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
