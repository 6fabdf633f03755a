#!/usr/bin/python3
"""bench_backbone_ref.py — the PyTorch reference for bench/bench_backbone.c: forward+backward
time of one ST-GCN backbone block (SPEC §3.1) in training mode, at B=32, T=25, J=75 and 553,
for the blocks 64->128 (d=2, projected residual) and 128->128 (d=3).

The block is written as a PyTorch user of the original writes it: Linear on channels-last
(B,T,J,C), einsum with the adjacency, Conv2d and BatchNorm2d on (B,C,T,J), ReLU, Dropout(0.1).
The adjacency is SPEC's chain graph with the spatial partition, as in the C benchmark;
`--sparse` aggregates with torch.sparse.mm instead of a dense einsum (ST-GCN's reference code
uses the dense einsum, which costs J² per frame).

Run: /usr/bin/python3 bench/bench_backbone_ref.py [threads] [iterations] [J] [--sparse]
"""
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

B, T, K = 32, 25, 3


def chain_adjacency(J):
    A = torch.zeros(K, J, J)
    for i in range(J):
        deg = 1.0 + (i > 0) + (i + 1 < J)
        A[0, i, i] = 1.0 / deg
        if i > 0:
            A[1, i, i - 1] = 1.0 / deg
        if i + 1 < J:
            A[2, i, i + 1] = 1.0 / deg
    return A


class Block(nn.Module):
    def __init__(self, cin, cout, d, A, sparse):
        super().__init__()
        self.cout, self.sparse = cout, sparse
        self.register_buffer("A", A)
        # sparse: one (J, K·J) matrix [Â_0 Â_1 Â_2] times the K stacked blocks of H
        self.As = torch.cat(list(A), dim=1).to_sparse() if sparse else None
        self.lin = nn.Linear(cin, K * cout)
        self.temporal = nn.Conv2d(cout, cout, (3, 1), dilation=(d, 1), padding=(d, 0),
                                  bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.res_proj = nn.Linear(cin, cout) if cin != cout else None
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        b, t, j, _ = x.shape
        h = self.lin(x).view(b, t, j, K, self.cout)
        if self.sparse:
            hk = h.permute(3, 2, 0, 1, 4).reshape(K * j, b * t * self.cout)
            g = torch.sparse.mm(self.As, hk).view(j, b, t, self.cout).permute(1, 2, 0, 3)
        else:
            g = torch.einsum('kij,btjkc->btic', self.A, h)
        y = self.bn(self.temporal(g.permute(0, 3, 1, 2))).permute(0, 2, 3, 1)
        r = x if self.res_proj is None else self.res_proj(x)
        return self.drop(F.relu(y + r))


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    sparse = "--sparse" in sys.argv
    threads = int(args[0]) if len(args) > 0 else 2
    iters = int(args[1]) if len(args) > 1 else 3
    only_j = int(args[2]) if len(args) > 2 else 0
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    print(f"PyTorch {torch.__version__} backbone block ({'sparse' if sparse else 'dense'} "
          f"aggregation), {threads} thread(s), mean of {iters} step(s) after one warm-up")
    for J in (75, 553):
        if only_j and J != only_j:
            continue
        A = chain_adjacency(J)
        for cin, cout, d in ((64, 128, 2), (128, 128, 3)):
            blk = Block(cin, cout, d, A, sparse).train()
            x = torch.empty(B, T, J, cin).uniform_(-1, 1).requires_grad_(True)
            dy = torch.empty(B, T, J, cout).uniform_(-1, 1)
            tf = tb = 0.0
            for it in range(-1, iters):
                blk.zero_grad(set_to_none=False)
                x.grad = None
                t0 = time.perf_counter()
                y = blk(x)
                t1 = time.perf_counter()
                y.backward(dy)
                t2 = time.perf_counter()
                if it >= 0:
                    tf += t1 - t0
                    tb += t2 - t1
            print(f"block {cin}->{cout} d={d}  B={B} T={T} J={J}: fwd {1e3 * tf / iters:8.1f} ms"
                  f"   bwd {1e3 * tb / iters:8.1f} ms   fwd+bwd {1e3 * (tf + tb) / iters:8.1f} ms")
            sys.stdout.flush()
            del blk, x, dy, y


if __name__ == "__main__":
    main()
