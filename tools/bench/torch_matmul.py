"""PyTorch CPU matmul timings, the baseline for lens4j's GEMM (docs/perf/matmul.md).

The same products as lens4j's JMH benchmarks MatmulBenchmark and AttentionScoreBenchmark:

  gemm      C[m, n] = A[m, k] @ B[k, n], dense row-major float32, written into a preallocated C
            (torch.matmul(a, b, out=c)); shapes m x k x n
  attn      the attention scores of 12 heads, q k^T per head, with q and k strided views of a fused
            QKV activation [pos, 3 * 768] exactly as AttentionScoreBenchmark lays them out;
            shapes 12x<pos>x64x<pos>

For every shape and thread count: warm-up calls, then --runs timed runs of at least --min-time seconds
each; prints one JSON object per line with the median (and min, max) GFLOP/s over the runs.

    /usr/bin/python3 tools/bench/torch_matmul.py                      # all shapes, threads 1 and 2
    /usr/bin/python3 tools/bench/torch_matmul.py --threads 2 --runs 3 --shapes 1024x768x3072

OMP_WAIT_POLICY=PASSIVE is set before torch is imported (otherwise PyTorch's spinning OpenMP threads
fight OpenBLAS's and two threads run slower than one), and both torch's and OpenBLAS's thread pools
are resized (Debian's torch calls OpenBLAS as a generic BLAS and does not resize its pool itself).
"""

import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.dont_write_bytecode = True

try:
    import torch
except ModuleNotFoundError:
    # A pyenv python3 may shadow Debian's, which is the one that has python3-torch.
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != "/usr/bin/python3":
        os.execv("/usr/bin/python3", ["/usr/bin/python3", *sys.argv])
    raise

import argparse
import ctypes
import json
import statistics
import time

GEMM_SHAPES = ["1024x768x3072", "1024x768x2304", "128x768x50257", "1024x3072x768",
               "256x256x256", "511x511x511", "768x768x768", "1024x1024x1024"]
ATTN_SHAPES = ["12x128x64x128", "12x1024x64x1024"]


def blas_library():
    """The OpenBLAS behind torch (Debian's torch links libblas.so.3, an update-alternatives link), or None."""
    try:
        blas = ctypes.CDLL("libblas.so.3")
    except OSError:
        return None
    if hasattr(blas, "openblas_get_config"):
        blas.openblas_get_config.restype = ctypes.c_char_p
        return blas
    return None


def blas_name():
    blas = blas_library()
    if blas is None:
        return "not OpenBLAS: " + os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    return blas.openblas_get_config().decode()


def set_threads(n):
    torch.set_num_threads(n)
    blas = blas_library()
    if blas is not None:
        blas.openblas_set_num_threads(n)


def gemm_case(shape, gen):
    m, k, n = (int(x) for x in shape.split("x"))
    a = torch.rand(m, k, generator=gen) * 2 - 1
    b = torch.rand(k, n, generator=gen) * 2 - 1
    c = torch.empty(m, n)

    def run():
        torch.matmul(a, b, out=c)

    return run, 2.0 * m * n * k


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


def measure(run, flops, runs, min_time):
    # warm-up: at least 3 calls and 0.3 s
    t_end = time.perf_counter() + 0.3
    for _ in range(3):
        run()
    while time.perf_counter() < t_end:
        run()
    rates = []
    for _ in range(runs):
        calls = 0
        t0 = time.perf_counter()
        while True:
            run()
            calls += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= min_time:
                break
        rates.append(flops * calls / elapsed / 1e9)
    return rates


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--min-time", type=float, default=1.0, help="seconds per timed run")
    p.add_argument("--shapes", nargs="+", default=GEMM_SHAPES + ATTN_SHAPES,
                   help="m x k x n for a product, heads x pos x d_head x pos for attention scores")
    args = p.parse_args()
    torch.set_grad_enabled(False)
    gen = torch.Generator().manual_seed(0)
    for threads in args.threads:
        set_threads(threads)
        for shape in args.shapes:
            kind = "attn" if shape.count("x") == 3 else "gemm"
            run, flops = (attn_case if kind == "attn" else gemm_case)(shape, gen)
            rates = measure(run, flops, args.runs, args.min_time)
            print(json.dumps({
                "impl": "torch", "kind": kind, "shape": shape, "threads": threads,
                "gflops_median": round(statistics.median(rates), 2),
                "gflops_min": round(min(rates), 2), "gflops_max": round(max(rates), 2),
                "gflops_runs": [round(r, 2) for r in rates], "torch": torch.__version__, "blas": blas_name(),
                "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
            }), flush=True)


if __name__ == "__main__":
    main()
