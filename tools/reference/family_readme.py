"""Writes the README.md of each family folder and of reference/families/ from what the run measured,
so that every number in them is the one of the committed files."""

import json
import os
import re
import struct

CFG_FIELDS = (
    "n_layers", "d_model", "n_heads", "d_head", "n_key_value_heads", "d_mlp", "d_vocab", "n_ctx", "act_fn",
    "normalization_type", "eps", "final_rms", "positional_embedding_type", "rotary_dim", "rotary_base",
    "rotary_adjacent_pairs", "use_NTK_by_parts_rope", "NTK_by_parts_factor", "NTK_by_parts_low_freq_factor",
    "NTK_by_parts_high_freq_factor", "NTK_original_ctx_len", "parallel_attn_mlp", "gated_mlp", "use_attn_scale",
    "attn_scale", "use_local_attn", "attn_types", "window_size", "attn_scores_soft_cap",
    "output_logits_soft_cap", "use_normalization_before_and_after", "use_qk_norm", "original_architecture",
)
CFG_DEFAULT_SKIP = {  # values that mean "off" in HookedTransformerConfig
    "use_NTK_by_parts_rope": False, "parallel_attn_mlp": False, "gated_mlp": False, "use_local_attn": False,
    "attn_types": None, "window_size": None, "attn_scores_soft_cap": -1.0, "output_logits_soft_cap": -1.0,
    "use_normalization_before_and_after": False, "use_qk_norm": False, "n_key_value_heads": None,
    "rotary_dim": None, "final_rms": False,
}
NTK_FIELDS = {"NTK_by_parts_factor", "NTK_by_parts_low_freq_factor", "NTK_by_parts_high_freq_factor", "NTK_original_ctx_len"}

ROUTE_TEXT = {
    "hf-config": "TL's `{arch}` branch of `convert_hf_model_config` reads the Hugging Face config: "
                 "`AutoConfig.from_pretrained` was patched to return this folder's `hf/config.json` "
                 "(with the transformers-4 attribute names TL reads, see ../README.md).",
    "llama3": "Every name containing \"llama\" gets a hard-coded dict in TL 2.18 (and the generic "
              "LlamaForCausalLM branch ignores rope_theta and rope scaling), so the dict was built with the "
              "keys of TL's `Llama-3.2-1B` branch and the values of `hf/config.json` "
              "(`tl_routes.build_llama3`).",
    "gemma": "Every name containing \"gemma\" gets a hard-coded dict in TL 2.18, so the dict was built with "
             "the keys of TL's `gemma-2b` / `gemma-7b` branches and the values of `hf/config.json` "
             "(`tl_routes.build_gemma`).",
    "gemma2": "Every name containing \"gemma\" gets a hard-coded dict in TL 2.18, so the dict was built with "
              "the keys of TL's `gemma-2-*` branches and the values of `hf/config.json` "
              "(`tl_routes.build_gemma2`), with one deliberate change: `attn_types` follows the config's "
              "`layer_types` (see Notes).",
}


def e(x):
    return f"{x:.1e}"


def header_of(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        h = json.loads(f.read(n))
    h.pop("__metadata__", None)
    return h


def collapse_layers(names_shapes):
    """[(name, shape)] with every layer index replaced by L, keeping the first occurrence."""
    seen, out = set(), []
    for name, shape in names_shapes:
        key = re.sub(r"\.(\d+)\.", ".L.", name)
        if key not in seen:
            seen.add(key)
            out.append((key, shape))
    return out


def tensor_table(pairs):
    rows = ["| name | shape |", "|---|---|"]
    rows += [f"| `{n}` | {list(s)} |" for n, s in pairs]
    return "\n".join(rows)


def hook_table(lines):
    pairs = []
    for line in lines:
        name, shape = line.split(" ", 1)
        pairs.append((name, json.loads(shape)))
    return tensor_table(collapse_layers(pairs))


def cfg_lines(cfg):
    out = []
    for k in CFG_FIELDS:
        v = getattr(cfg, k, None)
        if k in CFG_DEFAULT_SKIP and v == CFG_DEFAULT_SKIP[k]:
            continue
        if k in NTK_FIELDS and not cfg.use_NTK_by_parts_rope:
            continue
        if k == "attn_scale" and not cfg.use_attn_scale:
            continue
        if k in ("rotary_dim", "rotary_base", "rotary_adjacent_pairs") and cfg.positional_embedding_type != "rotary":
            continue
        out.append(f"`{k}` {v}")
    return ", ".join(out)


def checkpoint_rows(fam, folder):
    rows = ["| `hf/config.json`, `hf/generation_config.json`, `hf/model.safetensors` | the F32 checkpoint, "
            "written by `save_pretrained` |",
            f"| `hf/tokenizer.json`, `hf/tokenizer_config.json` | a copy of the `{fam.tokenizer}` test tokenizer "
            f"(`transformer/src/test/resources/tokenizers/{fam.tokenizer}/`, made by "
            "`tools/tokenizer/make_hf_tokenizers.py`): it fits the vocabulary, and its BOS, EOS and padding (as "
            "TransformerLens resolves them) are the config's ids, checked by the script. The reference files "
            "below are computed from token ids and do not use it; every other checkpoint folder below has the same two "
            "files |",
            "| `hf-bf16/...` | the same weights rounded to **BF16** (round to nearest even): loaded with "
            "`from_pretrained(dtype=torch.bfloat16)` and saved again; config.json says `\"dtype\": \"bfloat16\"` |"]
    if "f16" in fam.extra_checkpoints:
        rows.append("| `hf-f16/...` | the same weights rounded to **F16** the same way, `\"dtype\": \"float16\"` |")
    if "sharded" in fam.extra_checkpoints:
        d = os.path.join(folder, "hf-sharded")
        shards = sorted(f for f in os.listdir(d) if f.endswith(".safetensors"))
        with open(os.path.join(d, "model.safetensors.index.json")) as f:
            index = json.load(f)
        per = {s: sorted(k for k, v in index["weight_map"].items() if v == s) for s in shards}
        desc = "; ".join(f"`{s}`: {len(per[s])} tensors from `{per[s][0]}`" for s in shards)
        rows.append(f"| `hf-sharded/` (`model.safetensors.index.json`, {', '.join(f'`{s}`' for s in shards)}, "
                    f"config.json) | the F32 checkpoint saved with `max_shard_size` = half its bytes: {desc}. The "
                    f"index has `metadata.total_size` {index['metadata']['total_size']} and "
                    f"`metadata.total_parameters` {index['metadata'].get('total_parameters')} and `weight_map` |")
    return rows


def write(path, report, folder):
    fam = report["family"]
    cfg = report["tl_cfg"]
    pcfg = report["tl_cfg_processed"]
    with open(os.path.join(folder, "hf", "config.json")) as f:
        hf_json = json.load(f)
    hf_tensors = [(k, v["shape"]) for k, v in sorted(header_of(os.path.join(folder, "hf", "model.safetensors")).items())]
    tied = "lm_head.weight" not in dict(hf_tensors) and "embed_out.weight" not in dict(hf_tensors)
    n_layers = fam.config.num_hidden_layers
    d = report["tl_vs_hf"]
    L = []
    a = L.append
    a(f"# {fam.name} reference fixtures (`{fam.model_class.__name__}`)\n")
    a("Made by the real Hugging Face `transformers` and TransformerLens (versions in ../README.md); nothing here")
    a("runs at Java test time. This README is written by the script with the numbers of the files beside it.")
    a("Regenerate (from the repository root):\n")
    a(f"    ~/.cache/lens4j/venv/bin/python tools/reference/make_family_fixtures.py {fam.name}\n")
    a("What every family shares (file formats, loading routes, which reference to use for what, tolerances)")
    a("is in [../README.md](../README.md).\n")
    a("## The model\n")
    a(f"Exercises: {fam.exercises}.\n")
    if report["switched_off"]:
        a("Checked to be in play: switching off " + "; ".join(
            f"the {what} ({', '.join(f'`{k}` {v}' for k, v in fam.switched_off[what].items())}) moves HF's logits by "
            f"up to {e(d)}" for what, d in report["switched_off"].items()) + ".\n")
    a("`hf/config.json` (as written by `save_pretrained`):\n")
    a("| key | value |")
    a("|---|---|")
    for k in sorted(hf_json):
        if k in ("transformers_version",):
            continue
        a(f"| `{k}` | `{json.dumps(hf_json[k])}` |")
    a("")
    a("Weights: the model is built by transformers from the config, then every parameter is overwritten in")
    a("name order from one `torch.Generator` seeded 20240611: norm weights " +
      ("w = 0.25 N(0,1) (the model multiplies by 1 + w)" if fam.gemma_norm else "1 + 0.25 N(0,1)") +
      ", every bias 0.2 N(0,1), token embeddings" + ("" if tied else " and the untied unembedding") +
      " 0.5 N(0,1)" + (", learned positions 0.3 N(0,1)" if fam.name == "gpt2" else "") +
      ", other matrices N(0,1) / sqrt(fan_in). " + ("Tied: the checkpoint has no `lm_head.weight`."
                                                       if tied else "Untied."))
    a("")
    a(f"Test batch `tokens` (I64 [2, 12], `torch.Generator` seed 7, uniform in [0, {fam.config.vocab_size}), "
      f"position 0 = BOS {fam.bos}):\n")
    a(f"    {report['tokens']}\n")
    a("Checkpoint tensors (`hf/model.safetensors`, F32; L = 0 .. " + str(n_layers - 1) + "):\n")
    a(tensor_table(collapse_layers(hf_tensors)))
    a("")
    a("## How TransformerLens loaded it\n")
    a(f"`HookedTransformer.from_pretrained_no_processing` (raw) and `from_pretrained` (default processing) with "
      f"the official name `{fam.tl_name}`, `hf_model=` the float64 copy of this model, `dtype=torch.float64`, "
      f"`n_ctx=64`. " + ROUTE_TEXT[fam.route].format(arch=cfg.original_architecture) + "\n")
    a(f"Resulting config (raw): {cfg_lines(cfg)}. Processed: `normalization_type` {pcfg.normalization_type}.\n")
    warns = {t: r["warnings"] for t, r in report["runs"].items()}
    if any(warns.values()):
        a("TL's warnings while loading:\n")
        for t, ws in warns.items():
            for w in ws:
                a(f"- {t}: \"{w}\"")
        a("")
    a("## Files\n")
    a("All safetensors files other than the checkpoints are written by `tools/reference/safetensors_io.py`:")
    a("tensors in name order, `__metadata__` `{\"format\": \"pt\"}`, references **F32** (computed in float64, ")
    a("rounded once), token ids and masks **I64**, scalar losses rank 0.\n")
    a("| path | content |")
    a("|---|---|")
    for row in checkpoint_rows(fam, folder):
        a(row)
    rounded = ", ".join(f"`{t}.logits`, `{t}.loss_per_token`, `{t}.loss` (the {t.upper()} checkpoint's rounded "
                        f"weights, computed in float64)" for t in report["rounded"])
    a(f"| `hf-logits.safetensors` | Hugging Face (`model.double()`, attention `{report['attn_implementation'][0]}`): `tokens`, `logits` [2, 12, "
      f"{fam.config.vocab_size}], `loss_per_token` [2, 11] (`-log p(token[t+1])` at t), `loss` [] (their mean, "
      f"{report['hf_loss']:.6f}); {rounded} |")
    a(f"| `tl-raw.safetensors`, `tl-processed.safetensors` | TL `run_with_cache` (with `use_attn_result`, "
      f"`use_hook_mlp_in`): `tokens`, `logits`, `loss_per_token`, `loss` and every hook of `hook_names.txt` "
      f"under its name |")
    a(f"| `tl-raw-grad.safetensors`, `tl-processed-grad.safetensors` | TL `run_with_cache(tokens, "
      f"return_type=\"loss\", incl_bwd=True)` with `use_split_qkv_input` added: `tokens`, `loss`, and the "
      f"gradient of the loss at every hook of `hook_names_grad.txt` under TL's `<hook>_grad` key |")
    a("| `tl-weights-raw.safetensors`, `tl-weights-processed.safetensors` | TL's parameters (`named_parameters`, "
      "so no buffers: `attn.mask`, `attn.IGNORE`, `rotary_sin`, `rotary_cos` are left out) |")
    a(f"| `hook_names.txt` | the {len(report['hooks'])} forward hooks in TL's firing order (the cache's key "
      f"order), one `name [shape]` a line; raw and processed have the same list |")
    a(f"| `hook_names_grad.txt` | the {len(report['grad_hooks'])} gradient keys in the order TL's backward hooks "
      f"fired (output first) |")
    if "padded" in report:
        a("| `tl-padded.safetensors` | a left-padded batch with an attention mask (see Notes) |")
    if "branch" in report:
        a("| `tl-branch-raw-logits.safetensors` | TL raw with its own gemma-2 layer alternation (see Notes): "
          "`tokens`, `logits`, `loss_per_token`, `loss` |")
    a("")
    a("Forward hooks (`tl-raw`, `tl-processed`; L = 0 .. " + str(n_layers - 1) + "):\n")
    a(hook_table(report["hooks"]))
    a("")
    a("Gradient keys (`tl-*-grad`): every forward hook above with `_grad` appended, except that the split-input "
      "run adds `hook_q_input`, `hook_k_input`, `hook_v_input` and gives ln1 a head axis:\n")
    fwd_names = {ln.split(" ")[0]: ln.split(" ", 1)[1] for ln in report["hooks"]}
    split = [ln for ln in report["split_hooks"] if ln.split(" ")[0] not in fwd_names or fwd_names[ln.split(" ")[0]] != ln.split(" ", 1)[1]]
    split_names = {ln.split(" ")[0] for ln in split}
    a(hook_table([ln for ln in report["grad_hooks"] if ln.split(" ")[0][: -len("_grad")] in split_names]))
    a("")
    for tag in ("raw", "processed"):
        a(f"`tl-weights-{tag}.safetensors`:\n")
        a(tensor_table(collapse_layers(list(report["weights"][tag].items()))))
        a("")
    a("## Hugging Face vs TransformerLens\n")
    a("Both in float64 on the same F32 weights. Maximum absolute differences:\n")
    a("| quantity | max abs difference |")
    a("|---|---|")
    a(f"| TL raw logits vs HF logits | {e(d['raw logits'])} (largest logit magnitude {report['max_abs_logit']:.2f}) |")
    a(f"| TL raw log-probs vs HF | {e(d['raw log-probs'])} |")
    a(f"| TL processed log-probs vs HF | {e(d['processed log-probs'])} |")
    a(f"| TL loss vs HF (fixture) loss | {e(d['loss'])} |")
    a(f"| TL `blocks.L.hook_resid_pre` vs HF `hidden_states[L]` (raw) | {e(report['resid_vs_hf'])} |")
    a(f"| TL processed logits vs HF logits (processing shifts logits) | {e(d['processed logits'])} |")
    a(f"| TL processed vs raw log-probs | {e(report['raw_vs_processed_logprobs'])} |")
    a(f"| HF's own loss (float32 inside) vs the fixture's float64 loss | {e(report['hf_own_loss_diff'])} |")
    a(f"| HF float32 model vs float64 model, logits | {e(report['hf_f32_vs_f64'])} |")
    a(f"| HF with attention `{report['attn_implementation'][1]}` instead of `{report['attn_implementation'][0]}`, "
      f"logits | {e(report['other_attention_diff'])} |")
    for tag, (diff, loss) in report["rounded"].items():
        a(f"| {tag.upper()} checkpoint vs F32 checkpoint logits (both float64) | {e(diff)} (loss {loss:.6f}) |")
    a("")
    a("## Gradients\n")
    fd = report["runs"]["raw"]["fd"]
    fdp = report["runs"]["processed"]["fd"]
    a(f"The metric is TL's mean next-token loss (raw {report['runs']['raw']['loss']:.6f}, processed "
      f"{report['runs']['processed']['loss']:.6f}). Checked by the script: every gradient is finite, exactly 0 "
      f"at position 11 (its logits are not scored, and nothing earlier reads it) and nonzero before; a central "
      f"finite difference along the gradient at " + ", ".join(f"`{k}`" for k in fd) + " matches |g|^2 to "
      f"{e(max(fd.values()))} (raw) and {e(max(fdp.values()))} (processed) relative; "
      f"`blocks.L.ln1.hook_normalized_grad` is the query input's (see ../README.md). "
      + ("Raw and processed gradients are equal (to 1e-9 relative) at every key except "
         + ", ".join(f"`{k}`" for k in report["grads_differ"])
         + " (hook_pattern: fold_value_biases moves b_V; a LayerNorm's hook_normalized: raw is after its "
           "weight and bias)." if report["grads_differ"] else
         "Raw and processed gradients are equal (to 1e-9 relative) at every key.") + "\n")
    notes = list(fam.notes) + family_notes(report)
    if notes:
        a("## Notes\n")
        for n in notes:
            a(n + "\n")
    with open(path, "w") as f:
        f.write("\n".join(L).rstrip() + "\n")


def family_notes(report):
    fam = report["family"]
    out = []
    if "islands" in report:
        out.append(
            f"HF's float32 islands: with LlamaRMSNorm and LlamaRotaryEmbedding patched to compute in float64 "
            f"(`llama_in_float64` in the script), HF's logits come to {e(report['islands'])} of TL's instead of "
            f"{e(report['tl_vs_hf']['raw logits'])}: the differences in the table are HF computing those two "
            f"in float32 inside a float64 model; what is left is the float32 inverse frequencies both compute.")
    if fam.gemma_norm:
        out.append(
            "Embedding scale: HF multiplies the embeddings by a float32 buffer `embed_scale` = float32(sqrt(d_model)) "
            "(cast to the weights' dtype, so a bf16 model uses bf16(sqrt(d_model)) = 5.65625 for d_model 32); TL's "
            "conversion folds the float64 sqrt(d_model) into `embed.W_E`. The float64 fixtures therefore differ by "
            "float32(sqrt(32)) / sqrt(32) - 1 = -1.7e-8 relative in `hook_embed`, well inside the tolerance; follow HF. "
            "TL's conversion also adds 1 to the norm weights in float32 (`w.float() + 1`), as HF does in its forward.")
    if fam.route == "gemma2":
        b = report["branch"]
        out.append(
            f"Layer alternation, a TL 2.18 bug: TL's gemma-2 branches hard-code `attn_types` "
            f"[\"global\", \"local\"] * k, while Hugging Face's Gemma2 (`layer_types` default, and the "
            f"`is_sliding = not bool(layer_idx % 2)` of transformers 4) makes layer 0 sliding and layer 1 global. "
            f"The real models only show it on sequences longer than their 4096 window; here the window is 5, so "
            f"TL's own alternation ({b['attn_types']}) gives logits {e(b['max_logit_diff'])} away from HF's (loss "
            f"{b['loss']:.6f} vs {report['hf_loss']:.6f}): those logits are `tl-branch-raw-logits.safetensors`, "
            f"for the record only. The TL fixtures here (`tl-*.safetensors`) use the HF alternation "
            f"(`attn_types` {report['tl_cfg'].attn_types}) and agree with HF. Follow HF.")
        out.append(
            f"Soft cap: transformers 5.18's default attention for this model (`sdpa`) silently drops "
            f"`attn_logit_softcapping` (`sdpa_attention_forward` has no soft cap): its logits are "
            f"{e(report['other_attention_diff'])} away from the eager implementation, which applies the cap as Gemma 2 "
            f"was trained. `hf-logits.safetensors` uses eager. Processing: TL refuses `center_unembed` with a logit "
            f"soft cap and skips `center_writing_weights` for RMSNorm, so processed = raw plus `fold_ln` "
            f"(the pre-norms become RMSPre; `ln1_post`, `ln2_post` keep their weights).")
    if fam.name == "qwen3":
        out.append(
            "TL's q/k norm hooks (`blocks.L.attn.q_norm.hook_scale`, `hook_normalized`, same for `k_norm`) are "
            "flattened: TL reshapes q and k to [batch * pos * head_index, d_head] before the norm, so the hook "
            "shapes are [2 * 12 * heads, ...] in (batch, pos, head) order.")
    if fam.name == "phi3":
        out.append(
            "TL's `convert_phi3_weights` also returns `blocks.L.ln1.b` and `ln2.b` of length d_vocab (zeros), keys "
            "an RMSNorm model does not have; TL's loader drops them. It sets no MLP biases; TL's `b_in` and "
            "`b_out` stay zero.")
    if fam.name == "gpt_neox":
        out.append(
            "transformers 5 calls the untied unembedding module `lm_head` (the checkpoint keeps the name "
            "`embed_out.weight`); TL 2.18's `convert_neox_weights` reads `embed_out`, so TL was handed the model "
            "with an `embed_out` alias of the same module (`tl_routes.tl_view`). `rotary_pct` is read by TL from "
            "the transformers-4 attribute, given the value of `rope_parameters.partial_rotary_factor`.")
    if "padded" in report:
        p = report["padded"]
        out.append(
            "`tl-padded.safetensors`: two sequences of real lengths 12 and 7 (seed 8, first token BOS), the second "
            "left-padded with PAD = EOS = 511. Keys: `tokens`, `attention_mask` (I64 [2, 12], 1 = real), "
            "`hf.logits` (HF with `attention_mask` and explicit `position_ids` = cumsum(mask) - 1 clamped at "
            "0: a plain HF forward would number the positions 0..11 and not match), `raw.logits`, "
            "`processed.logits`, `raw.loss`, `processed.loss` (TL's loss over scored pairs only: both tokens real; "
            f"raw {p['raw']['loss']:.6f}), and `raw.<hook>_grad` for every hook of `hook_names_grad.txt` (TL "
            "`run_with_cache(tokens, attention_mask=, return_type=\"loss\", incl_bwd=True)` with split inputs). "
            "Checked: at real positions the logits equal each sequence run alone (TL, and HF), each real-position "
            "gradient equals the sequence's own gradient times (n - 1) / (number of scored pairs in the batch), "
            "pad positions get exactly 0 gradient, raw and processed alike. One TL artefact: "
            f"{', '.join('`' + h + '`' for h in sorted(p['raw']['nan_hooks']))} are NaN on the query rows of the pads "
            "(positions 0..4 of row 1): all their keys are masked, the softmax is NaN, TL zeroes the pattern with "
            "`torch.where` but the softmax backward multiplies by NaN. Compare those gradients on real query rows "
            "only (the NaN reaches nothing else). Everything at pad positions is otherwise TL's convention "
            "(pads get positional embedding 0, queries with no key get pattern 0), not a meaningful value.")
    return out
