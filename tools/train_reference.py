#!/usr/bin/python3
"""train_reference.py — the PyTorch reference training loop, data to checkpoint (the baseline
that bench/bench_train.sh times `signstgcn train` against).

    /usr/bin/python3 tools/train_reference.py --data DIR --splits-json FILE --out DIR
        [data flags as `signstgcn train`: --window 25 --stride 1 --coords 2 --include-hands
         --include-face --face-points all --no-include-pose --normalize shoulders
         --no-zero-is-missing --label-fill none --binary --signing-labels L]
        [--batch 32] [--epochs 10] [--lr 1e-3] [--seed 0] [--threads N] [--no-class-weights]

- Data: every window prepared with numpy (tools/dataset_reference.py, SPEC §1.1–1.2 and §1.4),
  labels by tools/windows_reference.py (§1.3–1.4); nothing is shared with the C code.
- Split: the train and val videos of a `signstgcn splits` JSON file; labelled windows whose
  label is a class are used (binary: signing / not_signing; multi-class: the byte-sorted labels
  of the training windows).
- Training: SignSTGCN at the SPEC's widths (tools/reference.py, no signer source), seeded
  initialisation, Adam (lr 1e-3), mean cross-entropy with the binary class weights
  [1, n_neg/n_pos], one shuffle per epoch, batches of --batch (the last one partial); after
  each epoch the validation loss, accuracy and F1 in evaluation mode.
- Writes <out>/last.safetensors (state_dict + `format` and `config` metadata) at the end and
  prints a `windows/s` line: training windows × epochs / wall time of the whole run.
"""
import argparse
import json
import os
import sys
import time

T0 = time.perf_counter()  # the whole run: imports and data preparation included

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset_reference  # noqa: E402
import reference  # noqa: E402
import windows_reference  # noqa: E402


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--splits-json", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--window", type=int, default=25)
    ap.add_argument("--stride", type=int, default=1)
    ap.add_argument("--coords", type=int, default=2)
    ap.add_argument("--no-include-pose", dest="include_pose", action="store_false")
    ap.add_argument("--include-hands", action="store_true")
    ap.add_argument("--include-face", action="store_true")
    ap.add_argument("--face-points", default="all", choices=("all", "contours", "lips"))
    ap.add_argument("--normalize", default="shoulders", choices=("shoulders", "none"))
    ap.add_argument("--no-zero-is-missing", dest="zero_is_missing", action="store_false")
    ap.add_argument("--label-fill", default="none", choices=("none", "previous"))
    ap.add_argument("--binary", action="store_true")
    ap.add_argument("--signing-labels", default=windows_reference.DEFAULT_SIGNING)
    ap.add_argument("--graph", default="mediapipe", choices=("mediapipe", "chain"))
    ap.add_argument("--partition", default="spatial", choices=("spatial", "uniform"))
    ap.add_argument("--use-film-attention", action="store_true")
    ap.add_argument("--no-class-weights", dest="class_weights", action="store_false")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0)
    return ap.parse_args()


def face_points_in_file(data):
    for name in sorted(os.listdir(data)):
        if name.endswith(".npz"):
            with np.load(os.path.join(data, name)) as z:
                if "face" in z.files:
                    return int(z["face"].shape[1])
    return 478


def main():
    a = parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
        torch.set_num_interop_threads(1)
    torch.manual_seed(a.seed)
    config = {k: getattr(a, k) for k in ("window", "stride", "coords", "include_pose",
                                        "include_hands", "include_face", "face_points",
                                        "normalize", "zero_is_missing", "label_fill", "binary",
                                        "graph", "partition", "use_film_attention",
                                        "class_weights", "batch", "epochs", "lr", "seed")}
    config["face_points_in_file"] = face_points_in_file(a.data) if a.include_face else 478

    # data: windows, labels, split
    videos = dataset_reference.prepare_folder(a.data, config)
    gt_path = windows_reference.find_groundtruth(a.data)
    gt = windows_reference.read_groundtruth(gt_path)
    with open(a.splits_json) as f:
        splits = json.load(f)["splits"]
    split_of = {v: name for name in ("train", "val") for v in splits[name]["videos"]}
    signing = {windows_reference.ascii_lower(s)
               for s in windows_reference.signing_set(a.signing_labels)}
    rows = {"train": [], "val": []}   # (video index, window index, label string)
    for vi, (vid, T, starts, _, _) in enumerate(videos):
        part = split_of.get(vid)
        if part is None:
            continue
        labels = windows_reference.frame_labels(gt.get(vid, {}), T, a.label_fill)
        for wi, s in enumerate(starts):
            lab = windows_reference.window_label(labels[s:s + a.window])
            if lab is not None:
                rows[part].append((vi, wi, lab))
    if a.binary:
        classes = ["not_signing", "signing"]
        cls_of = lambda lab: int(windows_reference.ascii_lower(lab) in signing)  # noqa: E731
    else:
        classes = sorted({lab for _, _, lab in rows["train"]}, key=lambda s: s.encode())
        index = {c: i for i, c in enumerate(classes)}
        cls_of = index.get

    def tensors(part):
        keep = [(vi, wi, cls_of(lab)) for vi, wi, lab in rows[part] if cls_of(lab) is not None]
        x = np.stack([videos[vi][3][wi] for vi, wi, _ in keep]) if keep else None
        st = np.stack([videos[vi][4][wi] for vi, wi, _ in keep]) if keep else None
        y = np.array([c for _, _, c in keep], np.int64)
        return torch.from_numpy(x), torch.from_numpy(st), torch.from_numpy(y)

    xtr, sttr, ytr = tensors("train")
    xva, stva, yva = tensors("val")
    weights = None
    if a.binary and a.class_weights:
        n_pos = int(ytr.sum())
        n_neg = len(ytr) - n_pos
        if n_pos and n_neg:
            weights = torch.tensor([1.0, n_neg / n_pos])
    J = xtr.shape[2]
    config.update(classes=classes, num_classes=len(classes), num_joints=J, signer_source="none",
                  num_signers=0, use_mi_minimization=False, mi_hidden_dim=128)
    print(f"data: {len(videos)} videos, {len(ytr)} train / {len(yva)} val windows, J={J}, "
          f"classes {classes}, class weights {None if weights is None else weights.tolist()} "
          f"({time.perf_counter() - T0:.2f} s)", flush=True)

    # model
    A = reference.build_graph(a.graph, a.partition, a.include_pose, a.include_hands,
                              a.include_face, a.face_points, config["face_points_in_file"])
    opt = reference.Options(num_joints=J, coords=a.coords, num_classes=len(classes),
                            film=a.use_film_attention, lr=a.lr)
    model = reference.SignSTGCN(opt, A.shape[0])
    reference.init_weights(model, a.seed)
    adam, _ = reference.make_optimizers(model)
    gen = torch.Generator().manual_seed(a.seed)

    for epoch in range(1, a.epochs + 1):
        t_ep = time.perf_counter()
        model.train()
        perm = torch.randperm(len(ytr), generator=gen)
        tot, correct = 0.0, 0
        for i in range(0, len(perm), a.batch):
            idx = perm[i:i + a.batch]
            batch = reference.Batch(x=xtr[idx], stats=sttr[idx], y=ytr[idx],
                                    class_weights=weights)
            adam.zero_grad(set_to_none=True)
            loss, _, out, _ = reference.forward_losses(model, A, batch)
            loss.backward()
            adam.step()
            tot += float(loss) * len(idx)
            correct += int((out["logits"].argmax(1) == batch.y).sum())
        model.eval()
        with torch.no_grad():
            logits = torch.cat([model(xva[i:i + a.batch], stva[i:i + a.batch], A)["logits"]
                                for i in range(0, len(yva), a.batch)]) if len(yva) else None
        if logits is not None:
            vloss = float(F.cross_entropy(logits, yva, weight=weights))
            pred = logits.argmax(1)
            vacc = float((pred == yva).double().mean())
            from sklearn.metrics import f1_score
            vf1 = f1_score(yva.numpy(), pred.numpy(),
                           average="binary" if a.binary else "macro", zero_division=0)
        else:
            vloss = vacc = vf1 = float("nan")
        print(f"epoch {epoch}/{a.epochs}: train_loss {tot / len(ytr):.4f} "
              f"train_acc {correct / len(ytr):.4f} val_loss {vloss:.4f} val_acc {vacc:.4f} "
              f"val_f1 {vf1:.4f} ({time.perf_counter() - t_ep:.1f} s)", flush=True)

    os.makedirs(a.out, exist_ok=True)
    reference.save_checkpoint(os.path.join(a.out, "last.safetensors"), model,
                              {"format": "signstgcn/1", "config": json.dumps(config),
                               "epoch": str(a.epochs), "metric": "acc",
                               "metric_value": "%.9g" % vacc})
    wall = time.perf_counter() - T0
    print(f"windows/s {len(ytr) * a.epochs / wall:.1f} ({len(ytr)} training windows x "
          f"{a.epochs} epochs in {wall:.2f} s, {torch.get_num_threads()} threads)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
