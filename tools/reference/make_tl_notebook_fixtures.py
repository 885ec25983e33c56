"""TransformerLens 2.18 reference for lens4j's test_prompt and sliced logit_attrs, on the shipped model.

Run from the repository root with the reference venv (tools/python/setup-venv.sh):

    ~/.cache/lens4j/venv/bin/python tools/reference/make_tl_notebook_fixtures.py

Output: analysis/src/test/resources/reference/induction-2l-tl/ (test-prompt.json, logit-attrs.json),
read by TestPromptTest and LogitAttrsSlicesTest. See the README.md there.

The model is lens4j's shipped induction-2l (transformer/src/main/resources/.../models/induction-2l):
its config.json holds HookedTransformerConfig keys and model.safetensors TL state-dict names, so real
TransformerLens loads it as it is, with from_pretrained's default processing (fold_ln,
center_writing_weights, center_unembed, fold_value_biases), which is also lens4j's default. Its
vocabulary (words.txt: "<|bos|>" and 63 words, each token a space and a word) becomes a Hugging Face
WordLevel tokenizer that tokenizes as lens4j's WordTokenizer does. The tiny-gpt2 fixture is not used:
it has no tokenizer, and test_prompt takes and prints strings.

transformers 5 changed batch_decode: on a 1-d list of ids it now decodes one joined string, where
transformers 4 (which TL 2.18's to_str_tokens was written against) decoded each id on its own; with it
test_prompt would see a prompt of length 1 and score the wrong position. The script restores the
per-token behaviour on the tokenizer (as EleutherAI/delphi#177 does), and checks to_str_tokens.
"""

import contextlib
import io
import json
import os
import sys
import tempfile

sys.dont_write_bytecode = True
os.environ["COLUMNS"] = "250"  # rich wraps at the terminal width (80 when there is none); TL's lines must stay whole

import torch  # noqa: E402
from safetensors.torch import load_file  # noqa: E402
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers  # noqa: E402
from transformers import PreTrainedTokenizerFast  # noqa: E402
import transformer_lens  # noqa: E402
from transformer_lens import HookedTransformer, HookedTransformerConfig, utils  # noqa: E402
from transformer_lens.utils import Slice  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MODEL = os.path.join(REPO, "transformer", "src", "main", "resources", "dev", "lens4j", "transformer", "models", "induction-2l")
OUT = os.path.join(REPO, "analysis", "src", "test", "resources", "reference", "induction-2l-tl")

torch.set_num_threads(1)
torch.set_grad_enabled(False)


def word_tokenizer(tmp):
    words = open(os.path.join(MODEL, "words.txt"), encoding="utf-8").read().split("\n")[:-1]
    tk = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token=None))
    # lens4j's WordTokenizer: split on whitespace, each word w is the token " " + w
    tk.normalizer = normalizers.Sequence([normalizers.Strip(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Prepend(" ")])
    tk.pre_tokenizer = pre_tokenizers.Split(Regex(r" [^ ]+"), "isolated")
    tk.decoder = decoders.Fuse()
    fast = PreTrainedTokenizerFast(tokenizer_object=tk, bos_token="<|bos|>", eos_token="<|bos|>", pad_token="<|bos|>")
    fast.save_pretrained(tmp)
    return PreTrainedTokenizerFast.from_pretrained(tmp)  # TL re-loads it by name_or_path with add_bos_token=True


def per_token_batch_decode(tokenizer):
    joined = tokenizer.batch_decode

    def batch_decode(sequences, **kwargs):
        seqs = sequences.tolist() if hasattr(sequences, "tolist") else list(sequences)
        if seqs and not isinstance(seqs[0], (list, tuple)):
            seqs = [[s] for s in seqs]
        return joined(seqs, **kwargs)

    tokenizer.batch_decode = batch_decode


def load_model(tmp):
    cfg = json.load(open(os.path.join(MODEL, "config.json"), encoding="utf-8"))
    model = HookedTransformer(HookedTransformerConfig(**{k: v for k, v in cfg.items() if v is not None}), tokenizer=word_tokenizer(tmp))
    model.load_and_process_state_dict(load_file(os.path.join(MODEL, "model.safetensors")), fold_ln=True,
                                      center_writing_weights=True, center_unembed=True, fold_value_biases=True)
    model.eval()
    per_token_batch_decode(model.tokenizer)
    assert model.to_str_tokens("moon river") == ["<|bos|>", " moon", " river"], model.to_str_tokens("moon river")
    return model


def numbers(model, prompt, answer, prepend_space_to_answer, prepend_bos, top_k):
    """The values utils.test_prompt prints, computed with its own expressions (lines 818-883 of utils.py)."""
    answers = [answer] if isinstance(answer, str) else answer
    n_answers = len(answers)
    multiple = n_answers > 1
    if prepend_space_to_answer:
        answers = [a if a.startswith(" ") else " " + a for a in answers]
    prompt_tokens = model.to_tokens(prompt, prepend_bos=prepend_bos)
    answer_tokens = model.to_tokens(answers, prepend_bos=False)
    if multiple:
        answer_tokens = answer_tokens[:, :1]
    tokens = torch.cat((prompt_tokens.repeat(answer_tokens.shape[0], 1), answer_tokens), dim=1)
    prompt_length = len(model.to_str_tokens(prompt, prepend_bos=prepend_bos))
    answer_str = [model.to_str_tokens(a, prepend_bos=False) for a in answers]
    answer_length = 1 if multiple else len(answer_str[0])
    logits = model(tokens)
    probs = logits.softmax(dim=-1)
    steps = []
    for index in range(prompt_length, prompt_length + answer_length):
        answer_ids = tokens[:, index]
        token_probs = probs[:, index - 1]
        sorted_probs, sorted_positions = token_probs.sort(descending=True)
        ranks = sorted_positions.argsort(-1)[range(n_answers), answer_ids].tolist()
        steps.append({
            "position": index,
            "answers": [{"token": int(answer_ids[i]), "text": answer_str[i][index - prompt_length], "rank": ranks[i],
                         "logit": logits[i, index - 1, answer_ids[i]].item(), "prob": token_probs[i, answer_ids[i]].item()}
                        for i in range(n_answers)],
            "top": [{"token": int(sorted_positions[0, i]), "text": model.to_string(sorted_positions[0, i]),
                     "logit": logits[0, index - 1, sorted_positions[0, i]].item(), "prob": sorted_probs[0, i].item()}
                    for i in range(top_k)],
        })
    return {"tokens": tokens.tolist(), "prompt_tokens": model.to_str_tokens(prompt, prepend_bos=prepend_bos),
            "answer_tokens": answer_str, "steps": steps}


def test_prompt_cases(model):
    seq = "apple river stone cloud tree house bread fire water light"
    cases = [
        {"name": "induction: the word after the earlier copy", "prompt": seq + " " + " ".join(seq.split()[:6]), "answer": "bread",
         "prepend_space_to_answer": True, "prepend_bos": True, "top_k": 10},
        {"name": "a two-token answer", "prompt": "apple river stone cloud tree house apple river stone", "answer": "cloud tree",
         "prepend_space_to_answer": True, "prepend_bos": True, "top_k": 5},
        {"name": "several answers", "prompt": "apple river stone cloud tree house apple river stone",
         "answer": ["cloud", "tree", "moon"], "prepend_space_to_answer": True, "prepend_bos": True, "top_k": 3},
        {"name": "no induction to follow, no BOS, answer with its space", "prompt": "moon river cat egg tea salt",
         "answer": " gold", "prepend_space_to_answer": False, "prepend_bos": False, "top_k": 4},
    ]
    for c in cases:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            utils.test_prompt(c["prompt"], c["answer"], model, prepend_space_to_answer=c["prepend_space_to_answer"],
                              prepend_bos=c["prepend_bos"], top_k=c["top_k"])
        c["printed"] = out.getvalue()
        c.update(numbers(model, c["prompt"], c["answer"], c["prepend_space_to_answer"], c["prepend_bos"], c["top_k"]))
        # the numbers above are the ones TL printed
        for step in c["steps"]:
            for a in step["answers"]:
                assert f"Rank: {a['rank']: <8} Logit: {a['logit']:5.2f} Prob: {a['prob']:6.2%} Token: |{a['text']}|" in c["printed"]
    return cases


def describe(slice_input):
    """A TL SliceInput as JSON that says its mode (a tuple and a list would both become arrays)."""
    if slice_input is None:
        return {"mode": "identity"}
    if isinstance(slice_input, int):
        return {"mode": "int", "index": slice_input}
    if isinstance(slice_input, tuple):
        return {"mode": "range", "args": list(slice_input)}  # slice(*args)
    return {"mode": "array", "indices": list(slice_input)}


def logit_attrs_cases(model):
    g = torch.Generator().manual_seed(16)
    words = torch.stack([torch.randperm(63, generator=g)[:9] + 1 for _ in range(3)])
    tokens = torch.cat([torch.zeros(3, 1, dtype=torch.long), words, words], dim=1)  # BOS, 9 words, the same 9 words
    _, cache = model.run_with_cache(tokens)
    stack, labels = cache.stack_head_results(layer=-1, return_labels=True)  # [component, batch, pos, d_model]
    nxt = torch.roll(tokens, -1, dims=1)  # the next token at each position (the last wraps to BOS)
    other = torch.randint(1, 64, tokens.shape, generator=g)
    cases = []

    def case(name, pos, batch, incorrect=True):
        ps, bs = Slice(pos), Slice(batch)
        correct = bs.apply(ps.apply(nxt, dim=1), dim=0)
        wrong = bs.apply(ps.apply(other, dim=1), dim=0) if incorrect else None
        attrs = cache.logit_attrs(ps.apply(stack, dim=2), correct, incorrect_tokens=wrong, pos_slice=pos, batch_slice=batch)
        cases.append({"name": name, "pos_slice": describe(pos), "batch_slice": describe(batch), "tokens": correct.tolist(),
                      "incorrect_tokens": None if wrong is None else wrong.tolist(),
                      "output": {"shape": list(attrs.shape), "data": attrs.reshape(-1).tolist()}})

    case("last position, every sequence", -1, None)
    case("a range of positions, the first two sequences", (10, 15), (0, 2))
    case("listed positions of one sequence", [3, 11, 18], 1)
    case("every position, listed sequences, no incorrect tokens", None, [2, 0], incorrect=False)
    case("one position of one sequence", 12, -1)
    case("every other position", (1, 19, 2), None)
    return {"tokens": tokens.tolist(), "labels": labels, "cases": cases}


def main():
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        model = load_model(tmp)
        meta = {"generator": "tools/reference/make_tl_notebook_fixtures.py", "transformer_lens": transformer_lens.__version__
                if hasattr(transformer_lens, "__version__") else "2.18.0", "torch": torch.__version__}
        for name, data in (("test-prompt.json", {**meta, "cases": test_prompt_cases(model)}),
                           ("logit-attrs.json", {**meta, **logit_attrs_cases(model)})):
            path = os.path.join(OUT, name)
            with open(path, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=1, ensure_ascii=False)
                f.write("\n")
            print("wrote", os.path.relpath(path, REPO), os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
