"""Minimal safetensors writer and reader (no safetensors package is available here).

File layout (the safetensors format):
  8 bytes   little-endian unsigned 64-bit N = length of the JSON header
  N bytes   UTF-8 JSON: {"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}, ...}
            padded with spaces so that N is a multiple of 8 (as the reference implementation does)
  rest      raw little-endian tensor bytes; data_offsets are relative to the first byte after the header

Tensors are written in name order, densely packed, so the output is a pure function of the input
(byte-for-byte reproducible). Dtypes used by lens4j fixtures: F32, F16, BF16, I64.
"""

import json
import struct

import numpy as np
import torch

_NUMPY_DTYPE = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I64": "<i8", "I32": "<i4"}
_TORCH_TO_ST = {
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.float64: "F64",
    torch.int64: "I64",
    torch.int32: "I32",
}


def tensor_bytes(t: torch.Tensor) -> bytes:
    """Little-endian row-major bytes of a tensor in its own dtype."""
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        # numpy has no bfloat16: reinterpret the 16-bit patterns as int16
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    return t.numpy().astype(_NUMPY_DTYPE[_TORCH_TO_ST[t.dtype]]).tobytes()


def write_safetensors(path, tensors: dict, metadata: dict | None = None) -> None:
    """Writes {name: torch.Tensor} to path; dtypes are kept (F32, F16, BF16, F64, I64, I32)."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name]
        data = tensor_bytes(t)
        header[name] = {
            "dtype": _TORCH_TO_ST[t.dtype],
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for data in blobs:
            f.write(data)


def read_safetensors(path) -> tuple[dict, dict]:
    """Reads a safetensors file into ({name: torch.Tensor}, metadata). Used to self-check fixtures."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        chunk = raw[base + begin : base + end]
        shape = info["shape"]
        if info["dtype"] == "BF16":
            bits = np.frombuffer(chunk, dtype="<i2").copy()
            t = torch.from_numpy(bits).view(torch.bfloat16)
        else:
            t = torch.from_numpy(np.frombuffer(chunk, dtype=_NUMPY_DTYPE[info["dtype"]]).copy())
        out[name] = t.reshape(shape)
    return out, metadata
