"""safetensors_io.py — pure-Python safetensors read/write for torch tensors.

The format: 8-byte little-endian header length N, N bytes of JSON
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}, then
the data section (row-major, little endian). This writer is deterministic: tensors sorted by
name, "__metadata__" first, the header padded with spaces to a multiple of 8 bytes, the file
written to a temporary file in the same folder, fsynced and renamed. It is what every tool in
tools/ and bench/ uses (there is no safetensors package on the reference machine).
"""
import json
import os
import struct

import numpy as np
import torch

_DT = {
    "F64": (torch.float64, "<f8"), "F32": (torch.float32, "<f4"), "F16": (torch.float16, "<f2"),
    "BF16": (torch.bfloat16, None),
    "I64": (torch.int64, "<i8"), "I32": (torch.int32, "<i4"), "I16": (torch.int16, "<i2"),
    "I8": (torch.int8, "i1"), "U8": (torch.uint8, "u1"), "BOOL": (torch.bool, "?"),
    "U64": (None, "<u8"), "U32": (None, "<u4"), "U16": (None, "<u2"),
}
_TORCH_TO_DT = {v[0]: k for k, v in _DT.items() if v[0] is not None}


def _tensor_bytes(t):
    t = t.detach().cpu().contiguous()
    if t.dtype not in _TORCH_TO_DT:
        raise TypeError(f"unsupported dtype {t.dtype}")
    dt = _TORCH_TO_DT[t.dtype]
    if dt == "BF16":
        raw = t.view(torch.int16).numpy().astype("<i2").tobytes()
    else:
        raw = t.numpy().astype(_DT[dt][1], copy=False).tobytes()
    return dt, list(t.shape), raw


def to_bytes(tensors, metadata=None):
    """Serialises {name: torch.Tensor or np.ndarray} (+ {str: str} metadata) to bytes.
    numpy uint64 arrays are written as U64."""
    header, chunks, off = {}, [], 0
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("metadata keys and values must be str")
        header["__metadata__"] = {k: metadata[k] for k in sorted(metadata)}
    for name in sorted(tensors):
        if name == "__metadata__" or not name:
            raise ValueError(f"invalid tensor name {name!r}")
        v = tensors[name]
        if isinstance(v, np.ndarray) and v.dtype == np.uint64:
            dt, shape, raw = "U64", list(v.shape), np.ascontiguousarray(v).astype("<u8").tobytes()
        else:
            if isinstance(v, np.ndarray):
                v = torch.from_numpy(np.ascontiguousarray(v))
            dt, shape, raw = _tensor_bytes(v)
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + len(raw)]}
        chunks.append(raw)
        off += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((-len(text)) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def save(path, tensors, metadata=None):
    """Writes a safetensors file atomically (temp file, fsync, rename, fsync folder)."""
    data = to_bytes(tensors, metadata)
    folder = os.path.dirname(os.path.abspath(path))
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def from_bytes(data):
    """Parses bytes; returns ({name: torch.Tensor}, {str: str}). U64/U32/U16 tensors come back
    as numpy arrays (torch 1.13 has no unsigned types beyond uint8). Validates the layout."""
    if len(data) < 8:
        raise ValueError("file shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError(f"header length {n} runs beyond the file ({len(data)} bytes)")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    if not isinstance(header, dict):
        raise ValueError("header is not a JSON object")
    body = memoryview(data)[8 + n:]
    meta = header.pop("__metadata__", {}) or {}
    out, spans = {}, []
    for name, info in header.items():
        dt = info["dtype"]
        if dt not in _DT:
            raise ValueError(f"tensor {name!r}: unknown dtype {dt!r}")
        shape = [int(s) for s in info["shape"]]
        b, e = info["data_offsets"]
        count = int(np.prod(shape)) if shape else 1
        size = {"F64": 8, "I64": 8, "U64": 8, "F32": 4, "I32": 4, "U32": 4}.get(dt, 2)
        if dt in ("I8", "U8", "BOOL"):
            size = 1
        if e - b != count * size or e > len(body):
            raise ValueError(f"tensor {name!r}: shape {shape} does not match offsets [{b}, {e}]")
        spans.append((b, e, name))
        raw = bytes(body[b:e])
        torch_dt, np_dt = _DT[dt]
        if dt == "BF16":
            t = torch.from_numpy(np.frombuffer(raw, "<i2").copy()).view(torch.bfloat16)
            out[name] = t.reshape(shape)
        elif torch_dt is None:
            out[name] = np.frombuffer(raw, np_dt).astype(np_dt[1:]).reshape(shape)
        else:
            arr = np.frombuffer(raw, np_dt).astype(np_dt.lstrip("<"))
            out[name] = torch.from_numpy(arr.copy()).reshape(shape)
    pos = 0
    for b, e, name in sorted(spans):
        if b != pos:
            raise ValueError(f"tensor {name!r}: data_offsets leave a gap or overlap at {pos}")
        pos = e
    if pos != len(body):
        raise ValueError(f"data section has {len(body)} bytes, tensors cover {pos}")
    return out, dict(meta)


def load(path):
    """Reads a safetensors file: ({name: tensor}, metadata)."""
    with open(path, "rb") as f:
        return from_bytes(f.read())


def save_state_dict(path, state_dict, metadata=None, prefix=""):
    """A module's state_dict (plus metadata) as a safetensors file."""
    save(path, {prefix + k: v for k, v in state_dict.items()}, metadata)


def load_state_dict(path, prefix=""):
    """The tensors under `prefix` (prefix removed) and the metadata."""
    tensors, meta = load(path)
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}, meta
