"""PyTorch autograd beside lens4j's backward pass (JMH BackwardBenchmark): a GPT-2-small-shaped model with
random weights (tools/bench/torch_forward.py's model and weights), TransformerLens's loss (the mean next-token
cross-entropy).

Measures, for each thread count and batch x pos:
  forward                   the forward pass to logits, under torch.inference_mode()
  forward_backward          the forward pass with autograd and the loss's gradient with respect to the input
                            embeddings (weights frozen): every activation's gradient is computed on the way,
                            as lens4j's forwardBackward computes them (and run_with_cache(incl_bwd=True) keeps them)
  forward_backward_weights  the same with every weight's gradient (loss.backward() on trainable weights:
                            a training step's passes, lens4j's forwardBackwardWeights)

Prints one JSON object per line (median over --runs timed runs after one warm-up run).

    python tools/bench/torch_backward.py                      # threads 1 and 2, 1x128 and 8x128
    python tools/bench/torch_backward.py --runs 3 --threads 2 --shapes 1x128
    python tools/bench/torch_backward.py --clock cpu --threads 1  # CPU time, as lens4j's BackwardCpuTime

Runs under the reference venv (PyTorch 2.13 with MKL and oneDNN); OMP_WAIT_POLICY=PASSIVE unless set.
"""

import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import benchenv  # noqa: E402
import torch_forward as tf  # noqa: E402

import argparse
import datetime
import json
import platform
import statistics
import time

import torch.nn.functional as F


def loss_of(logits, tokens):
    """TransformerLens's loss: -log p(tokens[b, t + 1]) averaged over [batch, pos - 1]."""
    v = logits.shape[-1]
    return F.cross_entropy(logits[:, :-1].reshape(-1, v), tokens[:, 1:].reshape(-1))


def forward_from_embeddings(w, tokens, embed):
    """tf.forward with the token embeddings replaced by a leaf tensor (whose gradient is asked for)."""

    class Lookup:
        def __getitem__(self, _):
            return embed

    return tf.forward({**w, "wte": Lookup()}, tokens)


def timed(fn, runs, clock):
    """Seconds of each of `runs` calls after one warm-up call: wall clock, or the calling thread's CPU time
    (with one intra-op thread, torch computes on the calling thread)."""
    now = time.thread_time if clock == "cpu" else time.perf_counter
    fn()
    times = []
    for _ in range(runs):
        t0 = now()
        fn()
        times.append(now() - t0)
    return times


def trainable(w):
    """A copy of the weights with requires_grad set on every tensor (the tied unembedding follows wte)."""
    out = {k: v for k, v in w.items() if k not in ("layers",)}
    out["wte"] = w["wte"].clone().requires_grad_(True)
    out["wpe"] = w["wpe"].clone().requires_grad_(True)
    out["lnf_w"] = w["lnf_w"].clone().requires_grad_(True)
    out["lnf_b"] = w["lnf_b"].clone().requires_grad_(True)
    out["layers"] = [{k: t.clone().requires_grad_(True) for k, t in lw.items()} for lw in w["layers"]]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--shapes", nargs="+", default=["1x128", "8x128"], help="batch x pos")
    ap.add_argument("--modes", nargs="+", default=["forward", "forward_backward", "forward_backward_weights"])
    ap.add_argument("--runs", type=int, default=5, help="timed runs per point (median reported)")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="wall clock, or the calling thread's CPU time (one thread only)")
    args = ap.parse_args()
    if args.clock == "cpu" and args.threads != [1]:
        ap.error("--clock cpu measures the calling thread: use --threads 1")

    common = {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "blas": tf.blas_name(),
        "cpu": benchenv.cpu_info()["model"],
        "date": datetime.date.today().isoformat(),
        "model": "gpt2-small-shaped random weights, float32, mean next-token loss",
    }
    w = tf.make_weights()
    wt = trainable(w)
    wt["wte_t"] = None  # tied: the unembedding is wte's transpose, so its gradient adds to wte's

    def forward_tied(weights, tokens):
        weights["wte_t"] = weights["wte"].t()
        return tf.forward(weights, tokens)

    for threads in args.threads:
        torch.set_num_threads(threads)
        for shape in args.shapes:
            batch, pos = (int(s) for s in shape.split("x"))
            tokens = torch.randint(0, tf.D_VOCAB, (batch, pos), generator=torch.Generator().manual_seed(2))

            def fwd():
                with torch.inference_mode():
                    return tf.forward(w, tokens)

            def fwd_bwd():
                embed = w["wte"][tokens].clone().requires_grad_(True)
                loss = loss_of(forward_from_embeddings(w, tokens, embed), tokens)
                (g,) = torch.autograd.grad(loss, embed)
                return loss, g

            def fwd_bwd_weights():
                for t in [wt["wte"], wt["wpe"], wt["lnf_w"], wt["lnf_b"]] + [t for lw in wt["layers"] for t in lw.values()]:
                    t.grad = None
                loss = loss_of(forward_tied(wt, tokens), tokens)
                loss.backward()
                return loss

            # the three agree on the loss before anything is timed
            plain = loss_of(fwd(), tokens).item()
            with_grad, g = fwd_bwd()
            assert abs(with_grad.item() - plain) <= 1e-4 * abs(plain), (with_grad.item(), plain)
            assert torch.isfinite(g).all() and g.abs().sum() > 0
            assert abs(fwd_bwd_weights().item() - plain) <= 1e-4 * abs(plain)
            for mode, fn in (("forward", fwd), ("forward_backward", fwd_bwd), ("forward_backward_weights", fwd_bwd_weights)):
                if mode not in args.modes:
                    continue
                times = timed(fn, args.runs, args.clock)
                print(json.dumps({"bench": mode, "batch": batch, "pos": pos, "threads": threads, "clock": args.clock,
                                  "median_s": round(statistics.median(times), 4),
                                  "runs_s": [round(t, 4) for t in times], "loadavg_1m": os.getloadavg()[0],
                                  **common}), flush=True)


if __name__ == "__main__":
    main()
