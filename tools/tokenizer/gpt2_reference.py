#!/usr/bin/env python3
"""Independent reference for lens4j's GPT-2 tokenizer.

A straight port of OpenAI's GPT-2 ``encoder.py`` (bytes_to_unicode, get_pairs, bpe, encode,
decode), run on the published ``vocab.json`` (OpenAI's ``encoder.json``) and ``merges.txt``
(OpenAI's ``vocab.bpe``). It writes two test fixtures for the Java tests:

* ``gpt2-reference.json``: for many strings, the ids this reference produces (``encode``), the
  ids with ``<|endoftext|>`` read as ordinary text (``encode_ordinary``), and for some id lists
  the decoded text (``decode``, with ``errors="replace"`` as in encoder.py).
* ``gpt2-pretokenizer-classes.json``: the code points that the ``regex`` module puts in ``\\s``,
  ``\\p{L}`` and ``\\p{N}``, as inclusive ranges, so the Java test can check that its
  pre-tokenisation pattern uses the same character classes.

OpenAI's encoder.py knows nothing of special tokens; Hugging Face and TransformerLens recognise
the literal text ``<|endoftext|>`` as token 50256. ``encode`` here does the same: it splits the
text on that literal, encodes the pieces between with encoder.py's algorithm and puts 50256 in
between. ``encode_ordinary`` is encoder.py unchanged.

Usage (from the repository root):
    python3 tools/tokenizer/gpt2_reference.py [--files /work/shared/gpt2-tokenizer]
        [--out transformer/src/test/resources/tokenizer]

Needs only the standard library and the ``regex`` module (Debian: python3-regex).
"""

import argparse
import json
import os
import random
import unicodedata
from functools import lru_cache

import regex as re

ENDOFTEXT = "<|endoftext|>"


# ---------------------------------------------------------------------------------------------
# OpenAI encoder.py, ported unchanged apart from layout.
# ---------------------------------------------------------------------------------------------

@lru_cache()
def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2 ** 8):
        if b not in bs:
            bs.append(b)
            cs.append(2 ** 8 + n)
            n += 1
    cs = [chr(n) for n in cs]
    return dict(zip(bs, cs))


def get_pairs(word):
    pairs = set()
    prev_char = word[0]
    for char in word[1:]:
        pairs.add((prev_char, char))
        prev_char = char
    return pairs


class Encoder:
    def __init__(self, encoder, bpe_merges, errors="replace"):
        self.encoder = encoder
        self.decoder = {v: k for k, v in self.encoder.items()}
        self.errors = errors
        self.byte_encoder = bytes_to_unicode()
        self.byte_decoder = {v: k for k, v in self.byte_encoder.items()}
        self.bpe_ranks = dict(zip(bpe_merges, range(len(bpe_merges))))
        self.cache = {}
        self.pat = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token)
        pairs = get_pairs(word)

        if not pairs:
            return token

        while True:
            bigram = min(pairs, key=lambda pair: self.bpe_ranks.get(pair, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                    new_word.extend(word[i:j])
                    i = j
                except ValueError:
                    new_word.extend(word[i:])
                    break

                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            new_word = tuple(new_word)
            word = new_word
            if len(word) == 1:
                break
            else:
                pairs = get_pairs(word)
        word = " ".join(word)
        self.cache[token] = word
        return word

    def encode(self, text):
        bpe_tokens = []
        for token in re.findall(self.pat, text):
            token = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
            bpe_tokens.extend(self.encoder[bpe_token] for bpe_token in self.bpe(token).split(" "))
        return bpe_tokens

    def decode(self, tokens):
        text = "".join([self.decoder[token] for token in tokens])
        text = bytearray([self.byte_decoder[c] for c in text]).decode("utf-8", errors=self.errors)
        return text


def get_encoder(files_dir):
    with open(os.path.join(files_dir, "vocab.json"), "r", encoding="utf-8") as f:
        encoder = json.load(f)
    with open(os.path.join(files_dir, "merges.txt"), "r", encoding="utf-8") as f:
        bpe_data = f.read()
    bpe_merges = [tuple(merge_str.split()) for merge_str in bpe_data.split("\n")[1:-1]]
    return Encoder(encoder=encoder, bpe_merges=bpe_merges)


# ---------------------------------------------------------------------------------------------
# Special token, as Hugging Face and TransformerLens handle it: split the text on the literal.
# ---------------------------------------------------------------------------------------------

def encode_with_special(enc, text):
    ids = []
    pieces = text.split(ENDOFTEXT)
    for k, piece in enumerate(pieces):
        if k > 0:
            ids.append(enc.encoder[ENDOFTEXT])
        if piece:
            ids.extend(enc.encode(piece))
    return ids


# ---------------------------------------------------------------------------------------------
# The strings to cover.
# ---------------------------------------------------------------------------------------------

LICENSE_TEXT = (
    "Permission is hereby granted, free of charge, to any person obtaining a copy\n"
    "of this software and associated documentation files (the \"Software\"), to deal\n"
    "in the Software without restriction, including without limitation the rights\n"
    "to use, copy, modify, merge, publish, distribute, sublicense, and/or sell\n"
    "copies of the Software, and to permit persons to whom the Software is\n"
    "furnished to do so, subject to the following conditions:\n\n"
    "The above copyright notice and this permission notice shall be included in all\n"
    "copies or substantial portions of the Software.\n"
)

PARAGRAPH = (
    "Mechanistic interpretability tries to reverse-engineer neural networks into "
    "human-understandable algorithms. In a small attention-only transformer, an induction head "
    "attends from the current token to the token after an earlier copy of it, and then copies "
    "that token's identity into the residual stream: if \"Mr. D\" followed \"urs\" once, the model "
    "predicts \"urs\" the next time it sees \"Mr. D\". Elhage et al. (2021) and Olsson et al. (2022) "
    "found such heads in every model they studied, from 2-layer toys to 13B-parameter models; "
    "they form abruptly, in a 'phase change' around 2.5 to 5 billion tokens, and the drop in "
    "in-context-learning loss coincides with it. Does this hold for GPT-2 small? Heads 5.1, 5.5, "
    "6.9, 7.2 and 7.10 are reported as induction heads -- let's check!"
)

JAVA_CODE = """package dev.lens4j.example;

import java.util.List;

/** Greets. */
public final class Hello {
    private static final int N = 42;

    public static void main(String[] args) {
        for (int i = 0; i < N; i++) {
            if (i % 7 == 0 && args.length > 0) {
                System.out.println("Hello, " + args[0] + "! #" + i);
            }
        }
\tList<String> xs = List.of("a", "b");  // tab-indented
    }
}
"""

PYTHON_CODE = """import torch


def attention(q, k, v, mask=None):
    \"\"\"Scaled dot-product attention.\"\"\"
    scores = q @ k.transpose(-2, -1) / (q.shape[-1] ** 0.5)
    if mask is not None:
        scores = scores.masked_fill(mask == 0, float('-inf'))
    return torch.softmax(scores, dim=-1) @ v

if __name__ == '__main__':
    print(attention(*[torch.randn(2, 3, 4)] * 3).shape)  # -> torch.Size([2, 3, 4])
"""

FIXED_STRINGS = [
    # Known ids.
    "Hello world",
    " Hello world",
    "Hello",
    " world",
    "hello world",
    "HELLO WORLD",
    # Empty and tiny.
    "",
    " ",
    "a",
    "\n",
    "\t",
    "!",
    "0",
    # Accents and Latin extensions.
    "café",
    "naïve",
    "Ångström",
    "Ça va? Très bien, merci. Éléphant, œuvre, Straße, Ærø, Łódź, Dvořák",
    "cafe\u0301 (e + combining acute) vs caf\u00e9",
    # CJK, Hangul, other scripts.
    "日本語",
    "中文",
    "한국어",
    "日本語のテキストです。東京は大きい。",
    "我爱自然语言处理，你呢？",
    "안녕하세요, 세계!",
    "Привет, мир! Ёлка.",
    "Γειά σου Κόσμε",
    "مرحبا بالعالم",
    "שלום עולם",
    "नमस्ते दुनिया",
    "สวัสดีชาวโลก",
    "Ünïcödé wörds mîxed with ASCII",
    # Emoji, ZWJ sequences, flags, skin tones, variation selectors.
    "😀",
    " 😀",
    "I ❤️ Java ☕",
    "👨‍👩‍👧‍👦 family",
    "🏳️‍🌈 and 🏴‍☠️",
    "Flags: 🇫🇷🇩🇪🇯🇵 🇺🇸",
    "👍🏽👍🏿 thumbs",
    "emoji😀glued😀together",
    "🤖🤖🤖",
    # Runs of spaces, newlines, tabs.
    "a b",
    "a  b",
    "a   b",
    "a    b",
    "   leading spaces",
    "trailing spaces   ",
    "  ",
    "   ",
    "\n\n",
    "\n\n\n",
    "a\nb",
    "a\n\nb",
    "a\n\n\nb",
    "\n\n  \n",
    "\n\n  \nx",
    "x\n\n  \n",
    "line one\n  indented\n\tTabbed\n\n\nend",
    "\t\t",
    "a\t\tb",
    "a \t b",
    " \n ",
    "\r\n",
    "Windows\r\nline\r\nendings\r\n",
    "word \n word",
    "a \u00a0 b",
    "non\u00a0breaking\u00a0space",
    "ideographic\u3000space",
    "em\u2003space and\u2009thin",
    "line\u2028separator",
    "ends with newline\n",
    "ends with spaces and newline  \n",
    "  \n  \n  x",
    "     \t\t\t     end",
    # Contractions, upper and lower case.
    "don't",
    "I'll",
    "WE'RE",
    "I'M HERE, YOU'VE BEEN, HE'D GO, SHE'LL SEE, IT'S, DON'T",
    "we're you've i'm he'd she'll it's can't won't",
    "'s 't 're 've 'm 'll 'd",
    "rock 'n' roll",
    "''quoted''",
    "O'Neill's",
    "don\u2019t (curly apostrophe)",
    # Numbers.
    "1234567890",
    " 1234567890",
    "3.14159",
    "1,000,000",
    "-42",
    "2024-06-01T12:34:56Z",
    "0x1F600",
    "1e-5",
    "½ ¾ ² ³ Ⅻ ٣ ४",
    "Version 2.0.1-beta+build.123",
    # URLs, emails, paths.
    "https://example.com/path/to/page?query=1&x=y#frag",
    "see http://www.example.org/index.html.",
    "mail me at someone@example.com",
    "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java",
    "C:\\Users\\name\\file.txt",
    # Punctuation runs.
    "!!!",
    "???!!!...",
    "Hello!!! How are you???",
    "...",
    "-- -- --",
    "(a) [b] {c} <d>",
    "@#$%^&*()_+-=[]{}|;:'\",.<>/?`~",
    "«guillemets» „quotes“ “smart” ‘single’",
    "a—b–c…",
    "¿Qué? ¡Sí!",
    "~~~~~~~~~~",
    "====",
    "----------------------------------------",
    "***bold*** _italic_ `code`",
    # Mixed.
    "The quick brown fox jumps over the lazy dog.",
    "TransformerLens is a library for mechanistic interpretability of GPT-style language models.",
    "When Mary and John went to the store, John gave a drink to",
    "GPT2 gpt2 GPT-2 gpt-2",
    "snake_case camelCase PascalCase kebab-case SCREAMING_CASE",
    "x=1;y=2;z=x+y",
    "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}",
    "<html><body><p>Hi</p></body></html>",
    "$$\\sum_{i=1}^{n} x_i^2$$",
    "tab\tseparated\tvalues",
    "zero\u200bwidth\u200bspace",
    "soft\u00adhyphen",
    "control\u0001chars\u001f",
    "bell\u0007and\u0000nul",
    "\u00ff\u00fe\u0100",
    "Ġ Ċ ĉ",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕞𝕒𝕥𝕙 𝟙𝟚𝟛",
    "𓀀 hieroglyph",
    "\U0010fffd private use",
    "\ufffd replacement char",
    "\ufeffBOM at start",
    # Code.
    JAVA_CODE,
    PYTHON_CODE,
    "    def f(x):\n        return x\n",
    "if (a) {\n\treturn b;\n}\n",
    # Long text.
    PARAGRAPH,
    LICENSE_TEXT,
    PARAGRAPH * 3,
    # Special token inside text.
    ENDOFTEXT,
    "Hello<|endoftext|>world",
    "Hello <|endoftext|> world",
    "<|endoftext|><|endoftext|>",
    "end of document.<|endoftext|>Start of the next one.",
    " <|endoftext|> ",
    "\n<|endoftext|>\n",
    "<|endoftext|>The",
    "<|endoftext",
    "endoftext|>",
    "<|endoftext|",
    "<|ENDOFTEXT|>",
    "<<|endoftext|>>",
    "<|endoftext|>" + "<|endoftext",
]

# Strings to encode with <|endoftext|> read as plain text too.
ORDINARY_STRINGS = [
    ENDOFTEXT,
    "Hello<|endoftext|>world",
    " <|endoftext|> ",
    "<|endoftext|><|endoftext|>",
]

RANDOM_POOLS = [
    " ", " ", " ", "  ", "\n", "\n\n", "\t", "\r", "\u00a0", "\u3000",
    "a", "b", "Z", "é", "ß", "Ω", "ж", "日", "本", "한", "ا", "ñ",
    "0", "7", "42", "٣", "½",
    "'", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL",
    ".", ",", "!", "?", "-", "_", "(", ")", "\"", "#", "@", "/", "\\",
    "😀", "👍🏽", "\u200d", "\ufe0f", "🇫🇷", "\u0301",
    "the", " the", "The", " of", "ing", "tion", "Hello", " world", "lens4j", "GPT",
]


def random_strings(count, seed):
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        n = rng.randint(1, 24)
        out.append("".join(rng.choice(RANDOM_POOLS) for _ in range(n)))
    return out


def decode_cases(enc):
    """Id lists whose decoding shows how partial UTF-8 sequences are replaced."""
    cases = []
    for text in ["😀", "👨‍👩‍👧‍👦", "日本語", "café", "🇫🇷", "한국어", " Ångström"]:
        ids = enc.encode(text)
        cases.append(ids)
        for i in ids:  # each token alone, like TransformerLens's to_str_tokens
            cases.append([i])
        for k in range(1, len(ids)):  # every prefix and suffix
            cases.append(ids[:k])
            cases.append(ids[k:])
    # Bytes that never start a valid sequence, lone continuation bytes, truncated sequences.
    byte_token = {b: enc.encoder[enc.byte_encoder[b]] for b in range(256)}
    for seq in [[0x80], [0xBF], [0xC0, 0x80], [0xC3], [0xE6, 0x97], [0xF0, 0x9F, 0x98],
                [0xF0, 0x9F, 0x98, 0x41], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
                [0xFF], [0xFE, 0xFF], [0x41, 0xE2, 0x82, 0x42], [0xE2, 0x28, 0xA1],
                [0xF8, 0x88, 0x80, 0x80, 0x80], [0xC3, 0xA9, 0xA9]]:
        cases.append([byte_token[b] for b in seq])
    cases.append([50256])
    cases.append([15496, 50256, 995])
    # Deduplicate, keep order.
    seen = set()
    unique = []
    for ids in cases:
        key = tuple(ids)
        if key not in seen:
            seen.add(key)
            unique.append(ids)
    return [{"ids": ids, "text": enc.decode(ids)} for ids in unique]


def class_ranges(pattern):
    p = re.compile(pattern)
    out = []
    start = None
    for cp in range(0x110000):
        hit = p.fullmatch(chr(cp)) is not None
        if hit and start is None:
            start = cp
        elif not hit and start is not None:
            out.append([start, cp - 1])
            start = None
    if start is not None:
        out.append([start, 0x10FFFF])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", default="/work/shared/gpt2-tokenizer",
                    help="folder with vocab.json and merges.txt")
    ap.add_argument("--out", default="transformer/src/test/resources/tokenizer",
                    help="folder for the fixtures")
    args = ap.parse_args()

    enc = get_encoder(args.files)
    assert enc.encode("Hello world") == [15496, 995]
    assert enc.encode(" Hello world") == [18435, 995]

    strings = FIXED_STRINGS + random_strings(400, seed=20240601)
    encode = [{"text": s, "ids": encode_with_special(enc, s)} for s in strings]
    for case in encode:  # encoder.py's decode must give back the text
        assert enc.decode(case["ids"]) == case["text"], case
    ordinary = [{"text": s, "ids": enc.encode(s)} for s in ORDINARY_STRINGS]

    fixture = {
        "about": "GPT-2 byte-level BPE reference made by tools/tokenizer/gpt2_reference.py "
                 "(a port of OpenAI's encoder.py, regex " + re.__version__ + ", Unicode "
                 + unicodedata.unidata_version + " in Python's unicodedata). "
                 "'encode' splits on the literal <|endoftext|> (id 50256) as Hugging Face does; "
                 "'encode_ordinary' is encoder.py unchanged; 'decode' uses errors='replace'.",
        "encode": encode,
        "encode_ordinary": ordinary,
        "decode": decode_cases(enc),
    }
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "gpt2-reference.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {path}: {len(encode)} encode, {len(ordinary)} encode_ordinary, "
          f"{len(fixture['decode'])} decode cases")

    classes = {
        "about": "Code points in the pre-tokenisation pattern's classes according to the Python "
                 "regex module " + re.__version__ + ", as inclusive [first, last] ranges; made by "
                 "tools/tokenizer/gpt2_reference.py.",
        "whitespace": class_ranges(r"\s"),
        "letter": class_ranges(r"\p{L}"),
        "number": class_ranges(r"\p{N}"),
    }
    path = os.path.join(args.out, "gpt2-pretokenizer-classes.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(classes, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path}: {len(classes['whitespace'])} whitespace, {len(classes['letter'])} letter, "
          f"{len(classes['number'])} number ranges")


if __name__ == "__main__":
    main()
