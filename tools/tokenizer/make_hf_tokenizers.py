#!/usr/bin/env python3
"""Trains small Hugging Face tokenizers of each kind lens4j reads, and writes what the real
``tokenizers`` library does with them, as fixtures for the Java tests.

Kinds (folder name: vocabulary size; what it copies):

* ``gpt2`` 512: byte-level BPE with GPT-2's ByteLevel pre-tokenizer and regex, ``<|endoftext|>``
  last; also written as ``vocab.json`` + ``merges.txt``.
* ``gpt_neox`` 512: NFC normaliser + ByteLevel (GPT-NeoX / Pythia), ``<|endoftext|>`` and
  ``<|padding|>`` first, two whitespace-run added tokens that are matched after normalisation.
* ``llama3`` 512: Split with Llama 3's regex + ByteLevel without regex, ``ignore_merges``, a
  Sequence post-processor (ByteLevel, TemplateProcessing ``<|begin_of_text|> $A``).
* ``qwen2`` 512: NFC + Split with Qwen2's regex + ByteLevel without regex; no BOS token.
* ``llama2`` 320: SentencePiece-style BPE as Hugging Face converts Llama 2: Prepend "▁" + Replace
  " " -> "▁" normalisers, no pre-tokenizer, byte fallback, ``<unk> <s> </s>``, decoder Replace,
  ByteFallback, Fuse, Strip.
* ``mistral`` 320: the same model behind a Metaspace pre-tokenizer (prepend_scheme "first", no
  split), ``[INST] [/INST]`` control tokens, decoder Metaspace, ByteFallback, Fuse.
* ``gemma`` 320: Replace " " -> "▁", no prefix, byte fallback, ``<pad> <eos> <bos> <unk> <mask>
  <start_of_turn> <end_of_turn>``.
* ``components_bytes``, ``components_pieces`` and ``components_affixes``: tokenizers of no real model that use the other
  components lens4j implements (NFKC, NFD, Lowercase, Strip, regex Replace; Digits, Split with every
  behaviour and invert, ByteLevel with a prefix space, Metaspace "always" with splitting;
  continuing_subword_prefix, unk without fusing; added tokens with lstrip,
  rstrip, single_word and normalised matching; decoders Replace, Strip, Sequence; a template with
  a suffix), so that each is checked against tokenizers too.

For each kind, ``transformer/src/test/resources/tokenizers/<kind>/`` gets ``tokenizer.json``,
``tokenizer_config.json`` and ``expected.jsonl.gz``: JSON lines, one per case,

* ``{"t": "meta", ..., "special_prefix", "special_suffix", "tl_bos"}`` first: what the
  post-processor puts around every text, and TransformerLens's BOS id;
* ``{"t": "enc", "text", "ids", "special"?, "tf"?, "tl"?, "tl0"?, "decode"?}``: ``ids`` from
  ``Tokenizer.encode(text, add_special_tokens=False)``; ``special`` from ``add_special_tokens=True``
  when it is not ``special_prefix + ids + special_suffix``; ``tf`` from ``transformers.AutoTokenizer``
  on the folder (``tokenizer(text)["input_ids"]``) when it differs from that; ``tl`` from
  TransformerLens 2.18's ``to_tokens(text)`` when it is not ``[tl_bos] + ids``, ``tl0`` from
  ``to_tokens(text, prepend_bos=False)`` when it is not ``ids``; ``decode`` from
  ``Tokenizer.decode(ids, skip_special_tokens=False)`` when it differs from ``text``;
* ``{"t": "dec", "ids", "text"}``: decodes of random id lists (broken byte sequences, byte-fallback
  tokens out of order, special tokens in the middle);
* ``{"t": "tok", "texts"}``: the decode of every single id, in id order (TransformerLens's
  ``to_str_tokens`` decodes one token at a time).

``tokenizers/regex.jsonl.gz`` holds the pieces of GPT-2's, Llama 3's and Qwen2's split regexes
(and variants with possessive quantifiers and atomic groups) on the test strings, as piece
lengths in code points, from ``pre_tokenizers.Split(Regex(r), "isolated")``;
``tokenizers/regex-classes.json`` the code points Oniguruma (the regex engine of ``tokenizers``)
puts in ``\\s``, ``\\p{L}``, ``\\p{N}``, ``\\d`` and ``\\h``, as inclusive ranges.
``tokenizers/gpt2-real.jsonl.gz`` has the ids of GPT-2's real vocab.json + merges.txt
(``--gpt2``) on the test strings.

Deterministic: the same files come out on every run (training is single-threaded here).

Usage (from the repository root, with the reference venv):
    RAYON_NUM_THREADS=1 ~/.cache/lens4j/venv/bin/python tools/tokenizer/make_hf_tokenizers.py \\
        [--out transformer/src/test/resources/tokenizers] [--gpt2 /work/shared/gpt2-tokenizer]
"""

import argparse
import gzip
import io
import json
import os
import random
import sys

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import tokenizers  # noqa: E402
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, processors  # noqa: E402
from tokenizers import pre_tokenizers as pre  # noqa: E402
from tokenizers.trainers import BpeTrainer  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402

GPT2_REGEX = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
               r"|\s*[\r\n]+|\s+(?!\S)|\s+")
# Variants in the style of tiktoken's newer patterns: possessive quantifiers, an atomic group,
# \p{N}{1,3}+ (which Oniguruma's Ruby syntax reads as (\p{N}{1,3})+, not as possessive), $ and ^.
POSSESSIVE_REGEX = (r"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"
                    r"|\s++$|\s*[\r\n]|\s+(?!\S)|\s")
ATOMIC_REGEX = r"(?>\p{Lu}\p{Ll}*|\p{L}+)|(?>\d{1,3})|^\s+|\s+$|[^\s\p{L}\d]+|\s+"
CLASSES_REGEX = r"\d{2,}|\h+|[^\d\s\p{L}]+|\p{Lu}\p{Ll}*|\s+|."

REGEXES = {
    "gpt2": GPT2_REGEX,
    "llama3": LLAMA3_REGEX,
    "qwen2": QWEN2_REGEX,
    "possessive": POSSESSIVE_REGEX,
    "atomic": ATOMIC_REGEX,
    "classes": CLASSES_REGEX,
}

BYTE_TOKENS = ["<0x%02X>" % b for b in range(256)]


# ---------------------------------------------------------------------------------------------
# Training.
# ---------------------------------------------------------------------------------------------

def byte_level_bpe(lines, vocab_size, special_first=(), normalizer=None, pre_tokenizer=None,
                   ignore_merges=False):
    """A byte-level BPE with every byte in the vocabulary, trained on lines."""
    tok = Tokenizer(models.BPE(ignore_merges=ignore_merges))
    if normalizer is not None:
        tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer or pre.ByteLevel(add_prefix_space=False, use_regex=True)
    trainer = BpeTrainer(vocab_size=vocab_size, show_progress=False, min_frequency=2,
                         initial_alphabet=pre.ByteLevel.alphabet(),
                         special_tokens=[AddedToken(s, special=True, normalized=False) for s in special_first])
    tok.train_from_iterator(lines, trainer)
    tok.decoder = decoders.ByteLevel()
    return tok


def top_characters(lines, normalizer, count):
    """The most frequent characters of the normalised text (spaces as "▁"), ties by code point: a
    fixed alphabet, since the trainer's own cut at limit_alphabet breaks ties in hash order."""
    from collections import Counter
    freq = Counter()
    for line in lines:
        text = normalizer.normalize_str(line) if normalizer is not None else line
        freq.update(text.replace(" ", "\u2581"))
    return [c for c, _ in sorted(freq.items(), key=lambda kv: (-kv[1], kv[0]))[:count]]


def sentencepiece_bpe(lines, specials, vocab_size, normalizer, pre_tokenizer, decoder, post_processor,
                      limit_alphabet):
    """A SentencePiece-style BPE: specials, then the 256 byte-fallback tokens, then trained tokens."""
    trained_size = vocab_size - len(specials) - 256
    t = Tokenizer(models.BPE())
    t.normalizer = normalizer
    t.pre_tokenizer = pre_tokenizer
    alphabet = top_characters(lines, normalizer, limit_alphabet)
    trainer = BpeTrainer(vocab_size=trained_size, show_progress=False, min_frequency=2,
                         initial_alphabet=alphabet, limit_alphabet=len(alphabet))
    t.train_from_iterator(lines, trainer)
    trained = json.loads(t.to_str())["model"]
    vocab = {s: i for i, s in enumerate(specials)}
    for b in BYTE_TOKENS:
        vocab[b] = len(vocab)
    for token, _ in sorted(trained["vocab"].items(), key=lambda kv: kv[1]):
        if token not in vocab:
            vocab[token] = len(vocab)
    merges = [tuple(m) for m in trained["merges"]]
    unk = "<unk>"
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token=unk, byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    tok.decoder = decoder
    tok.post_processor = post_processor
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    assert tok.get_vocab_size() == vocab_size, (tok.get_vocab_size(), vocab_size)
    return tok


def template(bos, bos_id):
    return processors.TemplateProcessing(single=f"{bos}:0 $A:0", pair=f"{bos}:0 $A:0 {bos}:1 $B:1",
                                         special_tokens=[(bos, bos_id)])


def build_all(lines):
    """Each kind: (tokenizer, tokenizer_config dict)."""
    out = {}

    # GPT-2: <|endoftext|> after the 511 trained tokens, as in GPT-2 (50256 = the last id).
    tok = byte_level_bpe(lines, 511)
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.add_special_tokens([AddedToken("<|endoftext|>", special=True, normalized=True)])
    out["gpt2"] = (tok, {
        "add_prefix_space": False, "bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>", "model_max_length": 1024, "tokenizer_class": "GPT2Tokenizer"})

    # GPT-NeoX (Pythia): NFC, specials first, whitespace runs as added (non-special, normalised) tokens.
    tok = byte_level_bpe(lines, 510, special_first=["<|endoftext|>", "<|padding|>"], normalizer=normalizers.NFC())
    tok.post_processor = processors.ByteLevel(trim_offsets=True)
    tok.add_tokens([AddedToken("    ", normalized=True, special=False),
                    AddedToken("  ", normalized=True, special=False)])
    out["gpt_neox"] = (tok, {
        "add_prefix_space": False, "bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>", "model_max_length": 2048, "tokenizer_class": "GPTNeoXTokenizer"})

    # Llama 3: Split(regex) + ByteLevel(no regex), ignore_merges, specials after the trained tokens.
    llama3_specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
                       "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|start_header_id|>",
                       "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"]
    split3 = pre.Sequence([pre.Split(Regex(LLAMA3_REGEX), behavior="isolated", invert=False),
                           pre.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
    tok = byte_level_bpe(lines, 512 - len(llama3_specials), pre_tokenizer=split3, ignore_merges=True)
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in llama3_specials])
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(add_prefix_space=True, trim_offsets=False, use_regex=True),
        template("<|begin_of_text|>", tok.token_to_id("<|begin_of_text|>"))])
    out["llama3"] = (tok, {
        "bos_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>", "clean_up_tokenization_spaces": True,
        "model_input_names": ["input_ids", "attention_mask"], "model_max_length": 131072,
        "tokenizer_class": "PreTrainedTokenizerFast"})

    # Qwen2: NFC + Split(regex) + ByteLevel(no regex); no BOS; two added tokens that are not special.
    split2 = pre.Sequence([pre.Split(Regex(QWEN2_REGEX), behavior="isolated", invert=False),
                           pre.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)])
    qwen_specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|vision_pad|>"]
    tok = byte_level_bpe(lines, 512 - len(qwen_specials) - 2, normalizer=normalizers.NFC(), pre_tokenizer=split2)
    tok.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in qwen_specials])
    tok.add_tokens([AddedToken("<tool_call>", special=False, normalized=False),
                    AddedToken("</tool_call>", special=False, normalized=False)])
    out["qwen2"] = (tok, {
        "add_prefix_space": False, "bos_token": None, "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
        "unk_token": None, "errors": "replace", "split_special_tokens": False, "model_max_length": 32768,
        "additional_special_tokens": ["<|im_start|>", "<|im_end|>"], "tokenizer_class": "Qwen2Tokenizer"})

    sp_decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(),
                                    decoders.Strip(" ", 1, 0)])

    # Llama 2 as Hugging Face converts it: Prepend + Replace normalisers, no pre-tokenizer.
    tok = sentencepiece_bpe(
        lines, ["<unk>", "<s>", "</s>"], 320,
        normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")]),
        None, sp_decoder, template("<s>", 1), limit_alphabet=30)
    out["llama2"] = (tok, {
        "add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
        "pad_token": None, "clean_up_tokenization_spaces": False, "legacy": True, "model_max_length": 4096,
        "tokenizer_class": "PreTrainedTokenizerFast"})

    # Mistral as converted with legacy=False: a Metaspace pre-tokenizer, no normaliser.
    tok = sentencepiece_bpe(
        lines, ["<unk>", "<s>", "</s>", "[INST]", "[/INST]"], 320, None,
        pre.Metaspace(replacement="\u2581", prepend_scheme="first", split=False),
        decoders.Sequence([decoders.Metaspace(replacement="\u2581", prepend_scheme="first", split=False),
                           decoders.ByteFallback(), decoders.Fuse()]),
        template("<s>", 1), limit_alphabet=30)
    out["mistral"] = (tok, {
        "add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
        "additional_special_tokens": ["[INST]", "[/INST]"], "clean_up_tokenization_spaces": False,
        "model_max_length": 32768, "tokenizer_class": "PreTrainedTokenizerFast"})

    # Gemma: Replace " " -> "▁" only (no prefix), specials first.
    tok = sentencepiece_bpe(
        lines, ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>", "<start_of_turn>", "<end_of_turn>"], 320,
        normalizers.Replace(" ", "\u2581"), None,
        decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse()]),
        template("<bos>", 2), limit_alphabet=30)
    out["gemma"] = (tok, {
        "add_bos_token": True, "add_eos_token": False, "bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>",
        "unk_token": "<unk>", "additional_special_tokens": ["<start_of_turn>", "<end_of_turn>"],
        "clean_up_tokenization_spaces": False, "spaces_between_special_tokens": False, "model_max_length": 8192,
        "tokenizer_class": "PreTrainedTokenizerFast"})
    out.update(build_component_kinds(lines))
    return out


def build_component_kinds(lines):
    """Two tokenizers of no real model that use the other components lens4j implements, so that each
    is checked against tokenizers too."""
    out = {}
    # byte-level with NFKC, Lowercase and Strip; Digits, Split (MergedWithPrevious, Removed) and
    # ByteLevel with a prefix space; added tokens with lstrip, rstrip, single_word, and one matched
    # after normalisation. (No end_of_word_suffix: tokenizers drops a last character whose
    # suffixed form is not a token, which lens4j refuses instead.)
    norm = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase(), normalizers.Strip()])
    pt = pre.Sequence([pre.Digits(individual_digits=True),
                       pre.Split(Regex(r"\p{P}+"), behavior="merged_with_previous"),
                       pre.Split(" ", behavior="removed"),
                       pre.ByteLevel(add_prefix_space=True, use_regex=False)])
    tok = Tokenizer(models.BPE())
    tok.normalizer = norm
    tok.pre_tokenizer = pt
    trainer = BpeTrainer(vocab_size=400, show_progress=False, min_frequency=2,
                         initial_alphabet=pre.ByteLevel.alphabet(), special_tokens=["<pad>"])
    tok.train_from_iterator(lines, trainer)
    tok.decoder = decoders.Sequence([decoders.ByteLevel(), decoders.Strip(" ", 1, 0)])
    tok.add_special_tokens([AddedToken("<mask>", special=True, normalized=False, lstrip=True),
                            AddedToken("[SEP]", special=True, normalized=False, rstrip=True),
                            AddedToken("[CLS]", special=True, normalized=False)])
    tok.add_tokens([AddedToken("word", single_word=True, normalized=False),
                    AddedToken("hello", normalized=True)])
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    out["components_bytes"] = (tok, {"bos_token": "[CLS]", "eos_token": "[SEP]", "pad_token": "<pad>",
                                     "tokenizer_class": "PreTrainedTokenizerFast"})

    # SentencePiece-like with NFD, a regex Replace and NFC; Split (Contiguous, inverted Isolated),
    # Metaspace "always" with splitting, Digits in runs; unk without fusing.
    norm = normalizers.Sequence([normalizers.NFD(), normalizers.Replace(Regex(r"[\u0300-\u036f]"), ""),
                                 normalizers.NFC()])
    pt = pre.Sequence([pre.Split(Regex(r"\d+"), behavior="contiguous"),
                       pre.Split(Regex(r"[^\s]+"), behavior="isolated", invert=True),
                       pre.Metaspace(replacement="\u2581", prepend_scheme="always", split=True),
                       pre.Digits(individual_digits=False)])
    t = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=False))
    t.normalizer = norm
    t.pre_tokenizer = pt
    alphabet = top_characters(lines, norm, 60)
    trainer = BpeTrainer(vocab_size=300, show_progress=False, min_frequency=2, initial_alphabet=alphabet,
                         limit_alphabet=len(alphabet), special_tokens=["<unk>", "<s>", "</s>"])
    t.train_from_iterator(lines, trainer)
    t.decoder = decoders.Sequence([decoders.Metaspace(replacement="\u2581",
                                   prepend_scheme="always", split=True), decoders.Strip(" ", 1, 0)])
    t.post_processor = processors.Sequence([template("<s>", t.token_to_id("<s>"))])
    t.add_special_tokens([AddedToken("<s>", special=True, normalized=False),
                          AddedToken("</s>", special=True, normalized=False),
                          AddedToken("<unk>", special=True, normalized=False)])
    out["components_pieces"] = (t, {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
                                    "tokenizer_class": "PreTrainedTokenizerFast"})

    # continuing_subword_prefix and end_of_word_suffix together, on a hand-made vocabulary (training
    # with a prefix numbers the prefixed alphabet in hash order, so the file would change every run).
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = {"<unk>": 0}
    for form in ("{}", "##{}", "{}</w>", "##{}</w>"):
        for c in letters:
            vocab[form.format(c)] = len(vocab)
    merges = [("t", "##h"), ("th", "##e</w>"), ("##i", "##n"), ("##in", "##g</w>"), ("a", "##n"), ("an", "##d</w>"),
              ("##e", "##r</w>"), ("o", "##f</w>"), ("t", "##o</w>"), ("i", "##s</w>"), ("##e", "##d</w>")]
    for a, b in merges:
        vocab.setdefault(a + b[2:], len(vocab))
    t = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", fuse_unk=True,
                             continuing_subword_prefix="##", end_of_word_suffix="</w>"))
    t.normalizer = normalizers.Lowercase()
    t.pre_tokenizer = pre.Split(Regex(r"\s+"), behavior="removed")
    t.decoder = decoders.Sequence([decoders.Replace("##", ""), decoders.Replace("</w>", " ")])
    t.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in ("<unk>", "<s>", "</s>")])
    out["components_affixes"] = (t, {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
                                     "tokenizer_class": "PreTrainedTokenizerFast"})
    return out


# ---------------------------------------------------------------------------------------------
# Fixtures.
# ---------------------------------------------------------------------------------------------

def write_jsonl_gz(path, rows):
    buf = io.BytesIO()
    # mtime=0 and no file name: the same bytes on every run.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
        for r in rows:
            gz.write((json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8"))
    with open(path, "wb") as f:
        f.write(buf.getvalue())


def write_json(path, obj, indent=2):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(obj, f, ensure_ascii=False, indent=indent)
        f.write("\n")


def special_texts(tok):
    return sorted({t.content for t in tok.get_added_tokens_decoder().values()})


def transformer_lens_model(folder, tf):
    """A tiny TransformerLens model carrying the tokenizer, for to_tokens (its weights are never used)."""
    from transformer_lens import HookedTransformer, HookedTransformerConfig
    cfg = HookedTransformerConfig(n_layers=1, d_model=8, n_ctx=8192, d_head=4, n_heads=2, d_vocab=len(tf),
                                  act_fn="relu", attn_only=True)
    return HookedTransformer(cfg, tokenizer=tf)


def expected_rows(kind, tok, folder, strings, rng):
    import transformers
    tf = transformers.AutoTokenizer.from_pretrained(folder)
    tl = transformer_lens_model(folder, tf)
    tl_bos = tl.tokenizer.bos_token_id
    # What the post-processor adds around every text, found on a probe text; a row keeps its own
    # "special" only where the ids with special tokens are not prefix + ids + suffix.
    core = tok.encode("probe", add_special_tokens=False).ids
    full = tok.encode("probe", add_special_tokens=True).ids
    at = next(i for i in range(len(full) - len(core) + 1) if full[i:i + len(core)] == core)
    prefix, suffix = full[:at], full[at + len(core):]
    rows = [{"t": "meta", "kind": kind, "tokenizers": tokenizers.__version__,
             "transformers": transformers.__version__, "strings": len(strings),
             "special_prefix": prefix, "special_suffix": suffix, "tl_bos": tl_bos}]
    tf_differs = 0
    for text in strings:
        ids = tok.encode(text, add_special_tokens=False).ids
        row = {"t": "enc", "text": text, "ids": ids}
        special = tok.encode(text, add_special_tokens=True).ids
        if special != prefix + ids + suffix:
            row["special"] = special
        by_tf = tf(text)["input_ids"]
        if by_tf != special:
            row["tf"] = by_tf
            tf_differs += 1
        # TransformerLens 2.18's to_tokens, kept where it is not [BOS] + ids (or ids without BOS).
        with_bos = tl.to_tokens(text).tolist()[0]
        if with_bos != [tl_bos] + ids:
            row["tl"] = with_bos
        without = tl.to_tokens(text, prepend_bos=False).tolist()[0]
        if without != ids:
            row["tl0"] = without
        dec = tok.decode(ids, skip_special_tokens=False)
        if dec != text:
            row["decode"] = dec
        rows.append(row)
    n = tok.get_vocab_size()
    for _ in range(400):
        ids = [rng.randrange(n) for _ in range(rng.randint(0, 12))]
        if rng.random() < 0.5:  # runs of byte tokens: partial and mixed-up characters
            start = rng.randrange(n)
            ids = ids[: len(ids) // 2] + list(range(start, min(n, start + rng.randint(1, 6)))) + ids[len(ids) // 2:]
        rows.append({"t": "dec", "ids": ids, "text": tok.decode(ids, skip_special_tokens=False)})
    rows.append({"t": "tok", "texts": [tok.decode([i], skip_special_tokens=False) for i in range(n)]})
    return rows, tf_differs


def regex_rows(strings):
    """A first line with the regexes by name, then per text the piece lengths each regex gives."""
    splits = {name: pre.Split(Regex(rx), behavior="isolated", invert=False) for name, rx in REGEXES.items()}
    rows = [{"t": "regexes", "regexes": REGEXES}]
    for text in strings:
        row = {"t": "split", "text": text}
        for name, split in splits.items():
            row[name] = [e - s for _, (s, e) in split.pre_tokenize_str(text)]
        rows.append(row)
    return rows


def class_ranges():
    """Code points Oniguruma puts in each class, found by removing its matches from all code points."""
    cps = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    text = "".join(chr(c) for c in cps)
    out = {}
    for name, rx in {"s": r"\s", "L": r"\p{L}", "N": r"\p{N}", "d": r"\d", "h": r"\h"}.items():
        split = pre.Split(Regex(rx), behavior="removed", invert=False)
        member = [True] * len(cps)
        for _, (s, e) in split.pre_tokenize_str(text):
            for i in range(s, e):
                member[i] = False
        ranges = []
        for i, c in enumerate(cps):
            if member[i]:
                if ranges and ranges[-1][1] == c - 1:
                    ranges[-1][1] = c
                else:
                    ranges.append([c, c])
        out[name] = ranges
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="transformer/src/test/resources/tokenizers")
    ap.add_argument("--gpt2", default="/work/shared/gpt2-tokenizer")
    ap.add_argument("--strings", type=int, default=3000)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    lines = corpus.training_lines()
    built = build_all(lines)
    all_specials = sorted({s for kind, (tok, _) in built.items() if not kind.startswith("components")
                           for s in special_texts(tok)})
    for i, (kind, (tok, config)) in enumerate(built.items()):
        folder = os.path.join(args.out, kind)
        os.makedirs(folder, exist_ok=True)
        tok.save(os.path.join(folder, "tokenizer.json"), pretty=True)
        write_json(os.path.join(folder, "tokenizer_config.json"), config)
        tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))  # the reference is the file
        if kind == "gpt2":
            write_vocab_and_merges(folder)
        strings = corpus.test_strings(special_texts(tok) + all_specials[:6], seed=1000 + i, count=args.strings)
        rows, tf_differs = expected_rows(kind, tok, folder, strings, random.Random(2000 + i))
        write_jsonl_gz(os.path.join(folder, "expected.jsonl.gz"), rows)
        print(f"{kind}: {tok.get_vocab_size()} tokens, {len(strings)} strings, "
              f"transformers differs from tokenizers on {tf_differs}")

    strings = corpus.test_strings(all_specials, seed=7, count=args.strings)
    write_jsonl_gz(os.path.join(args.out, "regex.jsonl.gz"), regex_rows(strings))
    write_json(os.path.join(args.out, "regex-classes.json"), class_ranges(), indent=None)
    if args.gpt2 and os.path.isdir(args.gpt2):
        write_gpt2_real(args.gpt2, strings, os.path.join(args.out, "gpt2-real.jsonl.gz"))


def write_vocab_and_merges(folder):
    """vocab.json (with <|endoftext|>, as GPT-2's has it) and merges.txt, checked against tokenizer.json."""
    j = json.load(open(os.path.join(folder, "tokenizer.json"), encoding="utf-8"))
    vocab = dict(j["model"]["vocab"])
    for t in j["added_tokens"]:
        vocab[t["content"]] = t["id"]
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("#version: 0.2\n")
        for a, b in j["model"]["merges"]:
            f.write(f"{a} {b}\n")
    pair = Tokenizer(models.BPE.from_file(os.path.join(folder, "vocab.json"), os.path.join(folder, "merges.txt")))
    pair.pre_tokenizer = pre.ByteLevel(add_prefix_space=False)
    pair.add_special_tokens(["<|endoftext|>"])
    whole = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    for s in corpus.test_strings(["<|endoftext|>"], seed=5, count=500):
        assert pair.encode(s).ids == whole.encode(s).ids, s


def write_gpt2_real(files, strings, path):
    tok = Tokenizer(models.BPE.from_file(os.path.join(files, "vocab.json"), os.path.join(files, "merges.txt")))
    tok.pre_tokenizer = pre.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken("<|endoftext|>", special=True, normalized=True)])
    rows = [{"t": "meta", "kind": "gpt2-real", "tokenizers": tokenizers.__version__}]
    for text in strings:
        rows.append({"t": "enc", "text": text, "ids": tok.encode(text).ids})
    write_jsonl_gz(path, rows)


if __name__ == "__main__":
    main()
