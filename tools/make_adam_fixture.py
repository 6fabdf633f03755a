#!/usr/bin/python3
"""Writes tests/fixtures/adam/adamw.txt: torch.optim.AdamW on a 12-element tensor for 4 steps
with given gradients, with and without weight decay, and torch's clip_grad_norm_ result.

Format (text, one record a line): "<key> v0 v1 ... " with %.9g values. Keys: p0 (initial
parameters), g<step> (gradient at step), wd (weight decay), p<step>_wd<0|1> (parameters after the
step), clip_in / clip_out / clip_norm (a gradient before/after clipping to max_norm 0.5).
Run: /usr/bin/python3 tools/make_adam_fixture.py [out_dir]
"""
import sys
import torch

out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/adam"
gen = torch.Generator().manual_seed(0)
p0 = torch.rand(12, generator=gen) * 2 - 1
grads = [torch.rand(12, generator=gen) * 2 - 1 for _ in range(4)]
lines = ["p0 " + " ".join("%.9g" % x for x in p0.tolist())]
for s, g in enumerate(grads):
    lines.append("g%d " % (s + 1) + " ".join("%.9g" % x for x in g.tolist()))
for wd_flag, wd in ((0, 0.0), (1, 0.05)):
    p = torch.nn.Parameter(p0.clone())
    opt = torch.optim.AdamW([p], lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=wd)
    for s, g in enumerate(grads):
        p.grad = g.clone()
        opt.step()
        lines.append("p%d_wd%d " % (s + 1, wd_flag) + " ".join("%.9g" % x for x in p.detach().tolist()))
q = torch.nn.Parameter(torch.zeros(12))
q.grad = grads[0].clone() * 3
lines.append("clip_in " + " ".join("%.9g" % x for x in q.grad.tolist()))
norm = torch.nn.utils.clip_grad_norm_([q], 0.5)
lines.append("clip_out " + " ".join("%.9g" % x for x in q.grad.tolist()))
lines.append("clip_norm %.9g" % float(norm))
with open(out + "/adamw.txt", "w") as f:
    f.write("\n".join(lines) + "\n")
