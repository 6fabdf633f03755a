"""check_reference.py — self-checks of tools/reference.py against independent formulations.

    /usr/bin/python3 tools/check_reference.py [GRAPH_FIXTURE_DIR]

- partitions: every "<name>_<partition>.txt" of tests/fixtures/graph (written by
  tools/graph_reference.py, when that folder exists) equals reference.partition;
  Σ_k Â_k = D⁻¹(A+I) for the spatial partition;
- supervised contrastive loss and CLUB's MI term against plain loops over the batch;
- the gradient reversal: the signer head's gradients are w·∂CE/∂θ and the trunk receives
  −λ·w·∂CE/∂Z (checked against a model without reversal);
- bias-aware attention: the s-columns of k_proj get zero gradient (float64 rounding only);
- AdamW + clipping: reference.train_step equals a hand-written update of SPEC §6.
Exits non-zero on the first failure.
"""
import copy
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as R  # noqa: E402
from make_model_fixtures import EDGES13  # noqa: E402

torch.set_default_dtype(torch.float64)


def check(cond, what):
    if not cond:
        sys.exit(f"check_reference: FAILED: {what}")
    print(f"ok  {what}")


def graph_fixtures(folder):
    if not os.path.isdir(folder):
        print(f"--  no graph fixtures in {folder}, skipped")
        return
    groups = R.read_topology()
    cfg = {"pose": (1, 0, 0, "all", 478), "pose_hands": (1, 1, 0, "all", 478),
           "pose_hands_lips": (1, 1, 1, "lips", 478),
           "pose_hands_contours": (1, 1, 1, "contours", 468),
           "pose_face_all478": (1, 0, 1, "all", 478), "hands": (0, 1, 0, "all", 478),
           "face_lips": (0, 0, 1, "lips", 478), "edges13": None}
    for name, spec in cfg.items():
        p, h, f, fp, fin = spec if spec else (None,) * 5
        for part in ("uniform", "spatial"):
            path = os.path.join(folder, f"{name}_{part}.txt")
            if not os.path.exists(path):
                continue
            if name == "edges13":
                J, edges = 13, EDGES13
            else:
                J, edges = R.mediapipe_edges(groups, p, h, f, fp, fin)
            A = R.partition(J, edges, part)
            lines = [l.split() for l in open(path) if not l.startswith("#")]
            K = int(lines[0][3])
            M = np.zeros((K, int(lines[0][1]), int(lines[0][1])))
            for k, i, j, v in lines[1:]:
                M[int(k), int(i), int(j)] = float(v)
            check(M.shape == A.shape and np.abs(M - A).max() < 1e-8, f"graph {name} {part}")
    J, edges = R.mediapipe_edges(groups, True, True, True, "all", 478)
    A = R.partition(J, edges, "spatial")
    adj = np.eye(J)
    for a, b in edges:
        adj[a, b] = adj[b, a] = 1
    check(np.abs(A.sum(0) - adj / adj.sum(1, keepdims=True)).max() < 1e-12,
          f"spatial partition sums to D^-1(A+I) (J={J})")


def losses():
    g = torch.Generator().manual_seed(3)
    Z = torch.randn(6, 5, generator=g)
    y = torch.tensor([0, 1, 0, 2, 1, 0])
    tau = 0.07
    z = Z / Z.norm(dim=1, keepdim=True)
    per = []
    for i in range(6):
        P = [p for p in range(6) if p != i and y[p] == y[i]]
        if not P:
            continue
        den = sum(math.exp(float(z[i] @ z[a]) / tau) for a in range(6) if a != i)
        per.append(-sum(math.log(math.exp(float(z[i] @ z[p]) / tau) / den) for p in P) / len(P))
    check(abs(float(R.supcon_loss(Z, y, tau)) - sum(per) / len(per)) < 1e-9, "supcon loss")
    check(float(R.supcon_loss(Z[:3], torch.tensor([0, 1, 2]), tau)) == 0.0, "supcon no anchor")

    mi = R.MIEstimator(5, 7, 3)
    s = torch.tensor([0, 2, 1, 2, 0, 1])
    logq = mi(Z).detach()
    want = np.mean([float(logq[i, s[i]]) for i in range(6)]) - np.mean(
        [float(logq[i, s[j]]) for i in range(6) for j in range(6)])
    Zr = Z.clone().requires_grad_(True)
    v = R.club_mi(mi, Zr, s)
    v.backward()
    check(abs(float(v) - want) < 1e-12, "CLUB MI term")
    check(all(p.grad is None for p in mi.parameters()) and Zr.grad is not None,
          "CLUB MI term: estimator frozen, Z takes the gradient")


def grl_and_attention():
    d = R.Dims(channels=(4, 8, 8), signer_hidden=6, signer_dim=4, gru=5, cls_hidden=7,
               signer_head_hidden=6)
    J, edges = 5, [(0, 1), (1, 2), (2, 3), (3, 4)]
    A = torch.tensor(R.partition(J, edges, "spatial"))
    o = R.Options(num_joints=J, num_classes=3, num_signers=2, signer_head=True, dropout=0.0,
                  dims=d, lambda_grl=0.7, signer_loss_weight=0.5)
    m = R.SignSTGCN(o, 3).double()
    R.init_weights(m, 1)
    m = m.double()
    g = torch.Generator().manual_seed(5)
    b = R.Batch(torch.randn(4, 6, J, 2, generator=g), torch.rand(4, 4, generator=g),
                torch.tensor([0, 1, 2, 1]), torch.tensor([0, 1, 1, 0]))
    m.train()
    m.zero_grad()
    out = m(b.x, b.stats, A)
    F.cross_entropy(out["signer_logits"], b.signer).backward()
    trunk = {n: p.grad.clone() for n, p in m.named_parameters()
             if n.startswith("backbone") and p.grad is not None}
    head = {n: p.grad.clone() for n, p in m.named_parameters() if n.startswith("signer_head")}
    m2 = copy.deepcopy(m)
    m2.zero_grad()
    out2 = m2(b.x, b.stats, A, lam=-1.0)        # reversal by −1: plain gradient
    F.cross_entropy(out2["signer_logits"], b.signer).backward()
    err = max(float((trunk[n] + 0.7 * p.grad).abs().max())
              for n, p in m2.named_parameters() if n in trunk)
    check(err < 1e-12, "gradient reversal: trunk gets -lambda * dCE/dZ")
    err = max(float((head[n] - p.grad).abs().max())
              for n, p in m2.named_parameters() if n in head)
    check(err < 1e-12, "gradient reversal: head gradient unchanged")
    m.zero_grad()
    tot, _, _, _ = R.forward_losses(m, A, b)
    tot.backward()
    E = d.channels[-1]
    check(float(m.attn.k_proj.weight.grad[:, E:].abs().max()) < 1e-12 and
          float(m.attn.k_proj.weight.grad[:, :E].abs().max()) > 1e-6,
          "bias-aware: k_proj s-columns get no gradient, H-columns do")

    # AdamW + clipping by hand (SPEC §6)
    o.weight_decay, o.clip_grad, o.lr = 0.01, 0.05, 1e-2
    m3 = copy.deepcopy(m)
    opt, _ = R.make_optimizers(m3)
    ps = {n: p.detach().clone() for n, p in m3.trained_parameters()}
    mo = {n: torch.zeros_like(p) for n, p in ps.items()}
    vo = {n: torch.zeros_like(p) for n, p in ps.items()}
    for step in range(1, 4):
        m4 = copy.deepcopy(m3)
        for n, p in m4.named_parameters():
            if n in ps:
                p.data.copy_(ps[n])
        m4.zero_grad()
        tot, _, _, _ = R.forward_losses(m4, A, b)
        tot.backward()
        gr = {n: p.grad for n, p in m4.trained_parameters()}
        norm = math.sqrt(sum(float((x ** 2).sum()) for x in gr.values()))
        c = min(1.0, o.clip_grad / (norm + 1e-6))
        for n in ps:
            gg = gr[n] * c
            ps[n] = ps[n] * (1 - o.lr * o.weight_decay)
            mo[n] = 0.9 * mo[n] + 0.1 * gg
            vo[n] = 0.999 * vo[n] + 0.001 * gg * gg
            mh, vh = mo[n] / (1 - 0.9 ** step), vo[n] / (1 - 0.999 ** step)
            ps[n] = ps[n] - o.lr * mh / (vh.sqrt() + 1e-8)
        R.train_step(m3, A, b, opt, None)
    # bn state of m3/m4 agree too (each did the same train forwards); compare parameters
    err = max(float((p - ps[n]).abs().max()) for n, p in m3.trained_parameters())
    check(err < 1e-9, f"AdamW + clipping match SPEC §6 by hand (max diff {err:.2e})")


if __name__ == "__main__":
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    graph_fixtures(sys.argv[1] if len(sys.argv) > 1 else
                   os.path.join(root, "tests", "fixtures", "graph"))
    losses()
    grl_and_attention()
