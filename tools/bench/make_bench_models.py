"""Random-weight models of real shapes for the family benchmarks (tools/bench/forward_vs_torch.py's
pythia and llama suites): Pythia-160M's and Llama-3.2-1B's configs, initialised at random by Hugging
Face transformers itself (its own _init_weights) and saved with save_pretrained, float32 and bfloat16, and
Pythia also in float16 (the dtype EleutherAI publishes it in).
Nothing is downloaded; the files are large (Llama: 4.9 GB float32, 2.5 GB bfloat16) and are not
committed: they go to ~/.cache/lens4j/bench-models (or $LENS4J_BENCH_MODELS).

    ~/.cache/lens4j/venv/bin/python tools/bench/make_bench_models.py [pythia] [llama]

Writes <dir>/pythia-f32, pythia-bf16, pythia-f16, llama-f32, llama-bf16 (config.json + model.safetensors).
"""

import copy
import os
import sys

import torch
import transformers

OUT = os.environ.get("LENS4J_BENCH_MODELS", os.path.expanduser("~/.cache/lens4j/bench-models"))


def pythia_config():
    """EleutherAI/pythia-160m's config.json, as published."""
    return transformers.GPTNeoXConfig(
        vocab_size=50304, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
        hidden_act="gelu", rotary_pct=0.25, rotary_emb_base=10000, max_position_embeddings=2048,
        initializer_range=0.02, layer_norm_eps=1e-5, use_parallel_residual=True, tie_word_embeddings=False,
        bos_token_id=0, eos_token_id=0)


def llama_config():
    """meta-llama/Llama-3.2-1B's config.json, as published (tied embeddings, Llama 3 rope scaling)."""
    return transformers.LlamaConfig(
        vocab_size=128256, hidden_size=2048, intermediate_size=8192, num_hidden_layers=16, num_attention_heads=32,
        num_key_value_heads=8, head_dim=64, hidden_act="silu", max_position_embeddings=131072, rms_norm_eps=1e-5,
        rope_theta=500000.0, rope_scaling={"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                                           "original_max_position_embeddings": 8192, "rope_type": "llama3"},
        tie_word_embeddings=True, attention_bias=False, mlp_bias=False, initializer_range=0.02,
        bos_token_id=128000, eos_token_id=128001)


def make(name, config, cls, dtypes=("f32", "bf16")):
    """Saves the model in each dtype (f32 first: the 16-bit files are its values rounded)."""
    folders = {d: os.path.join(OUT, "%s-%s" % (name, d)) for d in dtypes}
    if all(os.path.exists(os.path.join(f, "model.safetensors")) for f in folders.values()):
        print("%s: already in %s" % (name, OUT), flush=True)
        return
    torch.manual_seed(0)
    model = cls(config).eval()  # transformers' own random initialisation
    n = sum(p.numel() for p in model.parameters())
    model.save_pretrained(folders["f32"])
    for d in dtypes[1:]:
        # each 16-bit copy from the float32 values (a bfloat16 model cast back to float32 would keep its rounding)
        copy.deepcopy(model).to({"bf16": torch.bfloat16, "f16": torch.float16}[d]).save_pretrained(folders[d])
    print("%s: %.1fM parameters; %s" % (name, n / 1e6, ", ".join(folders.values())), flush=True)
    del model


def main():
    which = sys.argv[1:] or ["pythia", "llama"]
    os.makedirs(OUT, exist_ok=True)
    print("transformers %s, torch %s" % (transformers.__version__, torch.__version__), flush=True)
    for w in which:
        if w == "pythia":
            make("pythia", pythia_config(), transformers.GPTNeoXForCausalLM, ("f32", "bf16", "f16"))
        elif w == "llama":
            make("llama", llama_config(), transformers.LlamaForCausalLM)
        else:
            raise SystemExit("unknown model %r (pythia, llama)" % w)


if __name__ == "__main__":
    main()
