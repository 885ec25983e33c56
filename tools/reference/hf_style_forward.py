"""An independent GPT-2 forward written the Hugging Face way (fused c_attn, Conv1D, torch layer_norm).

It reads the Hugging Face tensors directly, with no TransformerLens conversion, so agreement with
tl_forward.run_with_cache (raw weights) checks the Q|K|V split, the head layout and W_U = wte^T.
"""

import math

import torch
import torch.nn.functional as F


def hf_forward(hf: dict, cfg: dict, tokens):
    """Logits [batch, pos, d_vocab] of GPT2LMHeadModel (eval mode), computed in float64."""
    w = {k: t.to(torch.float64) for k, t in hf.items()}
    h, dh, d, eps = cfg["n_heads"], cfg["d_head"], cfg["d_model"], cfg["eps"]
    batch, n = tokens.shape
    x = w["transformer.wte.weight"][tokens] + w["transformer.wpe.weight"][:n]
    mask = torch.tril(torch.ones(n, n, dtype=torch.bool))
    for l in range(cfg["n_layers"]):
        p = f"transformer.h.{l}."
        a = F.layer_norm(x, (d,), w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        qkv = a @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]  # Conv1D: x @ W + b
        q, k, v = qkv.split(d, dim=2)
        q, k, v = (t.view(batch, n, h, dh).transpose(1, 2) for t in (q, k, v))  # [batch, head, pos, d_head]
        att = (q @ k.transpose(-1, -2)) / math.sqrt(dh)
        att = att.masked_fill(~mask, torch.finfo(att.dtype).min).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(batch, n, d)
        x = x + y @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        m = F.layer_norm(x, (d,), w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        m = F.gelu(m @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"], approximate="tanh")
        x = x + m @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    x = F.layer_norm(x, (d,), w["transformer.ln_f.weight"], w["transformer.ln_f.bias"], eps)
    return x @ w["transformer.wte.weight"].T
