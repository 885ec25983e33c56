"""Regenerates the lens4j reference fixtures for the tiny GPT-2 (see the README.md it describes).

Run from the repository root:   python3 tools/reference/make_fixtures.py
(needs Debian's python3-torch and python3-numpy; if the python3 on PATH lacks torch, the script
re-runs itself with /usr/bin/python3). Output: transformer/src/test/resources/reference/tiny-gpt2/.
The output is byte-for-byte deterministic for a given torch build: seeded generators, one thread,
float64 arithmetic, sorted safetensors headers, no timestamps.
"""

import os
import sys

sys.dont_write_bytecode = True  # keep tools/reference free of __pycache__

try:
    import torch
except ModuleNotFoundError:
    # A pyenv python3 may shadow Debian's, which is the one that has python3-torch.
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != "/usr/bin/python3":
        os.execv("/usr/bin/python3", ["/usr/bin/python3", *sys.argv])
    raise

import hashlib
import shutil

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tiny_gpt2  # noqa: E402
import tl_forward as tl  # noqa: E402
from hf_style_forward import hf_forward  # noqa: E402
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(REPO, "transformer", "src", "test", "resources", "reference", "tiny-gpt2")

TOKEN_SEED = 7  # the fixed [2, 12] batch
BATCH, POS = 2, 12
PADDED_LENGTHS = (12, 7)  # real lengths of the two sequences in the padded batch
GEN_PROMPT_LEN, GEN_NEW = 6, 8
GEN_MIN_MARGIN = 0.05  # top-1 minus top-2 logit at every greedy step, so float32 cannot flip a choice
GEN_MIN_DISTINCT = 4  # a continuation that is not one token repeated

CFG = tiny_gpt2.CFG
V = CFG["d_vocab"]
PAD_ID = tiny_gpt2.EOS_ID  # GPT-2 pads with EOS


def f32(tensors: dict) -> dict:
    return {k: (t.to(torch.float32) if t.is_floating_point() else t) for k, t in tensors.items()}


def fixed_tokens():
    g = torch.Generator().manual_seed(TOKEN_SEED)
    tokens = torch.randint(0, V - 1, (BATCH, POS), generator=g, dtype=torch.int64)
    tokens[:, 0] = tiny_gpt2.BOS_ID
    return tokens


def activations(sd, tokens):
    """Every hook + logits + losses, as float32, keyed by TL hook name."""
    logits, cache = tl.run_with_cache(sd, CFG, tokens)
    loss_per_token = tl.per_token_loss(logits, tokens)
    out = dict(cache)
    out["logits"] = logits
    out["loss_per_token"] = loss_per_token
    out["loss"] = loss_per_token.mean()
    out = f32(out)
    out["tokens"] = tokens
    return out, list(cache)


def check_processing_invariants(raw, proc):
    """Relations TL promises between the raw and processed runs (REFERENCE.md, 'easy to get wrong' 4)."""
    def close(a, b, what, tol=1e-9):
        err = (a - b).abs().max().item()
        assert err < tol, f"{what}: max diff {err}"

    close(torch.log_softmax(raw["logits"], -1), torch.log_softmax(proc["logits"], -1), "log-probs")
    close(raw["loss_per_token"], proc["loss_per_token"], "per-token loss")
    shift = raw["logits"] - proc["logits"]
    close(shift, shift.mean(-1, keepdim=True).expand_as(shift), "logit shift is per position")
    for name in raw:
        if name.endswith("hook_scale") or "hook_pattern" in name or "hook_q" in name or "hook_k" in name \
                or "mlp.hook_" in name:
            close(raw[name], proc[name], name)
        if "hook_resid" in name or name in ("hook_embed",) or name.endswith("_out"):
            d = raw[name] - proc[name]
            close(d, d.mean(-1, keepdim=True).expand_as(d), name + " differs by a per-position constant")
        if name.endswith("hook_normalized"):
            close(proc[name].mean(-1), torch.zeros_like(proc[name].mean(-1)), name + " (LNPre) has zero mean")
    assert (raw["blocks.0.attn.hook_v"] - proc["blocks.0.attn.hook_v"]).abs().max() > 1e-3, "b_V folding"


def padded_case(sd_raw, sd_proc):
    """Left- and right-padded batch with an attention mask; logits must match unpadded single runs."""
    g = torch.Generator().manual_seed(TOKEN_SEED + 1)
    seqs = []
    for n in PADDED_LENGTHS:
        s = torch.randint(0, V - 1, (n,), generator=g, dtype=torch.int64)
        s[0] = tiny_gpt2.BOS_ID
        seqs.append(s)
    width = max(PADDED_LENGTHS)
    out = {}
    for side in ("left", "right"):
        tokens = torch.full((len(seqs), width), PAD_ID, dtype=torch.int64)
        mask = torch.zeros((len(seqs), width), dtype=torch.int64)
        for i, s in enumerate(seqs):
            sl = slice(width - len(s), width) if side == "left" else slice(0, len(s))
            tokens[i, sl] = s
            mask[i, sl] = 1
        logits, _ = tl.run_with_cache(sd_raw, CFG, tokens, attention_mask=mask)
        logits_p, _ = tl.run_with_cache(sd_proc, CFG, tokens, attention_mask=mask)
        for i, s in enumerate(seqs):
            alone, _ = tl.run_with_cache(sd_raw, CFG, s[None])
            real = mask[i].bool()
            err = (logits[i][real] - alone[0]).abs().max().item()
            assert err < 1e-10, f"{side} padding changed real-token logits by {err}"
        out[f"{side}.tokens"] = tokens
        out[f"{side}.attention_mask"] = mask
        out[f"{side}.logits"] = logits.float()
        out[f"{side}.logits_processed"] = logits_p.float()
    return out


def generation_case(sd_raw):
    """Greedy KV-cache continuation of a seeded prompt.

    The prompt seed is the first >= 100 whose 8 greedy steps all have a clear top-1 margin, that produces
    at least GEN_MIN_DISTINCT different tokens and no EOS (so stop_at_eos does not matter).
    """
    for seed in range(100, 200):
        g = torch.Generator().manual_seed(seed)
        prompt = torch.randint(0, V - 1, (1, GEN_PROMPT_LEN), generator=g, dtype=torch.int64)
        prompt[0, 0] = tiny_gpt2.BOS_ID
        tokens, step_logits = tl.generate_greedy(sd_raw, CFG, prompt, GEN_NEW)
        top2 = step_logits.topk(2, dim=-1).values
        margin = (top2[..., 0] - top2[..., 1]).min().item()
        new = tokens[0, GEN_PROMPT_LEN:]
        if margin >= GEN_MIN_MARGIN and len(set(new.tolist())) >= GEN_MIN_DISTINCT \
                and not (new == tiny_gpt2.EOS_ID).any():
            break
    else:
        raise RuntimeError("no prompt seed gave a clear greedy margin")
    # the KV-cache path must agree with a full recompute of the whole sequence
    full, _ = tl.run_with_cache(sd_raw, CFG, tokens)
    err = (full[0, GEN_PROMPT_LEN - 1 : -1] - step_logits[:, 0]).abs().max().item()
    assert err < 1e-10, f"KV cache disagrees with full recompute by {err}"
    return {
        "prompt": prompt,
        "tokens": tokens,
        "step_logits": step_logits[:, 0, :].float(),  # [n_new, d_vocab] (batch 1)
    }, seed, margin


def rounded_logits(hf_rounded: dict, tokens):
    sd_raw = tl.hf_to_tl(hf_rounded, CFG)
    sd_proc = tl.process_weights(sd_raw, CFG)
    out = {}
    for key, sd in (("", sd_raw), ("_processed", sd_proc)):
        logits, _ = tl.run_with_cache(sd, CFG, tokens)
        loss = tl.per_token_loss(logits, tokens)
        out["logits" + key] = logits.float()
        out["loss_per_token" + key] = loss.float()
        out["loss" + key] = loss.mean().float()
    out["tokens"] = tokens
    return out


def main():
    torch.set_num_threads(1)
    if os.path.isdir(OUT):
        for entry in os.listdir(OUT):
            if entry != "README.md":
                path = os.path.join(OUT, entry)
                shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    os.makedirs(OUT, exist_ok=True)
    meta = {"generator": "tools/reference/make_fixtures.py", "torch": torch.__version__.split("+")[0]}

    # 1. checkpoints
    hf = tiny_gpt2.make_weights()
    hf_f16 = tiny_gpt2.round_weights(hf, torch.float16)
    hf_bf16 = tiny_gpt2.round_weights(hf, torch.bfloat16)
    tiny_gpt2.write_checkpoint(os.path.join(OUT, "hf"), hf, "float32")
    tiny_gpt2.write_checkpoint(os.path.join(OUT, "hf-f16"), hf_f16, "float16")
    tiny_gpt2.write_checkpoint(os.path.join(OUT, "hf-bf16"), hf_bf16, "bfloat16")
    tiny_gpt2.write_sharded_checkpoint(os.path.join(OUT, "hf-sharded"), hf)
    tiny_gpt2.write_hf_cache(os.path.join(OUT, "hf-cache"), os.path.join(OUT, "hf"))

    # the files read back to what was meant
    back, _ = read_safetensors(os.path.join(OUT, "hf", "model.safetensors"))
    assert all(torch.equal(back[k], hf[k]) for k in hf)
    back, _ = read_safetensors(os.path.join(OUT, "hf-bf16", "model.safetensors"))
    assert all(torch.equal(back[k], hf_bf16[k]) for k in hf)

    # 2. TL state dicts
    sd_raw = tl.hf_to_tl(hf, CFG)
    sd_proc = tl.process_weights(sd_raw, CFG)
    assert sorted(sd_raw) == sorted(tl.tl_state_dict_order(CFG, processed=False))
    assert sorted(sd_proc) == sorted(tl.tl_state_dict_order(CFG, processed=True))
    write_safetensors(os.path.join(OUT, "tl-weights-raw.safetensors"), f32(sd_raw), meta)
    write_safetensors(os.path.join(OUT, "tl-weights-processed.safetensors"), f32(sd_proc), meta)

    # 3. activations for the fixed batch
    tokens = fixed_tokens()
    raw, hook_names = activations(sd_raw, tokens)
    proc, hook_names_p = activations(sd_proc, tokens)
    err = (hf_forward(hf, CFG, tokens) - activations_f64(sd_raw, tokens)["logits"]).abs().max().item()
    assert err < 1e-10, f"TL-style and HF-style forwards disagree by {err}"
    assert hook_names == hook_names_p
    check_processing_invariants(*(activations_f64(sd, tokens) for sd in (sd_raw, sd_proc)))
    write_safetensors(os.path.join(OUT, "activations-raw.safetensors"), raw, meta)
    write_safetensors(os.path.join(OUT, "activations-processed.safetensors"), proc, meta)
    with open(os.path.join(OUT, "hook_names.txt"), "w") as f:
        f.write("\n".join(hook_names) + "\n")

    # 4. rounded checkpoints
    write_safetensors(os.path.join(OUT, "logits-f16.safetensors"), rounded_logits(hf_f16, tokens), meta)
    write_safetensors(os.path.join(OUT, "logits-bf16.safetensors"), rounded_logits(hf_bf16, tokens), meta)

    # 5. padding and generation
    write_safetensors(os.path.join(OUT, "padded.safetensors"), padded_case(sd_raw, sd_proc), meta)
    gen, gen_seed, gen_margin = generation_case(sd_raw)
    write_safetensors(os.path.join(OUT, "generate.safetensors"), gen, meta)

    # summary
    print(f"tokens: {tokens.tolist()}")
    print(f"loss raw {raw['loss'].item():.6f} processed {proc['loss'].item():.6f}")
    print(f"generation: prompt seed {gen_seed}, min greedy margin {gen_margin:.4f}, tokens {gen['tokens'].tolist()}")
    total = 0
    for root, _, files in sorted(os.walk(OUT)):
        for name in sorted(files):
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                data = f.read()
            total += len(data)
            print(f"{hashlib.sha256(data).hexdigest()[:16]} {len(data):8d} {os.path.relpath(path, OUT)}")
    print(f"total {total} bytes")


def activations_f64(sd, tokens):
    logits, cache = tl.run_with_cache(sd, CFG, tokens)
    out = dict(cache)
    out["logits"] = logits
    out["loss_per_token"] = tl.per_token_loss(logits, tokens)
    return out


if __name__ == "__main__":
    main()
