#!/usr/bin/python3
"""Writes the PyTorch parity fixtures of the heads layers and losses into tests/fixtures/heads/.

Run with Debian's python3 (torch 1.13, numpy):  /usr/bin/python3 tools/make_heads_fixtures.py
Fixed seeds, float32, CPU, one thread, fixed zip timestamps: running it again writes the
same bytes.

Each .npz holds the inputs and parameters (PyTorch names and layouts), the upstream gradient
`dout` (the test's loss is sum(dout * output)), the forward output and every gradient
(`d_<name>`). Shapes are small (B=3, T=9) and the widths reduced so the files stay small;
the C code takes every width as an argument:
  attention E=64, 2 heads of 32 channels (scale 1/sqrt(32) as in the model), S=32;
  GRU E=64 -> G=32 per direction; LayerNorm D=512 (the classifier head's width).
The attention is written exactly as SPEC §3.4 with explicit projections (it is not
nn.MultiheadAttention); the GRU is torch.nn.GRU(bidirectional=True, batch_first=True).
Integer labels are stored as float32 (the npz reader reads floats).
"""
import os
import time
from unittest import mock

os.environ["TZ"] = "UTC"
time.tzset()

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "heads")
FIXED_TIME = 1262304000.0  # 2010-01-01 00:00 UTC: zip timestamp of every member (np.savez
                           # stamps the current time otherwise, and the bytes would change)
torch.set_num_threads(1)


def f32(t):
    return t.detach().cpu().numpy().astype(np.float32)


def save(name, **arrays):
    os.makedirs(OUT, exist_ok=True)
    with mock.patch("time.time", return_value=FIXED_TIME):
        np.savez(os.path.join(OUT, name), **{k: np.ascontiguousarray(v, dtype=np.float32)
                                             for k, v in arrays.items()})


def leaf(*shape, scale=1.0, gen=None):
    return ((torch.rand(*shape, generator=gen) * 2 - 1) * scale).requires_grad_(True)


def layernorm_gelu(g):
    N, D = 5, 512
    x = leaf(N, D, scale=2.0, gen=g)
    w = (torch.rand(D, generator=g) + 0.5).requires_grad_(True)
    b = leaf(D, gen=g)
    dout = torch.rand(N, D, generator=g) * 2 - 1
    y = F.layer_norm(x, (D,), w, b, 1e-5)
    y.backward(dout)
    save("layernorm.npz", x=f32(x), weight=f32(w), bias=f32(b), dout=f32(dout), out=f32(y),
         d_x=f32(x.grad), d_weight=f32(w.grad), d_bias=f32(b.grad))

    x = leaf(N, D, scale=4.0, gen=g)
    y = F.gelu(x)
    y.backward(dout)
    save("gelu.npz", x=f32(x), dout=f32(dout), out=f32(y), d_x=f32(x.grad))


def attention(g, film):
    B, T, E, NH, S = 3, 9, 64, 2, 32
    dh = E // NH
    H = leaf(B, T, E, gen=g)
    s = leaf(B, S, gen=g)
    din = E if film else E + S
    # Weights larger than the default init so the softmax is far from uniform.
    p = {"q_proj": leaf(E, din, scale=1.5 / din ** 0.5, gen=g),
         "k_proj": leaf(E, din, scale=1.5 / din ** 0.5, gen=g),
         "v_proj": leaf(E, E, scale=1.0 / E ** 0.5, gen=g),
         "out_proj": leaf(E, E, scale=1.0 / E ** 0.5, gen=g)}
    if film:
        for net in ("k_scale", "v_scale", "k_shift", "v_shift"):
            p[net + "_w"] = leaf(E, S, scale=1.0 / S ** 0.5, gen=g)
            p[net + "_b"] = leaf(E, scale=0.5, gen=g)
    if film:
        q = H @ p["q_proj"].T
        k = H @ p["k_proj"].T
        v = H @ p["v_proj"].T
        gk = torch.tanh(s @ p["k_scale_w"].T + p["k_scale_b"])[:, None, :]
        gv = torch.tanh(s @ p["v_scale_w"].T + p["v_scale_b"])[:, None, :]
        bk = (s @ p["k_shift_w"].T + p["k_shift_b"])[:, None, :]
        bv = (s @ p["v_shift_w"].T + p["v_shift_b"])[:, None, :]
        k = k * (1 + gk) + bk
        v = v * (1 + gv) + bv
    else:
        X = torch.cat([H, s[:, None, :].expand(B, T, S)], dim=-1)
        q = X @ p["q_proj"].T
        k = X @ p["k_proj"].T
        v = H @ p["v_proj"].T

    def heads(t):
        return t.view(B, T, NH, dh).transpose(1, 2)  # (B, NH, T, dh)

    att = torch.softmax(heads(q) @ heads(k).transpose(-1, -2) / dh ** 0.5, dim=-1)
    ctx = (att @ heads(v)).transpose(1, 2).reshape(B, T, E)
    out = H + ctx @ p["out_proj"].T
    dout = torch.rand(B, T, E, generator=g) * 2 - 1
    out.backward(dout)
    arrays = {"H": f32(H), "s": f32(s), "dout": f32(dout), "out": f32(out),
              "d_H": f32(H.grad), "d_s": f32(s.grad)}
    for k_, t in p.items():
        arrays[k_] = f32(t)
        arrays["d_" + k_] = f32(t.grad)
    save("attention_film.npz" if film else "attention_bias.npz", **arrays)


def gru(g):
    B, T, E, G = 3, 9, 64, 32
    m = torch.nn.GRU(E, G, num_layers=1, batch_first=True, bidirectional=True)
    with torch.no_grad():
        for _, t in m.named_parameters():
            t.copy_((torch.rand(t.shape, generator=g) * 2 - 1) * 2.0 / G ** 0.5)
    X = leaf(B, T, E, gen=g)
    _, hn = m(X)  # hn (2, B, G): [forward after the last frame, backward after the first]
    Z = torch.cat([hn[0], hn[1]], dim=1)
    dout = torch.rand(B, 2 * G, generator=g) * 2 - 1
    Z.backward(dout)
    arrays = {"X": f32(X), "dout": f32(dout), "out": f32(Z), "d_X": f32(X.grad)}
    for name, t in m.named_parameters():
        arrays[name] = f32(t)
        arrays["d_" + name] = f32(t.grad)
    save("gru.npz", **arrays)


def losses(g):
    B, K = 8, 5
    arrays = {}
    logits = leaf(B, K, scale=3.0, gen=g)
    y = torch.tensor([0, 1, 1, 4, 2, 0, 1, 3])
    w = torch.tensor([1.0, 2.5, 0.5, 1.0, 3.0])
    for tag, wt in (("ce", None), ("wce", w)):
        lg = logits.detach().clone().requires_grad_(True)
        loss = F.cross_entropy(lg, y, weight=wt)
        loss.backward()
        arrays[tag + "_loss"] = f32(loss.reshape(1))
        arrays["d_" + tag + "_logits"] = f32(lg.grad)
    arrays.update(ce_logits=f32(logits), ce_y=f32(y), ce_w=f32(w))

    # Supervised contrastive (SPEC §4), tau 0.07: a normal batch, one with singletons beside
    # pairs, one with no anchor.
    D, tau = 16, 0.07
    labels = {"a": [0, 1, 0, 2, 1, 1, 2, 0], "b": [0, 1, 2, 3, 4, 5, 0, 6],
              "c": [0, 1, 2, 3, 4, 5, 6, 7]}
    for tag, lab in labels.items():
        Zl = leaf(B, D, gen=g)
        yl = torch.tensor(lab)
        z = F.normalize(Zl, dim=1, eps=1e-12)
        sim = z @ z.T / tau
        eye = torch.eye(B, dtype=torch.bool)
        pos = (yl[:, None] == yl[None, :]) & ~eye
        logden = torch.logsumexp(sim.masked_fill(eye, float("-inf")), dim=1, keepdim=True)
        logp = sim - logden
        npos = pos.sum(1)
        anchor = npos > 0
        if anchor.any():
            li = -(logp * pos).sum(1)[anchor] / npos[anchor]
            loss = li.mean()
            loss.backward()
            grad = Zl.grad
        else:
            loss = torch.zeros(())
            grad = torch.zeros(B, D)
        arrays["sc_" + tag + "_Z"] = f32(Zl)
        arrays["sc_" + tag + "_y"] = f32(yl)
        arrays["sc_" + tag + "_loss"] = f32(loss.reshape(1))
        arrays["d_sc_" + tag + "_Z"] = f32(grad)

    # CLUB on the estimator's logits (B, NS).
    NS = 4
    cl = leaf(B, NS, scale=2.0, gen=g)
    cy = torch.tensor([0, 0, 1, 3, 3, 3, 2, 1])
    lq = F.log_softmax(cl, dim=1)
    bound = lq[torch.arange(B), cy].mean() - lq[:, cy].mean()
    bound.backward()
    arrays.update(club_logits=f32(cl), club_y=f32(cy), club_bound=f32(bound.reshape(1)),
                  d_club_logits=f32(cl.grad))
    cl2 = cl.detach().clone().requires_grad_(True)
    est = F.cross_entropy(cl2, cy)
    est.backward()
    arrays.update(club_est=f32(est.reshape(1)), d_club_est_logits=f32(cl2.grad))
    save("losses.npz", **arrays)


def main():
    g = torch.Generator().manual_seed(20261125)
    layernorm_gelu(g)
    attention(g, film=False)
    attention(g, film=True)
    gru(g)
    losses(g)


if __name__ == "__main__":
    main()
