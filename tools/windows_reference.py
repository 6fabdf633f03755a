#!/usr/bin/python3
"""windows_reference.py - an independent Python reading of SPEC sections 1.3 and 1.4.

Given a dataset folder (npz files + groundtruth) and a set of options, it writes the windows
the C code must produce: one row per window, `video<TAB>start<TAB>label<TAB>binary`, with
label and binary empty for an unlabelled window (binary is the --binary class, 1 signing,
0 not signing).

It shares no code with the C implementation and deliberately takes other routes: labels are
kept as strings (no interning), window labels come from collections.Counter, the groundtruth
is parsed with str.split and int().

    windows_reference.py expect --data DIR [--window 25] [--stride 1]
                                [--label-fill none|previous]
                                [--signing-labels s,sign,signing,gesture] [--out FILE]
    windows_reference.py generate [tests/fixtures/windows]

`generate` writes the fixture datasets and the expected rows for every case listed in
cases.tsv; running it again gives byte-identical files (fixed zip timestamps, no randomness).
"""
import argparse
import collections
import io
import os
import sys
import zipfile

import numpy as np

PARTS = ("pose", "left_hand", "right_hand", "face")
DEFAULT_SIGNING = "s,sign,signing,gesture"


# ---- SPEC 1.3: groundtruth and T -------------------------------------------------------------

def find_groundtruth(data):
    for name in ("groundtruth.txt", "groundtruth"):
        p = os.path.join(data, name)
        if os.path.isfile(p):
            return p
    raise SystemExit(f"no groundtruth in {data}")


def read_groundtruth(path):
    """{video: {frame: label}} with later lines overriding earlier ones."""
    gt = collections.defaultdict(dict)
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f.read().split(b"\n"), 1):
            line = raw.decode("latin-1")
            fields = line.split()
            if not fields or fields[0].startswith("#"):
                continue
            if len(fields) < 3 or not fields[1].isascii() or not fields[1].isdigit():
                raise SystemExit(f"{path}:{lineno}: bad line {line!r}")
            gt[fields[0]][int(fields[1])] = fields[2]
    return gt


def frame_count(npz_path):
    with np.load(npz_path) as z:
        lengths = {p: z[p].shape[0] for p in PARTS if p in z.files}
    if not lengths or len(set(lengths.values())) != 1 or 0 in lengths.values():
        raise SystemExit(f"{npz_path}: no common T: {lengths}")
    return next(iter(lengths.values()))


def frame_labels(annotations, T, fill):
    labels = [None] * T
    frames = sorted(f for f in annotations if f < T)
    for i, f in enumerate(frames):
        end = f + 1
        if fill == "previous":
            end = frames[i + 1] if i + 1 < len(frames) else T
        for t in range(f, end):
            labels[t] = annotations[f]
    return labels


# ---- SPEC 1.4: windows -----------------------------------------------------------------------

def window_starts(T, window, stride):
    if T < window:
        return [0]
    return list(range(0, T - window + 1, stride))


def window_label(labels):
    present = [l for l in labels if l is not None]
    if not present:
        return None
    counts = collections.Counter(present)
    best = max(counts.values())
    return next(l for l in present if counts[l] == best)  # first to appear among the tied


def signing_set(text):
    return {item.strip(" \t").lower() for item in text.split(",") if item.strip(" \t")}


def ascii_lower(s):
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


def expected_rows(data, window, stride, fill, signing):
    gt = read_groundtruth(find_groundtruth(data))
    signing = {ascii_lower(s) for s in signing_set(signing)}
    rows = []
    for name in sorted(os.listdir(data), key=lambda s: s.encode()):
        if not name.endswith(".npz"):
            continue
        video = name[:-4]
        T = frame_count(os.path.join(data, name))
        labels = frame_labels(gt.get(video, {}), T, fill)
        for start in window_starts(T, window, stride):
            lab = window_label(labels[start:start + window])
            binary = "" if lab is None else str(int(ascii_lower(lab) in signing))
            rows.append(f"{video}\t{start}\t{'' if lab is None else lab}\t{binary}\n")
    return "".join(rows)


# ---- fixtures --------------------------------------------------------------------------------

def write_npz(path, arrays, compress=True):
    """np.savez with fixed timestamps, so fixtures regenerate byte-identically."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as zf:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zf.compression
            zf.writestr(info, buf.getvalue())


def landmarks(T, J, C, dtype=np.float32, offset=0.0):
    return (np.arange(T * J * C, dtype=np.float64).reshape(T, J, C) / (T * J * C) + offset).astype(dtype)


# Each dataset: {video: {part: (T, J, C, dtype)}}, groundtruth text, groundtruth file name.
DATASETS = {
    "ds1": (
        {
            "a": {"pose": (30, 33, 3), "left_hand": (30, 21, 3), "right_hand": (30, 21, 3)},
            "b_short": {"pose": (6, 33, 2), "right_hand": (6, 21, 3)},
            "c_onehand": {"pose": (20, 33, 3), "right_hand": (20, 21, 3)},  # no left_hand
            "d_unlabelled": {"pose": (16, 33, 2)},
            "e_face": {"face": (12, 478, 3)},
        },
        # ties (a: frames 0 s / 1 n), an override (c 4), annotations beyond T (a 500, b 6),
        # labels in several cases, an id without an npz (ghost), comments and extra tokens.
        "# video frame label\n"
        "a 0 s\na 1 n\na 4 n\na 5 S\na 6 S\na 10 walk\na 11 walk extra tokens\n"
        "a 20 Gesture\na 21 gesture\na 22 gesture\na 29 n\na 500 s\n"
        "\n"
        "b_short 1 n\nb_short 3 sign\nb_short 6 s\n"
        "c_onehand 4 n\nc_onehand 8 SIGNING\nc_onehand 4 sign\nc_onehand 12 n\nc_onehand 13 n\n"
        "  # indented comment\n"
        "e_face 0 walk\ne_face 2 s\ne_face 7 walk\n"
        "ghost 3 s\n",
        "groundtruth.txt",
    ),
    "ds2": (
        {
            "v1": {"pose": (9, 33, 4, np.float64)},
            "v2": {"left_hand": (9, 21, 3, np.float16), "right_hand": (9, 21, 3, np.float16)},
        },
        "v1 0 x\nv1 1 y\nv1 2 y\nv1 3 x\nv1 8 z\n"
        "v2 2 s\nv2 2 x\nv2 5 x\nv2 6 s\nv2 7 s\n",
        "groundtruth",
    ),
}

# name, dataset, window, stride, fill, signing labels
CASES = [
    ("w8s1_none", "ds1", 8, 1, "none", DEFAULT_SIGNING),
    ("w8s3_prev", "ds1", 8, 3, "previous", DEFAULT_SIGNING),
    ("w25s5_prev_custom", "ds1", 25, 5, "previous", " walk , ,S"),
    ("w4s2_none_n", "ds1", 4, 2, "none", "N"),
    ("w3s1_none", "ds2", 3, 1, "none", "S,z"),
    ("w4s2_prev", "ds2", 4, 2, "previous", DEFAULT_SIGNING),
]


def generate(root):
    os.makedirs(root, exist_ok=True)
    for ds, (videos, gt_text, gt_name) in sorted(DATASETS.items()):
        d = os.path.join(root, ds)
        os.makedirs(d, exist_ok=True)
        for i, (video, parts) in enumerate(sorted(videos.items())):
            arrays = {}
            for part, spec in parts.items():
                T, J, C = spec[:3]
                dtype = spec[3] if len(spec) > 3 else np.float32
                arrays[part] = landmarks(T, J, C, dtype, offset=float(i))
            write_npz(os.path.join(d, video + ".npz"), arrays, compress=(ds == "ds1"))
        with open(os.path.join(d, gt_name), "w") as f:
            f.write(gt_text)
    with open(os.path.join(root, "cases.tsv"), "w") as f:
        f.write("# name\tdataset\twindow\tstride\tlabel_fill\tsigning_labels\n")
        for name, ds, window, stride, fill, signing in CASES:
            f.write(f"{name}\t{ds}\t{window}\t{stride}\t{fill}\t{signing}\n")
            rows = expected_rows(os.path.join(root, ds), window, stride, fill, signing)
            with open(os.path.join(root, f"expected_{name}.tsv"), "w") as out:
                out.write(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("expect")
    e.add_argument("--data", required=True)
    e.add_argument("--window", type=int, default=25)
    e.add_argument("--stride", type=int, default=1)
    e.add_argument("--label-fill", choices=("none", "previous"), default="none")
    e.add_argument("--signing-labels", default=DEFAULT_SIGNING)
    e.add_argument("--out")
    g = sub.add_parser("generate")
    g.add_argument("root", nargs="?", default="tests/fixtures/windows")
    a = ap.parse_args()
    if a.cmd == "generate":
        generate(a.root)
        return
    rows = expected_rows(a.data, a.window, a.stride, a.label_fill, a.signing_labels)
    if a.out:
        with open(a.out, "w") as f:
            f.write(rows)
    else:
        sys.stdout.write(rows)


if __name__ == "__main__":
    main()
