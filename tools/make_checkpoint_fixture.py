#!/usr/bin/python3
"""A checkpoint saved by the PyTorch reference, for the C loader's test.

Writes tests/fixtures/model/ref_checkpoint.safetensors (reference.save_checkpoint of a small
FiLM model with a signer head on the 33-joint MediaPipe pose graph, after one training step so
the BatchNorm statistics and counters are not at their initial values) and
ref_checkpoint_io.safetensors (an input batch and the reference's evaluation-mode outputs on
it; the model options in its metadata). Deterministic: rerunning gives identical files.
Run: /usr/bin/python3 tools/make_checkpoint_fixture.py [out_dir]
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as R  # noqa: E402
import safetensors_io  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/model"
torch.manual_seed(0)
torch.set_num_threads(1)
dims = R.Dims(channels=(8, 16, 16), heads=4, signer_hidden=12, signer_dim=8, gru=12,
              cls_hidden=20, signer_head_hidden=10)
opt = R.Options(num_joints=33, coords=3, num_classes=3, num_signers=2, signer_head=True,
                film=True, dropout=0.0, dims=dims)
A = R.build_graph("mediapipe", "spatial", pose=True)
model = R.SignSTGCN(opt, A.shape[0])
R.init_weights(model, 3)
g = torch.Generator().manual_seed(1)
B, T = 4, 7
batch = R.Batch(x=torch.randn(B, T, 33, 3, generator=g), stats=torch.rand(B, 6, generator=g),
                y=torch.tensor([0, 1, 2, 1]), signer=torch.tensor([0, 1, 1, 0]))
optim, mi_optim = R.make_optimizers(model)
R.train_step(model, A, batch, optim, mi_optim)
R.save_checkpoint(os.path.join(out, "ref_checkpoint.safetensors"), model,
                  {"format": "signstgcn/1", "config": "{}", "epoch": "1", "metric": "acc",
                   "metric_value": "0"})
model.eval()
with torch.no_grad():
    o = model(batch.x, batch.stats, A)
io = {"input.x": batch.x, "input.stats": batch.stats, "graph.A": A}
for k in ("logits", "Z", "s", "signer_logits"):
    io["eval." + k] = o[k].float()
safetensors_io.save(os.path.join(out, "ref_checkpoint_io.safetensors"), io,
                    {"options": json.dumps(opt.to_json_dict(), sort_keys=True)})
