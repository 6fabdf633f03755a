"""make_model_fixtures.py — PyTorch parity fixtures for the C model (tests/fixtures/model/).

    /usr/bin/python3 tools/make_model_fixtures.py [--out DIR] [--full-width]

Five training fixtures, one per variant (B=3, T=9, the 13-joint skeleton EDGES13 with the
spatial partition, C=2, NC=4, dropout p=0, computed in float64 and stored as F32):
  a_basic        bias-aware attention, no signer head
  b_signer       + signer head (NS=3) through gradient reversal (λ 0.5, weight 0.5)
  c_film         FiLM attention + signer head; AdamW weight decay 0.01, clipping at 0.5
  d_supcon       FiLM + signer head + supervised contrastive loss
  e_mi           bias-aware + supcon + CLUB MI estimator (NS=3, hidden 9), no signer head
and one full-size forward, f_full_j75: the SPEC widths, J=75 (pose+hands MediaPipe graph,
spatial), T=25, B=2, eval mode with non-trivial BatchNorm running statistics; its parameters
are rounded to float16 before use and stored as F16 (exact), which halves the file.

Why reduced widths: at the SPEC's widths one parameter set is 1.1–1.3 M floats (4.5–5 MB), and
each training fixture carries three (parameters, gradients, parameters after Adam). The
training fixtures therefore use the reduced `SMALL` widths below (names identical, shapes
scaled; the widths are in each file's metadata under "dims"); --full-width writes the same five
fixtures at the SPEC's widths (about 15 MB each, not committed) for a model that cannot take
its widths from a configuration.

Tensors of a training fixture:
  graph.A (K,J,J)            Â as the reference uses it
  param.<state_dict name>    the initial state (num_batches_tracked I64 shape [])
  input.x (B,T,J,C) input.stats (B,2C) input.y (B,) I64 input.signer (B,) I64 (with NS > 0)
  out.layer{0,1,2} (B,T,J,c) backbone block outputs (a_basic only: the backbone is the same
                             code in every variant); out.H (B,T,E) after attention;
  out.logits out.Z out.s [out.signer_logits]          training-mode forward (p = 0)
  loss.cls [loss.adv loss.supcon loss.mi loss.mi_estimator] loss.total    unweighted terms
  extra.class_weight (NC,), extra.loss_cls_weighted  (a_basic only) cross-entropy of out.logits
                             with class weights, Σ w[y]·CE / Σ w[y]
  grad.<trained name>        gradient of loss.total (trained tensors)
  grad.mi.<...>              gradient of loss.mi_estimator before the estimator's step
  mi_step.param.mi.<...>     the estimator after its Adam step (the one loss.mi uses)
  bn_after.<bn buffer>       running statistics and counters after the training forward
  eval.logits eval.Z eval.s [eval.signer_logits]      eval-mode forward after that
  adam.losses (5,)           loss.total of 5 training steps from param.* on the same batch
  adam.param.<name>          the state after those 5 steps (estimator included)
Metadata: "variant", "options" (JSON of reference.Options: every loss weight, λ, lr, weight
decay, clipping, dims), "graph" (edge list JSON, partition), "shapes", "compute" and "notes".

Rerunning writes identical bytes (fixed seeds, deterministic single-threaded float64 CPU math).
"""
import argparse
import copy
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as R  # noqa: E402
import safetensors_io  # noqa: E402

# The 13-joint skeleton of tools/graph_reference.py (tests/test_graph.c holds the same list):
# a cycle with a tail, a second component with a cycle and a branch, an isolated joint.
EDGES13 = [(0, 1), (1, 2), (2, 3), (3, 1), (1, 4), (4, 5), (5, 6),
           (7, 8), (8, 9), (9, 10), (10, 7), (9, 11)]
SMALL = R.Dims(channels=(8, 16, 16), dilations=(1, 2, 3), heads=4, signer_hidden=12,
               signer_dim=8, gru=12, cls_hidden=20, signer_head_hidden=10)
B, T, J, C, NC, NS = 3, 9, 13, 2, 4, 3
ADAM_STEPS = 5

VARIANTS = {
    "a_basic": dict(),
    "b_signer": dict(num_signers=NS, signer_head=True),
    "c_film": dict(num_signers=NS, signer_head=True, film=True, weight_decay=0.01,
                   clip_grad=0.5),
    "d_supcon": dict(num_signers=NS, signer_head=True, film=True, use_supcon=True),
    "e_mi": dict(num_signers=NS, use_supcon=True, use_mi=True, mi_hidden=9),
}
NOTES = ("Computed in float64, stored as F32. The s-columns of attn.k_proj.weight (bias-aware) "
         "and attn.k_shift_net.* (FiLM) cannot change any output (softmax shift invariance): "
         "their gradients are rounding noise, compare them with an absolute tolerance; Adam "
         "turns such noise into steps of up to lr each, so adam.param of those tensors can "
         "differ by up to steps*lr between float32 and float64 runs.")


def make_inputs(seed, with_signer):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, T, J, C, generator=g, dtype=torch.float64) * 0.5
    x[0, :, 12, :] = 0.0                       # a joint that is never detected
    mean = torch.rand(B, C, generator=g, dtype=torch.float64) * 0.4 + 0.3
    std = torch.rand(B, C, generator=g, dtype=torch.float64) * 0.15 + 0.05
    stats = torch.cat([mean, std], dim=1)
    y = torch.tensor([1, 3, 1], dtype=torch.int64)         # samples 0 and 2 are supcon anchors
    signer = torch.tensor([2, 0, 2], dtype=torch.int64) if with_signer else None
    return R.Batch(x=x, stats=stats, y=y, signer=signer)


def f32(t):
    return t.detach().to(torch.float32).contiguous()


def state_tensors(model, prefix):
    return {prefix + k: (f32(v) if v.is_floating_point() else v.clone())
            for k, v in model.state_dict().items()}


def layer_hooks(model, store):
    hs = []
    for i, layer in enumerate(model.backbone.layers):
        hs.append(layer.register_forward_hook(
            lambda mod, inp, out, i=i: store.__setitem__(f"out.layer{i}", f32(out))))
    return hs


def training_fixture(name, overrides, dims, seed):
    opt = R.Options(num_joints=J, coords=C, num_classes=NC, dropout=0.0, dims=dims,
                    **overrides)
    A64 = torch.tensor(R.partition(J, EDGES13, "spatial"), dtype=torch.float64)
    torch.manual_seed(seed)
    model = R.SignSTGCN(opt, K=3)
    R.init_weights(model, seed)
    model = model.double()
    fresh = copy.deepcopy(model)
    batch = make_inputs(seed + 1000, opt.num_signers > 0)

    t = {"graph.A": f32(A64)}
    t.update(state_tensors(model, "param."))
    t["input.x"], t["input.stats"], t["input.y"] = f32(batch.x), f32(batch.stats), batch.y
    if batch.signer is not None:
        t["input.signer"] = batch.signer

    # one training-mode forward/backward (the estimator steps first, as in training)
    model.train()
    _, mi_opt = R.make_optimizers(model)
    hooks = layer_hooks(model, t) if name == "a_basic" else []
    total, terms, out, mi_grads = R.forward_losses(model, A64, batch, mi_opt)
    for h in hooks:
        h.remove()
    for p in model.mi_parameters():
        p.grad = None
    total.backward()
    for k in ("logits", "Z", "s", "H", "signer_logits"):
        if k in out:
            t["out." + k] = f32(out[k])
    for k, v in terms.items():
        t["loss." + k] = f32(v)
    if name == "a_basic":  # the weighted mean of SPEC §4 on the same logits
        w = torch.tensor([1.0, 2.5, 0.5, 1.5], dtype=torch.float64)
        t["extra.class_weight"] = f32(w)
        t["extra.loss_cls_weighted"] = f32(R.classification_loss(out["logits"], batch.y, w))
    for n, p in model.trained_parameters():
        t["grad." + n] = f32(p.grad)
    if mi_grads:
        for n, g in mi_grads.items():
            t["grad." + n] = f32(g)
            t["mi_step.param." + n] = f32(dict(model.named_parameters())[n])
    for n, b in model.named_buffers():
        t["bn_after." + n] = f32(b) if b.is_floating_point() else b.clone()

    model.eval()
    with torch.no_grad():
        ev = model(batch.x, batch.stats, A64)
    for k in ("logits", "Z", "s", "signer_logits"):
        if k in ev:
            t["eval." + k] = f32(ev[k])

    # five optimisation steps from the initial state on the same batch
    opt_m, mi_opt2 = R.make_optimizers(fresh)
    losses, clipped = [], []
    for _ in range(ADAM_STEPS):
        fresh.train()
        opt_m.zero_grad(set_to_none=True)
        tot, _, _, _ = R.forward_losses(fresh, A64, batch, mi_opt2)
        for p in fresh.mi_parameters():
            p.grad = None
        tot.backward()
        params = [p for _, p in fresh.trained_parameters()]
        norm = torch.sqrt(sum((p.grad.double() ** 2).sum() for p in params))
        clipped.append(bool(opt.clip_grad > 0 and norm > opt.clip_grad))
        if opt.clip_grad > 0:
            torch.nn.utils.clip_grad_norm_(params, opt.clip_grad)
        opt_m.step()
        losses.append(float(tot))
    t["adam.losses"] = torch.tensor(losses, dtype=torch.float32)
    t.update(state_tensors(fresh, "adam.param."))

    meta = {
        "variant": name,
        "options": json.dumps(opt.to_json_dict(), sort_keys=True),
        "graph": json.dumps({"num_joints": J, "edges": EDGES13, "partition": "spatial",
                             "K": 3}),
        "shapes": json.dumps({"B": B, "T": T, "J": J, "C": C, "NC": NC,
                              "NS": opt.num_signers}),
        "adam": json.dumps({"steps": ADAM_STEPS, "lr": opt.lr, "betas": [0.9, 0.999],
                            "eps": 1e-8, "weight_decay": opt.weight_decay,
                            "clip_grad": opt.clip_grad, "clipped": clipped}),
        "compute": "float64",
        "seed": str(seed),
        "notes": NOTES,
    }
    return t, meta


def full_size_fixture(seed):
    groups = R.read_topology()
    Jf, edges = R.mediapipe_edges(groups, pose=True, hands=True)
    A64 = torch.tensor(R.partition(Jf, edges, "spatial"), dtype=torch.float64)
    opt = R.Options(num_joints=Jf, coords=2, num_classes=2, dropout=0.0)
    torch.manual_seed(seed)
    model = R.SignSTGCN(opt, K=3)
    R.init_weights(model, seed)
    g = torch.Generator().manual_seed(seed + 7)
    with torch.no_grad():
        for layer in model.backbone.layers:        # running statistics that matter in eval
            layer.bn.running_mean.copy_(torch.rand(layer.bn.running_mean.shape, generator=g)
                                        * 0.2 - 0.1)
            layer.bn.running_var.copy_(torch.rand(layer.bn.running_var.shape, generator=g)
                                       + 0.5)
            layer.bn.num_batches_tracked.fill_(11)
        for p in list(model.parameters()) + [b for b in model.buffers()
                                             if b.is_floating_point()]:
            p.copy_(p.half().float())               # exact in F16
    sd16 = {"param." + k: (v.half() if v.is_floating_point() else v.clone())
            for k, v in model.state_dict().items()}
    model = model.double().eval()
    gi = torch.Generator().manual_seed(seed + 1000)
    Bf, Tf = 2, 25
    x = torch.randn(Bf, Tf, Jf, 2, generator=gi, dtype=torch.float64) * 0.5
    x[1, 5:, 33:54, :] = 0.0                        # a left hand that disappears
    stats = torch.cat([torch.rand(Bf, 2, generator=gi, dtype=torch.float64) * 0.4 + 0.3,
                       torch.rand(Bf, 2, generator=gi, dtype=torch.float64) * 0.15 + 0.05], 1)
    with torch.no_grad():
        out = model(x, stats, A64)
    t = {"graph.A": f32(A64), "input.x": f32(x), "input.stats": f32(stats)}
    t.update(sd16)
    for k in ("logits", "Z", "s", "H"):
        t["eval." + k] = f32(out[k])
    meta = {
        "variant": "f_full_j75",
        "options": json.dumps(opt.to_json_dict(), sort_keys=True),
        "graph": json.dumps({"graph": "mediapipe", "parts": ["pose", "left_hand",
                             "right_hand"], "partition": "spatial", "K": 3,
                             "num_joints": Jf}),
        "shapes": json.dumps({"B": Bf, "T": Tf, "J": Jf, "C": 2, "NC": 2, "NS": 0}),
        "compute": "float64",
        "mode": "eval",
        "seed": str(seed),
        "notes": "Parameters and running statistics are float16-exact and stored as F16 "
                 "(read them with safetensors_get_f32); the forward used exactly those values.",
    }
    return t, meta


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--out", default=os.path.join(root, "tests", "fixtures", "model"))
    ap.add_argument("--full-width", action="store_true",
                    help="training fixtures at the SPEC's widths (large; not committed)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.out, exist_ok=True)
    dims = R.Dims() if args.full_width else SMALL
    for i, (name, ov) in enumerate(VARIANTS.items()):
        t, meta = training_fixture(name, ov, dims, seed=10 + i)
        path = os.path.join(args.out, name + ".safetensors")
        safetensors_io.save(path, t, meta)
        print(f"{path}: {os.path.getsize(path)} bytes, losses {t['adam.losses'].tolist()}, "
              f"clipped {json.loads(meta['adam'])['clipped']}")
    if not args.full_width:
        t, meta = full_size_fixture(seed=20)
        path = os.path.join(args.out, "f_full_j75.safetensors")
        safetensors_io.save(path, t, meta)
        print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
