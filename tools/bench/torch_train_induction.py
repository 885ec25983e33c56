"""PyTorch twin of lens4j's induction-model training run (InductionTrainer), for docs/perf/training.md.

Same model, data, optimiser, schedule and stopping rule as `lens4j train` (TrainingOptions.defaults()):

Model: attention-only transformer in TransformerLens layout (as HookedTransformer builds it with
  attn_only=True, normalization_type "LN", init_mode "gpt2"): 2 layers, 4 heads, d_model 64, d_head 16,
  d_vocab 64, n_ctx 48; LayerNorm before each attention layer and before the unembedding; weights
  N(0, 0.8/sqrt(d_model)), biases 0, LayerNorm w = 1, b = 0.
Data: every sequence is BOS (id 0) and 47 tokens over ids 1..63, in which a block of n tokens (n uniform
  in [min_block, max_block]) is copied: start positions (src, dst) uniform over the pairs with 1 <= src,
  src + n <= dst, dst + n <= 48; the 47 - n tokens outside the copy are drawn uniformly without
  replacement (so a token recurs only inside the copy). Fresh batches every step.
Training: next-token cross-entropy over every position, batch 32, AdamW(lr 3e-3, betas (0.9, 0.999),
  eps 1e-8, weight decay 0.01 on W_QKV, W_O and W_U only), global gradient norm clipped to 1, learning
  rate falling linearly from 3e-3 to 3e-4 over the planned steps.
Metric: "repeated-block loss" = loss on the predictable tokens of the copy (dst+1 .. dst+n-1), on the
  training batch, averaged over the last 20 steps; the run stops at the first step where it is below
  the threshold and reports the wall time of the training loop up to that step.

    python3 tools/bench/torch_train_induction.py --threads 2
    python3 tools/bench/torch_train_induction.py --threads 1 2 --steps 3000 --threshold 0.5

Prints one JSON object per thread count.
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

import numpy as np
import torch.nn as nn
import torch.nn.functional as F

N_LAYERS, N_HEADS, D_MODEL, D_HEAD, D_VOCAB, N_CTX = 2, 4, 64, 16, 64, 48
BATCH, LR, FINAL_LR, WEIGHT_DECAY, CLIP = 32, 3e-3, 3e-4, 0.01, 1.0
BOS = 0
EPS = 1e-5
WINDOW = 20


class AttnOnlyTransformer(nn.Module):
    """TL-style attention-only transformer with LayerNorm; forward returns logits [batch, pos, d_vocab]."""

    def __init__(self):
        super().__init__()
        std = 0.8 / math.sqrt(D_MODEL)

        def normal(*shape):
            return nn.Parameter(torch.randn(*shape) * std)

        self.W_E = normal(D_VOCAB, D_MODEL)  # [d_vocab, d_model]
        self.W_pos = normal(N_CTX, D_MODEL)  # [n_ctx, d_model]
        self.ln_w = nn.ParameterList([nn.Parameter(torch.ones(D_MODEL)) for _ in range(N_LAYERS + 1)])
        self.ln_b = nn.ParameterList([nn.Parameter(torch.zeros(D_MODEL)) for _ in range(N_LAYERS + 1)])
        self.W_QKV = nn.ParameterList([normal(3, N_HEADS, D_MODEL, D_HEAD) for _ in range(N_LAYERS)])
        self.b_QKV = nn.ParameterList([nn.Parameter(torch.zeros(3, N_HEADS, D_HEAD)) for _ in range(N_LAYERS)])
        self.W_O = nn.ParameterList([normal(N_HEADS, D_HEAD, D_MODEL) for _ in range(N_LAYERS)])
        self.b_O = nn.ParameterList([nn.Parameter(torch.zeros(D_MODEL)) for _ in range(N_LAYERS)])
        self.W_U = normal(D_MODEL, D_VOCAB)  # [d_model, d_vocab]
        self.b_U = nn.Parameter(torch.zeros(D_VOCAB))
        self.register_buffer("causal", torch.ones(N_CTX, N_CTX, dtype=torch.bool).tril())

    def decayed(self):
        return [*self.W_QKV, *self.W_O, self.W_U]

    def forward(self, tokens):
        n = tokens.shape[1]
        x = self.W_E[tokens] + self.W_pos[:n]
        for l in range(N_LAYERS):
            a = F.layer_norm(x, (D_MODEL,), self.ln_w[l], self.ln_b[l], EPS)
            qkv = torch.einsum("bpm,xhmd->xbhpd", a, self.W_QKV[l]) + self.b_QKV[l][:, None, :, None, :]
            q, k, v = qkv.unbind(0)  # each [batch, n_heads, pos, d_head]
            scores = (q @ k.transpose(-1, -2)) / math.sqrt(D_HEAD)
            scores = scores.masked_fill(~self.causal[:n, :n], float("-inf"))
            z = scores.softmax(-1) @ v  # [batch, n_heads, pos, d_head]
            x = x + torch.einsum("bhpd,hdm->bpm", z, self.W_O[l]) + self.b_O[l]
        x = F.layer_norm(x, (D_MODEL,), self.ln_w[N_LAYERS], self.ln_b[N_LAYERS], EPS)
        return x @ self.W_U + self.b_U


def make_batch(rng, batch, min_block, max_block):
    """tokens [batch, n_ctx] (int64) and a mask [batch, n_ctx - 1] of the predictable targets."""
    tokens = np.zeros((batch, N_CTX), dtype=np.int64)
    tokens[:, 0] = BOS
    repeated = np.zeros((batch, N_CTX - 1), dtype=bool)
    for b in range(batch):
        n = int(rng.integers(min_block, max_block + 1))
        while True:
            x, y = rng.integers(1, N_CTX - n + 1, size=2)
            src, dst = min(x, y), max(x, y)
            if dst - src >= n:
                break
        outside = np.r_[1:dst, dst + n:N_CTX]
        tokens[b, outside] = 1 + rng.permutation(D_VOCAB - 1)[:len(outside)]
        tokens[b, dst:dst + n] = tokens[b, src:src + n]
        repeated[b, dst:dst + n - 1] = True  # targets dst+1 .. dst+n-1
    return torch.from_numpy(tokens), torch.from_numpy(repeated)


def train(threads, steps, threshold, min_block, max_block, seed):
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = AttnOnlyTransformer()
    decayed = {id(p) for p in model.decayed()}
    groups = [{"params": [p for p in model.parameters() if id(p) in decayed], "weight_decay": WEIGHT_DECAY},
              {"params": [p for p in model.parameters() if id(p) not in decayed], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=LR, betas=(0.9, 0.999), eps=1e-8)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1 + (FINAL_LR / LR - 1) * min(s, steps) / steps)
    recent = []
    first_below, wall_at = None, None
    t0 = time.perf_counter()
    for step in range(1, steps + 1):
        tokens, repeated = make_batch(rng, BATCH, min_block, max_block)
        logits = model(tokens)
        per_token = F.cross_entropy(logits[:, :-1].reshape(-1, D_VOCAB), tokens[:, 1:].reshape(-1),
                                    reduction="none").view(BATCH, N_CTX - 1)
        loss = per_token.mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        opt.step()
        sched.step()
        recent.append(per_token.detach()[repeated].mean().item())
        recent = recent[-WINDOW:]
        if step >= WINDOW and sum(recent) / len(recent) < threshold:
            first_below, wall_at = step, time.perf_counter() - t0
            break
    total = time.perf_counter() - t0
    return {
        "bench": "induction_train_to_threshold",
        "threads": threads,
        "threshold": threshold,
        "step_below_threshold": first_below,
        "wall_s_to_threshold": None if wall_at is None else round(wall_at, 2),
        "steps_run": step,
        "ms_per_step": round(1000 * total / step, 2),
        "smoothed_repeated_loss": round(sum(recent) / len(recent), 4),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, nargs="+", default=[2])
    ap.add_argument("--steps", type=int, default=3000, help="planned steps (sets the learning-rate schedule)")
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--min-block", type=int, default=8)
    ap.add_argument("--max-block", type=int, default=23)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    common = {"torch": torch.__version__, "python": platform.python_version(),
              "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"), "seed": args.seed,
              "blocks": [args.min_block, args.max_block], "date": datetime.date.today().isoformat()}
    for threads in args.threads:
        result = train(threads, args.steps, args.threshold, args.min_block, args.max_block, args.seed)
        result["loadavg_1m"] = os.getloadavg()[0]
        print(json.dumps({**result, **common}), flush=True)


if __name__ == "__main__":
    main()
