"""Regenerates the multi-family reference fixtures (transformer/src/test/resources/reference/families/).

Usage (from the repository root):
    ~/.cache/lens4j/venv/bin/python tools/reference/make_family_fixtures.py [FAMILY ...]

For each family of family_specs.py: a tiny random model made and saved by Hugging Face `transformers`
(F32, BF16 and for some F16 and sharded checkpoints), its logits computed by `transformers` in
float64, and TransformerLens 2.18 in float64 (raw and default-processed): every hook of
`run_with_cache`, every hook's gradient of the mean next-token loss (`incl_bwd=True`), the state
dicts. The venv is the one tools/python/setup-venv.sh makes. The script checks the identities that
must hold and stops at the first that does not. Seeded, one thread, sorted safetensors headers and
no timestamps: two runs give identical bytes.
"""

import contextlib
import copy
import io
import logging
import math
import os
import re
import shutil
import sys

sys.dont_write_bytecode = True  # keep tools/reference free of __pycache__
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TQDM_DISABLE", "1")

import torch  # noqa: E402
import transformers  # noqa: E402
from transformer_lens import HookedTransformer  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import family_specs  # noqa: E402
import family_readme  # noqa: E402
import tl_routes  # noqa: E402
from safetensors_io import write_safetensors  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(REPO, "transformer", "src", "test", "resources", "reference", "families")
TOKENIZERS = os.path.join(REPO, "transformer", "src", "test", "resources", "tokenizers")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")

WEIGHT_SEED = 20240611  # the tiny-gpt2 seed; each family's generator starts from it
TOKEN_SEED = 7
BATCH, POS = 2, 12
PADDED_LENGTHS = (12, 7)
# Forward caches: TL's default hooks plus hook_result and hook_mlp_in. Gradient runs also split the
# attention input per head (hook_q_input / hook_k_input / hook_v_input, ln1 per head), as EAP needs;
# the forward files leave that out because its values are per-head copies of the unsplit ones.
OPT_IN = ("use_attn_result", "use_hook_mlp_in")

# TL raw logits must equal HF's within this (float64 runs; the bound covers HF's float32 islands:
# RMSNorm, rotary cos/sin and the eager softmax are computed in float32 by transformers even in a
# float64 model).
AGREE = 2e-5
# Identities inside one float64 TL model (processed vs raw log-probs, cached vs recomputed).
EXACT = 1e-9
FD_REL = 1e-5  # finite-difference directional derivative vs the autograd gradient


class Warnings(logging.Handler):
    """Collects TransformerLens's logging warnings (what it refused or changed while loading)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        msg = record.getMessage()
        if msg not in self.messages:
            self.messages.append(msg)


def fail(msg):
    raise SystemExit(f"make_family_fixtures: {msg}")


def check(ok, msg):
    if not ok:
        fail(msg)


def maxdiff(a, b):
    return (a.double() - b.double()).abs().max().item()


def f32(t):
    return t.detach().to(torch.float32).contiguous() if t.is_floating_point() else t.detach().contiguous()


# --------------------------------------------------------------------------------------------------
# Hugging Face side


def randomize(model, fam, gen):
    """Overwrites every parameter, in name order, with seeded values that make processing matter.

    Norm weights 1 + 0.25 N(0,1) (Gemma's (1 + w) norms: w = 0.25 N(0,1)), every bias 0.2 N(0,1),
    token embeddings and an untied unembedding 0.5 N(0,1), learned positions 0.3 N(0,1), other
    matrices N(0,1) / sqrt(fan_in).
    """
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            module = model.get_submodule(name.rsplit(".", 1)[0])
            is_norm = p.dim() == 1 and ("norm" in name or ".ln_" in name or name.startswith("transformer.ln_f"))
            if is_norm and name.endswith("weight"):
                value = 0.25 * torch.randn(p.shape, generator=gen, dtype=torch.float64)
                if not fam.gemma_norm:
                    value += 1.0
            elif name.endswith("bias"):
                value = 0.2 * torch.randn(p.shape, generator=gen, dtype=torch.float64)
            elif isinstance(module, torch.nn.Embedding) or name.endswith("lm_head.weight") or name.endswith("embed_out.weight"):
                std = 0.3 if name.endswith("wpe.weight") else 0.5
                value = std * torch.randn(p.shape, generator=gen, dtype=torch.float64)
            elif p.dim() == 2:
                fan_in = p.shape[0] if isinstance(module, transformers.pytorch_utils.Conv1D) else p.shape[1]
                value = torch.randn(p.shape, generator=gen, dtype=torch.float64) / math.sqrt(fan_in)
            else:
                fail(f"{fam.name}: no rule for parameter {name} {tuple(p.shape)}")
            p.copy_(value.to(p.dtype))


def make_hf_model(fam):
    torch.manual_seed(WEIGHT_SEED)
    model = fam.model_class(copy.deepcopy(fam.config)).eval()  # a fresh model is in training mode (dropout)
    gen = torch.Generator().manual_seed(WEIGHT_SEED)
    randomize(model, fam, gen)
    return model


def state_equal(a, b, what):
    sa, sb = a.state_dict(), b.state_dict()
    check(set(sa) == set(sb), f"{what}: state dict keys differ: {sorted(set(sa) ^ set(sb))}")
    for k in sa:
        check(sa[k].dtype == sb[k].dtype and torch.equal(sa[k], sb[k]), f"{what}: tensor {k} differs")


def per_token_loss(logits, tokens):
    """-log p(tokens[t+1]) at position t, [batch, pos - 1], in float64."""
    lp = torch.log_softmax(logits.double(), dim=-1)[:, :-1]
    return -lp.gather(-1, tokens[:, 1:, None])[..., 0]


def reference_attention(model):
    """The model with the attention implementation the fixtures use: transformers' default ("sdpa"),
    which computes in the model's dtype, except where it drops part of the model: sdpa_attention_forward
    has no soft cap, so a model with attn_logit_softcapping (Gemma 2) runs "eager" (whose softmax is
    computed in float32 even in a float64 model)."""
    if getattr(model.config, "attn_logit_softcapping", None):
        model.set_attn_implementation("eager")
    return model


def other_attention(model):
    """The implementation reference_attention did not choose, to measure how far apart the two are."""
    model = copy.deepcopy(model)
    model.set_attn_implementation("sdpa" if model.config._attn_implementation == "eager" else "eager")
    return model


def add_tokenizer(fam, hf_dir):
    """Copies the family's test tokenizer (tools/tokenizer/make_hf_tokenizers.py) into a checkpoint folder (hf/
    and each 16-bit or sharded one, so that every folder is a whole model a user could open), byte for byte,
    and checks that transformers reads it as fitting the config: no more tokens than vocab_size, and BOS,
    EOS and padding as TransformerLens resolves them (bos_token, else eos_token; pad_token, else
    eos_token) equal to the config's bos_token_id, eos_token_id and pad_token_id."""
    check(fam.tokenizer, f"{fam.name}: no tokenizer named in family_specs")
    for f in TOKENIZER_FILES:
        shutil.copyfile(os.path.join(TOKENIZERS, fam.tokenizer, f), os.path.join(hf_dir, f))
    tok = transformers.AutoTokenizer.from_pretrained(hf_dir)
    cfg = fam.config
    check(len(tok) <= cfg.vocab_size, f"{fam.name}: tokenizer {fam.tokenizer} has {len(tok)} tokens, vocab_size {cfg.vocab_size}")
    bos = tok.bos_token_id if tok.bos_token_id is not None else tok.eos_token_id
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    check(bos == cfg.bos_token_id == fam.bos, f"{fam.name}: tokenizer BOS {bos}, config {cfg.bos_token_id}, batch {fam.bos}")
    check(tok.eos_token_id == cfg.eos_token_id, f"{fam.name}: tokenizer EOS {tok.eos_token_id}, config {cfg.eos_token_id}")
    check(cfg.pad_token_id is None or pad == cfg.pad_token_id, f"{fam.name}: tokenizer padding {pad}, config {cfg.pad_token_id}")


def hf_logits(model64, tokens, **kwargs):
    with torch.no_grad():
        return model64(tokens, **kwargs).logits


def hf_loss(model64, tokens):
    with torch.no_grad():
        return model64(tokens, labels=tokens).loss


def save_checkpoints(fam, model, folder, tokens):
    """hf/, hf-bf16/ and the extra checkpoints; returns {tag: float64 logits of that checkpoint's weights}."""
    cls = fam.model_class
    hf_dir = os.path.join(folder, "hf")
    model.save_pretrained(hf_dir)
    reloaded = cls.from_pretrained(hf_dir).eval()
    state_equal(model, reloaded, f"{fam.name}: hf/ reloaded")
    add_tokenizer(fam, hf_dir)
    out = {}
    for tag, dtype in (("bf16", torch.bfloat16), ("f16", torch.float16)):
        if tag != "bf16" and tag not in fam.extra_checkpoints:
            continue
        rounded = cls.from_pretrained(hf_dir, dtype=dtype).eval()
        check(next(rounded.parameters()).dtype == dtype, f"{fam.name}: {tag} load gave {next(rounded.parameters()).dtype}")
        d = os.path.join(folder, f"hf-{tag}")
        rounded.save_pretrained(d)
        add_tokenizer(fam, d)
        again = cls.from_pretrained(d, dtype=dtype).eval()
        state_equal(rounded, again, f"{fam.name}: hf-{tag}/ reloaded")
        for (n, p), (_, q) in zip(sorted(model.named_parameters()), sorted(rounded.named_parameters())):
            check(torch.equal(p.detach().to(dtype), q.detach()), f"{fam.name}: hf-{tag} {n} is not the rounded F32 weight")
        # the rounded weights, widened exactly, computed in float64 with float32 buffers: what an engine
        # that stores 16-bit weights and computes in float32 does (a model loaded with dtype=bfloat16
        # would also round Gemma's embed_scale buffer to bf16, 5.65625 for sqrt(32))
        widened = cls.from_pretrained(d, dtype=torch.float32).eval()
        out[tag] = hf_logits(reference_attention(widened.double()), tokens)
    if "sharded" in fam.extra_checkpoints:
        d = os.path.join(folder, "hf-sharded")
        total = sum(p.numel() * 4 for p in model.state_dict().values())
        model.save_pretrained(d, max_shard_size=total // 2 + 1)
        add_tokenizer(fam, d)
        shards = sorted(f for f in os.listdir(d) if f.endswith(".safetensors"))
        check(len(shards) >= 2 and os.path.exists(os.path.join(d, "model.safetensors.index.json")),
              f"{fam.name}: hf-sharded/ has {shards}")
        again = cls.from_pretrained(d).eval()
        state_equal(model, again, f"{fam.name}: hf-sharded/ reloaded")
    return out


# --------------------------------------------------------------------------------------------------
# TransformerLens side


def load_tl(fam, hf_model, processed, **builder_kwargs):
    """TL's from_pretrained (default processing) or from_pretrained_no_processing, float64, on the tiny model.

    TL sees the config as AutoConfig reads it back from hf/config.json (what it would read from the Hub).
    """
    hf_config = transformers.AutoConfig.from_pretrained(os.path.join(OUT, fam.name, "hf"))
    hf64 = tl_routes.tl_view(copy.deepcopy(hf_model).double())  # what TL loads itself for dtype=float64
    handler = Warnings()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with tl_routes.tl_loading(hf_config, fam.route, **builder_kwargs), contextlib.redirect_stdout(io.StringIO()):
            load = HookedTransformer.from_pretrained if processed else HookedTransformer.from_pretrained_no_processing
            model = load(fam.tl_name, hf_model=hf64, dtype=torch.float64, n_ctx=family_specs.N_CTX, device="cpu")
    finally:
        root.removeHandler(handler)
    model.eval()
    for flag in OPT_IN:
        getattr(model, "set_" + flag)(True)
    return model, handler.messages


def tl_forward(model, tokens, attention_mask=None):
    model.set_use_split_qkv_input(False)
    logits, cache = model.run_with_cache(tokens, attention_mask=attention_mask)
    return logits, dict(cache.items())


def tl_grads(model, tokens, attention_mask=None):
    """run_with_cache(incl_bwd=True) on the mean next-token loss: (loss, forward cache, {name_grad: grad})."""
    model.zero_grad(set_to_none=True)
    model.set_use_split_qkv_input(True)
    try:
        loss, cache = model.run_with_cache(tokens, return_type="loss", incl_bwd=True, attention_mask=attention_mask)
    finally:
        model.set_use_split_qkv_input(False)
    fwd = {k: v for k, v in cache.items() if not k.endswith("_grad")}
    grads = {k: v for k, v in cache.items() if k.endswith("_grad")}
    return loss.detach(), fwd, grads


def query_axis(name):
    """The position axis of a hook: attention scores and patterns are [batch, head, query, key]."""
    return 2 if name.endswith(("hook_attn_scores", "hook_pattern")) else 1


def by_position(name, t):
    """TL's q_norm / k_norm hooks are flattened to [batch * pos * head, d_head]; others are as they are."""
    if ".q_norm." in name or ".k_norm." in name:
        return t.reshape(BATCH, POS, -1, t.shape[-1])
    return t


def check_grads(fam, tag, grads, fwd):
    """A gradient for every hook; finite; exactly zero at the last position (its logits are not scored
    and no earlier position reads it) and nonzero at the others, in every batch row."""
    names = {k[: -len("_grad")] for k in grads}
    check(names == set(fwd), f"{fam.name} {tag}: gradients missing or extra at {sorted(names ^ set(fwd))}")
    last = POS - 1
    for k, g in grads.items():
        check(torch.isfinite(g).all().item(), f"{fam.name} {tag}: {k} has non-finite values")
        g = by_position(k, g)
        ax = query_axis(k[: -len("_grad")])
        for b in range(BATCH):
            check(g[b].select(ax - 1, last).abs().max().item() == 0.0, f"{fam.name} {tag}: {k} nonzero at position {last} of row {b}")
            check(g[b].narrow(ax - 1, 0, last).abs().max().item() > 0.0, f"{fam.name} {tag}: {k} all zero before position {last} of row {b}")


def check_processing_grads(fam, layer_norm, raw, proc):
    """TL's processing leaves the model the same function of every residual-stream, attention-score and
    MLP activation, so those gradients agree between raw and processed. Two kinds may differ: hook_pattern
    (fold_value_biases moves b_V out of v, changing d pattern by a constant per query row) and a
    LayerNorm's hook_normalized (raw: after the LN weight and bias; processed: before). Returns the
    differing keys with layers written L."""
    differ = set()
    for k, g in raw.items():
        d = maxdiff(g, proc[k])
        if d > EXACT * max(1.0, g.abs().max().item()):
            may = k.endswith("hook_pattern_grad") or (layer_norm and k.endswith("hook_normalized_grad"))
            check(may, f"{fam.name}: raw and processed {k} differ by {d:.2e}")
            differ.add(re.sub(r"\.(\d+)\.", ".L.", k))
    return sorted(differ)


def check_split_ln1(fam, tag, model, grads):
    """In the split-input run ln1 fires three times (query, key, value input); TL's grad cache keeps the
    last to fire in the backward pass, the query input's: d ln1_q = hook_q_grad . W_Q^T per head (times
    the RMSNorm weight: TL's RMSNorm fires hook_normalized before its weight, LayerNorm after it)."""
    for layer in range(model.cfg.n_layers):
        g = grads[f"blocks.{layer}.ln1.hook_normalized_grad"]
        q = grads[f"blocks.{layer}.attn.hook_q_grad"]
        expect = torch.einsum("bphd,hmd->bphm", q, model.blocks[layer].attn.W_Q)
        ln1 = model.blocks[layer].ln1
        if type(ln1).__name__ == "RMSNorm":
            expect = expect * ln1.w
        d = maxdiff(g, expect)
        check(d < EXACT, f"{fam.name} {tag}: blocks.{layer}.ln1.hook_normalized_grad is not the query input's ({d:.1e})")


def finite_difference(model, tokens, name, grad):
    """(L(x + h g) - L(x - h g)) / 2h at hook `name` against |g|^2: the autograd gradient is a derivative."""
    g = grad.detach()
    norm2 = (g * g).sum().item()
    h = 1e-4 / math.sqrt(norm2)

    def loss_with(delta):
        def hook(act, hook):  # noqa: ARG001
            return act + delta

        with torch.no_grad():
            return model.run_with_hooks(tokens, return_type="loss", fwd_hooks=[(name, hook)]).item()

    fd = (loss_with(h * g) - loss_with(-h * g)) / (2 * h)
    return abs(fd - norm2) / norm2


def tl_state(model):
    """TL's parameters (no buffers: attn.mask, IGNORE, rotary sin/cos), F32."""
    return {k: f32(v) for k, v in model.named_parameters()}


def hook_lines(d):
    return [f"{k} {list(v.shape)}" for k, v in d.items()]


# --------------------------------------------------------------------------------------------------


def fixed_tokens(fam, seed=TOKEN_SEED):
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(0, fam.config.vocab_size, (BATCH, POS), generator=g, dtype=torch.int64)
    tokens[:, 0] = fam.bos
    return tokens


def run_family(fam):
    """Writes one family folder and returns what its README reports."""
    folder = os.path.join(OUT, fam.name)
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    model = make_hf_model(fam)
    tokens = fixed_tokens(fam)
    report = {"family": fam, "tokens": tokens.tolist()}
    hf64, logits = hf_references(fam, model, tokens, folder, report)
    report["switched_off"] = switched_off(fam, model, tokens, logits)
    runs = {tag: tl_run(fam, model, tokens, processed, folder)
            for tag, processed in (("raw", False), ("processed", True))}
    compare(fam, hf64, tokens, logits, runs, folder, report)
    if fam.model_class is transformers.LlamaForCausalLM:
        with llama_in_float64():
            d = maxdiff(hf_logits(hf64, tokens), runs["raw"]["logits"])
        check(d < 1e-7, f"{fam.name}: HF without its float32 islands still differs from TL by {d:.2e}")
        report["islands"] = d
    if fam.route == "gemma2":
        report["branch"] = gemma2_branch_alternation(fam, model, tokens, logits, folder)
    if fam.name == "gpt2":
        report["padded"] = padded_case(fam, model, runs, folder)
    family_readme.write(os.path.join(folder, "README.md"), report, folder)
    return report


def hf_references(fam, model, tokens, folder, report):
    """The checkpoints and hf-logits.safetensors; returns the float64 model and its logits."""
    rounded_logits = save_checkpoints(fam, model, folder, tokens)
    hf64 = reference_attention(copy.deepcopy(model).double())
    logits = hf_logits(hf64, tokens)
    other = other_attention(hf64)
    report["attn_implementation"] = (hf64.config._attn_implementation, other.config._attn_implementation)
    report["other_attention_diff"] = maxdiff(hf_logits(other, tokens), logits)
    # transformers' own loss casts the logits to float32 (ForCausalLMLoss: logits.float()), so the
    # fixture's loss is the float64 mean of the float64 per-token losses, checked against HF's value
    lpt = per_token_loss(logits, tokens)
    loss = lpt.mean()
    hf_own_loss = hf_loss(hf64, tokens).item()
    report["hf_own_loss_diff"] = abs(loss.item() - hf_own_loss)
    check(report["hf_own_loss_diff"] < 1e-6 * max(1.0, abs(hf_own_loss)),
          f"{fam.name}: HF loss {hf_own_loss} != mean per-token {loss.item()}")
    report["hf_loss"] = loss.item()
    report["max_abs_logit"] = logits.abs().max().item()
    report["hf_f32_vs_f64"] = maxdiff(hf_logits(reference_attention(copy.deepcopy(model)), tokens), logits)
    out = {"tokens": tokens, "logits": f32(logits), "loss_per_token": f32(lpt), "loss": f32(loss)}
    report["rounded"] = {}
    for tag, lg in rounded_logits.items():
        lpt = per_token_loss(lg, tokens)
        out.update({f"{tag}.logits": f32(lg), f"{tag}.loss_per_token": f32(lpt), f"{tag}.loss": f32(lpt.mean())})
        report["rounded"][tag] = (maxdiff(lg, logits), lpt.mean().item())
    write_safetensors(os.path.join(folder, "hf-logits.safetensors"), out, {"format": "pt"})
    return hf64, logits


def switched_off(fam, model, tokens, logits):
    """HF's logits with each exercised feature switched off: each must move them (by more than 1e-3)."""
    out = {}
    for what, changes in fam.switched_off.items():
        cfg = copy.deepcopy(model.config)
        for k, v in changes.items():
            setattr(cfg, k, v)
        other = fam.model_class(cfg).eval()
        other.load_state_dict(model.state_dict())
        d = maxdiff(hf_logits(reference_attention(other.double()), tokens), logits)
        check(d > 1e-3, f"{fam.name}: switching off the {what} leaves the logits within {d:.1e}")
        out[what] = d
    return out


def tl_run(fam, model, tokens, processed, folder):
    """One TL model (raw or processed): forward cache, gradients, state dict, their checks and files."""
    tag = "processed" if processed else "raw"
    builder_kwargs = {"attn_types": "hf"} if fam.route == "gemma2" else {}
    tl, warnings = load_tl(fam, model, processed, **builder_kwargs)
    logits, cache = tl_forward(tl, tokens)
    lpt = tl.loss_fn(logits, tokens, per_token=True)
    loss, split_cache, grads = tl_grads(tl, tokens)
    # the split-input run reshapes ln1's hooks; every other hook must be the forward run's, bit for bit
    same = [k for k in cache if k in split_cache and cache[k].shape == split_cache[k].shape]
    check(len(same) == len(cache) - 2 * fam.config.num_hidden_layers,
          f"{fam.name} {tag}: the split-input run lacks {sorted(set(cache) - set(same))}")
    for k in same:
        a, b = (t.nan_to_num(posinf=0, neginf=0) for t in (cache[k], split_cache[k]))
        check(maxdiff(a, b) == 0.0, f"{fam.name} {tag}: {k} differs between the forward and the incl_bwd run")
    check(abs(loss.item() - lpt.mean().item()) < EXACT, f"{fam.name} {tag}: TL loss != mean per-token loss")
    check_grads(fam, tag, grads, split_cache)
    check_split_ln1(fam, tag, tl, grads)
    fd = {}
    for name in ("blocks.1.hook_resid_pre", "blocks.0.attn.hook_z", "blocks.0.hook_mlp_out"):
        fd[name] = finite_difference(tl, tokens, name, grads[name + "_grad"])
        check(fd[name] < FD_REL, f"{fam.name} {tag}: finite difference at {name} off by {fd[name]:.2e} (relative)")

    out = {"tokens": tokens, "logits": f32(logits), "loss_per_token": f32(lpt), "loss": f32(loss)}
    out.update({k: f32(v) for k, v in cache.items()})
    write_safetensors(os.path.join(folder, f"tl-{tag}.safetensors"), out, {"format": "pt"})
    gout = {"tokens": tokens, "loss": f32(loss)}
    gout.update({k: f32(v) for k, v in grads.items()})
    write_safetensors(os.path.join(folder, f"tl-{tag}-grad.safetensors"), gout, {"format": "pt"})
    write_safetensors(os.path.join(folder, f"tl-weights-{tag}.safetensors"), tl_state(tl), {"format": "pt"})
    return dict(model=tl, logits=logits, loss=loss, cache=cache, grads=grads, split_cache=split_cache,
                warnings=warnings, fd=fd)


def compare(fam, hf64, tokens, logits, runs, folder, report):
    """Raw against processed, TL against HF; the hook lists; the README's numbers."""
    raw, proc = runs["raw"], runs["processed"]
    for key in ("cache", "grads", "split_cache"):
        check(list(raw[key]) == list(proc[key]), f"{fam.name}: raw and processed {key} key lists differ")
    with open(os.path.join(folder, "hook_names.txt"), "w") as f:
        f.write("\n".join(hook_lines(raw["cache"])) + "\n")
    with open(os.path.join(folder, "hook_names_grad.txt"), "w") as f:
        f.write("\n".join(hook_lines(raw["grads"])) + "\n")
    report["grads_differ"] = check_processing_grads(fam, raw["model"].cfg.normalization_type == "LN",
                                                    raw["grads"], proc["grads"])
    raw_lp, proc_lp = (torch.log_softmax(r["logits"], -1) for r in (raw, proc))
    report["raw_vs_processed_logprobs"] = maxdiff(raw_lp, proc_lp)
    check(report["raw_vs_processed_logprobs"] < EXACT, f"{fam.name}: processed vs raw log-probs differ")
    check(abs(raw["loss"].item() - proc["loss"].item()) < EXACT, f"{fam.name}: processed vs raw loss")
    hf_lp = torch.log_softmax(logits, -1)
    report["tl_vs_hf"] = {
        "raw logits": maxdiff(raw["logits"], logits),
        "processed logits": maxdiff(proc["logits"], logits),
        "raw log-probs": maxdiff(raw_lp, hf_lp),
        "processed log-probs": maxdiff(proc_lp, hf_lp),
        "loss": abs(raw["loss"].item() - report["hf_loss"]),
    }
    for k in ("raw logits", "raw log-probs", "processed log-probs", "loss"):
        check(report["tl_vs_hf"][k] < AGREE, f"{fam.name}: TL {k} vs HF differ by {report['tl_vs_hf'][k]:.3e}")
    with torch.no_grad():
        hidden = hf64(tokens, output_hidden_states=True).hidden_states
    report["resid_vs_hf"] = max(maxdiff(hidden[layer], raw["cache"][f"blocks.{layer}.hook_resid_pre"])
                                for layer in range(fam.config.num_hidden_layers))
    check(report["resid_vs_hf"] < AGREE, f"{fam.name}: TL resid_pre vs HF hidden_states differ by {report['resid_vs_hf']:.2e}")
    report["runs"] = {tag: dict(warnings=r["warnings"], fd=r["fd"], loss=r["loss"].item()) for tag, r in runs.items()}
    report["hooks"] = hook_lines(raw["cache"])
    report["grad_hooks"] = hook_lines(raw["grads"])
    report["split_hooks"] = hook_lines(raw["split_cache"])
    report["weights"] = {tag: {k: list(v.shape) for k, v in tl_state(r["model"]).items()} for tag, r in runs.items()}
    report["tl_cfg"] = raw["model"].cfg
    report["tl_cfg_processed"] = proc["model"].cfg


@contextlib.contextmanager
def llama_in_float64():
    """transformers computes LlamaRMSNorm (x.to(float32)) and the rotary cos/sin (inv_freq.float() @
    positions.float()) in float32 even in a float64 model. Within this context both run in the input's
    dtype, to show that those islands are all that separates HF's float64 logits from TL's."""
    from transformers.models.llama import modeling_llama as ml

    def rms_forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.variance_epsilon))

    def rotary_forward(self, x, position_ids):
        inv = self.inv_freq.to(x.dtype)[None, :, None].expand(position_ids.shape[0], -1, 1)
        freqs = (inv @ position_ids[:, None, :].to(x.dtype)).transpose(1, 2)
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos() * self.attention_scaling, emb.sin() * self.attention_scaling

    saved = ml.LlamaRMSNorm.forward, ml.LlamaRotaryEmbedding.forward
    ml.LlamaRMSNorm.forward, ml.LlamaRotaryEmbedding.forward = rms_forward, rotary_forward
    try:
        yield
    finally:
        ml.LlamaRMSNorm.forward, ml.LlamaRotaryEmbedding.forward = saved


def gemma2_branch_alternation(fam, model, tokens, hf_logits64, folder):
    """TL's own gemma-2 branch alternates ["global", "local"], HF's layer_types start with a sliding layer."""
    tl, _ = load_tl(fam, model, False, attn_types="branch")
    check(tl.cfg.attn_types[:2] == ["global", "local"], f"gemma2 branch attn_types {tl.cfg.attn_types}")
    lg = tl(tokens)
    lpt = tl.loss_fn(lg, tokens, per_token=True)
    diff = maxdiff(lg, hf_logits64)
    check(diff > 1e-3, f"gemma2: TL's branch alternation agrees with HF ({diff:.2e}); revisit the README")
    write_safetensors(os.path.join(folder, "tl-branch-raw-logits.safetensors"),
                      {"tokens": tokens, "logits": f32(lg), "loss_per_token": f32(lpt), "loss": f32(lpt.mean())},
                      {"format": "pt"})
    return {"max_logit_diff": diff, "loss": lpt.mean().item(), "attn_types": list(tl.cfg.attn_types)}


def padded_case(fam, model, runs, folder):
    """Left padding with an attention mask: TL's forward and gradients, HF's logits with explicit position ids."""
    g = torch.Generator().manual_seed(TOKEN_SEED + 1)
    pad = fam.config.eos_token_id
    tokens = torch.full((BATCH, POS), pad, dtype=torch.int64)
    mask = torch.zeros((BATCH, POS), dtype=torch.int64)
    singles = []
    for b, n in enumerate(PADDED_LENGTHS):
        seq = torch.randint(0, fam.config.vocab_size, (n,), generator=g, dtype=torch.int64)
        seq[0] = fam.bos
        tokens[b, POS - n:] = seq
        mask[b, POS - n:] = 1
        singles.append(seq)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    hf64 = reference_attention(copy.deepcopy(model).double())
    hf_lg = hf_logits(hf64, tokens, attention_mask=mask, position_ids=positions)
    out = {"tokens": tokens, "attention_mask": mask, "hf.logits": f32(hf_lg)}
    result = {}
    for tag, r in runs.items():
        tl = r["model"]
        lg, cache = tl_forward(tl, tokens, attention_mask=mask)
        for b, seq in enumerate(singles):
            alone = tl(seq[None])
            n = len(seq)
            d = maxdiff(lg[b, POS - n:], alone[0])
            check(d < EXACT, f"gpt2 padded {tag}: row {b} differs from the sequence alone by {d}")
            if tag == "raw":
                d = maxdiff(hf_lg[b, POS - n:], alone[0])
                check(d < AGREE, f"gpt2 padded: HF row {b} differs from TL alone by {d}")
        loss, fwd, grads = tl_grads(tl, tokens, attention_mask=mask)
        scored = (mask[:, :-1] * mask[:, 1:]).double()
        lpt = per_token_loss(lg, tokens) * scored
        check(abs(loss.item() - (lpt.sum() / scored.sum()).item()) < EXACT, f"gpt2 padded {tag}: TL masked loss")
        nan_hooks = check_padded_grads(tl, tag, grads, singles, mask, int(scored.sum().item()))
        result[tag] = {"loss": loss.item(), "nan_hooks": nan_hooks, "hooks": len(grads)}
        out.update({f"{tag}.logits": f32(lg), f"{tag}.loss": f32(loss)})
        if tag == "raw":  # the processed gradients obey the same checks; one set keeps the file small
            out.update({f"{tag}.{k}": f32(v) for k, v in grads.items()})
    write_safetensors(os.path.join(folder, "tl-padded.safetensors"), out, {"format": "pt"})
    result["tokens"] = tokens.tolist()
    result["mask"] = mask.tolist()
    return result


def check_padded_grads(tl, tag, grads, singles, mask, n_scored):
    """Gradients of the masked mean loss of a left-padded batch, against each sequence run alone.

    Row b's real positions get (n_b - 1) / n_scored times the gradient of that sequence's own mean
    loss; pad positions get exactly 0. The one exception is TL's own: hook_attn_scores_grad is NaN on
    the query rows of pads that see no unmasked key (softmax of all -inf is NaN; TL zeroes the pattern
    with torch.where, but the softmax backward still multiplies by NaN). Returns the hooks with NaN.
    """
    nan_hooks = []
    pad_rows = mask.cumsum(-1) == 0  # [batch, pos]: queries whose every allowed key is masked
    for b, seq in enumerate(singles):
        n = len(seq)
        scale = (n - 1) / n_scored
        _, _, alone = tl_grads(tl, seq[None])
        for k, g in grads.items():
            ax = query_axis(k[: -len("_grad")])
            row = g[b]
            real = row.narrow(ax - 1, POS - n, n)
            if ax == 2:
                real = real.narrow(2, POS - n, n)
            d = maxdiff(real, alone[k][0] * scale)
            check(d < EXACT, f"gpt2 padded {tag}: {k} row {b} differs from the sequence alone by {d}")
            pads = row.narrow(ax - 1, 0, POS - n)
            finite = torch.isfinite(pads)
            check(pads[finite].abs().max().item() == 0.0 if finite.any() else True,
                  f"gpt2 padded {tag}: {k} nonzero at a pad position of row {b}")
            if not finite.all():
                check(k.endswith("hook_attn_scores_grad"), f"gpt2 padded {tag}: {k} has non-finite values")
                rows = (~torch.isfinite(row)).any(dim=0).any(dim=-1)  # [query]
                check(torch.equal(rows, pad_rows[b]), f"gpt2 padded {tag}: {k} NaN rows {rows.tolist()} of row {b}")
                if k not in nan_hooks:
                    nan_hooks.append(k)
    return nan_hooks


def main(argv):
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    transformers.logging.set_verbosity_error()
    check(transformers.__version__ == "5.18.0", f"transformers {transformers.__version__}, want 5.18.0")
    tl_version = __import__("importlib.metadata").metadata.version("transformer-lens")
    check(tl_version == "2.18.0", f"TransformerLens {tl_version}, want 2.18.0")
    tl_routes.check_builders()  # the built configs are TL's own for the published models
    wanted = set(argv)
    fams = [f for f in family_specs.families() if not wanted or f.name in wanted]
    check(not wanted or len(fams) == len(wanted), f"unknown family in {sorted(wanted)}")
    for fam in fams:
        r = run_family(fam)
        folder = os.path.join(OUT, fam.name)
        size = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(folder) for f in fs)
        print(f"{fam.name}: {size / 1e6:.2f} MB; max |TL - HF|: raw logits {r['tl_vs_hf']['raw logits']:.1e}, "
              f"processed log-probs {r['tl_vs_hf']['processed log-probs']:.1e}, loss {r['tl_vs_hf']['loss']:.1e}",
              flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
