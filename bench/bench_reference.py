"""bench_reference.py — throughput of the PyTorch reference (tools/reference.py), the figure the
C benchmark is compared with.

    /usr/bin/python3 bench/bench_reference.py [--threads 2] [--batch 32] [--window 25]
                                              [--joints 75,553] [--min-time 10]
                                              [--warmup 1] [--min-iters 2]

For each joint set — 75: pose + hands, 553: pose + hands + face (478 points), MediaPipe graph,
spatial partition, dense Â as the original ST-GCN computes it — and the SPEC's widths (basic
variant: bias-aware attention, no signer head, C=2, NC=2, dropout 0.1), it reports windows/s of
  forward   eval mode under torch.no_grad()
  train     train mode: forward + cross-entropy + backward + AdamW step (lr 1e-3)
on random inputs, after --warmup iterations, timing whole iterations until --min-time
seconds have passed (at least --min-iters; at J=553 one iteration takes minutes on two
threads, so `--joints 553 --warmup 0 --min-iters 1 --min-time 0` is a reasonable call). Output: one CSV line per measurement on stdout
(impl,joints,batch,window,threads,mode,iters,seconds,windows_per_s) after a header.
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import reference as R  # noqa: E402

PARTS = {75: dict(pose=True, hands=True), 553: dict(pose=True, hands=True, face=True)}


def measure(fn, min_time, warmup, min_iters):
    for _ in range(warmup):
        fn()
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        dt = time.perf_counter() - t0
        if n >= min_iters and dt >= min_time:
            return n, dt


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--window", type=int, default=25)
    ap.add_argument("--joints", default="75,553")
    ap.add_argument("--min-time", type=float, default=10.0)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--min-iters", type=int, default=2)
    ap.add_argument("--mode", choices=("forward", "train", "both"), default="both")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print("impl,joints,batch,window,threads,mode,iters,seconds,windows_per_s")
    for J in (int(j) for j in args.joints.split(",")):
        A = R.build_graph("mediapipe", "spatial", **PARTS[J])
        assert A.shape[1] == J, A.shape
        opt = R.Options(num_joints=J, coords=2, num_classes=2)
        model = R.SignSTGCN(opt, K=A.shape[0])
        R.init_weights(model, 0)
        B, T = args.batch, args.window
        x = torch.randn(B, T, J, 2) * 0.5
        stats = torch.rand(B, 4)
        batch = R.Batch(x, stats, torch.randint(0, 2, (B,)))
        adam, _ = R.make_optimizers(model)

        def forward():
            model.eval()
            with torch.no_grad():
                model(x, stats, A)

        def train():
            R.train_step(model, A, batch, adam, None)

        for mode, fn in (("forward", forward), ("train", train)):
            if args.mode not in (mode, "both"):
                continue
            n, dt = measure(fn, args.min_time, args.warmup, max(1, args.min_iters))
            print(f"pytorch,{J},{B},{T},{args.threads},{mode},{n},{dt:.3f},{n * B / dt:.2f}",
                  flush=True)


if __name__ == "__main__":
    main()
