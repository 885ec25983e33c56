"""PyTorch baseline for the toy induction-head training run (REFERENCE.md, "Toy induction model").

Model: attention-only transformer as TransformerLens builds one (HookedTransformer with attn_only=True,
normalization_type "LN", positional_embedding_type "standard", init_mode "gpt2"):
  2 layers, 4 heads, d_model 64, d_head 16, d_vocab 64, n_ctx 48; a LayerNorm before each attention
  layer and before the unembedding (as TL's attn-only models have); learned absolute positional
  embeddings added to the residual stream; weights N(0, 0.8/sqrt(d_model)) = N(0, 0.1), biases 0,
  LayerNorm w = 1, b = 0.
Data: each sequence is 48 uniform random tokens in which a block of 16 tokens is copied, per sequence:
  the distance D between the two copies is uniform in [16, 32], then the first copy's start a is
  uniform in [0, 32 - D] and the second starts at b = a + D. A fixed offset would let layer 1 use
  positional embeddings instead of an induction circuit. The distance must be uniform: drawing a
  first and then b uniform in [a + 16, 32] makes D = 16 five times likelier than D = 32, and layer 0
  then learns to look 15-16 tokens back (a direct copy shortcut that grows into a "16th-previous-token"
  induction variant) instead of forming a previous-token head.
Training: next-token cross-entropy over every position, batch 32, AdamW(lr 3e-3, betas (0.9, 0.999),
  weight_decay 0.01 = torch's default), no schedule, fresh batches every step.
Metric: "repeated-block loss" = mean loss of predicting tokens b+1 .. b+15 (the predictable part of the
  second copy) on a fixed held-out set of 256 sequences, evaluated every 25 steps. The run reports the
  first evaluated step at which it is below 0.5, the wall time to get there (training + evaluation),
  and at that point how strongly layer-0 heads attend to the previous token and layer-1 heads to the
  induction target (key a + i + 1 for query b + i).

    python3 tools/bench/torch_train_toy.py                 # threads 1 and 2
    python3 tools/bench/torch_train_toy.py --threads 2 --max-steps 3000

One JSON object per thread count is printed. Seeds are fixed (init 0, data 1, held-out 2).
"""

import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.dont_write_bytecode = True

import torch  # the reference venv's (tools/bench/setup-python.sh)

import argparse
import datetime
import json
import math
import platform
import time

import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_forward import blas_name, set_threads  # noqa: E402

N_LAYERS, N_HEADS, D_MODEL, D_HEAD, D_VOCAB, N_CTX = 2, 4, 64, 16, 64, 48
BATCH, LR = 32, 3e-3
BLOCK = 16
EVAL_EVERY, EVAL_SIZE, THRESHOLD = 25, 256, 0.5
EPS = 1e-5


class AttnOnlyTransformer(nn.Module):
    """TL-style attention-only transformer; forward returns logits [batch, pos, d_vocab] and patterns."""

    def __init__(self):
        super().__init__()
        std = 0.8 / math.sqrt(D_MODEL)

        def param(*shape, init="normal"):
            t = torch.empty(*shape)
            if init == "normal":
                nn.init.normal_(t, std=std)
            elif init == "ones":
                nn.init.ones_(t)
            else:
                nn.init.zeros_(t)
            return nn.Parameter(t)

        self.W_E = param(D_VOCAB, D_MODEL)  # [d_vocab, d_model]
        self.W_pos = param(N_CTX, D_MODEL)  # [n_ctx, d_model]
        self.ln_w = nn.ParameterList([param(D_MODEL, init="ones") for _ in range(N_LAYERS + 1)])
        self.ln_b = nn.ParameterList([param(D_MODEL, init="zeros") for _ in range(N_LAYERS + 1)])
        self.W_QKV = nn.ParameterList([param(3, N_HEADS, D_MODEL, D_HEAD) for _ in range(N_LAYERS)])
        self.b_QKV = nn.ParameterList([param(3, N_HEADS, D_HEAD, init="zeros") for _ in range(N_LAYERS)])
        self.W_O = nn.ParameterList([param(N_HEADS, D_HEAD, D_MODEL) for _ in range(N_LAYERS)])
        self.b_O = nn.ParameterList([param(D_MODEL, init="zeros") for _ in range(N_LAYERS)])
        self.W_U = param(D_MODEL, D_VOCAB)  # [d_model, d_vocab]
        self.b_U = param(D_VOCAB, init="zeros")
        self.register_buffer("causal", torch.ones(N_CTX, N_CTX, dtype=torch.bool).tril())

    def forward(self, tokens):
        n = tokens.shape[1]
        x = self.W_E[tokens] + self.W_pos[:n]
        patterns = []
        for l in range(N_LAYERS):
            a = F.layer_norm(x, (D_MODEL,), self.ln_w[l], self.ln_b[l], EPS)
            qkv = torch.einsum("bpm,xhmd->xbhpd", a, self.W_QKV[l]) + self.b_QKV[l][:, None, :, None, :]
            q, k, v = qkv.unbind(0)  # each [batch, n_heads, pos, d_head]
            scores = (q @ k.transpose(-1, -2)) / math.sqrt(D_HEAD)
            scores = scores.masked_fill(~self.causal[:n, :n], float("-inf"))
            pattern = scores.softmax(-1)  # [batch, n_heads, query_pos, key_pos]
            patterns.append(pattern)
            z = pattern @ v  # [batch, n_heads, pos, d_head]
            x = x + torch.einsum("bhpd,hdm->bpm", z, self.W_O[l]) + self.b_O[l]
        x = F.layer_norm(x, (D_MODEL,), self.ln_w[N_LAYERS], self.ln_b[N_LAYERS], EPS)
        return x @ self.W_U + self.b_U, patterns


def make_batch(g, batch):
    """tokens [batch, n_ctx] and the start positions a (first copy) and b (second copy) per sequence."""
    tokens = torch.randint(0, D_VOCAB, (batch, N_CTX), generator=g)
    distance = torch.randint(BLOCK, N_CTX - BLOCK + 1, (batch,), generator=g)  # uniform in [16, 32]
    a = (torch.rand(batch, generator=g, dtype=torch.float64) * (N_CTX - BLOCK - distance + 1)).floor().long()
    b = a + distance
    offs = torch.arange(BLOCK)
    rows = torch.arange(batch)[:, None]
    tokens[rows, b[:, None] + offs] = tokens[rows, a[:, None] + offs]
    return tokens, a, b


def evaluate(model, held_out):
    """Repeated-block loss, and previous-token / induction attention per head, on the held-out set."""
    tokens, a, b = held_out
    with torch.no_grad():
        logits, patterns = model(tokens)
    log_probs = logits.log_softmax(-1)
    rows = torch.arange(tokens.shape[0])[:, None]
    q = b[:, None] + torch.arange(BLOCK - 1)  # query positions b .. b+14, predicting b+1 .. b+15
    loss = -log_probs[rows, q, tokens[rows, q + 1]].mean().item()
    prev = patterns[0][:, :, torch.arange(1, N_CTX), torch.arange(N_CTX - 1)].mean((0, 2))  # [n_heads]
    target = a[:, None] + torch.arange(BLOCK - 1) + 1  # induction key for each query
    induction = patterns[1][rows, :, q, target].mean((0, 1))  # [n_heads]
    return loss, prev.tolist(), induction.tolist()


def train(threads, max_steps, stop_at_threshold):
    set_threads(threads)
    torch.manual_seed(0)
    model = AttnOnlyTransformer()
    opt = torch.optim.AdamW(model.parameters(), lr=LR, betas=(0.9, 0.999), weight_decay=0.01)
    data = torch.Generator().manual_seed(1)
    held_out = make_batch(torch.Generator().manual_seed(2), EVAL_SIZE)
    curve = []
    first_below, wall_at, heads_at = None, None, None
    initial = evaluate(model, held_out)[0]
    t0 = time.perf_counter()
    train_time = 0.0
    for step in range(1, max_steps + 1):
        ts = time.perf_counter()
        tokens, _, _ = make_batch(data, BATCH)
        logits, _ = model(tokens)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, D_VOCAB), tokens[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        train_time += time.perf_counter() - ts
        if step % EVAL_EVERY == 0:
            rep_loss, prev, induction = evaluate(model, held_out)
            curve.append([step, round(rep_loss, 4)])
            if first_below is None and rep_loss < THRESHOLD:
                first_below, wall_at = step, time.perf_counter() - t0
                heads_at = {"prev_token_attention_layer0": [round(p, 3) for p in prev],
                            "induction_attention_layer1": [round(i, 3) for i in induction]}
                if stop_at_threshold:
                    break
    return {
        "bench": "toy_induction_train",
        "threads": threads,
        "initial_repeated_block_loss": round(initial, 4),
        "step_below_0.5": first_below,
        "wall_s_to_threshold": None if wall_at is None else round(wall_at, 2),
        "train_s_total": round(train_time, 2),
        "steps_run": step,
        "ms_per_step": round(1000 * train_time / step, 2),
        "heads_at_threshold": heads_at,
        "curve": curve,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--max-steps", type=int, default=3000)
    ap.add_argument("--keep-going", action="store_true", help="train max-steps even after the threshold")
    args = ap.parse_args()
    common = {"torch": torch.__version__, "python": platform.python_version(),
              "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"), "blas": blas_name(),
              "date": datetime.date.today().isoformat()}
    for threads in args.threads:
        result = train(threads, args.max_steps, not args.keep_going)
        result["loadavg_1m"] = os.getloadavg()[0]
        print(json.dumps({**result, **common}), flush=True)


if __name__ == "__main__":
    main()
