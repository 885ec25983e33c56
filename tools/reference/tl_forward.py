"""A TransformerLens-faithful GPT-2 forward pass in plain torch, recording every hook point.

Mirrors TransformerLens 2.x (HookedTransformer with GPT-2 weights):
  - convert_gpt2_weights:        hf_to_tl()
  - process_weights_ defaults:   process_weights()  (fold_ln, center_writing_weights, center_unembed,
                                                     fold_value_biases; refactor_factored_attn_matrices off)
  - forward / run_with_cache:    run_with_cache()   (use_attn_result=True so hook_result is recorded)
  - lm_cross_entropy_loss:       per_token_loss()
  - generate (greedy, KV cache): generate_greedy()
Everything is computed in float64; callers store float32.

Dimension legend (TransformerLens names): batch, pos, d_model, n_heads (head_index), d_head, d_mlp, d_vocab.
Weights right-multiply: x @ W.
"""

import math

import torch

# ---------------------------------------------------------------------------------------------
# Weight conversion (Hugging Face GPT-2 -> TransformerLens state dict)
# ---------------------------------------------------------------------------------------------


def hf_to_tl(hf: dict, cfg: dict) -> dict:
    """TL convert_gpt2_weights: HF names -> TL names, as float64. Buffers (attn.bias, masked_bias) are dropped."""
    h, dh, d = cfg["n_heads"], cfg["d_head"], cfg["d_model"]

    def get(name):
        return hf["transformer." + name].to(torch.float64)

    sd = {"embed.W_E": get("wte.weight"), "pos_embed.W_pos": get("wpe.weight")}
    for l in range(cfg["n_layers"]):
        p = f"h.{l}."
        b = f"blocks.{l}."
        sd[b + "ln1.w"] = get(p + "ln_1.weight")
        sd[b + "ln1.b"] = get(p + "ln_1.bias")
        w_qkv = get(p + "attn.c_attn.weight")  # [d_model, 3 d_model]
        w_q, w_k, w_v = torch.tensor_split(w_qkv, 3, dim=1)  # each [d_model, n_heads*d_head]
        # column i*d_head + j of a block is head i, dim j:  "m (i h) -> i m h"
        for name, w in (("W_Q", w_q), ("W_K", w_k), ("W_V", w_v)):
            sd[b + "attn." + name] = w.reshape(d, h, dh).permute(1, 0, 2).contiguous()  # [h, d_model, d_head]
        b_qkv = get(p + "attn.c_attn.bias").reshape(3, h, dh)  # "(qkv index head) -> qkv index head"
        sd[b + "attn.b_Q"], sd[b + "attn.b_K"], sd[b + "attn.b_V"] = b_qkv[0], b_qkv[1], b_qkv[2]
        sd[b + "attn.W_O"] = get(p + "attn.c_proj.weight").reshape(h, dh, d)  # "(i h) m -> i h m"
        sd[b + "attn.b_O"] = get(p + "attn.c_proj.bias")
        sd[b + "ln2.w"] = get(p + "ln_2.weight")
        sd[b + "ln2.b"] = get(p + "ln_2.bias")
        sd[b + "mlp.W_in"] = get(p + "mlp.c_fc.weight")  # [d_model, d_mlp]
        sd[b + "mlp.b_in"] = get(p + "mlp.c_fc.bias")
        sd[b + "mlp.W_out"] = get(p + "mlp.c_proj.weight")  # [d_mlp, d_model]
        sd[b + "mlp.b_out"] = get(p + "mlp.c_proj.bias")
    sd["ln_final.w"] = get("ln_f.weight")
    sd["ln_final.b"] = get("ln_f.bias")
    sd["unembed.W_U"] = get("wte.weight").T.contiguous()  # tied lm_head: [d_model, d_vocab]
    sd["unembed.b_U"] = torch.zeros(cfg["d_vocab"], dtype=torch.float64)
    return sd


# ---------------------------------------------------------------------------------------------
# Weight processing (HookedTransformer.process_weights_ with from_pretrained defaults)
# ---------------------------------------------------------------------------------------------


def fold_layer_norm(sd: dict, cfg: dict) -> dict:
    """TL fold_layer_norm(fold_biases=True, center_weights=True).

    Folds each LayerNorm's w, b into the next linear map, then centres the weights that READ from a
    LayerNormPre over d_model (W_Q, W_K, W_V, W_in, W_U), which does not change outputs because the
    LayerNormPre output has zero mean. The ln*.w / ln*.b entries are removed.
    """
    sd = dict(sd)
    for l in range(cfg["n_layers"]):
        b = f"blocks.{l}."
        ln_w, ln_b = sd.pop(b + "ln1.w"), sd.pop(b + "ln1.b")
        for x in ("Q", "K", "V"):
            W = sd[b + f"attn.W_{x}"]  # [h, d_model, d_head]
            sd[b + f"attn.b_{x}"] = sd[b + f"attn.b_{x}"] + (W * ln_b[None, :, None]).sum(-2)
            W = W * ln_w[None, :, None]
            sd[b + f"attn.W_{x}"] = W - W.mean(dim=1, keepdim=True)
        ln_w, ln_b = sd.pop(b + "ln2.w"), sd.pop(b + "ln2.b")
        W = sd[b + "mlp.W_in"]  # [d_model, d_mlp]
        sd[b + "mlp.b_in"] = sd[b + "mlp.b_in"] + (W * ln_b[:, None]).sum(-2)
        W = W * ln_w[:, None]
        sd[b + "mlp.W_in"] = W - W.mean(dim=0, keepdim=True)
    ln_w, ln_b = sd.pop("ln_final.w"), sd.pop("ln_final.b")
    W = sd["unembed.W_U"]  # [d_model, d_vocab]
    sd["unembed.b_U"] = sd["unembed.b_U"] + (W * ln_b[:, None]).sum(-2)
    W = W * ln_w[:, None]
    sd["unembed.W_U"] = W - W.mean(dim=0, keepdim=True)
    return sd


def center_writing_weights(sd: dict, cfg: dict) -> dict:
    """TL center_writing_weights: subtract the d_model mean of everything that writes to the residual stream."""
    sd = dict(sd)
    sd["embed.W_E"] = sd["embed.W_E"] - sd["embed.W_E"].mean(-1, keepdim=True)
    sd["pos_embed.W_pos"] = sd["pos_embed.W_pos"] - sd["pos_embed.W_pos"].mean(-1, keepdim=True)
    for l in range(cfg["n_layers"]):
        b = f"blocks.{l}."
        sd[b + "attn.W_O"] = sd[b + "attn.W_O"] - sd[b + "attn.W_O"].mean(-1, keepdim=True)
        sd[b + "attn.b_O"] = sd[b + "attn.b_O"] - sd[b + "attn.b_O"].mean()
        sd[b + "mlp.W_out"] = sd[b + "mlp.W_out"] - sd[b + "mlp.W_out"].mean(-1, keepdim=True)
        sd[b + "mlp.b_out"] = sd[b + "mlp.b_out"] - sd[b + "mlp.b_out"].mean()
    return sd


def center_unembed(sd: dict, cfg: dict) -> dict:
    """TL center_unembed: W_U -= mean over d_vocab; b_U -= its mean."""
    sd = dict(sd)
    sd["unembed.W_U"] = sd["unembed.W_U"] - sd["unembed.W_U"].mean(-1, keepdim=True)
    sd["unembed.b_U"] = sd["unembed.b_U"] - sd["unembed.b_U"].mean()
    return sd


def fold_value_biases(sd: dict, cfg: dict) -> dict:
    """TL fold_value_biases: b_O += sum_h b_V[h] @ W_O[h]; b_V = 0."""
    sd = dict(sd)
    for l in range(cfg["n_layers"]):
        b = f"blocks.{l}."
        b_V, W_O = sd[b + "attn.b_V"], sd[b + "attn.W_O"]  # [h, d_head], [h, d_head, d_model]
        sd[b + "attn.b_O"] = sd[b + "attn.b_O"] + (b_V[:, :, None] * W_O).sum([0, 1])
        sd[b + "attn.b_V"] = torch.zeros_like(b_V)
    return sd


def process_weights(sd: dict, cfg: dict) -> dict:
    """from_pretrained defaults, in TL's order: fold_ln, center_writing_weights, center_unembed, fold_value_biases."""
    sd = fold_layer_norm(sd, cfg)
    sd = center_writing_weights(sd, cfg)
    sd = center_unembed(sd, cfg)
    sd = fold_value_biases(sd, cfg)
    return sd


def tl_state_dict_order(cfg: dict, processed: bool) -> list:
    """TL parameter names in HookedTransformer.state_dict() order (buffers attn.mask / attn.IGNORE omitted)."""
    names = ["embed.W_E", "pos_embed.W_pos"]
    for l in range(cfg["n_layers"]):
        b = f"blocks.{l}."
        if not processed:
            names += [b + "ln1.w", b + "ln1.b", b + "ln2.w", b + "ln2.b"]
        names += [b + "attn." + n for n in ("W_Q", "W_K", "W_V", "W_O", "b_Q", "b_K", "b_V", "b_O")]
        names += [b + "mlp." + n for n in ("W_in", "b_in", "W_out", "b_out")]
    if not processed:
        names += ["ln_final.w", "ln_final.b"]
    names += ["unembed.W_U", "unembed.b_U"]
    return names


# ---------------------------------------------------------------------------------------------
# Forward pass with hooks
# ---------------------------------------------------------------------------------------------


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def layer_norm(x, prefix: str, sd: dict, eps: float, cache: dict):
    """TL LayerNorm (when sd has prefix.w) or LayerNormPre (folded, no affine part)."""
    x = x - x.mean(-1, keepdim=True)
    scale = (x.pow(2).mean(-1, keepdim=True) + eps).sqrt()  # [batch, pos, 1]
    cache[prefix + ".hook_scale"] = scale
    x = x / scale
    if prefix + ".w" in sd:
        x = x * sd[prefix + ".w"] + sd[prefix + ".b"]
    cache[prefix + ".hook_normalized"] = x
    return x


def run_with_cache(sd: dict, cfg: dict, tokens, attention_mask=None, past_kv=None):
    """Forward pass; returns (logits [batch, pos, d_vocab], cache {hook name: tensor}).

    tokens: int64 [batch, pos]. attention_mask: optional int64 [batch, past + pos] (1 = real token), with
    TL semantics: key positions with mask 0 are excluded from attention, position ids are
    cumsum(mask) - 1 clamped at 0 (so with left padding the first real token gets position 0), and the
    positional embedding of a pad token is zero. past_kv: optional list (one per layer) of
    [keys, values], each [batch, past_pos, n_heads, d_head], appended to in place (TL's KV cache).
    The cache dict is in the order TL fires the hooks (= TL's run_with_cache key order).
    """
    eps = cfg["eps"]
    cache = {}
    batch, n_pos = tokens.shape
    past = 0 if past_kv is None or past_kv[0][0] is None else past_kv[0][0].shape[1]

    cache["hook_embed"] = sd["embed.W_E"][tokens]  # [batch, pos, d_model]
    if attention_mask is None:
        pos_embed = sd["pos_embed.W_pos"][past : past + n_pos].unsqueeze(0).expand(batch, -1, -1)
    else:
        position_ids = attention_mask.cumsum(dim=1) - 1
        position_ids = position_ids.masked_fill(position_ids < 0, 0)[:, past:]
        pos_embed = sd["pos_embed.W_pos"][position_ids]
        pad = (attention_mask[:, past : past + n_pos] == 0).unsqueeze(-1)
        pos_embed = torch.where(pad, torch.zeros_like(pos_embed), pos_embed)
    cache["hook_pos_embed"] = pos_embed
    resid = cache["hook_embed"] + cache["hook_pos_embed"]

    n_keys = past + n_pos
    # query i (absolute position past + i) may attend keys 0 .. past + i
    causal = torch.ones(n_keys, n_keys, dtype=torch.bool).tril()[past:, :]  # [pos, key_pos]
    allowed = causal[None, None]  # [1, 1, pos, key_pos]
    if attention_mask is not None:
        allowed = allowed & attention_mask[:, None, None, :n_keys].bool()

    for l in range(cfg["n_layers"]):
        b = f"blocks.{l}."
        cache[b + "hook_resid_pre"] = resid
        x = layer_norm(resid, b + "ln1", sd, eps, cache)

        q = torch.einsum("bpm,hmd->bphd", x, sd[b + "attn.W_Q"]) + sd[b + "attn.b_Q"]
        k = torch.einsum("bpm,hmd->bphd", x, sd[b + "attn.W_K"]) + sd[b + "attn.b_K"]
        v = torch.einsum("bpm,hmd->bphd", x, sd[b + "attn.W_V"]) + sd[b + "attn.b_V"]
        cache[b + "attn.hook_q"], cache[b + "attn.hook_k"], cache[b + "attn.hook_v"] = q, k, v
        if past_kv is not None:
            if past_kv[l][0] is not None:
                k = torch.cat([past_kv[l][0], k], dim=1)
                v = torch.cat([past_kv[l][1], v], dim=1)
            past_kv[l][0], past_kv[l][1] = k, v

        scores = torch.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(cfg["d_head"])
        scores = torch.where(allowed, scores, torch.tensor(float("-inf"), dtype=scores.dtype))
        cache[b + "attn.hook_attn_scores"] = scores  # [batch, n_heads, query_pos, key_pos]
        pattern = torch.softmax(scores, dim=-1)
        pattern = torch.where(torch.isnan(pattern), torch.zeros_like(pattern), pattern)
        cache[b + "attn.hook_pattern"] = pattern
        z = torch.einsum("bhqk,bkhd->bqhd", pattern, v)
        cache[b + "attn.hook_z"] = z  # [batch, pos, n_heads, d_head]
        result = torch.einsum("bphd,hdm->bphm", z, sd[b + "attn.W_O"])
        cache[b + "attn.hook_result"] = result  # [batch, pos, n_heads, d_model], excludes b_O
        attn_out = result.sum(-2) + sd[b + "attn.b_O"]
        cache[b + "hook_attn_out"] = attn_out

        resid = resid + attn_out
        cache[b + "hook_resid_mid"] = resid
        x = layer_norm(resid, b + "ln2", sd, eps, cache)
        pre = x @ sd[b + "mlp.W_in"] + sd[b + "mlp.b_in"]
        cache[b + "mlp.hook_pre"] = pre
        post = gelu_new(pre)
        cache[b + "mlp.hook_post"] = post
        mlp_out = post @ sd[b + "mlp.W_out"] + sd[b + "mlp.b_out"]
        cache[b + "hook_mlp_out"] = mlp_out
        resid = resid + mlp_out
        cache[b + "hook_resid_post"] = resid

    x = layer_norm(resid, "ln_final", sd, eps, cache)
    logits = x @ sd["unembed.W_U"] + sd["unembed.b_U"]
    return logits, cache


def per_token_loss(logits, tokens):
    """TL lm_cross_entropy_loss(per_token=True): [batch, pos - 1]; the scalar loss is its mean."""
    log_probs = torch.log_softmax(logits, dim=-1)
    return -log_probs[:, :-1, :].gather(-1, tokens[:, 1:, None])[..., 0]


def generate_greedy(sd: dict, cfg: dict, prompt, n_new: int):
    """TL generate(do_sample=False, use_past_kv_cache=True, stop_at_eos=False) on token input.

    Returns (tokens [batch, prompt + n_new], step_logits [n_new, batch, d_vocab]): step_logits[i] are the
    logits at the last position that chose new token i (step 0 comes from the full prompt pass).
    """
    past_kv = [[None, None] for _ in range(cfg["n_layers"])]
    tokens = prompt
    step_logits = []
    logits, _ = run_with_cache(sd, cfg, prompt, past_kv=past_kv)
    for _ in range(n_new):
        last = logits[:, -1, :]
        step_logits.append(last)
        nxt = last.argmax(-1, keepdim=True)
        tokens = torch.cat([tokens, nxt], dim=1)
        logits, _ = run_with_cache(sd, cfg, nxt, past_kv=past_kv)
    return tokens, torch.stack(step_logits)
