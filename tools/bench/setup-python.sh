#!/usr/bin/env bash
# Installs the PyTorch reference used by tools/ (never by the Java build or tests):
# Debian's python3-torch with OpenBLAS (without libopenblas0-pthread torch falls back to the
# reference BLAS and runs ~40x slower, which would make every comparison meaningless).
# The scripts run under /usr/bin/python3 (a pyenv python3 earlier on PATH has no torch).
set -euo pipefail
pkgs=(python3-torch python3-numpy python3-regex libopenblas0-pthread)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi
/usr/bin/python3 - <<'PY'
import torch
cfg = torch.__config__.show()
print("torch", torch.__version__, "| BLAS:", "OpenBLAS" if "openblas" in cfg.lower() else "see torch.__config__.show()")
PY
