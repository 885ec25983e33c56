"""The logit-lens fixture of the analysis module, from the real TransformerLens 2.18.

TransformerLens 2.18 changed ActivationCache.accumulated_resid(layer=-1 / n_layers, apply_ln=True)
(its fix of TransformerLens issue 1076): ln_final is applied to each accumulated stream with that
stream's own mean and scale, and with ln_final's weight and bias, instead of dividing every stream by
the cached scale of the final one. apply_ln_to_stack gained the matching recompute_ln option. This
script records both, and the cached-scale forms next to them, for a tiny random model, once with raw
weights (ln_final keeps its weight and bias) and once processed as from_pretrained does (fold_ln:
ln_final becomes a LayerNormPre without weight or bias).

Run from the repository root with the reference venv (tools/python/setup-venv.sh):

    ~/.cache/lens4j/venv/bin/python tools/reference/tl_logit_lens.py

Output: analysis/src/test/resources/reference/tl-logit-lens/
  config.json, model.safetensors   the raw model as a lens4j checkpoint (TransformerLens names,
                                   parameters only: no attention-mask buffers)
  raw.safetensors                  outputs of the raw model
  processed.safetensors            outputs of the processed model (fold_ln, center_writing_weights,
                                   center_unembed, fold_value_biases, as lens4j's Models.fromPretrained)
Each outputs file holds: tokens [batch, pos] (int64), accumulated_resid_final [5, batch, pos, d_model]
(layer -1, incl_mid, apply_ln), accumulated_resid_1 [2, batch, pos, d_model] (layer 1, apply_ln: the
cached scale of blocks.1.ln1), decompose_resid [6, batch, pos, d_model] (layer -1, no LayerNorm),
apply_ln_recompute and apply_ln_cached (that stack through apply_ln_to_stack(-1) with recompute_ln
True and False). Everything is float32 (the model runs in float32, as lens4j does), on one thread.
"""

import importlib.metadata
import json
import os
import sys

sys.dont_write_bytecode = True  # keep tools/reference free of __pycache__

import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformer_lens import HookedTransformer, HookedTransformerConfig  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(REPO, "analysis", "src", "test", "resources", "reference", "tl-logit-lens")

TL_VERSION = "2.18.0"
SEED = 11
BATCH, POS = 2, 7

CFG = dict(n_layers=2, d_model=16, n_heads=4, d_head=4, d_mlp=24, n_ctx=12, d_vocab=20, act_fn="gelu_new",
           normalization_type="LN", eps=1e-5, attn_only=False, positional_embedding_type="standard")


def random_model():
    """Every parameter random, LayerNorm weights around 1 and biases around 0 but far from them."""
    torch.manual_seed(SEED)
    model = HookedTransformer(HookedTransformerConfig(**CFG, seed=SEED), move_to_device=False)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("ln1.w") or name.endswith("ln2.w") or name == "ln_final.w":
                p.copy_(1 + 0.5 * torch.randn_like(p))
            elif name.startswith("embed") or name.startswith("pos_embed"):
                p.copy_(torch.randn_like(p))
            elif p.ndim == 1 or name.split(".")[-1].startswith("b_"):
                p.copy_(0.3 * torch.randn_like(p))
            else:
                fan_in = p.shape[-2]
                p.copy_(torch.randn_like(p) / fan_in ** 0.5)
    return model


def outputs(model, tokens):
    _, cache = model.run_with_cache(tokens)
    final = cache.accumulated_resid(layer=-1, incl_mid=True, apply_ln=True)
    at1 = cache.accumulated_resid(layer=1, incl_mid=False, apply_ln=True)
    parts = cache.decompose_resid(layer=-1, apply_ln=False)
    return {
        "tokens": tokens.to(torch.int64),
        "accumulated_resid_final": final,
        "accumulated_resid_1": at1,
        "decompose_resid": parts,
        "apply_ln_recompute": cache.apply_ln_to_stack(parts, layer=-1, recompute_ln=True),
        "apply_ln_cached": cache.apply_ln_to_stack(parts, layer=-1, recompute_ln=False),
    }


def save(tensors, path):
    save_file({k: v.detach().contiguous() for k, v in tensors.items()}, path, metadata={"transformer_lens": TL_VERSION})


def main():
    version = importlib.metadata.version("transformer_lens")
    if version != TL_VERSION:
        sys.exit(f"this fixture records TransformerLens {TL_VERSION}, but {version} is installed")
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    model = random_model()
    tokens = torch.randint(0, CFG["d_vocab"], (BATCH, POS), generator=torch.Generator().manual_seed(SEED))

    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump({"model_name": "tl-logit-lens", **CFG}, f, indent=1, sort_keys=True)
        f.write("\n")
    save({n: p for n, p in model.named_parameters()}, os.path.join(OUT, "model.safetensors"))
    save(outputs(model, tokens), os.path.join(OUT, "raw.safetensors"))

    # as from_pretrained builds a processed model: an LNPre model, then the raw weights folded into it
    processed = HookedTransformer(HookedTransformerConfig(**{**CFG, "normalization_type": "LNPre"}, seed=SEED),
                                  move_to_device=False)
    processed.load_and_process_state_dict(model.state_dict(), fold_ln=True, center_writing_weights=True,
                                          center_unembed=True, fold_value_biases=True)
    save(outputs(processed, tokens), os.path.join(OUT, "processed.safetensors"))
    print("wrote", OUT)


if __name__ == "__main__":
    main()
