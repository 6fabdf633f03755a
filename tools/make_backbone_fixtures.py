#!/usr/bin/python3
"""make_backbone_fixtures.py — PyTorch reference outputs and gradients for the backbone layers.

Writes tests/fixtures/backbone/{gconv,tconv,batchnorm,activation,block}.npz (as np.savez, float32)
for tests/test_nn_backbone.c. Every layer is computed by PyTorch in float32 on channels-first
tensors where PyTorch wants them (Conv2d, BatchNorm2d on (B,C,T,J)) and stored channels-last
(B,T,J,C), as the C code holds activations. Gradients are for the upstream gradient dY stored
beside them (loss = sum(Y * dY)). Fixed seed: running it again writes the same numbers.

Shapes: B=2, T=9, J=13, C_in=8, out=16, K=3 (spatial partition of a hand-written 13-joint
graph, built as SPEC §2 says), dilation 2, dropout p=0.1.

Run: /usr/bin/python3 tools/make_backbone_fixtures.py [out_dir]
"""
import io
import os
import sys
import zipfile
from collections import deque

import numpy as np
import torch
import torch.nn.functional as F

B, T, J, CIN, OUT, K, DIL, P = 2, 9, 13, 8, 16, 3, 2, 0.1

# Two components: a little body (0 nose, 1/2 shoulders, 3/4 elbows, 5/6 wrists, 7-10 fingers)
# and a separate pair 11-12 whose root is its smallest index, 11.
EDGES = [(0, 1), (0, 2), (1, 2), (1, 3), (3, 5), (2, 4), (4, 6), (5, 7), (7, 8), (6, 9),
         (9, 10), (11, 12)]


def spatial_adjacency():
    nb = [set() for _ in range(J)]
    for a, b in EDGES:
        nb[a].add(b)
        nb[b].add(a)
    hop = [-1] * J
    for root in range(J):  # the smallest unvisited index roots its component (0 is pose 0)
        if hop[root] >= 0:
            continue
        hop[root] = 0
        q = deque([root])
        while q:
            u = q.popleft()
            for v in sorted(nb[u]):
                if hop[v] < 0:
                    hop[v] = hop[u] + 1
                    q.append(v)
    A = np.zeros((K, J, J), dtype=np.float32)
    for i in range(J):
        deg = len(nb[i]) + 1
        A[0, i, i] = 1.0 / deg
        for j in nb[i]:
            A[1 if hop[j] < hop[i] else 2, i, j] = 1.0 / deg
    return A


def savez(path, **arrays):
    """np.savez with a fixed member timestamp, so regenerating gives byte-identical files."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0)),
                        buf.getvalue())


def cl(x):  # (B,C,T,J) -> (B,T,J,C)
    return x.permute(0, 2, 3, 1).contiguous()


def cf(x):  # (B,T,J,C) -> (B,C,T,J)
    return x.permute(0, 3, 1, 2).contiguous()


def np32(t):
    return t.detach().numpy().astype(np.float32)


def leaf(t):
    return t.clone().float().requires_grad_(True)


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "backbone")
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    A = torch.from_numpy(spatial_adjacency())

    # --- Linear + graph aggregation -------------------------------------------------------
    X = leaf(torch.randn(B, T, J, CIN))
    W = leaf(torch.empty(K * OUT, CIN).uniform_(-CIN ** -0.5, CIN ** -0.5))
    b = leaf(torch.empty(K * OUT).uniform_(-CIN ** -0.5, CIN ** -0.5))
    H = F.linear(X, W, b)
    H.retain_grad()
    G = torch.einsum('kij,btjkc->btic', A, H.view(B, T, J, K, OUT))
    dG = torch.randn(B, T, J, OUT)
    (G * dG).sum().backward()
    savez(os.path.join(out_dir, "gconv.npz"), A=A.numpy(), X=np32(X), W=np32(W), b=np32(b),
             H=np32(H), G=np32(G), dG=dG.numpy(), dH=np32(H.grad), dX=np32(X.grad),
             dW=np32(W.grad), db=np32(b.grad))

    # --- temporal convolution ---------------------------------------------------------------
    X = leaf(torch.randn(B, T, J, OUT))
    bound = (OUT * 3) ** -0.5
    W = leaf(torch.empty(OUT, OUT, 3, 1).uniform_(-bound, bound))
    Y = cl(F.conv2d(cf(X), W, dilation=(DIL, 1), padding=(DIL, 0)))
    dY = torch.randn(B, T, J, OUT)
    (Y * dY).sum().backward()
    savez(os.path.join(out_dir, "tconv.npz"), X=np32(X), W=np32(W), Y=np32(Y), dY=dY.numpy(),
             dX=np32(X.grad), dW=np32(W.grad), dilation=np.array([DIL], dtype=np.float32))

    # --- BatchNorm2d: one training step, then evaluation with the updated statistics ----------
    Xv = 2.0 + 1.5 * torch.randn(B, T, J, OUT)
    gamma = leaf(1.0 + 0.3 * torch.randn(OUT))
    beta = leaf(0.2 * torch.randn(OUT))
    rm0 = 0.1 * torch.randn(OUT)
    rv0 = 1.0 + 0.2 * torch.rand(OUT)
    rm, rv = rm0.clone(), rv0.clone()
    X = leaf(Xv)
    Y = cl(F.batch_norm(cf(X), rm, rv, gamma, beta, training=True, momentum=0.1, eps=1e-5))
    dY = torch.randn(B, T, J, OUT)
    (Y * dY).sum().backward()
    train = dict(Y_train=np32(Y), dX_train=np32(X.grad), dgamma_train=np32(gamma.grad),
                 dbeta_train=np32(beta.grad), rm1=rm.numpy().copy(), rv1=rv.numpy().copy())
    gamma.grad = None
    beta.grad = None
    X = leaf(Xv)
    Y = cl(F.batch_norm(cf(X), rm, rv, gamma, beta, training=False, momentum=0.1, eps=1e-5))
    (Y * dY).sum().backward()
    savez(os.path.join(out_dir, "batchnorm.npz"), X=Xv.numpy(), gamma=np32(gamma),
             beta=np32(beta), rm0=rm0.numpy(), rv0=rv0.numpy(), dY=dY.numpy(), Y_eval=np32(Y),
             dX_eval=np32(X.grad), dgamma_eval=np32(gamma.grad), dbeta_eval=np32(beta.grad),
             **train)

    # --- ReLU, Dropout (PyTorch's own mask, recovered from its output), mean over joints -----
    Xv = torch.randn(B, T, J, OUT)
    dY = torch.randn(B, T, J, OUT)
    X = leaf(Xv)
    Y = torch.relu(X)
    (Y * dY).sum().backward()
    relu = dict(relu_Y=np32(Y), relu_dX=np32(X.grad))
    X = leaf(Xv)
    Y = F.dropout(X, P, training=True)
    (Y * dY).sum().backward()
    keep = (Y != 0).float()  # X is never exactly 0, so a zero output is a dropped element
    drop = dict(drop_Y=np32(Y), drop_dX=np32(X.grad), drop_keep=keep.numpy())
    X = leaf(Xv)
    Y = X.mean(dim=2)
    dM = torch.randn(B, T, OUT)
    (Y * dM).sum().backward()
    savez(os.path.join(out_dir, "activation.npz"), X=Xv.numpy(), dY=dY.numpy(),
             p=np.array([P], dtype=np.float32), mean_Y=np32(Y), mean_dY=dM.numpy(),
             mean_dX=np32(X.grad), **relu, **drop)

    # --- the chain: linear → gconv → tconv → BN (train) → + projected residual → ReLU --------
    X = leaf(torch.randn(B, T, J, CIN))
    lw = leaf(torch.empty(K * OUT, CIN).uniform_(-CIN ** -0.5, CIN ** -0.5))
    lb = leaf(torch.empty(K * OUT).uniform_(-CIN ** -0.5, CIN ** -0.5))
    tw = leaf(torch.empty(OUT, OUT, 3, 1).uniform_(-bound, bound))
    g = leaf(torch.ones(OUT))
    bb = leaf(torch.zeros(OUT))
    rw = leaf(torch.empty(OUT, CIN).uniform_(-CIN ** -0.5, CIN ** -0.5))
    rb = leaf(torch.empty(OUT).uniform_(-CIN ** -0.5, CIN ** -0.5))
    rm, rv = torch.zeros(OUT), torch.ones(OUT)
    Hh = F.linear(X, lw, lb)
    Gg = torch.einsum('kij,btjkc->btic', A, Hh.view(B, T, J, K, OUT))
    Tt = F.conv2d(cf(Gg), tw, dilation=(DIL, 1), padding=(DIL, 0))
    Bn = cl(F.batch_norm(Tt, rm, rv, g, bb, training=True, momentum=0.1, eps=1e-5))
    Y = torch.relu(Bn + F.linear(X, rw, rb))
    dY = torch.randn(B, T, J, OUT)
    (Y * dY).sum().backward()
    savez(os.path.join(out_dir, "block.npz"), A=A.numpy(), X=np32(X), lin_W=np32(lw),
             lin_b=np32(lb), tconv_W=np32(tw), bn_gamma=np32(g), bn_beta=np32(bb),
             res_W=np32(rw), res_b=np32(rb), Y=np32(Y), dY=dY.numpy(), dX=np32(X.grad),
             dlin_W=np32(lw.grad), dlin_b=np32(lb.grad), dtconv_W=np32(tw.grad),
             dbn_gamma=np32(g.grad), dbn_beta=np32(bb.grad), dres_W=np32(rw.grad),
             dres_b=np32(rb.grad), rm1=rm.numpy(), rv1=rv.numpy())


if __name__ == "__main__":
    main()
