"""Reference numbers of lens4j's gradient attributions, from the EAP-IG reference implementation and
TransformerLens 2.18 autograd, on the tiny GPT-2 of the multi-family fixtures.

Usage (from the repository root, with the venv of tools/python/setup-venv.sh):

    ~/.cache/lens4j/venv/bin/python tools/reference/eap_ig_reference.py [--eap-ig DIR]

DIR is a checkout of https://github.com/hannamw/EAP-IG (the folder holding src/eap); without it the
script exports the commit below from the local mirror /work/.mirror/hannamw+EAP-IG/repo into a
temporary folder. Nothing of EAP-IG is committed to lens4j: the script imports it from there.

The model is transformer/src/test/resources/reference/families/gpt2/hf (2 layers, 4 heads, d_model 32,
d_mlp 128, vocab 512), loaded by TransformerLens's from_pretrained (default processing, as lens4j's
Models.fromPretrained) in float64, with use_attn_result, use_split_qkv_input and use_hook_mlp_in, as
EAP-IG requires. The task: 4 sequences of BOS + 8 random tokens; the corrupted sequences redraw
tokens 1 to 4 and the last one; the metric is the logit difference at the last position between two random tokens
per sequence.

Output: analysis/src/test/resources/reference/eap-ig/tiny-gpt2.safetensors (F32, computed in float64)
and README.md beside it. Keys:
  clean, corrupted [4, 9] I64, labels [4, 2] I64 (correct, incorrect)
  checkpoint_sha256: in the metadata, the SHA-256 of the checkpoint the numbers belong to
  metric.clean, metric.corrupted: the metric's mean over the batch (evaluate_baseline)
  real_edges [11, 27]: 1 where the graph has an edge (src node x dst input, EAP-IG's layout)
  eap: EAP scores (method "EAP", intervention "patching")
  eap_ig.m1, eap_ig.m5, eap_ig.m20: EAP-IG-inputs scores with m interpolation steps
  exact: the metric change when each edge alone is corrupted (method "exact", evaluate_graph)
  circuit.top{n}.edges, .nodes, .metric: apply_topn(n) on eap_ig.m5 (absolute, pruned), the edges and
      source nodes kept, and evaluate_graph's mean metric with only them kept (n = 5, 12, 30)
  circuit.threshold.edges, .nodes, .metric, .value: apply_threshold(value) on eap_ig.m5 likewise
  ap.<name>: attribution patching (Nanda) of patching the clean activation into the corrupted run,
      (clean - corrupted) * d metric / d activation on the corrupted run, summed over the batch and
      over what the name says is not kept: resid_pre, attn_out, mlp_out [layer, pos]; z, q, k, v
      [layer, head] (all positions) and z_pos [layer, pos, head]; pattern [layer, head] and
      pattern_pos [layer, head, query pos]
  tokens.grad_x_input [4, 9]: sum_d hook_embed * d metric / d hook_embed on the clean tokens
  tokens.ig.m{m} [4, 9]: integrated gradients of hook_embed from the corrupted tokens' embedding to
      the clean one, right Riemann sum with m = 8, 64 points

What had to be adapted to run EAP-IG (commit below) on CPU with TransformerLens 2.18, all by
monkeypatching here:
  - its score tensors are created with device="cuda": torch.zeros in eap.attribute maps "cuda" to "cpu";
  - tokenize_plus (eap.attribute, eap.evaluate) takes strings and the model's tokenizer; the tiny model
    has none, so it is replaced by one that takes token-id tensors, with an all-ones attention mask;
  - eap.visualization imports matplotlib, which the venv lacks and nothing here draws: a stub module
    stands in when matplotlib is missing.
"""

import argparse
import contextlib
import hashlib
import io
import os
import subprocess
import sys
import tempfile
import types

sys.dont_write_bytecode = True  # keep tools/reference free of __pycache__
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TQDM_DISABLE", "1")

import torch  # noqa: E402
import transformers  # noqa: E402
from transformer_lens import HookedTransformer  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tl_routes  # noqa: E402
from safetensors_io import write_safetensors  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
HF_DIR = os.path.join(REPO, "transformer", "src", "test", "resources", "reference", "families", "gpt2", "hf")
OUT = os.path.join(REPO, "analysis", "src", "test", "resources", "reference", "eap-ig")
MIRROR = "/work/.mirror/hannamw+EAP-IG/repo"
EAP_IG_COMMIT = "795f5607b25638935aec89aee3c1cb4bd9ed72f1"

SEED = 2026
BATCH, POS, BOS = 4, 9, 511
CORRUPTED = (1, 2, 3, 4, 8)  # the positions the corrupted sequences redraw
IG_STEPS = (1, 5, 20)
TOKEN_IG_STEPS = (8, 64)
TOP_N = (5, 12, 30)
THRESHOLD_RANK = 20  # the threshold sits between the 20th and 21st largest |score|
MIN_GAP = 1e-3  # relative gap the chosen ranks need, so that float32 cannot reorder them


def fail(msg):
    raise SystemExit("eap_ig_reference: " + msg)


def check(ok, msg):
    if not ok:
        fail(msg)


# --------------------------------------------------------------------------------------------------
# EAP-IG, imported from a checkout and adapted


def eap_ig_source(path):
    """The folder holding the eap package: the given checkout's src, or the mirror's commit exported."""
    if path:
        src = os.path.join(path, "src")
        check(os.path.isdir(os.path.join(src, "eap")), f"{path} has no src/eap")
        return src, "checkout " + path
    check(os.path.isdir(MIRROR), f"no EAP-IG checkout given and no mirror at {MIRROR}")
    tmp = tempfile.mkdtemp(prefix="eap-ig-")
    archive = subprocess.run(["git", "-C", MIRROR, "archive", EAP_IG_COMMIT, "src/eap"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
    return os.path.join(tmp, "src"), "commit " + EAP_IG_COMMIT


def import_eap(src):
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        stub = types.ModuleType("matplotlib")
        stub.cm = types.ModuleType("matplotlib.cm")
        sys.modules["matplotlib"] = stub
        sys.modules["matplotlib.cm"] = stub.cm
    sys.path.insert(0, src)
    import eap.attribute as attribute
    import eap.evaluate as evaluate
    import eap.graph as graph

    def zeros(*args, **kwargs):
        if kwargs.get("device") == "cuda":
            kwargs["device"] = "cpu"
        return torch.zeros(*args, **kwargs)

    cpu_torch = types.SimpleNamespace(**{k: getattr(torch, k) for k in dir(torch) if not k.startswith("__")})
    cpu_torch.zeros = zeros
    attribute.torch = cpu_torch

    def tokenize_plus(model, inputs, max_length=None):  # noqa: ARG001
        tokens = torch.as_tensor(inputs, dtype=torch.long)
        mask = torch.ones_like(tokens)
        return tokens, mask, mask.sum(1), tokens.shape[1]

    attribute.tokenize_plus = tokenize_plus
    evaluate.tokenize_plus = tokenize_plus
    return attribute, evaluate, graph


# --------------------------------------------------------------------------------------------------
# model and task


def load_model():
    hf_config = transformers.AutoConfig.from_pretrained(HF_DIR)
    hf = transformers.GPT2LMHeadModel.from_pretrained(HF_DIR).eval()
    hf64 = copy_double(hf)
    with tl_routes.tl_loading(hf_config, "hf-config"), contextlib.redirect_stdout(io.StringIO()):
        model = HookedTransformer.from_pretrained("gpt2", hf_model=hf64, dtype=torch.float64, n_ctx=hf_config.n_positions,
                                                  device="cpu")
    model.eval()
    model.set_use_attn_result(True)
    model.set_use_split_qkv_input(True)
    model.set_use_hook_mlp_in(True)
    return model


def copy_double(hf):
    import copy
    return copy.deepcopy(hf).double()


def task():
    g = torch.Generator().manual_seed(SEED)
    clean = torch.randint(0, BOS, (BATCH, POS), generator=g)
    clean[:, 0] = BOS
    corrupted = clean.clone()
    for p in CORRUPTED:
        corrupted[:, p] = torch.randint(0, BOS, (BATCH,), generator=g)
    check(bool((corrupted[:, list(CORRUPTED)] != clean[:, list(CORRUPTED)]).all()), "a redrawn token equals the clean one; change the seed")
    labels = torch.randint(0, BOS, (BATCH, 2), generator=g)
    check(bool((labels[:, 0] != labels[:, 1]).all()), "a label pair repeats a token; change the seed")
    return clean, corrupted, labels


def logit_diff(logits, clean_logits, input_lengths, labels, reduce=None):  # noqa: ARG001
    """Per sequence: logits[b, last, correct] - logits[b, last, incorrect]; summed over the batch if reduce."""
    last = logits[torch.arange(logits.shape[0]), input_lengths - 1]
    d = last.gather(-1, labels[:, :1]).squeeze(-1) - last.gather(-1, labels[:, 1:]).squeeze(-1)
    return d.sum() if reduce == "sum" else d


def summed(logits, clean_logits, input_lengths, labels):
    return logit_diff(logits, clean_logits, input_lengths, labels, reduce="sum")


# --------------------------------------------------------------------------------------------------
# lens4j's other gradient methods, computed here with TransformerLens and torch autograd


def attribution_patching(model, clean, corrupted, labels):
    """Nanda's linear estimate of patching each clean activation into the corrupted run."""
    lengths = torch.full((BATCH,), POS)
    _, clean_cache = model.run_with_cache(clean)
    grads = {}

    def keep(name):
        def hook(g, hook):  # noqa: ARG001
            grads[name] = g.detach().clone()
        return hook

    names = [n for n in clean_cache.keys() if n.endswith(("hook_resid_pre", "hook_attn_out", "hook_mlp_out", "attn.hook_z",
                                                          "attn.hook_q", "attn.hook_k", "attn.hook_v", "attn.hook_pattern"))]
    fwd = {}

    def save(name):
        def hook(a, hook):  # noqa: ARG001
            fwd[name] = a.detach().clone()
        return hook

    model.zero_grad(set_to_none=True)
    with model.hooks(fwd_hooks=[(n, save(n)) for n in names], bwd_hooks=[(n, keep(n)) for n in names]):
        logits = model(corrupted)
        # the metric lens4j's attribution patching sees: the mean over the batch
        (logit_diff(logits, None, lengths, labels, reduce="sum") / BATCH).backward()
    out = {}
    L = model.cfg.n_layers
    for short, leaf in (("resid_pre", "hook_resid_pre"), ("attn_out", "hook_attn_out"), ("mlp_out", "hook_mlp_out")):
        rows = []
        for l in range(L):
            n = f"blocks.{l}.{leaf}"
            rows.append(((clean_cache[n] - fwd[n]) * grads[n]).sum(dim=(0, 2)))  # [pos]
        out[f"ap.{short}"] = torch.stack(rows)
    for v in ("z", "q", "k", "v"):
        all_pos, by_pos = [], []
        for l in range(L):
            n = f"blocks.{l}.attn.hook_{v}"
            prod = (clean_cache[n] - fwd[n]) * grads[n]  # [batch, pos, head, d_head]
            all_pos.append(prod.sum(dim=(0, 1, 3)))
            by_pos.append(prod.sum(dim=(0, 3)))
        out[f"ap.{v}"] = torch.stack(all_pos)
        if v == "z":
            out["ap.z_pos"] = torch.stack(by_pos)
    all_pos, by_pos = [], []
    for l in range(L):
        n = f"blocks.{l}.attn.hook_pattern"
        prod = (clean_cache[n] - fwd[n]) * grads[n]  # [batch, head, query, key]
        all_pos.append(prod.sum(dim=(0, 2, 3)))
        by_pos.append(prod.sum(dim=(0, 3)))
    out["ap.pattern"] = torch.stack(all_pos)
    out["ap.pattern_pos"] = torch.stack(by_pos)
    return out


def embed_gradient(model, tokens, labels, embed):
    """d metric / d hook_embed with hook_embed replaced by embed (the metric: the mean over the batch)."""
    lengths = torch.full((BATCH,), POS)
    leaf = embed.clone().requires_grad_(True)
    model.zero_grad(set_to_none=True)
    with model.hooks(fwd_hooks=[("hook_embed", lambda a, hook: leaf)]):
        logits = model(tokens)
        m = logit_diff(logits, None, lengths, labels, reduce="sum") / BATCH
    (g,) = torch.autograd.grad(m, leaf)
    return m.detach(), g


def token_attributions(model, clean, corrupted, labels):
    _, cc = model.run_with_cache(clean, names_filter="hook_embed")
    _, rc = model.run_with_cache(corrupted, names_filter="hook_embed")
    x, base = cc["hook_embed"], rc["hook_embed"]
    m_clean, g = embed_gradient(model, clean, labels, x)
    out = {"tokens.grad_x_input": (x * g).sum(-1)}
    m_base, _ = embed_gradient(model, clean, labels, base)
    report = {}
    for m in TOKEN_IG_STEPS:
        total = torch.zeros_like(x)
        for k in range(1, m + 1):
            _, gk = embed_gradient(model, clean, labels, base + (k / m) * (x - base))
            total += gk
        ig = ((x - base) * total / m).sum(-1)
        out[f"tokens.ig.m{m}"] = ig
        report[m] = (ig.sum().item(), (m_clean - m_base).item())
    return out, report


# --------------------------------------------------------------------------------------------------


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eap-ig", help="a checkout of hannamw/EAP-IG (the folder holding src/eap)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    src, origin = eap_ig_source(args.eap_ig)
    attribute, evaluate, graph_mod = import_eap(src)
    model = load_model()
    clean, corrupted, labels = task()
    data = [(clean, corrupted, labels)]
    out = {"clean": clean, "corrupted": corrupted, "labels": labels}

    clean_metric = evaluate.evaluate_baseline(model, data, logit_diff, quiet=True).mean()
    corrupted_metric = evaluate.evaluate_baseline(model, data, logit_diff, run_corrupted=True, quiet=True).mean()
    out["metric.clean"] = clean_metric
    out["metric.corrupted"] = corrupted_metric
    check(abs(clean_metric - corrupted_metric) > 0.1, f"clean and corrupted metrics are too close: {clean_metric}, {corrupted_metric}")

    g = graph_mod.Graph.from_model(model)
    out["real_edges"] = g.real_edge_mask.to(torch.float64)
    attribute.attribute(model, g, data, summed, "EAP", quiet=True)
    out["eap"] = g.scores.clone()
    for m in IG_STEPS:
        g = graph_mod.Graph.from_model(model)
        attribute.attribute(model, g, data, summed, "EAP-IG-inputs", ig_steps=m, quiet=True)
        out[f"eap_ig.m{m}"] = g.scores.clone()
    g = graph_mod.Graph.from_model(model)
    attribute.attribute(model, g, data, logit_diff, "exact", quiet=True)
    out["exact"] = g.scores.clone()
    # EAP and EAP-IG average over the batch (summed metric / total items); exact is the mean metric's change
    check(out["eap"].abs().max() > 0, "EAP scores are all zero")

    scores = out["eap_ig.m5"]
    magnitudes = scores[g.real_edge_mask].abs().sort(descending=True).values
    circuits = {}
    for n in TOP_N:
        gap = (magnitudes[n - 1] - magnitudes[n]) / magnitudes[n - 1]
        check(gap > MIN_GAP, f"top-{n}: the {n}th and {n + 1}th |score| are within {gap:.1e}; choose another n")
        g = graph_mod.Graph.from_model(model)
        g.scores[:] = scores
        g.apply_topn(n, absolute=True)
        metric = evaluate.evaluate_graph(model, g, data, logit_diff, quiet=True).mean()
        out[f"circuit.top{n}.edges"] = g.in_graph.to(torch.float64)
        out[f"circuit.top{n}.nodes"] = g.nodes_in_graph.to(torch.float64)
        out[f"circuit.top{n}.metric"] = metric
        circuits[f"top {n}"] = (int(g.in_graph.sum()), int(g.nodes_in_graph.sum()), metric.item())
    value = (magnitudes[THRESHOLD_RANK - 1] + magnitudes[THRESHOLD_RANK]) / 2
    gap = (magnitudes[THRESHOLD_RANK - 1] - magnitudes[THRESHOLD_RANK]) / magnitudes[THRESHOLD_RANK - 1]
    check(gap > MIN_GAP, f"threshold: ranks {THRESHOLD_RANK} and {THRESHOLD_RANK + 1} are within {gap:.1e}")
    g = graph_mod.Graph.from_model(model)
    g.scores[:] = scores
    g.apply_threshold(value.item(), absolute=True)
    metric = evaluate.evaluate_graph(model, g, data, logit_diff, quiet=True).mean()
    out["circuit.threshold.edges"] = g.in_graph.to(torch.float64)
    out["circuit.threshold.nodes"] = g.nodes_in_graph.to(torch.float64)
    out["circuit.threshold.metric"] = metric
    out["circuit.threshold.value"] = value
    circuits[f"|score| >= {value.item():.6f}"] = (int(g.in_graph.sum()), int(g.nodes_in_graph.sum()), metric.item())
    # the whole graph restores the clean metric; the empty one gives the corrupted metric
    g = graph_mod.Graph.from_model(model)
    g.reset(empty=False)
    full = evaluate.evaluate_graph(model, g, data, logit_diff, quiet=True).mean()
    check(abs(full - clean_metric) < 1e-9, f"the full graph gives {full}, the clean run {clean_metric}")

    out.update(attribution_patching(model, clean, corrupted, labels))
    tokens, ig_report = token_attributions(model, clean, corrupted, labels)
    out.update(tokens)

    with open(os.path.join(HF_DIR, "model.safetensors"), "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    os.makedirs(OUT, exist_ok=True)
    f32 = {k: (v.to(torch.float32) if v.is_floating_point() else v.to(torch.int64)) for k, v in out.items()}
    write_safetensors(os.path.join(OUT, "tiny-gpt2.safetensors"), f32,
                      {"format": "pt", "checkpoint_sha256": sha, "eap_ig": origin})
    write_readme(out, circuits, ig_report, origin, sha)


def write_readme(out, circuits, ig_report, origin, sha):
    real = int(out["real_edges"].sum())
    lines = [
        "# EAP, EAP-IG, circuits, attribution patching and token attributions: reference numbers",
        "",
        "Written by `tools/reference/eap_ig_reference.py` (its docstring lists every key and what was adapted to run",
        f"EAP-IG); EAP-IG from hannamw/EAP-IG {origin}, TransformerLens 2.18, torch {torch.__version__}, float64, one",
        "thread. Nothing here runs at Java test time.",
        "",
        "Model: `transformer/src/test/resources/reference/families/gpt2/hf` (SHA-256 of model.safetensors",
        f"`{sha}`), TransformerLens `from_pretrained` with default processing.",
        f"Graph: 11 source nodes (input, 8 heads, 2 MLPs) x 27 destination inputs, {real} real edges.",
        "",
        f"Task: {BATCH} sequences of BOS + {POS - 1} random tokens (seed {SEED}); the corrupted ones redraw tokens 1 to 4 and 8;",
        "metric: the logit difference at the last position between two random tokens per sequence.",
        f"Clean metric {out['metric.clean'].item():.6f}, corrupted {out['metric.corrupted'].item():.6f} (means over the batch).",
        "",
        "| circuit (from EAP-IG, m = 5) | edges | source nodes | metric |",
        "|---|---|---|---|",
    ]
    for name, (edges, nodes, metric) in circuits.items():
        lines.append(f"| {name} | {edges} | {nodes} | {metric:.6f} |")
    lines += [
        "",
        "Largest |score| of each method: " + ", ".join(
            f"{k} {out[k].abs().max().item():.6f}" for k in ("eap", "eap_ig.m1", "eap_ig.m5", "eap_ig.m20", "exact")) + ".",
        "",
        "Integrated gradients of the token embeddings (corrupted -> clean), completeness: "
        + ", ".join(f"m = {m}: sum {s:.6f} vs metric change {d:.6f}" for m, (s, d) in ig_report.items()) + ".",
        "",
    ]
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
