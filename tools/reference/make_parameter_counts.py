"""Hugging Face transformers' own parameter counts of the checkpoints lens4j's tests load.

Usage (from the repository root, with the venv of tools/python/setup-venv.sh):
    ~/.cache/lens4j/venv/bin/python tools/reference/make_parameter_counts.py

Writes transformer/src/test/resources/reference/hf-parameter-counts.json: for every config of
transformer/src/test/resources/hf-configs/ (GPT-2 small to XL and distilgpt2, built on the meta device,
so no weights are made) and every tiny checkpoint (reference/tiny-gpt2/hf and
reference/families/<family>/hf, loaded from their files), transformers' model.num_parameters() (a tied
lm_head counted once), whether the output embedding is the input embedding, and the model type.
ParameterCountTest checks lens4j's ParameterCount against it. Deterministic: two runs give identical bytes.
"""

import glob
import json
import os
import sys

sys.dont_write_bytecode = True
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TQDM_DISABLE", "1")

import torch  # noqa: E402
import transformers  # noqa: E402

RESOURCES = "transformer/src/test/resources"
OUT = os.path.join(RESOURCES, "reference", "hf-parameter-counts.json")


def entry(model):
    tied = model.get_output_embeddings().weight is model.get_input_embeddings().weight
    return {"num_parameters": model.num_parameters(), "tied": tied, "model_type": model.config.model_type}


def main():
    if transformers.__version__ != "5.18.0":
        sys.exit(f"transformers {transformers.__version__}: this script was written against 5.18.0")
    transformers.logging.set_verbosity_error()
    counts = {}
    for d in sorted(os.path.dirname(c) for c in glob.glob(os.path.join(RESOURCES, "hf-configs", "*", "config.json"))):
        config = transformers.AutoConfig.from_pretrained(d)
        with torch.device("meta"):
            model = transformers.AutoModelForCausalLM.from_config(config)
        counts[os.path.relpath(d, RESOURCES)] = entry(model)
    folders = [os.path.join(RESOURCES, "reference", "tiny-gpt2", "hf")]
    folders += sorted(glob.glob(os.path.join(RESOURCES, "reference", "families", "*", "hf")))
    for d in folders:
        counts[os.path.relpath(d, RESOURCES)] = entry(transformers.AutoModelForCausalLM.from_pretrained(d))
    with open(OUT, "w") as f:
        json.dump({"transformers": transformers.__version__, "counts": counts}, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {OUT}: {len(counts)} models")


if __name__ == "__main__":
    main()
