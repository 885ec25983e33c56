"""The tiny decoder families of the multi-family fixtures: one Hugging Face config per family, the
official TransformerLens name whose loading branch is used, and what each config exercises.

Only the values here are chosen by lens4j; every model, logit, hook and gradient is computed by the
real `transformers` and TransformerLens (see make_family_fixtures.py).
"""

from dataclasses import dataclass, field

import transformers as T


@dataclass(frozen=True)
class Family:
    """One fixture folder: a tiny random model of one Hugging Face architecture."""

    name: str  # folder name under reference/families/
    model_class: type  # the Hugging Face *ForCausalLM class
    config: object  # the transformers config the model is built from (saved as hf/config.json)
    tl_name: str  # the official TransformerLens model name whose loading branch is used
    route: str  # "hf-config" (TL's branch reads the HF config) or a builder name of tl_routes.BUILDERS
    exercises: str  # what the config is for, one line for the README
    bos: int  # the token id put at position 0 of the test batch
    # the test tokenizer (a folder of transformer/src/test/resources/tokenizers/) whose tokenizer.json and
    # tokenizer_config.json are copied into hf/: its vocabulary fits vocab_size and its special tokens are
    # the config's bos_token_id / eos_token_id (the script checks both)
    tokenizer: str = ""
    gemma_norm: bool = False  # RMSNorm multiplies by (1 + w): random w is drawn around 0, not 1
    extra_checkpoints: tuple = ()  # "f16", "sharded" beside the always-written hf/ and hf-bf16/
    notes: tuple = field(default_factory=tuple)  # family-specific README paragraphs
    # config changes that switch off a feature the config is meant to exercise: the script checks that
    # each one changes HF's logits (so the feature is really in play at this size and sequence)
    switched_off: dict = field(default_factory=dict)


N_CTX = 64


def _gpt2():
    cfg = T.GPT2Config(
        vocab_size=512, n_embd=32, n_layer=2, n_head=4, n_positions=N_CTX,
        n_ctx=N_CTX,  # not a GPT2Config field any more in transformers 5, but real GPT-2 config.json files
        # have it and TransformerLens's GPT-2 branch reads it
        activation_function="gelu_new", bos_token_id=511, eos_token_id=511,
    )
    return Family(
        "gpt2", T.GPT2LMHeadModel, cfg, "gpt2", "hf-config",
        "LayerNorm, gelu_new, learned positions, tied embeddings, biases everywhere (Conv1D weights [in, out])",
        bos=511, tokenizer="gpt2", extra_checkpoints=("f16", "sharded"),
    )


def _gpt_neox():
    cfg = T.GPTNeoXConfig(
        vocab_size=512, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=128, max_position_embeddings=N_CTX, rotary_pct=0.25, rotary_emb_base=10000,
        hidden_act="gelu", use_parallel_residual=True, tie_word_embeddings=False,
        layer_norm_eps=1e-5, bos_token_id=0, eos_token_id=0,
    )
    return Family(
        "gpt_neox", T.GPTNeoXForCausalLM, cfg, "EleutherAI/pythia-14m", "hf-config",
        "parallel attention + MLP, partial rotary (rotary_pct 0.25: 4 of 16 head dims), fused per-head "
        "interleaved query_key_value [(head, q|k|v, d_head), d_model], untied embed_out, exact gelu, LayerNorm",
        bos=0, tokenizer="gpt_neox",
        switched_off={"parallel block": {"use_parallel_residual": False},
                      "partial rotary": {"rope_parameters": {"rope_type": "default", "rope_theta": 10000.0,
                                                             "partial_rotary_factor": 1.0}}},
    )


_NO_LLAMA3 = {"rope scaling": {"rope_parameters": {"rope_type": "default", "rope_theta": 500.0}}}


def _llama(tied):
    cfg = T.LlamaConfig(
        vocab_size=512, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        intermediate_size=64, max_position_embeddings=N_CTX, rms_norm_eps=1e-5, hidden_act="silu",
        rope_theta=500.0,
        # Llama-3 "NTK by parts" scaling with a small original context (48 < max_position_embeddings,
        # as transformers requires), so that the three regimes all occur among the 4 frequencies of
        # d_head 8: wavelength 6.3 (< 48/4: kept), 29.7 (between 12 and 48: smoothed, weight 0.21)
        # and 140, 666 (> 48: divided by the factor). The small rope_theta puts them there.
        rope_scaling={"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                      "original_max_position_embeddings": 48},
        # the llama3 test tokenizer's <|begin_of_text|> and <|end_of_text|>
        tie_word_embeddings=tied, bos_token_id=502, eos_token_id=503,
    )
    if tied:
        return Family(
            "llama", T.LlamaForCausalLM, cfg, "meta-llama/Llama-3.2-1B", "llama3",
            "RMSNorm, rotary with Llama-3 rope scaling (rope_type llama3), SwiGLU, grouped-query attention "
            "(4 query heads, 2 KV heads), no biases, tied embeddings (like Llama 3.2 1B)",
            bos=502, tokenizer="llama3", extra_checkpoints=("f16", "sharded"), switched_off=_NO_LLAMA3,
        )
    return Family(
        "llama-untied", T.LlamaForCausalLM, cfg, "meta-llama/Llama-3.2-1B", "llama3",
        "the llama config with an untied lm_head (like Llama 3 8B): RMSNorm, llama3 rope scaling, SwiGLU, "
        "grouped-query attention, no biases",
        bos=502, tokenizer="llama3", switched_off=_NO_LLAMA3,
    )


def _mistral():
    cfg = T.MistralConfig(
        vocab_size=320, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        head_dim=8, intermediate_size=64, max_position_embeddings=N_CTX, rms_norm_eps=1e-5,
        rope_theta=10000.0, sliding_window=5, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2,
    )
    return Family(
        "mistral", T.MistralForCausalLM, cfg, "mistralai/Mistral-7B-v0.1", "hf-config",
        "grouped-query attention (4 / 2) with a sliding window of 5 keys (query q sees keys q-4..q) on "
        "every layer, shorter than the 12-token test sequence; RMSNorm, SwiGLU, untied",
        bos=1, tokenizer="mistral", switched_off={"sliding window": {"sliding_window": None}},
    )


def _qwen2():
    cfg = T.Qwen2Config(
        vocab_size=512, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        intermediate_size=64, max_position_embeddings=N_CTX, rms_norm_eps=1e-6, rope_theta=10000.0,
        # the qwen2 test tokenizer's <|endoftext|>, as Qwen2's bos_token_id and eos_token_id
        tie_word_embeddings=True, use_sliding_window=False, bos_token_id=505, eos_token_id=505,
    )
    return Family(
        "qwen2", T.Qwen2ForCausalLM, cfg, "Qwen/Qwen2-0.5B", "hf-config",
        "q/k/v biases (no o_proj bias), grouped-query attention (4 / 2), tied embeddings, RMSNorm, SwiGLU",
        bos=505, tokenizer="qwen2",
    )


def _gemma():
    cfg = T.GemmaConfig(
        vocab_size=320, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=1,
        head_dim=16, intermediate_size=64, max_position_embeddings=N_CTX, rms_norm_eps=1e-6,
        hidden_act="gelu_pytorch_tanh", rope_theta=10000.0, tie_word_embeddings=True,
        bos_token_id=2, eos_token_id=1, pad_token_id=0,
    )
    return Family(
        "gemma", T.GemmaForCausalLM, cfg, "google/gemma-7b", "gemma",
        "RMSNorm with (1 + w), embeddings scaled by sqrt(d_model), GeGLU with tanh GELU, head_dim 16 != "
        "d_model / n_heads = 8, multi-query attention (1 KV head), tied embeddings",
        bos=2, tokenizer="gemma", gemma_norm=True, extra_checkpoints=("f16", "sharded"),
    )


def _gemma2():
    cfg = T.Gemma2Config(
        vocab_size=320, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        head_dim=16, intermediate_size=64, max_position_embeddings=N_CTX, rms_norm_eps=1e-6,
        hidden_activation="gelu_pytorch_tanh", rope_theta=10000.0, query_pre_attn_scalar=24,
        sliding_window=5,
        # caps of the order of the tiny model's uncapped scores and logits, so that the tanh is far from
        # the identity (the real 50 / 30 would leave these values unchanged to 1e-3)
        attn_logit_softcapping=4.0, final_logit_softcapping=5.0,
        tie_word_embeddings=True, bos_token_id=2, eos_token_id=1, pad_token_id=0,
    )
    return Family(
        "gemma2", T.Gemma2ForCausalLM, cfg, "google/gemma-2-2b", "gemma2",
        "pre and post norms around attention and MLP, attention soft cap 4 and final-logit soft cap 5, "
        "query_pre_attn_scalar 24 != head_dim 16, layer 0 local (sliding window 5 < 12 tokens) and "
        "layer 1 global (HF's layer_types), GQA (4 / 2), RMSNorm (1 + w), GeGLU, tied",
        bos=2, tokenizer="gemma", gemma_norm=True,
        switched_off={"sliding window": {"sliding_window": N_CTX}, "attention soft cap": {"attn_logit_softcapping": None},
                      "final-logit soft cap": {"final_logit_softcapping": None},
                      "query_pre_attn_scalar": {"query_pre_attn_scalar": 16}},
    )


def _qwen3():
    cfg = T.Qwen3Config(
        vocab_size=512, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        head_dim=16, intermediate_size=64, max_position_embeddings=N_CTX, rms_norm_eps=1e-6,
        rope_theta=10000.0, tie_word_embeddings=True, bos_token_id=505, eos_token_id=505,
    )
    return Family(
        "qwen3", T.Qwen3ForCausalLM, cfg, "Qwen/Qwen3-0.6B", "hf-config",
        "q/k RMSNorms per head (before rotary), head_dim 16 != d_model / n_heads = 8, GQA (4 / 2), no biases, tied",
        bos=505, tokenizer="qwen2",
    )


def _phi3():
    cfg = T.Phi3Config(
        vocab_size=512, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        intermediate_size=64, max_position_embeddings=N_CTX, original_max_position_embeddings=N_CTX,
        rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False,
        # the llama3 test tokenizer's <|begin_of_text|> and <|end_of_text|> (padding: EOS, as Phi-3's own)
        bos_token_id=502, eos_token_id=503, pad_token_id=503,
    )
    return Family(
        "phi3", T.Phi3ForCausalLM, cfg, "microsoft/Phi-3-mini-4k-instruct", "hf-config",
        "fused qkv_proj [q | k | v rows] with GQA (4 / 2) and fused gate_up_proj [gate | up rows], RMSNorm, "
        "full rotary, untied",
        bos=502, tokenizer="llama3",
    )


def families():
    """All families, in the order they are generated."""
    return [_gpt2(), _gpt_neox(), _llama(True), _llama(False), _mistral(), _qwen2(), _gemma(), _gemma2(),
            _qwen3(), _phi3()]
