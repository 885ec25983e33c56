"""The analysis functions of the real TransformerLens 2.18 on the multi-family fixtures.

Usage (from the repository root, with the venv of tools/python/setup-venv.sh):
    ~/.cache/lens4j/venv/bin/python tools/reference/make_family_analysis_fixtures.py

Reads the tiny random models of transformer/src/test/resources/reference/families/<family>/hf/ (made by
make_family_fixtures.py, which this script does not change), loads them into TransformerLens exactly as
make_family_fixtures.py does (its load_tl: TL's own config branch, weight conversion and processing, in
float64) and writes analysis/src/test/resources/reference/family-analysis/:

  <family>/raw.safetensors, <family>/processed.safetensors   (ANALYSED families; F32, I64 token ids)
      what ActivationCache (accumulated_resid, decompose_resid, apply_ln_to_stack, stack_head_results,
      stack_neuron_results, get_full_resid_decomposition, logit_attrs), the circuits (QK / OV
      FactoredMatrix norms and singular values, OV copying scores, all_composition_scores), detect_head,
      zero ablation and the patching module (get_act_patch_*) return; README.md lists every key
and transformer/src/test/resources/reference/families/tl-to-tokens.json: for every family, TL's
default_prepend_bos and to_tokens(text) with the family's tokenizer (the one copied into hf/), loaded as
TL's HookedTransformer.__init__ loads a tokenizer.

Seeded, one thread; two runs give identical bytes.
"""

import contextlib
import io
import json
import os
import sys

sys.dont_write_bytecode = True  # keep tools/reference free of __pycache__
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TQDM_DISABLE", "1")

import torch  # noqa: E402
import transformers  # noqa: E402
from transformer_lens import head_detector, patching  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import family_specs  # noqa: E402
import make_family_fixtures as mff  # noqa: E402
from safetensors_io import write_safetensors  # noqa: E402

OUT = os.path.join(mff.REPO, "analysis", "src", "test", "resources", "reference", "family-analysis")

# rotary + grouped-query attention + RMSNorm (llama); Gemma 2's 1 + w norms, post norms, soft caps and local
# layers; GPT-NeoX's LayerNorm, parallel block (no resid_mid) and partial rotary
ANALYSED = ("llama", "gemma2", "gpt_neox")
# BOS + a random block + the same block again: induction-like inputs for the detectors and attributions
HALF, BATCH, TOKEN_SEED = 6, 2, 11
# changed in the corrupted run of the patching functions (the first copy's third token)
CORRUPTED_POS = 3
DETECT_TEXTS = ["the cat sat on the mat. the cat sat on the mat.", "one two three four one two three four"]
TO_TOKENS_TEXTS = ["Hello world", " The cat sat on the mat.", "moon river moon river", "a\n\tb  c 123"]


def tokens_for(fam):
    g = torch.Generator().manual_seed(TOKEN_SEED)
    block = torch.randint(0, fam.config.vocab_size, (BATCH, HALF), generator=g, dtype=torch.int64)
    bos = torch.full((BATCH, 1), fam.bos, dtype=torch.int64)
    return torch.cat([bos, block, block], dim=1)


def corrupted_of(tokens, vocab):
    c = tokens.clone()
    c[:, CORRUPTED_POS] = (c[:, CORRUPTED_POS] + 1 + torch.arange(BATCH)) % vocab
    return c


def hf_model_of(fam):
    hf_dir = os.path.join(mff.OUT, fam.name, "hf")
    model = fam.model_class.from_pretrained(hf_dir).eval()
    mff.state_equal(mff.make_hf_model(fam), model, f"{fam.name}: hf/ is not the family's model; rerun make_family_fixtures.py")
    return model, hf_dir


def tl_with_tokenizer(fam, model, hf_dir, processed):
    """TL's model as make_family_fixtures.py loads it, with the tokenizer TL's __init__ would load for a
    tokenizer_name (AutoTokenizer with add_bos_token=True, then set_tokenizer)."""
    kwargs = {"attn_types": "hf"} if fam.route == "gemma2" else {}
    tl, _ = mff.load_tl(fam, model, processed, **kwargs)
    with contextlib.redirect_stdout(io.StringIO()):
        tl.set_tokenizer(transformers.AutoTokenizer.from_pretrained(hf_dir, add_bos_token=True))
    return tl


def f32(t):
    return mff.f32(t)


def copying_scores(tl):
    """Re(sum eigenvalues) / sum |eigenvalues| of each head's full OV circuit W_E OV W_U."""
    full = tl.W_E @ tl.OV @ tl.W_U
    ev = full.eigenvalues  # [L, H, d_head] complex
    return ev.sum(-1).real / ev.abs().sum(-1)


def analyse(fam, tl, tokens):
    out = {"tokens": tokens}
    logits, cache = tl.run_with_cache(tokens)
    out["logits"] = logits
    L = tl.cfg.n_layers
    parallel = tl.cfg.parallel_attn_mlp
    next_tokens = torch.roll(tokens, -1, dims=1)
    other_tokens = (next_tokens + 7) % tl.cfg.d_vocab

    # ActivationCache: the residual stream, its decompositions and the LayerNorm scaling
    if not parallel:  # a parallel block has no resid_mid
        out["accumulated_resid_final_mid_ln"] = cache.accumulated_resid(-1, incl_mid=True, apply_ln=True)
        out["accumulated_resid_1_mlp_ln"] = cache.accumulated_resid(1, mlp_input=True, apply_ln=True)
    out["accumulated_resid_final_ln"] = cache.accumulated_resid(-1, apply_ln=True)
    out["accumulated_resid_1_ln"] = cache.accumulated_resid(1, apply_ln=True)
    decomp = cache.decompose_resid(-1, apply_ln=False)
    out["decompose_resid"] = decomp
    out["decompose_resid_ln"] = cache.decompose_resid(-1, apply_ln=True)
    out["decompose_resid_1_mlp_ln"] = cache.decompose_resid(1, mlp_input=True, apply_ln=True)
    out["apply_ln_recompute"] = cache.apply_ln_to_stack(decomp, -1, recompute_ln=True)
    out["apply_ln_cached_1"] = cache.apply_ln_to_stack(cache.decompose_resid(1), 1)
    heads = cache.stack_head_results(-1)
    out["stack_head_results_ln"] = cache.stack_head_results(-1, apply_ln=True)
    out["stack_head_results_1_remainder"] = cache.stack_head_results(1, incl_remainder=True)
    out["stack_neuron_results_1_ln"] = cache.stack_neuron_results(1, apply_ln=True)
    out["full_resid_decomposition_ln"] = cache.get_full_resid_decomposition(-1, apply_ln=True)
    out["accumulated_bias_final"] = tl.accumulated_bias(L, include_mlp_biases=True)
    out["logit_attrs_heads"] = cache.logit_attrs(heads, tokens=next_tokens, incorrect_tokens=other_tokens)
    out["logit_attrs_decompose"] = cache.logit_attrs(decomp, tokens=next_tokens)

    # circuits
    out["qk_norm"] = tl.QK.norm()
    out["ov_norm"] = tl.OV.norm()
    out["qk_s"] = tl.QK.S
    out["ov_s"] = tl.OV.S
    out["ov_copying_scores"] = copying_scores(tl)
    for mode in ("Q", "K", "V"):
        out[f"composition_{mode.lower()}"] = tl.all_composition_scores(mode)

    # head detectors on text (tokenized by TL's to_tokens). detect_head(model, [texts], name, ...) averages
    # detect_head(model, text, name) over the texts but drops exclude_bos, exclude_current_token and
    # error_measure on the way (TL 2.18 head_detector.py), so the mean over texts is taken here, text by text
    def detect(name, **options):
        return torch.stack([head_detector.detect_head(tl, text, name, **options) for text in DETECT_TEXTS]).mean(0)

    for name in ("previous_token_head", "duplicate_token_head", "induction_head"):
        key = name.removesuffix("_head")
        out[f"detect_{key}_mul"] = detect(name)
        out[f"detect_{key}_mul_excl"] = detect(name, exclude_bos=True, exclude_current_token=True)
        out[f"detect_{key}_abs"] = detect(name, error_measure="abs")
        check_list_drops_options(tl, name, out[f"detect_{key}_mul"])

    # zero ablation: every head's hook_z, and every key/value head's hook_v (shared by its query heads)
    def loss_with(name, head):
        def hook(act, hook):  # noqa: ARG001
            act[:, :, head] = 0.0
            return act

        return tl.run_with_hooks(tokens, return_type="loss", fwd_hooks=[(name, hook)]).item()

    n_kv = tl.cfg.n_key_value_heads or tl.cfg.n_heads
    out["loss"] = tl(tokens, return_type="loss")
    out["ablate_z_loss"] = torch.tensor([[loss_with(f"blocks.{l}.attn.hook_z", h) for h in range(tl.cfg.n_heads)]
                                         for l in range(L)])
    out["ablate_v_loss"] = torch.tensor([[loss_with(f"blocks.{l}.attn.hook_v", h) for h in range(n_kv)] for l in range(L)])

    # activation patching: the clean run's activations into the corrupted run, logit difference at the last position
    corrupted = corrupted_of(tokens, tl.cfg.d_vocab)
    correct, wrong = tokens[:, CORRUPTED_POS + HALF + 1], other_tokens[:, -1]

    def metric(lg):
        return (lg[torch.arange(BATCH), -1, correct] - lg[torch.arange(BATCH), -1, wrong]).mean()

    out["corrupted_tokens"] = corrupted
    out["patch_correct"], out["patch_incorrect"] = correct, wrong
    out["patch_clean_metric"] = metric(logits)
    out["patch_corrupted_metric"] = metric(tl(corrupted))
    out["patch_resid_pre"] = patching.get_act_patch_resid_pre(tl, corrupted, cache, metric)
    out["patch_attn_out"] = patching.get_act_patch_attn_out(tl, corrupted, cache, metric)
    out["patch_head_out_all_pos"] = patching.get_act_patch_attn_head_out_all_pos(tl, corrupted, cache, metric)
    out["patch_head_k_all_pos"] = patching.get_act_patch_attn_head_k_all_pos(tl, corrupted, cache, metric)
    out["patch_head_v_by_pos"] = patching.get_act_patch_attn_head_v_by_pos(tl, corrupted, cache, metric)
    out["patch_head_pattern_all_pos"] = patching.get_act_patch_attn_head_pattern_all_pos(tl, corrupted, cache, metric)
    out["patch_head_all_pos_every"] = patching.get_act_patch_attn_head_all_pos_every(tl, corrupted, cache, metric)
    return {k: (v if not torch.is_tensor(v) or not v.is_floating_point() else f32(v)) for k, v in out.items()}


def check_list_drops_options(tl, name, mul):
    """Records the TL 2.18 behaviour worked around above: for a list of texts, exclude_bos and error_measure
    change nothing (the list gives the plain "mul" scores)."""
    listed = head_detector.detect_head(tl, DETECT_TEXTS, name, exclude_bos=True, error_measure="abs")
    mff.check(mff.maxdiff(listed, mul) < 1e-12, f"detect_head on a list of texts now honours its options ({name}); revisit")


def to_tokens(tl):
    return {"default_prepend_bos": tl.cfg.default_prepend_bos,
            "to_tokens": {t: tl.to_tokens(t)[0].tolist() for t in TO_TOKENS_TEXTS}}


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    transformers.logging.set_verbosity_error()
    os.makedirs(OUT, exist_ok=True)
    summary = {}
    for fam in family_specs.families():
        model, hf_dir = hf_model_of(fam)
        raw = tl_with_tokenizer(fam, model, hf_dir, processed=False)
        summary[fam.name] = to_tokens(raw)
        if fam.name not in ANALYSED:
            continue
        folder = os.path.join(OUT, fam.name)
        os.makedirs(folder, exist_ok=True)
        tokens = tokens_for(fam)
        for tag, tl in (("raw", raw), ("processed", tl_with_tokenizer(fam, model, hf_dir, processed=True))):
            out = analyse(fam, tl, tokens)
            write_safetensors(os.path.join(folder, f"{tag}.safetensors"), out, {"format": "pt"})
            print(f"{fam.name} {tag}: {len(out)} keys", flush=True)
        with open(os.path.join(folder, "keys.txt"), "w") as f:
            f.write("".join(f"{k} {list(v.shape)}\n" for k, v in sorted(out.items())))
    with open(os.path.join(mff.OUT, "tl-to-tokens.json"), "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
