"""PyTorch's side of the GEMM comparison (docs/perf/matmul.md): torch.matmul on the products lens4j's
GemmWorker and MatmulBenchmark time.

  gemm   C[m, n] = A[m, k] @ B[k, n], float32, written into a preallocated C (torch.matmul(a, b, out=c));
         B row-major ("N"), or the transpose of a row-major [n, k] ("T", the tied unembedding W_E^T)
  attn   the attention scores of 12 heads, q k^T per head, with q and k strided views of a fused
         QKV activation [pos, 3 * 768], as AttentionScoreBenchmark lays them out; shapes 12x<pos>x64x<pos>

Two ways to run it, both under the reference venv (tools/bench/setup-python.sh):

    python tools/bench/torch_matmul.py --threads 1 2 --shapes 128x768x2304 128x768x50257T
    python tools/bench/torch_matmul.py --serve         # the worker tools/bench/matmul_vs_torch.py drives

In --serve mode it reads one JSON request per line ({"op": "gemm", "m":.., "k":.., "n":.., "b": "N",
"threads": 1, "seconds": 1.0}, or {"op": "decode", "unembed": "N"} for the products of one GPT-2-small
decoding step) and answers one JSON line per request: the calls made in at least that
many seconds, their wall-clock and process CPU time, and GFLOP/s per wall-clock and per CPU second,
the same loop and the same answer as lens4j's GemmWorker. The first line it prints describes the torch
(version, BLAS, OpenMP wait policy).

The thread count is set with torch.set_num_threads for every request (torch 2.13 defaults to the
number of cores, older torches to one on this VM) and, for a Debian torch on OpenBLAS, with
openblas_set_num_threads too (that build treats OpenBLAS as a generic BLAS and does not resize its
pool). OMP_WAIT_POLICY is left as the caller set it: matmul_vs_torch.py sets PASSIVE unless told
otherwise (see docs/perf/matmul.md for what it changes with MKL).
"""

import argparse
import ctypes
import json
import os
import statistics
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import benchenv  # noqa: E402

GPT2_SHAPES = ["%dx%s" % (m, s) for m in (128, 1024)
               for s in ("768x2304", "768x768", "768x3072", "3072x768", "768x50257", "768x50257T")]
ATTN_SHAPES = ["12x128x64x128", "12x1024x64x1024"]


def openblas():
    """The OpenBLAS behind a Debian torch (libblas.so.3 is an update-alternatives link), or None."""
    try:
        blas = ctypes.CDLL("libblas.so.3")
    except OSError:
        return None
    return blas if hasattr(blas, "openblas_set_num_threads") else None


def set_threads(n):
    torch.set_num_threads(n)
    blas = openblas()
    if blas is not None and "Math Kernel Library" not in torch.__config__.show():
        blas.openblas_set_num_threads(n)


def gemm_case(m, k, n, layout, gen):
    a = torch.rand(m, k, generator=gen) * 2 - 1
    b = (torch.rand(n, k, generator=gen) * 2 - 1).t() if layout == "T" else torch.rand(k, n, generator=gen) * 2 - 1
    c = torch.empty(m, n)

    def run():
        torch.matmul(a, b, out=c)

    run()
    ref = a.double() @ b.double()
    err = (c.double() - ref).abs().max().item()
    if err > 1e-3 * k ** 0.5:
        raise RuntimeError("torch.matmul %dx%dx%d%s is off by %g" % (m, k, n, layout, err))
    return run, 2.0 * m * n * k


def decode_case(unembed, gen):
    """The products of one GPT-2-small decoding step (see GemmWorker's DecodeStep): 12 blocks of
    [768, 2304], [768, 768], [768, 3072], [3072, 768], then [768, 50257] (W_U, or W_E^T for "T"),
    float32, one row each. The rate is reported as GFLOP/s (2 flops per 4-byte weight)."""
    shapes = [(768, 2304), (768, 768), (768, 3072), (3072, 768)] * 12 + [(768, 50257)]
    cases = []
    for i, (k, n) in enumerate(shapes):
        t = unembed == "T" and i == len(shapes) - 1
        w = (torch.rand(n, k, generator=gen) * 2 - 1).t() if t else torch.rand(k, n, generator=gen) * 2 - 1
        cases.append((torch.rand(1, k, generator=gen) * 2 - 1, w, torch.empty(1, n)))

    def run():
        for x, w, out in cases:
            torch.matmul(x, w, out=out)

    return run, 2.0 * sum(k * n for k, n in shapes)


def attn_case(shape, gen):
    heads, pos, d_head, pos2 = (int(x) for x in shape.split("x"))
    assert pos == pos2
    d_model = heads * d_head
    qkv = torch.rand(pos, 3 * d_model, generator=gen) * 2 - 1
    # [head_index, pos, d_head] views of the fused activation, no copies
    q = qkv[:, :d_model].view(pos, heads, d_head).permute(1, 0, 2)
    k_t = qkv[:, d_model:2 * d_model].view(pos, heads, d_head).permute(1, 2, 0)
    scores = torch.empty(heads, pos, pos)

    def run():
        torch.matmul(q, k_t, out=scores)

    return run, 2.0 * heads * pos * pos * d_head


def parse_shape(shape):
    """'128x768x50257T' -> (128, 768, 50257, 'T')."""
    layout = "T" if shape.endswith("T") else "N"
    m, k, n = (int(x) for x in shape.rstrip("T").split("x"))
    return m, k, n, layout


def timed(run, seconds):
    """Calls until `seconds` of wall-clock time have passed: (calls, wall s, process CPU s)."""
    calls = 0
    c0, t0 = time.process_time(), time.perf_counter()
    while True:
        run()
        calls += 1
        wall = time.perf_counter() - t0
        if wall >= seconds:
            break
    return calls, wall, time.process_time() - c0


def serve():
    print(json.dumps({"ready": True, **benchenv.torch_info(torch)}), flush=True)
    torch.set_grad_enabled(False)
    gen = torch.Generator().manual_seed(0)
    cases = {}
    for line in sys.stdin:
        req = json.loads(line)
        if req.get("op") == "quit":
            break
        try:
            threads, seconds = int(req.get("threads", 1)), float(req.get("seconds", 1.0))
            set_threads(threads)
            if req.get("op") == "decode":
                key = ("decode", req.get("unembed", "N"))
                if key not in cases:
                    cases[key] = decode_case(key[1], gen)
                    timed(cases[key][0], float(req.get("warmup", 1.0)))
            else:
                key = (req["m"], req["k"], req["n"], req.get("b", "N"))
                if key not in cases:
                    cases[key] = gemm_case(*key, gen)
                    timed(cases[key][0], float(req.get("warmup", 1.0)))
            run, flops = cases[key]
            calls, wall, cpu = timed(run, seconds)
            print(json.dumps({"calls": calls, "wall_s": round(wall, 6), "cpu_s": round(cpu, 6),
                              "gflops_wall": round(flops * calls / wall / 1e9, 2),
                              "gflops_cpu": round(flops * calls / max(cpu, 1e-9) / 1e9 * threads, 2),
                              "torch_threads": torch.get_num_threads()}), flush=True)
        except Exception as e:  # the coordinator reports it and stops
            print(json.dumps({"error": repr(e)}), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--serve", action="store_true", help="be the worker of matmul_vs_torch.py")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--min-time", type=float, default=1.0, help="seconds per timed run")
    p.add_argument("--shapes", nargs="+", default=GPT2_SHAPES + ATTN_SHAPES,
                   help="m x k x n (T at the end: B transposed) for a product, heads x pos x d_head x pos for attention scores")
    args = p.parse_args()
    if args.serve:
        serve()
        return
    torch.set_grad_enabled(False)
    gen = torch.Generator().manual_seed(0)
    info = benchenv.torch_info(torch)
    for threads in args.threads:
        set_threads(threads)
        for shape in args.shapes:
            kind = "attn" if shape.count("x") == 3 else "gemm"
            run, flops = attn_case(shape, gen) if kind == "attn" else gemm_case(*parse_shape(shape), gen)
            timed(run, 0.3)
            rates = [flops * c / w / 1e9 for c, w, _ in (timed(run, args.min_time) for _ in range(args.runs))]
            print(json.dumps({
                "impl": "torch", "kind": kind, "shape": shape, "threads": threads,
                "gflops_median": round(statistics.median(rates), 2),
                "gflops_min": round(min(rates), 2), "gflops_max": round(max(rates), 2),
                "gflops_runs": [round(r, 2) for r in rates], "torch": info["torch"], "blas": benchenv.blas_summary(info),
                "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
            }), flush=True)


if __name__ == "__main__":
    main()
