#!/usr/bin/env bash
# The PyTorch reference of the comparisons in tools/bench/ (never of the Java build or tests): the venv
# that tools/python/setup-venv.sh makes (PyTorch 2.13 CPU with MKL and oneDNN from the machine's pip
# index, and TransformerLens 2.18 for the run_with_cache comparison). Prints the venv's python on its
# last line, and what torch and BLAS it has.
#
#   tools/bench/setup-python.sh [TL_SOURCE]          # TL_SOURCE: see tools/python/setup-venv.sh
#   tools/bench/setup-python.sh --with-debian-torch  # also Debian's torch 1.13 on OpenBLAS, an extra column
#
# Debian's python3-torch (1.13, OpenBLAS) was the reference until 2026-12; the GEMM comparison still
# shows it as an extra column when /usr/bin/python3 can import torch. It needs libopenblas0-pthread:
# without it torch falls back to the reference BLAS and runs ~40x slower.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ "${1:-}" = "--with-debian-torch" ]; then
  shift
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq python3-torch python3-numpy libopenblas0-pthread
fi
py="$("$here/../python/setup-venv.sh" "$@" | tail -n 1)"
"$py" - <<'PY' >&2
import torch
cfg = torch.__config__.show()
blas = [l.strip(" -") for l in cfg.splitlines() if "Math Kernel Library" in l or "MKL-DNN" in l or "OpenBLAS" in l]
print("torch", torch.__version__, "|", "; ".join(blas) or "BLAS: see torch.__config__.show()")
PY
echo "$py"
