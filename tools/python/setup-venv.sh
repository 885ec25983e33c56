#!/usr/bin/env bash
# The Python reference environment of tools/ (never of the Java build or tests): PyTorch 2.13 (CPU,
# MKL + oneDNN), Hugging Face transformers 5.x, tokenizers, safetensors and numpy from the machine's
# pip index, and TransformerLens 2.18.0 installed with --no-deps from its public repository.
#
#   tools/python/setup-venv.sh [TL_SOURCE]      # prints the venv's python on its last line
#
# The venv lives in $LENS4J_VENV (default ~/.cache/lens4j/venv), outside the repository, so that
# the build never walks it. TL_SOURCE is a TransformerLens checkout or bare git directory holding the
# tag v2.18.0 (default $LENS4J_TL_SOURCE); without one, TransformerLens is skipped and the scripts
# that need it say so. pip reads the index from PIP_INDEX_URL when set, else from the machine's pip
# configuration (`pip config list`). TransformerLens imports `better_abc`, which is not on the local
# index; the script writes a two-function stand-in (TL only uses abstract_attribute as a class-level
# placeholder).
set -euo pipefail
venv="${LENS4J_VENV:-$HOME/.cache/lens4j/venv}"
tl_src="${1:-${LENS4J_TL_SOURCE:-}}"
py="$venv/bin/python"
if [ ! -x "$py" ]; then
  python3 -m venv "$venv"
fi
if ! "$py" -c "import torch, transformers, tokenizers, safetensors, numpy" 2>/dev/null; then
  "$venv/bin/pip" install -q torch==2.13.0 'transformers>=5,<6' tokenizers safetensors numpy einops jaxtyping \
      typeguard beartype rich tqdm pandas sentencepiece accelerate protobuf typing-extensions huggingface-hub datasets
fi
site="$("$py" -c 'import site; print(site.getsitepackages()[0])')"
if [ ! -f "$site/better_abc.py" ]; then
  cat >"$site/better_abc.py" <<'PY'
# Stand-in for the better_abc package, written by lens4j's tools/python/setup-venv.sh.
class DummyAttribute:
    pass


def abstract_attribute(obj=None):
    if obj is None:
        obj = DummyAttribute()
    obj.__is_abstract_attribute__ = True
    return obj
PY
fi
if ! "$py" -c "import transformer_lens" 2>/dev/null; then
  if [ -z "$tl_src" ]; then
    echo "setup-venv: TransformerLens not installed (give its repository as TL_SOURCE or LENS4J_TL_SOURCE)" >&2
  else
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    git -C "$tl_src" archive v2.18.0 transformer_lens pyproject.toml README.md LICENSE | tar -x -C "$tmp"
    sed -i 's/^    version="0.0.0"/    version="2.18.0"/' "$tmp/pyproject.toml"
    "$venv/bin/pip" install -q --no-deps "$tmp"
  fi
fi
"$py" - <<'PY' >&2
import torch, transformers
try:
    import transformer_lens
    tl = "TransformerLens " + __import__("importlib.metadata").metadata.version("transformer-lens")
except ImportError:
    tl = "no TransformerLens"
print("torch", torch.__version__, "| MKL", torch.backends.mkl.is_available(), "| oneDNN", torch.backends.mkldnn.is_available(),
      "| transformers", transformers.__version__, "|", tl)
PY
echo "$py"
