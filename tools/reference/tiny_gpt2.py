"""A tiny GPT-2 with seeded random weights, written as a Hugging Face checkpoint.

Dimensions: d_model 32, 2 layers, 4 heads of d_head 8, d_mlp 128 (= 4 d_model), n_ctx 24, vocab 101,
LayerNorm eps 1e-5, gelu_new. BOS = EOS = 100 (GPT-2 uses 50256 = vocab - 1; same idea).

Hugging Face layout (GPT2LMHeadModel, Conv1D weights are [in, out]):
  transformer.wte.weight            [d_vocab, d_model]
  transformer.wpe.weight            [n_ctx, d_model]
  transformer.h.L.ln_1.weight/bias  [d_model]
  transformer.h.L.attn.c_attn.weight [d_model, 3 d_model]  (Q | K | V; head i dim j at column i*d_head + j)
  transformer.h.L.attn.c_attn.bias   [3 d_model]
  transformer.h.L.attn.c_proj.weight [d_model, d_model], .bias [d_model]
  transformer.h.L.ln_2.weight/bias  [d_model]
  transformer.h.L.mlp.c_fc.weight    [d_model, d_mlp], .bias [d_mlp]
  transformer.h.L.mlp.c_proj.weight  [d_mlp, d_model], .bias [d_model]
  transformer.ln_f.weight/bias      [d_model]
  lm_head.weight is tied to wte and not stored (as in real GPT-2 checkpoints).
Non-parameter buffers that some real checkpoints carry, which a loader must ignore:
  transformer.h.L.attn.bias        [1, 1, n_ctx, n_ctx]  lower-triangular ones (causal mask)
  transformer.h.L.attn.masked_bias []                    -1e4 (a rank-0 tensor)

Weights are deliberately far from the init defaults (LayerNorm weights != 1, every bias != 0) so that
TransformerLens weight processing changes the weights and the hook values.
"""

import hashlib
import json
import os
import shutil

import torch

from safetensors_io import tensor_bytes, write_safetensors

WEIGHT_SEED = 20240611

CFG = {
    "d_model": 32,
    "n_layers": 2,
    "n_heads": 4,
    "d_head": 8,
    "d_mlp": 128,
    "n_ctx": 24,
    "d_vocab": 101,
    "eps": 1e-5,
}
BOS_ID = EOS_ID = CFG["d_vocab"] - 1


def hf_config(torch_dtype: str = "float32") -> dict:
    """config.json contents, with the keys of a real GPT-2 config (Hugging Face GPT2Config)."""
    return {
        "activation_function": "gelu_new",
        "architectures": ["GPT2LMHeadModel"],
        "attn_pdrop": 0.1,
        "bos_token_id": BOS_ID,
        "embd_pdrop": 0.1,
        "eos_token_id": EOS_ID,
        "initializer_range": 0.02,
        "layer_norm_epsilon": CFG["eps"],
        "model_type": "gpt2",
        "n_ctx": CFG["n_ctx"],
        "n_embd": CFG["d_model"],
        "n_head": CFG["n_heads"],
        "n_inner": None,
        "n_layer": CFG["n_layers"],
        "n_positions": CFG["n_ctx"],
        "reorder_and_upcast_attn": False,
        "resid_pdrop": 0.1,
        "scale_attn_by_inverse_layer_idx": False,
        "scale_attn_weights": True,
        "summary_activation": None,
        "summary_first_dropout": 0.1,
        "summary_proj_to_labels": True,
        "summary_type": "cls_index",
        "summary_use_proj": True,
        "torch_dtype": torch_dtype,
        "use_cache": True,
        "vocab_size": CFG["d_vocab"],
    }


def make_weights(seed: int = WEIGHT_SEED) -> dict:
    """Float32 parameters in Hugging Face names (no buffers), drawn in a fixed order from one generator."""
    g = torch.Generator().manual_seed(seed)
    d, dm, v, n = CFG["d_model"], CFG["d_mlp"], CFG["d_vocab"], CFG["n_ctx"]

    def randn(*shape, std=1.0, mean=0.0):
        return (torch.randn(*shape, generator=g, dtype=torch.float32) * std + mean).float()

    w = {}
    w["transformer.wte.weight"] = randn(v, d, std=0.5)
    w["transformer.wpe.weight"] = randn(n, d, std=0.3)
    for layer in range(CFG["n_layers"]):
        p = f"transformer.h.{layer}."
        w[p + "ln_1.weight"] = randn(d, std=0.25, mean=1.0)
        w[p + "ln_1.bias"] = randn(d, std=0.2)
        w[p + "attn.c_attn.weight"] = randn(d, 3 * d, std=0.25)
        w[p + "attn.c_attn.bias"] = randn(3 * d, std=0.2)
        w[p + "attn.c_proj.weight"] = randn(d, d, std=0.2)
        w[p + "attn.c_proj.bias"] = randn(d, std=0.1)
        w[p + "ln_2.weight"] = randn(d, std=0.25, mean=1.0)
        w[p + "ln_2.bias"] = randn(d, std=0.2)
        w[p + "mlp.c_fc.weight"] = randn(d, dm, std=0.25)
        w[p + "mlp.c_fc.bias"] = randn(dm, std=0.2)
        w[p + "mlp.c_proj.weight"] = randn(dm, d, std=0.1)
        w[p + "mlp.c_proj.bias"] = randn(d, std=0.1)
    w["transformer.ln_f.weight"] = randn(d, std=0.25, mean=1.0)
    w["transformer.ln_f.bias"] = randn(d, std=0.2)
    return w


def buffers(dtype: torch.dtype) -> dict:
    """The attn.bias / attn.masked_bias buffers found in some real GPT-2 checkpoints."""
    n = CFG["n_ctx"]
    out = {}
    for layer in range(CFG["n_layers"]):
        p = f"transformer.h.{layer}.attn."
        out[p + "bias"] = torch.tril(torch.ones(n, n)).reshape(1, 1, n, n).to(dtype)
        out[p + "masked_bias"] = torch.tensor(-1e4).to(dtype)
    return out


def round_weights(weights: dict, dtype: torch.dtype) -> dict:
    """Rounds float32 weights to dtype (round to nearest even, as torch does)."""
    return {k: t.to(dtype) for k, t in weights.items()}


def _write_config(directory, torch_dtype: str) -> None:
    with open(os.path.join(directory, "config.json"), "w") as f:
        f.write(json.dumps(hf_config(torch_dtype), indent=2, sort_keys=True) + "\n")


def write_checkpoint(directory, weights: dict, torch_dtype: str) -> None:
    """config.json + model.safetensors (parameters + buffers, all in the weights' dtype)."""
    os.makedirs(directory, exist_ok=True)
    dtype = next(iter(weights.values())).dtype
    tensors = dict(weights)
    tensors.update(buffers(dtype))
    write_safetensors(os.path.join(directory, "model.safetensors"), tensors, {"format": "pt"})
    _write_config(directory, torch_dtype)


def write_sharded_checkpoint(directory, weights: dict) -> None:
    """Two shards plus model.safetensors.index.json, as save_pretrained(max_shard_size=...) writes them.

    Shard 1: wte, wpe and layer 0; shard 2: the other layers and ln_f.
    """
    os.makedirs(directory, exist_ok=True)
    tensors = dict(weights)
    tensors.update(buffers(torch.float32))
    names = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]

    def shard_of(name):
        return 0 if (name.startswith("transformer.wte") or name.startswith("transformer.wpe")
                     or name.startswith("transformer.h.0.")) else 1

    shards = [{}, {}]
    for name, t in tensors.items():
        shards[shard_of(name)][name] = t
    for i, shard in enumerate(shards):
        write_safetensors(os.path.join(directory, names[i]), shard, {"format": "pt"})
    index = {
        "metadata": {"total_size": sum(len(tensor_bytes(t)) for t in tensors.values())},
        "weight_map": {name: names[shard_of(name)] for name in sorted(tensors)},
    }
    with open(os.path.join(directory, "model.safetensors.index.json"), "w") as f:
        f.write(json.dumps(index, indent=2, sort_keys=True) + "\n")
    _write_config(directory, "float32")


# The snapshot revision of the cache copy: a fixed 40-hex string (a real cache uses the git commit id).
CACHE_REVISION = hashlib.sha1(b"lens4j tiny-gpt2 reference fixture v1").hexdigest()


def write_hf_cache(cache_root, source_dir, repo_dir_name: str = "models--tiny-gpt2") -> str:
    """Copies a checkpoint into Hugging Face hub-cache layout and returns the snapshot directory.

    cache_root plays the role of HF_HUB_CACHE (~/.cache/huggingface/hub):
      <cache_root>/models--tiny-gpt2/refs/main                   the revision, 40 hex, no newline
      <cache_root>/models--tiny-gpt2/snapshots/<revision>/...    config.json, model.safetensors
    A real cache makes the snapshot files symlinks into ../../blobs/<sha256>; here they are plain
    copies (what the hub client does where symlinks are unavailable), so no blobs/ folder exists.
    """
    repo = os.path.join(cache_root, repo_dir_name)
    snapshot = os.path.join(repo, "snapshots", CACHE_REVISION)
    os.makedirs(snapshot, exist_ok=True)
    os.makedirs(os.path.join(repo, "refs"), exist_ok=True)
    with open(os.path.join(repo, "refs", "main"), "w") as f:
        f.write(CACHE_REVISION)
    for name in ("config.json", "model.safetensors"):
        shutil.copyfile(os.path.join(source_dir, name), os.path.join(snapshot, name))
    return snapshot
