#!/usr/bin/env python3
"""Writes lens4j's English corpus: the text of the World English Bible, from Debian's sword-text-web.

    python3 tools/corpus/make_web_corpus.py [--deb FILE] [--out FILE]

Without --deb it runs `apt-get download sword-text-web` (Debian bookworm, version 426.0-1) into a
temporary folder. The package holds the World English Bible with the Deuterocanon (module
engWEB2015eb, 2020 stable text) as a SWORD zText module: verses in OSIS markup, compressed with
zlib in blocks of one book. This script reads that format itself (no libsword): for each testament
the block index (.bzs: offset, size, uncompressed size as little-endian uint32), the verse index
(.bzv: block, offset as uint32, size as uint16) and the compressed blocks (.bzz).

Licence: the World English Bible is in the public domain (the package's copyright file and the
module's conf: "Copyright=PUBLIC DOMAIN"). "World English Bible" is a trademark of eBible.org,
which asks that a changed text not be called the World English Bible: this corpus drops the
translators' footnotes, headings and the preface and uses straight quotes, so lens4j calls it
"text from the World English Bible", never the WEB itself.

What is kept: the text of every verse in canonical order, markup removed; a newline where OSIS
starts a paragraph or a chapter, a blank line between chapters (lens4j's corpus splits on it:
see dev.lens4j.transformer.train.TextCorpus). Curly quotes become straight ones (’ and ‘ -> ',
“ and ” -> "), so that English contractions tokenize as in GPT-2. Spaces are collapsed.

Output: a gzip file (mtime 0, so that two runs give the same bytes). Its sha256 is printed and is
recorded in the corpus README beside the committed copy.
"""

import argparse
import gzip
import hashlib
import io
import re
import struct
import subprocess
import tarfile
import tempfile
import zlib
from pathlib import Path

MODULE = "usr/share/sword/modules/texts/ztext/engWEB2015eb/"

NOTE = re.compile(r"<note\b[^>]*>.*?</note>", re.S)
TITLE = re.compile(r"<title\b[^>]*>.*?</title>", re.S)
PARAGRAPH = re.compile(r"<div\b[^>]*\bsID=\"[^\"]*\"[^>]*type=\"x-p\"[^>]*/>|<div\b[^>]*type=\"x-p\"[^>]*\bsID=\"[^\"]*\"[^>]*/>")
TAG = re.compile(r"<[^>]*>")


def deb_members(deb: Path) -> dict:
    """The files of a .deb's data.tar.* (read with dpkg-deb --fsys-tarfile), by path."""
    tar_bytes = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], check=True, capture_output=True).stdout
    out = {}
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        for m in tar.getmembers():
            if m.isfile():
                out[m.name.lstrip("./")] = tar.extractfile(m).read()
    return out


def verses(files: dict, testament: str) -> list:
    """Every stored verse entry of one testament (ot or nt), in index order, as OSIS text."""
    bzs, bzv, bzz = (files[MODULE + testament + ext] for ext in (".bzs", ".bzv", ".bzz"))
    blocks = []
    for i in range(len(bzs) // 12):
        off, size, usize = struct.unpack_from("<III", bzs, i * 12)
        block = zlib.decompress(bzz[off:off + size])
        if len(block) != usize:
            raise ValueError(f"{testament}.bzz block {i}: {len(block)} bytes, index says {usize}")
        blocks.append(block)
    out = []
    for i in range(len(bzv) // 10):
        b, o, s = struct.unpack_from("<IIH", bzv, i * 10)
        if s:
            out.append(blocks[b][o:o + s].decode("utf-8"))
    return out


def plain(osis: str) -> str:
    """A verse's text: footnotes and headings dropped, paragraph and chapter starts as newlines."""
    s = NOTE.sub("\x00", osis)
    s = TITLE.sub("", s)
    s = re.sub(r"<chapter\b[^>]*\bsID=[^>]*/>", "\x02", s)
    s = PARAGRAPH.sub("\x01", s)
    s = TAG.sub("", s)
    # a footnote marker between two words stood for a space the markup dropped ("God<note/>created")
    s = re.sub(r"(?<=\w)\x00(?=\w)", " ", s).replace("\x00", "")
    s = s.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return s


def corpus(files: dict) -> str:
    parts = []
    for testament in ("ot", "nt"):
        for v in verses(files, testament):
            if 'type="front"' in v or "x-importer" in v:
                continue  # the translators' preface, the converter's stamp
            parts.append(plain(v))
    text = " ".join(parts)
    text = re.sub(r"\s*\x02\s*", "\x02", text)          # chapter start
    text = re.sub(r"\s*\x01\s*", "\x01", text)          # paragraph start
    text = re.sub(r"[ \t\r\n]+", " ", text)
    text = re.sub(r"\x01+", "\n", text)
    text = re.sub(r"\x02[\x02\n]*", "\n\n", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n\n\n+", "\n\n", text)
    return text.strip("\n ") + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--deb", type=Path, help="sword-text-web_426.0-1_all.deb (default: apt-get download it)")
    ap.add_argument("--out", type=Path, default=Path("web.txt.gz"))
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        deb = a.deb
        if deb is None:
            subprocess.run(["apt-get", "download", "sword-text-web=426.0-1"], cwd=tmp, check=True)
            deb = next(Path(tmp).glob("sword-text-web_*.deb"))
        text = corpus(deb_members(deb))
    data = text.encode("utf-8")
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    a.out.write_bytes(buf.getvalue())
    chapters = text.split("\n\n")
    print(f"{a.out}: {len(data):,} bytes of text, {len(text.split()):,} words, {len(chapters):,} chapters, "
          f"{len(buf.getvalue()):,} bytes compressed")
    print("text sha256", hashlib.sha256(data).hexdigest())
    print("gzip sha256", hashlib.sha256(buf.getvalue()).hexdigest())


if __name__ == "__main__":
    main()
