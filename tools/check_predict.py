#!/usr/bin/python3
"""check_predict.py — does `signstgcn predict` give the PyTorch reference's probabilities?

    /usr/bin/python3 tools/check_predict.py --ckpt RUN/best.safetensors --data DIR \\
        --csv PRED.csv [--tol 1e-4] [--batch 64] [--float32] [--threads N]

Independently of the C code it
- reads the checkpoint's `config` metadata (SPEC §6),
- prepares every window of `<data>/*.npz` with numpy (tools/dataset_reference.py: §1.1–1.2
  assembly, missing joints, shoulder normalisation, signer statistics; §1.4 window starts and
  zero padding of short videos),
- builds the reference model (tools/reference.py) with the checkpoint's graph, partition,
  attention variant and heads, loads the checkpoint with strict names, and runs it in
  evaluation mode (float64 unless --float32), softmax over the class logits,
- compares with predict's CSV row by row: video, start and end must be the CSV's, in its order
  (and the label column with tools/windows_reference.py's §1.3–1.4 labels when a groundtruth
  is found), then every p_ column.

Prints the number of windows and the largest |p_C − p_ref|; exits 1 when it is above --tol or
anything else disagrees.
"""
import argparse
import csv
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset_reference  # noqa: E402
import reference  # noqa: E402
import safetensors_io  # noqa: E402
import windows_reference  # noqa: E402


def read_config(path):
    _, meta = safetensors_io.load(path)
    if meta.get("format") != "signstgcn/1":
        raise SystemExit(f"{path}: format {meta.get('format')!r}, not signstgcn/1")
    return json.loads(meta["config"])


def build_model(config):
    """(model, Â) of the checkpoint's configuration, at the SPEC's widths."""
    A = reference.build_graph(config["graph"], config["partition"], config["include_pose"],
                              config["include_hands"], config["include_face"],
                              config["face_points"], int(config["face_points_in_file"]))
    if A.shape[1] != int(config["num_joints"]):
        raise SystemExit(f"graph has {A.shape[1]} joints, config num_joints {config['num_joints']}")
    ns = int(config["num_signers"])
    use_mi = bool(config["use_mi_minimization"])
    opt = reference.Options(num_joints=int(config["num_joints"]), coords=int(config["coords"]),
                            num_classes=len(config["classes"]), num_signers=ns,
                            signer_head=ns > 0 and not use_mi, use_mi=use_mi and ns > 0,
                            mi_hidden=int(config["mi_hidden_dim"]),
                            film=bool(config["use_film_attention"]))
    return reference.SignSTGCN(opt, A.shape[0]), A


def window_labels(data, config, videos):
    """{(video, start): label or ''} by tools/windows_reference.py, or None without a
    groundtruth file."""
    path = config.get("groundtruth") or ""
    if not path:
        for name in ("groundtruth.txt", "groundtruth"):
            if os.path.isfile(os.path.join(data, name)):
                path = os.path.join(data, name)
                break
    if not path or not os.path.isfile(path):
        return None
    gt = windows_reference.read_groundtruth(path)
    W = int(config["window"])
    out = {}
    for vid, T, starts, _, _ in videos:
        labels = windows_reference.frame_labels(gt.get(vid, {}), T, config["label_fill"])
        for s in starts:
            out[(vid, s)] = windows_reference.window_label(labels[s:s + W]) or ""
    return out


def reference_probs(model, A, videos, batch, dtype):
    x = np.concatenate([v[3] for v in videos])
    st = np.concatenate([v[4] for v in videos])
    model = model.to(dtype).eval()
    A = A.to(dtype)
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            xb = torch.from_numpy(x[i:i + batch]).to(dtype)
            sb = torch.from_numpy(st[i:i + batch]).to(dtype)
            out.append(torch.softmax(model(xb, sb, A)["logits"], dim=-1).double().numpy())
    return np.concatenate(out) if out else np.zeros((0, len(model.cls_head.net[4].bias)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--csv", required=True)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--float32", action="store_true", help="run the reference in float32")
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)

    config = read_config(a.ckpt)
    model, A = build_model(config)
    reference.load_checkpoint(a.ckpt, model)
    videos = dataset_reference.prepare_folder(a.data, config)
    probs = reference_probs(model, A, videos, a.batch,
                            torch.float32 if a.float32 else torch.float64)
    W = int(config["window"])
    expected = [(vid, s, min(s + W, T)) for vid, T, starts, _, _ in videos for s in starts]
    labels = window_labels(a.data, config, videos)

    with open(a.csv, newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    pcols = ["p_" + c for c in config["classes"]]
    want = ["video", "start", "end", "label"] + pcols + ["pred"]
    bad = 0
    if header != want:
        print(f"header {header} != {want}")
        return 1
    if len(rows) != len(expected):
        print(f"{len(rows)} CSV rows, {len(expected)} reference windows")
        return 1
    pc = np.array([[float(v) for v in r[4:4 + len(pcols)]] for r in rows])
    for i, (r, (vid, s, e)) in enumerate(zip(rows, expected)):
        if (r[0], int(r[1]), int(r[2])) != (vid, s, e):
            print(f"row {i + 1}: {r[0]},{r[1]},{r[2]} != reference {vid},{s},{e}")
            return 1
        if labels is not None and r[3] != labels[(vid, s)]:
            bad += 1
            if bad <= 5:
                print(f"row {i + 1} ({vid},{s}): label {r[3]!r} != reference {labels[(vid, s)]!r}")
        if r[-1] != config["classes"][int(np.argmax(pc[i]))]:
            bad += 1
            if bad <= 5:
                print(f"row {i + 1} ({vid},{s}): pred {r[-1]!r} is not the argmax of its p_")
    diff = np.abs(pc - probs)
    worst = float(diff.max()) if diff.size else 0.0
    at = np.unravel_index(int(diff.argmax()), diff.shape) if diff.size else (0, 0)
    print(f"{len(rows)} windows, {len(videos)} videos, {len(pcols)} classes "
          f"(J={config['num_joints']}, C={config['coords']}); "
          f"max |p_C - p_ref| = {worst:.3g} (row {at[0] + 1}, {pcols[at[1]]}); "
          f"mean {float(diff.mean()) if diff.size else 0.0:.3g}; "
          f"argmax disagreements {int((pc.argmax(1) != probs.argmax(1)).sum())}")
    if bad:
        print(f"{bad} label/pred mismatches")
    if worst > a.tol or bad:
        print(f"FAIL (tolerance {a.tol:g})")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
