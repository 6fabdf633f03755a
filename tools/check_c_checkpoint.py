#!/usr/bin/python3
"""Checks that a checkpoint written by the C code loads into the PyTorch reference with strict
names and shapes and gives the C outputs.

The C test tests/test_checkpoint.c writes, when SG_EXPORT_DIR is set,
  $SG_EXPORT_DIR/c_checkpoint.safetensors   (checkpoint_save: state_dict + training state)
  $SG_EXPORT_DIR/c_io.safetensors           (inputs, graph.A, the C eval outputs, options)
Run: SG_EXPORT_DIR=/tmp/x build/test_checkpoint && /usr/bin/python3 tools/check_c_checkpoint.py /tmp/x
Exits 1 when an output differs by more than 1e-4 relative (or 1e-6 absolute).
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as R  # noqa: E402
import safetensors_io  # noqa: E402

d = sys.argv[1]
io, meta = safetensors_io.load(os.path.join(d, "c_io.safetensors"))
o = json.loads(meta["options"])
dims = R.Dims(**{k: tuple(v) if isinstance(v, list) else v for k, v in o.pop("dims").items()})
opt = R.Options(dims=dims, **o)
A = io["graph.A"]
model = R.SignSTGCN(opt, A.shape[0])
R.load_checkpoint(os.path.join(d, "c_checkpoint.safetensors"), model)  # strict=True inside
model.eval()
with torch.no_grad():
    out = model(io["input.x"], io["input.stats"], A)
worst = 0.0
for k in ("logits", "Z", "s", "signer_logits"):
    if "eval." + k not in io:
        continue
    c, r = io["eval." + k].double(), out[k].double()
    err = ((c - r).abs() / (r.abs() * 1e-4 + 1e-6)).max().item()
    print(f"{k}: max |C - reference| = {(c - r).abs().max().item():.3g}")
    worst = max(worst, err)
print("strict load ok; outputs", "match" if worst <= 1.0 else "DIFFER")
sys.exit(0 if worst <= 1.0 else 1)
