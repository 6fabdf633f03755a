"""make_safetensors_fixtures.py — small files for the C safetensors reader's tests and the
fuzz seed corpus, written by tools/safetensors_io.py (the writer every tool uses).

    /usr/bin/python3 tools/make_safetensors_fixtures.py

writes tests/fixtures/safetensors/python_mixed.safetensors (one tensor per dtype the reader
converts, values given by formulas that tests/test_safetensors.c repeats, and metadata) and
fuzz/corpus/safetensors/seed_*. Deterministic: rerunning gives identical bytes.
"""
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def mixed():
    t = {
        # f32: i * 0.25 - 1, shape (2,3)
        "a.f32": torch.arange(6, dtype=torch.float32).reshape(2, 3) * 0.25 - 1,
        # f64: 1/3, -2.5, 1e-300 (underflows to 0 in f32)
        "b.f64": torch.tensor([1.0 / 3.0, -2.5, 1e-300], dtype=torch.float64),
        # f16 / bf16: exactly representable values, one f16 subnormal (2^-24)
        "c.f16": torch.tensor([0.5, -1.25, 65504.0, 2.0 ** -24], dtype=torch.float16),
        "d.bf16": torch.tensor([1.5, -3.0], dtype=torch.bfloat16),
        # BatchNorm's counter: I64 with shape []
        "e.num_batches_tracked": torch.tensor(7, dtype=torch.int64),
        "f.i32": torch.tensor([-3, 0, 2147483647], dtype=torch.int32),
        "g.u8": torch.tensor([0, 255], dtype=torch.uint8),
        "h.bool": torch.tensor([True, False, True]),
        "i.u64": np.array([0, 2 ** 63 + 5], dtype=np.uint64),
        "j.i64": torch.tensor([[-(2 ** 63), 2 ** 63 - 1]], dtype=torch.int64),
        "k.empty": torch.zeros(0, 4, dtype=torch.float32),
    }
    meta = {"format": "signstgcn/1", "note": "caf\u00e9 \"quoted\"", "empty": ""}
    return t, meta


def main():
    fx = os.path.join(ROOT, "tests", "fixtures", "safetensors")
    corpus = os.path.join(ROOT, "fuzz", "corpus", "safetensors")
    os.makedirs(fx, exist_ok=True)
    os.makedirs(corpus, exist_ok=True)
    t, meta = mixed()
    safetensors_io.save(os.path.join(fx, "python_mixed.safetensors"), t, meta)
    seeds = {
        "seed_mixed": safetensors_io.to_bytes(t, meta),
        "seed_small": safetensors_io.to_bytes({"w": torch.ones(2, 2)}, {"k": "v"}),
        "seed_empty": safetensors_io.to_bytes({}),
        "seed_scalar": safetensors_io.to_bytes({"n": torch.tensor(3, dtype=torch.int64)}),
    }
    hdr = b'{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' \
          b'"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}'
    seeds["seed_overlap"] = struct.pack("<Q", len(hdr)) + hdr + bytes(8)
    hdr = b'{"x":{"dtype":"Q9","shape":[1],"data_offsets":[0,4]}}'
    seeds["seed_baddtype"] = struct.pack("<Q", len(hdr)) + hdr + bytes(4)
    for name, data in seeds.items():
        with open(os.path.join(corpus, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
