"""The one way the comparison scripts in tools/bench/ write their numbers into a docs page: the block between
`<!-- results:begin -->` and `<!-- results:end -->` is replaced and the rest of the page is kept.
"""
import os
import re


def write_results(doc, lines, title):
    """Puts `lines` between the results markers of the markdown file `doc` (the rest of it is kept),
    or appends them under `# title` to a missing file or to one without the markers."""
    block = "<!-- results:begin -->\n" + "\n".join(lines) + "\n<!-- results:end -->"
    text = open(doc).read() if os.path.exists(doc) else "# %s\n" % title
    if "<!-- results:begin -->" in text:
        text = re.sub(r"<!-- results:begin -->.*<!-- results:end -->", lambda m: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    with open(doc, "w") as f:
        f.write(text)
