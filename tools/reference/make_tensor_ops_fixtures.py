"""Reference values for lens4j's notebook tensor operations, from real PyTorch (and einops).

Run from the repository root with the reference venv (tools/python/setup-venv.sh):

    ~/.cache/lens4j/venv/bin/python tools/reference/make_tensor_ops_fixtures.py

Output: core-tensor/src/test/resources/reference/tensor-ops/tensor-ops.json, read by
TensorNotebookOpsTest. It records, for seeded float32 inputs, what torch.topk, torch.argsort(stable=True),
torch.diagonal, torch.einsum / einops.einsum return, and what torch prints for a tensor (repr) with
a "shape=[...]" suffix added the way torch adds its own suffixes. Deterministic: seeded generators,
one thread, and every float is written with Python's repr of the float32 value (exact round trip).
"""

import json
import math
import os
import sys

sys.dont_write_bytecode = True

import einops  # noqa: E402
import torch  # noqa: E402
from torch import _tensor_str  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(REPO, "core-tensor", "src", "test", "resources", "reference", "tensor-ops", "tensor-ops.json")

torch.set_num_threads(1)
torch.set_printoptions(profile="default")


def flt(v):
    """A float32 value as JSON: a number, or the strings "nan", "inf", "-inf" (JSON has no such numbers)."""
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0 and math.copysign(1, v) < 0:
        return "-0.0"
    return v


def enc(t):
    t = t.detach().contiguous()
    if t.is_floating_point():
        data = [flt(x) for x in t.reshape(-1).tolist()]
    else:
        data = [int(x) for x in t.reshape(-1).tolist()]
    return {"shape": list(t.shape), "data": data}


def randn(seed, *shape):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float32)


def t32(values, *shape):
    return torch.tensor(values, dtype=torch.float32).reshape(*shape) if shape else torch.tensor(values, dtype=torch.float32)


def topk_cases():
    cases = []

    def case(name, x, k, dim, largest, ties=False):
        v, i = torch.topk(x, k, dim=dim, largest=largest, sorted=True)
        c = {"name": name, "input": enc(x), "k": k, "dim": dim, "largest": largest,
             "values": enc(v), "indices": enc(i)}
        if ties:
            # torch does not promise which of equal values comes first; lens4j takes the lower index.
            c["ties"] = True
        cases.append(c)

    x = randn(1, 4, 7)
    case("randn rows, largest", x, 3, -1, True)
    case("randn rows, smallest", x, 3, -1, False)
    case("randn along dim 0", x, 2, 0, True)
    case("k = whole row", x, 7, 1, False)
    case("k = 0", x, 0, -1, True)
    special = t32([3.0, float("nan"), float("-inf"), 5.0, float("inf"), -1.0])
    case("nan and infinities, largest", special, 3, 0, True)
    case("nan and infinities, smallest", special, 3, 0, False)
    case("nan and infinities, all", special, 6, 0, False)
    case("ties", t32([1.0, 2.0, 2.0, 2.0, 0.0, -0.0]), 4, 0, True, ties=True)
    case("3-d, middle dim", randn(2, 2, 5, 3), 2, 1, True)
    return cases


def argsort_cases():
    cases = []

    def case(name, x, dim, descending):
        i = torch.argsort(x, dim=dim, descending=descending, stable=True)
        cases.append({"name": name, "input": enc(x), "dim": dim, "descending": descending, "indices": enc(i)})

    x = randn(3, 3, 6)
    case("randn rows", x, -1, False)
    case("randn rows, descending", x, -1, True)
    case("randn along dim 0", x, 0, False)
    ties = t32([2.0, 1.0, 2.0, 1.0, 0.0, 2.0])
    case("ties keep their order", ties, 0, False)
    case("ties keep their order, descending", ties, 0, True)
    special = t32([0.0, -0.0, float("nan"), -1.0, 0.0, float("inf"), float("nan"), float("-inf")])
    case("signed zeros, nan, infinities", special, 0, False)
    case("signed zeros, nan, infinities, descending", special, 0, True)
    case("3-d, first dim", randn(4, 3, 2, 2), 0, True)
    return cases


def diagonal_cases():
    cases = []
    x = torch.arange(2 * 3 * 4, dtype=torch.float32).reshape(2, 3, 4)

    def case(name, t, offset, dim1, dim2, base):
        d = torch.diagonal(t, offset=offset, dim1=dim1, dim2=dim2)
        cases.append({"name": name, "input": enc(base), "transpose_last_two": base is not t,
                      "offset": offset, "dim1": dim1, "dim2": dim2, "output": enc(d)})

    case("main diagonal of the last two", x, 0, 1, 2, x)
    case("above the diagonal", x, 1, 1, 2, x)
    case("below the diagonal", x, -1, -2, -1, x)
    case("dims 0 and 2", x, 0, 0, 2, x)
    case("dims swapped", x, 1, 2, 1, x)
    case("offset past the end", x, 4, 1, 2, x)
    case("offset past the start", x, -3, 1, 2, x)
    sq = torch.arange(16, dtype=torch.float32).reshape(4, 4)
    case("square matrix", sq, 0, 0, 1, sq)
    case("of a transposed view", x.transpose(1, 2), 1, 1, 2, x)
    return cases


def einsum_cases():
    cases = []

    def case(name, eq, *ops, einops_form=False):
        out = einops.einsum(*ops, eq) if einops_form else torch.einsum(eq, *ops)
        cases.append({"name": name, "equation": eq, "operands": [enc(o) for o in ops], "output": enc(out)})

    case("transpose", "ij->ji", randn(10, 3, 4))
    case("batched matmul", "bij,bjk->bik", randn(11, 2, 3, 4), randn(12, 2, 4, 5))
    case("attention-weighted values", "bhqk,bkhd->bqhd", randn(13, 2, 3, 4, 4), randn(14, 2, 4, 3, 5))
    case("full contraction", "ij,ij->", randn(15, 3, 4), randn(16, 3, 4))
    case("sum of everything", "ij->", randn(17, 3, 4))
    case("row sums", "ij->i", randn(18, 3, 4))
    case("diagonal", "ii->i", randn(19, 4, 4))
    case("trace", "ii->", randn(20, 4, 4))
    case("outer product", "i,j->ij", randn(21, 3), randn(22, 4))
    case("implicit output (matmul)", "ij,jk", randn(23, 3, 4), randn(24, 4, 2))
    case("implicit output (letters sorted)", "kj,ji", randn(25, 3, 4), randn(26, 4, 2))
    case("batched dot", "bi,bi->b", randn(27, 5, 6), randn(28, 5, 6))
    case("permute", "ijk->kij", randn(29, 2, 3, 4))
    case("three operands", "ij,jk,kl->il", randn(30, 2, 3), randn(31, 3, 4), randn(32, 4, 5))
    case("repeated index with a sum", "iij->j", randn(33, 3, 3, 4))
    case("upper-case letters", "bA,AC->bC", randn(34, 2, 3), randn(35, 3, 4))
    case("einops names", "batch pos d_model, d_model d_vocab -> batch pos d_vocab",
         randn(36, 2, 3, 4), randn(37, 4, 5), einops_form=True)
    case("einops names, head sum", "batch pos head d_head, head d_head d_model -> batch pos d_model",
         randn(38, 2, 3, 2, 4), randn(39, 2, 4, 5), einops_form=True)
    return cases


def torch_string(t):
    """repr(t), with "shape=[...]" added as torch adds its own suffixes (wrapped at the line width)."""
    prefix = "tensor("
    body = _tensor_str._tensor_str(t, len(prefix))
    return _tensor_str._add_suffixes(prefix + body, ["shape=" + str(list(t.shape))], len(prefix), False)


def exact_series(n, scale):
    """((i * 7919) % 1001 - 500) / 64 * scale: exact in float32 for power-of-two scales, so Java rebuilds it."""
    return torch.tensor([((i * 7919) % 1001 - 500) / 64.0 * scale for i in range(n)], dtype=torch.float32)


def print_cases():
    cases = []

    def case(name, t, data=True, series=None):
        c = {"name": name, "shape": list(t.shape), "expected": torch_string(t)}
        if series is not None:
            c["series"] = series
        else:
            c["input"] = enc(t)
        cases.append(c)
        # repr() itself must be the string above without the suffix, so the suffix logic is torch's own
        if t.numel() > 0:
            assert repr(t) == torch_string(t).replace(", shape=" + str(list(t.shape)), "").replace(
                ",\n       shape=" + str(list(t.shape)), ""), (repr(t), torch_string(t))

    case("integers", t32([1.0, 2.0, -3.0, 40.0], 2, 2))
    case("fractions", randn(40, 3, 4))
    case("scientific (small)", t32([1e-5, 2.5e-3, 1.0], 3))
    case("scientific (wide range)", t32([1.0, 12345.0, 0.5], 3))
    case("scientific (large)", t32([3e9, -1.0], 2))
    case("nan, infinities, zero", t32([float("nan"), float("inf"), float("-inf"), 0.0, 1.5], 5))
    case("integers with nan", t32([float("nan"), 2.0, -0.0], 3))
    case("all zeros", torch.zeros(2, 3))
    case("all nan", t32([float("nan"), float("nan")], 2))
    case("negative zero", t32([-0.0, 1.0], 2))
    case("rounding ties, scientific", t32([0.00005, 0.00015, 1.00025, 2.5, 0.125], 5))
    case("rounding ties, fixed point", t32([0.03125, 0.09375, 1.03125, -2.65625], 4))
    case("scalar", torch.tensor(3.25))
    case("integer scalar", torch.tensor(-7.0))
    case("empty", torch.zeros(0))
    case("empty 2-d", torch.zeros(0, 3))
    case("wraps at 80 columns", randn(41, 30))
    case("3-d", randn(42, 2, 3, 4))
    case("4-d", randn(43, 2, 2, 2, 3))
    case("summarised vector", exact_series(1500, 1.0), series={"n": 1500, "scale": 1.0})
    case("summarised matrix", exact_series(40 * 50, 1.0).reshape(40, 50), series={"n": 2000, "scale": 1.0})
    case("summarised 3-d", exact_series(12 * 10 * 9, 1.0).reshape(12, 10, 9), series={"n": 1080, "scale": 1.0})
    case("summarised, scientific", exact_series(1001, 2.0 ** -20), series={"n": 1001, "scale": 2.0 ** -20})
    case("summarised 4-d, last dim short", exact_series(8 * 7 * 5 * 4, 1.0).reshape(8, 7, 5, 4),
         series={"n": 1120, "scale": 1.0})
    return cases


def main():
    out = {
        "generator": "tools/reference/make_tensor_ops_fixtures.py",
        "torch": torch.__version__,
        "einops": einops.__version__,
        "topk": topk_cases(),
        "argsort": argsort_cases(),
        "diagonal": diagonal_cases(),
        "einsum": einsum_cases(),
        "print": print_cases(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("wrote", os.path.relpath(OUT, REPO), os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
