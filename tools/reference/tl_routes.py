"""How a tiny Hugging Face model gets into TransformerLens 2.18 without the Hub.

`HookedTransformer.from_pretrained(name, hf_model=...)` wants an official model name. Its config step,
`loading_from_pretrained.convert_hf_model_config(name)`, either reads the Hugging Face config with
`AutoConfig.from_pretrained(name)` (branches keyed on `architectures[0]`: GPT2LMHeadModel,
GPTNeoXForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, Phi3ForCausalLM) or,
for names containing "llama" or "gemma", returns a hard-coded dict per model without reading any
config. Two routes, then, both ending in TL's own `from_pretrained` (TL's own weight conversion
function for the architecture, `HookedTransformer(cfg)`, `load_and_process_state_dict`):

- "hf-config": `AutoConfig.from_pretrained` is patched to return the tiny config, so TL's branch
  reads it. transformers 5 moved `rope_theta` (and GPT-NeoX's `rotary_pct`) into `rope_parameters`,
  and TL 2.18 still reads the transformers-4 attributes, so the patched config also carries those
  attributes with the values of `rope_parameters` (`legacy_view`).
- a builder ("llama3", "gemma", "gemma2"): the hard-coded branch is replaced by a dict of the same
  keys that takes its values from the tiny config (`BUILDERS`). `check_builders` proves each
  builder reproduces TL's own hard-coded dict when given the published config of the model that
  branch describes.

In both routes the returned dict gets `tokenizer_name = None` (there is no tokenizer to download;
the fixtures feed token ids) and nothing else is changed.
"""

import contextlib
import copy
import math

import transformers as T
import transformer_lens.loading_from_pretrained as loading

_ORIGINAL_CONVERT = loading.convert_hf_model_config


def legacy_view(hf_config):
    """A copy of a transformers-5 config that also answers the transformers-4 attribute names TL 2.18 reads."""
    cfg = copy.deepcopy(hf_config)
    rope = getattr(cfg, "rope_parameters", None) or {}
    if "rope_theta" in rope and not hasattr(cfg, "rope_theta"):
        cfg.rope_theta = rope["rope_theta"]
    if "partial_rotary_factor" in rope and cfg.model_type == "gpt_neox" and not hasattr(cfg, "rotary_pct"):
        cfg.rotary_pct = rope["partial_rotary_factor"]
    return cfg


def tl_view(hf_model):
    """The HF model as TL 2.18's weight conversion expects it: transformers 5 renamed GPT-NeoX's
    `embed_out` module to `lm_head` (the checkpoint still says embed_out.weight), so TL's
    convert_neox_weights gets an `embed_out` alias of the same module."""
    if hf_model.config.model_type == "gpt_neox" and not hasattr(hf_model, "embed_out"):
        hf_model.embed_out = hf_model.lm_head
    return hf_model


def _rope(hf):
    return hf.rope_parameters


def build_llama3(hf):
    """The keys of TL's "Llama-3.2-1B" branch, with the values of a tiny LlamaConfig."""
    rope = _rope(hf)
    if rope.get("rope_type") != "llama3":
        raise ValueError(f"the llama3 builder needs rope_type llama3, got {rope}")
    d_head = hf.hidden_size // hf.num_attention_heads
    return {
        "d_model": hf.hidden_size,
        "d_head": d_head,
        "n_heads": hf.num_attention_heads,
        "d_mlp": hf.intermediate_size,
        "n_layers": hf.num_hidden_layers,
        "n_ctx": hf.max_position_embeddings,
        "eps": hf.rms_norm_eps,
        "d_vocab": hf.vocab_size,
        "act_fn": hf.hidden_act,
        "n_key_value_heads": hf.num_key_value_heads,
        "normalization_type": "RMS",
        "positional_embedding_type": "rotary",
        "rotary_adjacent_pairs": False,
        "rotary_dim": d_head,
        "final_rms": True,
        "gated_mlp": True,
        "rotary_base": rope["rope_theta"],
        "use_NTK_by_parts_rope": True,
        "NTK_by_parts_low_freq_factor": rope["low_freq_factor"],
        "NTK_by_parts_high_freq_factor": rope["high_freq_factor"],
        "NTK_by_parts_factor": rope["factor"],
        "NTK_original_ctx_len": rope["original_max_position_embeddings"],
        "original_architecture": "LlamaForCausalLM",
    }


def build_gemma(hf):
    """The keys of TL's "google/gemma-2b" / "gemma-7b" branches, with the values of a tiny GemmaConfig.

    TL writes act_fn "gelu_new" for Gemma 1 whatever the config says; gelu_new is the tanh GELU, the
    same function as HF's gelu_pytorch_tanh.
    """
    return {
        "d_model": hf.hidden_size,
        "d_head": hf.head_dim,
        "n_heads": hf.num_attention_heads,
        "d_mlp": hf.intermediate_size,
        "n_layers": hf.num_hidden_layers,
        "n_ctx": hf.max_position_embeddings,
        "eps": hf.rms_norm_eps,
        "d_vocab": hf.vocab_size,
        "act_fn": "gelu_new",
        "initializer_range": hf.initializer_range,
        "normalization_type": "RMS",
        "rotary_base": _rope(hf)["rope_theta"],
        "rotary_dim": hf.head_dim,
        "positional_embedding_type": "rotary",
        "use_attn_scale": True,
        "n_key_value_heads": hf.num_key_value_heads,
        "gated_mlp": True,
        "final_rms": True,
        "original_architecture": "GemmaForCausalLM",
    }


def build_gemma2(hf, attn_types="hf"):
    """The keys of TL's "google/gemma-2-*" branches, with the values of a tiny Gemma2Config.

    attn_scale = sqrt(query_pre_attn_scalar) is set exactly when query_pre_attn_scalar != head_dim, as
    the 27b branch does (the 2b and 9b branches leave the default sqrt(d_head)). attn_types: "hf"
    takes each layer's kind from the config's layer_types (sliding_attention -> "local"); "branch"
    is TL's hard-coded ["global", "local"] * k, which starts with a global layer where Hugging Face
    starts with a sliding one.
    """
    n = hf.num_hidden_layers
    if attn_types == "hf":
        kinds = {"sliding_attention": "local", "full_attention": "global"}
        types = [kinds[t] for t in hf.layer_types]
    elif attn_types == "branch":
        types = ["global", "local"] * ((n + 1) // 2)
    else:
        raise ValueError(f"attn_types must be 'hf' or 'branch', got {attn_types!r}")
    out = {
        "d_model": hf.hidden_size,
        "d_head": hf.head_dim,
        "n_heads": hf.num_attention_heads,
        "d_mlp": hf.intermediate_size,
        "n_layers": n,
        "n_ctx": hf.max_position_embeddings,
        "eps": hf.rms_norm_eps,
        "d_vocab": hf.vocab_size,
        "act_fn": hf.hidden_activation,
        "initializer_range": hf.initializer_range,
        "normalization_type": "RMS",
        "rotary_base": _rope(hf)["rope_theta"],
        "positional_embedding_type": "rotary",
        "use_attn_scale": True,
        "n_key_value_heads": hf.num_key_value_heads,
        "window_size": hf.sliding_window,
        "use_local_attn": True,
        "attn_types": types,
        "attn_scores_soft_cap": hf.attn_logit_softcapping,
        "output_logits_soft_cap": hf.final_logit_softcapping,
        "gated_mlp": True,
        "final_rms": True,
        "use_normalization_before_and_after": True,
        "original_architecture": "Gemma2ForCausalLM",
    }
    if hf.query_pre_attn_scalar != hf.head_dim:
        out["attn_scale"] = math.sqrt(hf.query_pre_attn_scalar)
    return out


BUILDERS = {"llama3": build_llama3, "gemma": build_gemma, "gemma2": build_gemma2}


@contextlib.contextmanager
def tl_loading(hf_config, route, **builder_kwargs):
    """Within this context TL's from_pretrained configures itself from hf_config along the given route."""
    original_auto = loading.AutoConfig.from_pretrained

    def convert(model_name, **kwargs):
        if route == "hf-config":
            cfg_dict = _ORIGINAL_CONVERT(model_name, **kwargs)
        else:
            cfg_dict = BUILDERS[route](hf_config, **builder_kwargs)
        cfg_dict["tokenizer_name"] = None
        return cfg_dict

    loading.AutoConfig.from_pretrained = lambda *a, **k: legacy_view(hf_config)
    loading.convert_hf_model_config = convert
    try:
        yield
    finally:
        loading.AutoConfig.from_pretrained = original_auto
        loading.convert_hf_model_config = _ORIGINAL_CONVERT


# Published configs of the models whose TL branches are hard-coded (values of their config.json on
# the Hub), to check that each builder gives back TL's own dict. Keys TL caps or does not take from
# the config are listed as allowed differences.
_PUBLISHED = {
    "meta-llama/Llama-3.2-1B": (build_llama3, {}, lambda: T.LlamaConfig(
        vocab_size=128256, hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
        num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=131072, rms_norm_eps=1e-5,
        hidden_act="silu", rope_theta=500000.0, tie_word_embeddings=True,
        rope_scaling={"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                      "original_max_position_embeddings": 8192}), {"n_ctx"}),
    "google/gemma-2b": (build_gemma, {}, lambda: T.GemmaConfig(
        vocab_size=256000, hidden_size=2048, intermediate_size=16384, num_hidden_layers=18,
        num_attention_heads=8, num_key_value_heads=1, head_dim=256, max_position_embeddings=8192,
        rms_norm_eps=1e-6, rope_theta=10000.0, initializer_range=0.02),
        # TL's architecture guess tests "gemma-2" in the name, which "gemma-2b" contains: TL labels
        # Gemma 1 2B as Gemma2ForCausalLM (harmless: both use convert_gemma_weights and the dict has
        # no Gemma 2 switches)
        {"original_architecture"}),
    "google/gemma-7b": (build_gemma, {}, lambda: T.GemmaConfig(
        vocab_size=256000, hidden_size=3072, intermediate_size=24576, num_hidden_layers=28,
        num_attention_heads=16, num_key_value_heads=16, head_dim=256, max_position_embeddings=8192,
        rms_norm_eps=1e-6, rope_theta=10000.0, initializer_range=0.02), set()),
    "google/gemma-2-2b": (build_gemma2, {"attn_types": "branch"}, lambda: T.Gemma2Config(
        vocab_size=256000, hidden_size=2304, intermediate_size=9216, num_hidden_layers=26,
        num_attention_heads=8, num_key_value_heads=4, head_dim=256, max_position_embeddings=8192,
        rms_norm_eps=1e-6, rope_theta=10000.0, query_pre_attn_scalar=256, sliding_window=4096,
        attn_logit_softcapping=50.0, final_logit_softcapping=30.0, initializer_range=0.02), {"attn_types"}),
    "google/gemma-2-27b": (build_gemma2, {"attn_types": "branch"}, lambda: T.Gemma2Config(
        vocab_size=256000, hidden_size=4608, intermediate_size=36864, num_hidden_layers=46,
        num_attention_heads=32, num_key_value_heads=16, head_dim=128, max_position_embeddings=8192,
        rms_norm_eps=1e-6, rope_theta=10000.0, query_pre_attn_scalar=144, sliding_window=4096,
        attn_logit_softcapping=50.0, final_logit_softcapping=30.0, initializer_range=0.02), set()),
}


def check_builders():
    """Each builder, fed a published config, gives TL 2.18's hard-coded dict (up to the listed keys).

    Returns {official name: {key: (TL value, builder value)}} of the allowed differences, for the README.
    """
    allowed_report = {}
    for name, (builder, kwargs, make_config, allowed) in _PUBLISHED.items():
        tl = _ORIGINAL_CONVERT(name)  # these branches read no config: no network
        tl.pop("tokenizer_name")
        ours = builder(make_config(), **kwargs)
        diffs = {k: (tl.get(k), ours.get(k)) for k in sorted(set(tl) | set(ours)) if tl.get(k) != ours.get(k)}
        unexpected = {k: v for k, v in diffs.items() if k not in allowed}
        if unexpected:
            raise AssertionError(f"builder for {name} differs from TL 2.18's branch: {unexpected}")
        allowed_report[name] = diffs
    return allowed_report
