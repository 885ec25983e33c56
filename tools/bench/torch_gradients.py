"""PyTorch 2.13 autograd timings beside lens4j's GradientBenchmark: a GPT-2-small-shaped TransformerLens 2.18
model with random weights, float32, CPU.

Measures, for batch x pos 1 x 128 and each thread count (median of --runs timed runs after one warm-up):
  forward            model(corrupted) to logits, under torch.inference_mode()
  forward_backward   the same pass and the backward pass of a logit difference at the last position, activation
                     gradients only (the parameters do not require grad; the token embedding's output does)
  attribution_patching
                     Nanda's attribution patching as his notebook does it: run_with_cache on the clean tokens, a
                     corrupted forward pass with forward hooks keeping the activations and backward hooks keeping
                     their gradients, then (clean - corrupted) * grad summed for the same sweeps as lens4j's
                     benchmark (each head's z, q, k, v and pattern at all positions and by position; resid_pre,
                     attn_out, mlp_out by layer and position)
  eap_ig             the EAP-IG reference implementation (hannamw/EAP-IG, imported as
                     tools/reference/eap_ig_reference.py imports it) with ig_steps = --steps on the same graph
                     (use_attn_result, use_split_qkv_input, use_hook_mlp_in)
  forward_backward_graph_view
                     forward_backward with those three switches on, the passes EAP-IG is made of

Prints one JSON object per line. Run with the reference venv (tools/python/setup-venv.sh):

    ~/.cache/lens4j/venv/bin/python tools/bench/torch_gradients.py --runs 3 --threads 1 2

OMP_WAIT_POLICY=PASSIVE is set before torch is imported (spinning OpenMP threads fight each other on two cores).
The weights are random, not lens4j's: timings do not depend on their values.
"""

import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TQDM_DISABLE", "1")
sys.dont_write_bytecode = True

import argparse  # noqa: E402
import datetime  # noqa: E402
import importlib.metadata  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402
import transformer_lens  # noqa: E402
from transformer_lens import HookedTransformer, HookedTransformerConfig  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "reference"))

import benchenv  # noqa: E402
import eap_ig_reference  # noqa: E402

SWEEP_POINTS = ("hook_resid_pre", "hook_attn_out", "hook_mlp_out", "attn.hook_q", "attn.hook_k", "attn.hook_v", "attn.hook_z",
                "attn.hook_pattern")


def gpt2_small(seed=0):
    cfg = HookedTransformerConfig(n_layers=12, d_model=768, n_heads=12, d_head=64, d_mlp=3072, n_ctx=1024, d_vocab=50257,
                                  act_fn="gelu_new", normalization_type="LN", positional_embedding_type="standard", seed=seed,
                                  dtype=torch.float32, device="cpu")
    model = HookedTransformer(cfg)
    model.eval()
    model.requires_grad_(False)
    return model


def task(batch, pos, vocab, seed=2):
    g = torch.Generator().manual_seed(seed)
    clean = torch.randint(0, vocab, (batch, pos), generator=g)
    corrupted = clean.clone()
    other = torch.randint(0, vocab, (batch, pos), generator=g)
    corrupted[:, pos // 4::2] = other[:, pos // 4::2]
    labels = torch.stack([clean[:, -1], other[:, -1]], dim=1)
    return clean, corrupted, labels


def logit_diff(logits, labels):
    last = logits[:, -1]
    return (last.gather(-1, labels[:, :1]) - last.gather(-1, labels[:, 1:])).mean()


def forward(model, corrupted, labels):
    with torch.inference_mode():
        return model(corrupted)


def forward_backward(model, corrupted, labels):
    def leaf(a, hook):  # noqa: ARG001
        return a.detach().requires_grad_(True)
    with model.hooks(fwd_hooks=[("hook_embed", leaf)]):
        value = logit_diff(model(corrupted), labels)
        value.backward()
    return value.item()


def attribution_patching(model, clean, corrupted, labels):
    keep = lambda n: n.endswith(SWEEP_POINTS)  # noqa: E731
    with torch.inference_mode():
        _, clean_cache = model.run_with_cache(clean, names_filter=keep)
    acts, grads = {}, {}

    def save(a, hook):
        acts[hook.name] = a.detach()

    def save_grad(g, hook):
        grads[hook.name] = g.detach()

    def leaf(a, hook):  # noqa: ARG001
        return a.detach().requires_grad_(True)

    names = [n for n in model.hook_dict if keep(n)]
    with model.hooks(fwd_hooks=[("hook_embed", leaf)] + [(n, save) for n in names], bwd_hooks=[(n, save_grad) for n in names]):
        logit_diff(model(corrupted), labels).backward()
    out = []
    for n in names:
        prod = (clean_cache[n] - acts[n]) * grads[n]
        if n.endswith("hook_pattern"):       # [batch, head, query, key]: all positions and by destination
            out += [prod.sum(dim=(0, 2, 3)), prod.sum(dim=(0, 3))]
        elif prod.ndim == 4:                 # [batch, pos, head, d_head]
            out += [prod.sum(dim=(0, 1, 3)), prod.sum(dim=(0, 3))]
        else:                                # [batch, pos, d_model]
            out.append(prod.sum(dim=(0, 2)))
    return out


class EapIg:
    def __init__(self, steps):
        src, _ = eap_ig_reference.eap_ig_source(None)
        self.attribute, _, self.graph = eap_ig_reference.import_eap(src)
        self.steps = steps

    def __call__(self, model, clean, corrupted, labels):
        switches(model, True)
        try:
            g = self.graph.Graph.from_model(model)
            metric = lambda logits, clean_logits, lengths, label: logit_diff(logits, label)  # noqa: E731
            self.attribute.attribute(model, g, [(clean, corrupted, labels)], metric, "EAP-IG-inputs", ig_steps=self.steps, quiet=True)
            return g.scores
        finally:
            switches(model, False)


def graph_view_forward_backward(model, clean, corrupted, labels):
    switches(model, True)
    try:
        return forward_backward(model, corrupted, labels)
    finally:
        switches(model, False)


def switches(model, on):
    model.set_use_attn_result(on)
    model.set_use_split_qkv_input(on)
    model.set_use_hook_mlp_in(on)


def check(name, result):
    """The warm-up's result is a real one: finite numbers, and EAP-IG scored some edges."""
    tensors = [torch.as_tensor(result)] if not isinstance(result, list) else result
    if not all(torch.isfinite(t).all() for t in tensors):
        raise SystemExit("%s gave a non-finite result" % name)
    if name == "eap_ig" and not bool((tensors[0] != 0).any()):
        raise SystemExit("eap_ig scored no edge")


def timed(name, fn, runs):
    check(name, fn())
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--shape", default="1x128")
    parser.add_argument("--benches", nargs="+", default=["forward", "forward_backward", "forward_backward_graph_view",
                                                         "attribution_patching", "eap_ig"])
    args = parser.parse_args(argv)
    batch, pos = (int(s) for s in args.shape.split("x"))
    model = gpt2_small()
    clean, corrupted, labels = task(batch, pos, model.cfg.d_vocab)
    benches = {"forward": lambda: forward(model, corrupted, labels),
               "forward_backward": lambda: forward_backward(model, corrupted, labels),
               "forward_backward_graph_view": lambda: graph_view_forward_backward(model, clean, corrupted, labels),
               "attribution_patching": lambda: attribution_patching(model, clean, corrupted, labels)}
    eap = EapIg(args.steps)
    benches["eap_ig"] = lambda: eap(model, clean, corrupted, labels)
    for threads in args.threads:
        torch.set_num_threads(threads)
        for name in args.benches:
            runs = timed(name, benches[name], args.runs)
            print(json.dumps({"bench": name, "batch": batch, "pos": pos, "threads": threads, "steps": args.steps,
                              "runs_s": runs, "median_s": statistics.median(runs), "torch": torch.__version__,
                              "blas": benchenv.blas_summary(benchenv.torch_info(torch)),
                              "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
                              "transformer_lens": importlib.metadata.version("transformer_lens"),
                              "python": platform.python_version(),
                              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="minutes")}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
