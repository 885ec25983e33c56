#!/usr/bin/env python3
"""Writes what Hugging Face's `tokenizers` does with the tokenizer of lens4j's lesson models.

    ~/.cache/lens4j/venv/bin/python tools/corpus/make_lesson_tokenizer_fixture.py

The tokenizer (`models/english-1l/tokenizer.json`, the same file in `english-2l`) was trained by lens4j's
`BpeTrainer` on the corpus' training text. This script loads it with `tokenizers.Tokenizer.from_file`
and records, for every 4th paragraph of the held-out chapters (TextCorpus' split: every 20th chapter,
indices 19, 39, ...) and a few edge cases, the ids of `encode(text, add_special_tokens=False)` and
the `decode` of those ids. `LessonTokenizerTest` checks that lens4j's `HfTokenizer` gives the same.

Output: transformer/src/test/resources/tokenizers/english-bpe/expected.json.gz (gzip, mtime 0).
"""

import argparse
import gzip
import hashlib
import io
import json
from pathlib import Path

import tokenizers

ROOT = Path(__file__).resolve().parents[2]
RES = ROOT / "transformer/src/main/resources/dev/lens4j/transformer"

EDGE = [
    "",
    " ",
    "In the beginning, God created the heavens and the earth.",
    "\"Don't be afraid,\" he said. 'I'm here.'",
    "Jesus wept.\n\nThen he went to the house of Lazarus.",
    "  leading spaces, trailing spaces  ",
    "numbers 1 12 123 1234 12345 3:16",
    "unseen letters: ünïcödé, ελληνικά, 中文, emoji \U0001F600",
    "tabs\tand\r\nnewlines\n\n\n",
    "<|endoftext|> is the special token",
    "UPPER CASE WORDS and MiXeD cAsE",
]


def documents(text: str) -> list:
    return [d.strip() for d in text.split("\n\n") if d.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tokenizer", type=Path, default=RES / "models/english-1l/tokenizer.json")
    ap.add_argument("--corpus", type=Path, default=RES / "corpus/web.txt.gz")
    ap.add_argument("--out", type=Path, default=ROOT / "transformer/src/test/resources/tokenizers/english-bpe/expected.json.gz")
    a = ap.parse_args()
    tok = tokenizers.Tokenizer.from_file(str(a.tokenizer))
    docs = documents(gzip.decompress(a.corpus.read_bytes()).decode("utf-8"))
    held = [d for i, d in enumerate(docs) if i % 20 == 19]
    texts = list(EDGE)
    for d in held:
        texts.extend(d.split("\n")[::4])
    cases = []
    for t in texts:
        ids = tok.encode(t, add_special_tokens=False).ids
        cases.append({"text": t, "ids": ids, "decode": tok.decode(ids, skip_special_tokens=False)})
    out = {
        "tokenizers_version": tokenizers.__version__,
        "tokenizer_sha256": hashlib.sha256(a.tokenizer.read_bytes()).hexdigest(),
        "vocab_size": tok.get_vocab_size(),
        "cases": cases,
    }
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write((json.dumps(out, ensure_ascii=False, indent=0) + "\n").encode("utf-8"))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_bytes(buf.getvalue())
    print(f"{a.out}: {len(cases)} texts, {sum(len(c['ids']) for c in cases)} ids, {len(buf.getvalue())} bytes")


if __name__ == "__main__":
    main()
