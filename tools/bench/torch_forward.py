"""PyTorch CPU baseline timings for docs/PERFORMANCE.md: a GPT-2-small-shaped model with random weights.

Measures, for each thread count:
  forward     full forward pass to logits [batch, pos, d_vocab], for batch x pos in 1x128, 1x1024, 8x128
  cache       the same forward, run_with_cache style: every TransformerLens hook point of GPT-2 (TL names,
              default hooks: no hook_result / attn_in / q_input ...) is cloned into a dict, as TL's cache does
  tl_forward  TransformerLens 2.18's HookedTransformer (GPT-2-small config, random weights) to logits
  tl_cache    TransformerLens 2.18's run_with_cache with every hook (its default)
  decode      greedy generation with a KV cache, one token at a time: tokens/second after the prompt

Prints one JSON object per line (median over --runs timed runs after one warm-up run).

    python tools/bench/torch_forward.py                       # everything, threads 1 and 2
    python tools/bench/torch_forward.py --runs 3 --threads 2 --modes forward tl_cache

Runs under the reference venv (tools/bench/setup-python.sh: PyTorch 2.13 with MKL and oneDNN,
TransformerLens 2.18). The model is written in plain torch, the efficient way (one fused QKV matmul,
F.layer_norm, softmax), float32, torch.inference_mode(). OMP_WAIT_POLICY=PASSIVE is set before torch is
imported unless the caller set it (see docs/perf/matmul.md for what it changes), and the thread count
with torch.set_num_threads for every measurement (torch's default depends on the machine).
"""

import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import benchenv  # noqa: E402

import argparse
import datetime
import json
import math
import platform
import statistics
import time

import torch.nn.functional as F

# GPT-2 small
D_MODEL, N_LAYERS, N_HEADS, D_HEAD, D_MLP, N_CTX, D_VOCAB = 768, 12, 12, 64, 3072, 1024, 50257
EPS = 1e-5


def blas_name():
    """The BLAS and oneDNN behind torch, from torch.__config__.show()."""
    return benchenv.blas_summary(benchenv.torch_info(torch))


def set_threads(n):
    """torch's intra-op threads (MKL and oneDNN follow them)."""
    torch.set_num_threads(n)


def tl_model():
    """TransformerLens 2.18's HookedTransformer with GPT-2 small's config and random weights, or None."""
    try:
        from transformer_lens import HookedTransformer, HookedTransformerConfig
    except ImportError:
        return None
    cfg = HookedTransformerConfig(n_layers=N_LAYERS, d_model=D_MODEL, d_head=D_HEAD, n_heads=N_HEADS, d_mlp=D_MLP,
                                  d_vocab=D_VOCAB, n_ctx=N_CTX, act_fn="gelu_new", normalization_type="LN",
                                  device="cpu", seed=0)
    return HookedTransformer(cfg).eval()


def make_weights(seed=0):
    """Random float32 weights in GPT-2 (Hugging Face Conv1D, right-multiplying) layout."""
    g = torch.Generator().manual_seed(seed)

    def randn(*shape, std=0.02):
        return torch.randn(*shape, generator=g) * std

    w = {"wte": randn(D_VOCAB, D_MODEL), "wpe": randn(N_CTX, D_MODEL, std=0.01), "layers": []}
    for _ in range(N_LAYERS):
        w["layers"].append({
            "ln1_w": torch.ones(D_MODEL), "ln1_b": torch.zeros(D_MODEL),
            "c_attn_w": randn(D_MODEL, 3 * D_MODEL), "c_attn_b": torch.zeros(3 * D_MODEL),
            "c_proj_w": randn(D_MODEL, D_MODEL), "c_proj_b": torch.zeros(D_MODEL),
            "ln2_w": torch.ones(D_MODEL), "ln2_b": torch.zeros(D_MODEL),
            "fc_w": randn(D_MODEL, D_MLP), "fc_b": torch.zeros(D_MLP),
            "proj_w": randn(D_MLP, D_MODEL), "proj_b": torch.zeros(D_MODEL),
        })
    w["lnf_w"], w["lnf_b"] = torch.ones(D_MODEL), torch.zeros(D_MODEL)
    w["wte_t"] = w["wte"].t().contiguous()  # tied unembedding, [d_model, d_vocab]
    return w


def layer_norm(x, weight, bias, name, hook):
    """LayerNorm with TL's hook_scale / hook_normalized recorded when hook is given."""
    if hook is None:
        return F.layer_norm(x, (D_MODEL,), weight, bias, EPS)
    x = x - x.mean(-1, keepdim=True)
    scale = hook(name + ".hook_scale", (x.pow(2).mean(-1, keepdim=True) + EPS).sqrt())
    return hook(name + ".hook_normalized", x / scale * weight + bias)


def forward(w, tokens, hook=None, past_kv=None, last_only=False):
    """Logits [batch, pos, d_vocab] (or [batch, 1, d_vocab] with last_only).

    hook(name, tensor) -> tensor is called at every TL hook point. past_kv: list of [k, v] per layer,
    each [batch, n_heads, past, d_head], extended in place (KV cache).
    """
    batch, n = tokens.shape
    past = 0 if past_kv is None or past_kv[0][0] is None else past_kv[0][0].shape[2]
    x = w["wte"][tokens]
    pos = w["wpe"][past : past + n]
    if hook:
        x = hook("hook_embed", x)
        pos = hook("hook_pos_embed", pos.expand(batch, n, D_MODEL))
    x = x + pos
    for l, lw in enumerate(w["layers"]):
        b = f"blocks.{l}."
        if hook:
            x = hook(b + "hook_resid_pre", x)
        a = layer_norm(x, lw["ln1_w"], lw["ln1_b"], b + "ln1", hook)
        qkv = torch.addmm(lw["c_attn_b"], a.reshape(-1, D_MODEL), lw["c_attn_w"]).view(batch, n, 3, N_HEADS, D_HEAD)
        q, k, v = qkv.unbind(2)  # each [batch, pos, n_heads, d_head]
        if hook:
            q, k, v = hook(b + "attn.hook_q", q), hook(b + "attn.hook_k", k), hook(b + "attn.hook_v", v)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)  # [batch, n_heads, pos, d_head]
        if past_kv is not None:
            if past_kv[l][0] is not None:
                k = torch.cat([past_kv[l][0], k], dim=2)
                v = torch.cat([past_kv[l][1], v], dim=2)
            past_kv[l][0], past_kv[l][1] = k, v
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(D_HEAD)
        if n > 1:
            mask = torch.ones(n, past + n, dtype=torch.bool).triu(past + 1)
            scores = scores.masked_fill(mask, float("-inf"))
        if hook:
            scores = hook(b + "attn.hook_attn_scores", scores)
        pattern = torch.softmax(scores, dim=-1)
        if hook:
            pattern = hook(b + "attn.hook_pattern", pattern)
        z = torch.matmul(pattern, v).transpose(1, 2)  # [batch, pos, n_heads, d_head]
        if hook:
            z = hook(b + "attn.hook_z", z)
        attn_out = torch.addmm(lw["c_proj_b"], z.reshape(-1, D_MODEL), lw["c_proj_w"]).view(batch, n, D_MODEL)
        if hook:
            attn_out = hook(b + "hook_attn_out", attn_out)
        x = x + attn_out
        if hook:
            x = hook(b + "hook_resid_mid", x)
        m = layer_norm(x, lw["ln2_w"], lw["ln2_b"], b + "ln2", hook)
        pre = torch.addmm(lw["fc_b"], m.reshape(-1, D_MODEL), lw["fc_w"])
        if hook:
            pre = hook(b + "mlp.hook_pre", pre.view(batch, n, D_MLP)).reshape(-1, D_MLP)
        post = F.gelu(pre, approximate="tanh")
        if hook:
            post = hook(b + "mlp.hook_post", post.view(batch, n, D_MLP)).reshape(-1, D_MLP)
        mlp_out = torch.addmm(lw["proj_b"], post, lw["proj_w"]).view(batch, n, D_MODEL)
        if hook:
            mlp_out = hook(b + "hook_mlp_out", mlp_out)
        x = x + mlp_out
        if hook:
            x = hook(b + "hook_resid_post", x)
    if last_only:
        x = x[:, -1:, :]
    x = layer_norm(x, w["lnf_w"], w["lnf_b"], "ln_final", hook)
    return torch.matmul(x, w["wte_t"])


def run_with_cache(w, tokens):
    cache = {}

    def hook(name, t):
        cache[name] = t.clone()
        return t

    return forward(w, tokens, hook=hook), cache


def greedy_decode(w, prompt, n_new):
    """Returns (tokens [batch, prompt + n_new], prefill seconds, decode seconds)."""
    past_kv = [[None, None] for _ in range(N_LAYERS)]
    t0 = time.perf_counter()
    logits = forward(w, prompt, past_kv=past_kv, last_only=True)
    t1 = time.perf_counter()
    tokens = [prompt]
    for i in range(n_new):
        nxt = logits[:, -1, :].argmax(-1, keepdim=True)
        tokens.append(nxt)
        if i + 1 < n_new:
            logits = forward(w, nxt, past_kv=past_kv, last_only=True)
    t2 = time.perf_counter()
    return torch.cat(tokens, dim=1), t1 - t0, t2 - t1


def timed(fn, runs):
    fn()  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def self_check(w):
    """The three code paths agree before anything is timed."""
    g = torch.Generator().manual_seed(1)
    tokens = torch.randint(0, D_VOCAB, (2, 16), generator=g)
    plain = forward(w, tokens)
    cached, cache = run_with_cache(w, tokens)
    assert torch.allclose(plain, cached, atol=1e-4), "run_with_cache changed the logits"
    assert len(cache) == 2 + N_LAYERS * 17 + 2, f"unexpected hook count {len(cache)}"
    assert cache["blocks.0.attn.hook_pattern"].shape == (2, N_HEADS, 16, 16)
    gen, _, _ = greedy_decode(w, tokens[:1, :8], 8)
    full = forward(w, gen[:, :-1])
    assert torch.equal(full[0, 7:].argmax(-1), gen[0, 8:]), "KV-cache decode disagrees with full recompute"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--shapes", nargs="+", default=["1x128", "1x1024", "8x128"], help="batch x pos")
    ap.add_argument("--modes", nargs="+", default=["forward", "cache", "tl_forward", "tl_cache", "decode"])
    ap.add_argument("--runs", type=int, default=5, help="timed runs per point (median reported)")
    ap.add_argument("--prompt", type=int, default=16, help="decode: prompt length")
    ap.add_argument("--new-tokens", type=int, default=64, help="decode: tokens generated per run")
    args = ap.parse_args()

    common = {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "blas": blas_name(),
        "cpu": benchenv.cpu_info()["model"],
        "date": datetime.date.today().isoformat(),
        "model": "gpt2-small-shaped random weights, float32",
    }
    w = make_weights()
    tl = tl_model() if any(m.startswith("tl_") for m in args.modes) else None
    if tl is not None:
        import transformer_lens
        import importlib.metadata
        common["transformer_lens"] = importlib.metadata.version("transformer-lens")
        del transformer_lens
    with torch.inference_mode():
        set_threads(max(args.threads))
        self_check(w)
        for threads in args.threads:
            set_threads(threads)
            for mode in ("forward", "cache", "tl_forward", "tl_cache"):
                if mode not in args.modes or (mode.startswith("tl_") and tl is None):
                    continue
                for shape in args.shapes:
                    batch, pos = (int(s) for s in shape.split("x"))
                    tokens = torch.randint(0, D_VOCAB, (batch, pos), generator=torch.Generator().manual_seed(2))
                    fn = {"forward": lambda: forward(w, tokens), "cache": lambda: run_with_cache(w, tokens),
                          "tl_forward": lambda: tl(tokens, return_type="logits"),
                          "tl_cache": lambda: tl.run_with_cache(tokens)}[mode]
                    times = timed(fn, args.runs)
                    print(json.dumps({"bench": mode, "batch": batch, "pos": pos, "threads": threads,
                                      "median_s": round(statistics.median(times), 4),
                                      "runs_s": [round(t, 4) for t in times], "loadavg_1m": os.getloadavg()[0],
                                      **common}), flush=True)
            if "decode" in args.modes:
                prompt = torch.randint(0, D_VOCAB, (1, args.prompt), generator=torch.Generator().manual_seed(3))
                greedy_decode(w, prompt, 4)  # warm-up
                rates, prefill = [], []
                for _ in range(args.runs):
                    _, t_prefill, t_decode = greedy_decode(w, prompt, args.new_tokens)
                    rates.append((args.new_tokens - 1) / t_decode)  # tokens produced by incremental steps
                    prefill.append(t_prefill)
                print(json.dumps({"bench": "decode", "batch": 1, "prompt": args.prompt,
                                  "new_tokens": args.new_tokens, "threads": threads,
                                  "median_tok_per_s": round(statistics.median(rates), 2),
                                  "runs_tok_per_s": [round(r, 2) for r in rates],
                                  "median_prefill_s": round(statistics.median(prefill), 4),
                                  "loadavg_1m": os.getloadavg()[0], **common}), flush=True)


if __name__ == "__main__":
    main()
