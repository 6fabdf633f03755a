#!/usr/bin/python3
"""dataset_reference.py — an independent numpy implementation of SPEC §1.1–1.2 (landmark
assembly, missing joints, shoulder normalisation, signer statistics) and the fixture datasets
it is checked on.

Writes, under tests/fixtures/dataset/:
  main/{a,b,c,e}.npz   pose/hands/face files with NaN joints, zero joints, a missing hand,
                       frames without shoulders, nearest-frame ties, a d = 0 frame, a video
                       without any shoulder frame, float64 big-endian Fortran and float16
                       members, an extra non-float member
  nopose/d.npz         a video without pose (hands and a 468-point face)
  expected/<case>.npz  for each case below: '<video>.x' (T, J, C) float32 landmarks and
                       '<video>.stats' (windows, 2C) float32 signer statistics, windows of
                       WINDOW frames every STRIDE frames
  cases.txt            one case a line: '<case> <folder> <flags...>' (read by
                       tests/test_dataset.c)

Everything is written deterministically (fixed generator seed, zip entries with a fixed
timestamp), so running the tool again reproduces the committed files byte for byte:

    /usr/bin/python3 tools/dataset_reference.py

The face subsets are derived here from data/mediapipe_topology.txt's edge groups, not from the
C tables. Arithmetic is float64 throughout, rounded to float32 at the end, with the statistics
computed two-pass per window — the C code's one-pass shifted sums must agree with it.
"""
import io
import os
import sys
import zipfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "dataset")
TOPOLOGY = os.path.join(ROOT, "data", "mediapipe_topology.txt")
WINDOW, STRIDE = 8, 3
STAMP = (1980, 1, 1, 0, 0, 0)

PARTS = ["pose", "left_hand", "right_hand", "face"]
CONTOUR_GROUPS = ["face_lips", "face_left_eye", "face_left_eyebrow", "face_right_eye",
                  "face_right_eyebrow", "face_oval"]

# case name, folder, flags (the CLI's data flags)
CASES = [
    ("pose_c2", "main", []),
    ("all_c3", "main", ["--include-hands", "--include-face", "--coords", "3"]),
    ("pose_c4", "main", ["--coords", "4"]),
    ("contours_nopose_c3", "main", ["--no-include-pose", "--include-hands", "--include-face",
                                    "--face-points", "contours", "--coords", "3"]),
    ("lips_c2", "main", ["--include-face", "--face-points", "lips"]),
    ("hands_nozero", "main", ["--include-hands", "--no-zero-is-missing"]),
    ("hands_none_c3", "main", ["--include-hands", "--normalize", "none", "--coords", "3"]),
    ("hands_c1", "main", ["--include-hands", "--coords", "1"]),
    ("nopose_all_c3", "nopose", ["--include-hands", "--include-face", "--coords", "3"]),
    ("nopose_lips", "nopose", ["--no-include-pose", "--include-face", "--face-points",
                               "lips"]),
]


def face_subsets():
    groups = {}
    with open(TOPOLOGY) as f:
        for line in f:
            tok = line.split()
            if not tok or tok[0].startswith("#"):
                continue
            groups.setdefault(tok[0], set()).update((int(tok[1]), int(tok[2])))
    contours = sorted(set().union(*(groups[g] for g in CONTOUR_GROUPS)))
    lips = sorted(groups["face_lips"])
    assert len(contours) == 128 and len(lips) == 40
    return {"contours": contours, "lips": lips}


def write_npz(path, members, compress=False):
    """An npz as np.savez(_compressed) writes it, with a fixed timestamp."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", compression=mode) as z:
        for name, arr in members:
            buf = io.BytesIO()
            np.lib.format.write_array(buf, arr, allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=STAMP)
            info.compress_type = mode
            info.external_attr = 0o600 << 16
            z.writestr(info, buf.getvalue())


def quant(rng, shape, lo, hi):
    return (np.round(rng.uniform(lo, hi, size=shape) * 1024) / 1024).astype(np.float32)


def make_pose(rng, T):
    p = np.empty((T, 33, 4), np.float32)
    p[..., 0] = quant(rng, (T, 33), 0.2, 0.8)
    p[..., 1] = quant(rng, (T, 33), 0.1, 0.9)
    p[..., 2] = quant(rng, (T, 33), -0.5, 0.5)
    p[..., 3] = quant(rng, (T, 33), 0.0, 1.0)
    p[:, 11, 0] = quant(rng, (T,), 0.35, 0.42)
    p[:, 12, 0] = quant(rng, (T,), 0.58, 0.65)
    return p


def make_part(rng, T, joints):
    p = np.empty((T, joints, 3), np.float32)
    p[..., 0] = quant(rng, (T, joints), 0.1, 0.9)
    p[..., 1] = quant(rng, (T, joints), 0.1, 0.9)
    p[..., 2] = quant(rng, (T, joints), -0.1, 0.1)
    return p


def make_files():
    rng = np.random.default_rng(20261125)
    files = {}
    # a: everything, with the missing-joint cases.
    T = 9
    pose, lh, rh, face = make_pose(rng, T), make_part(rng, T, 21), make_part(rng, T, 21), \
        make_part(rng, T, 478)
    pose[0:2, 11, 0] = np.nan      # frames 0, 1: no shoulders
    pose[5, 12, :] = 0.0           # frame 5: shoulder 12 not detected (zeros)
    pose[4, 20, 3] = np.nan        # visibility NaN: missing only with --coords 4
    pose[6, 3, 2] = np.nan         # z NaN: missing with --coords >= 3
    pose[7, 5, 1] = np.inf
    lh[4] = 0.0                    # the export's zeros for an unseen hand
    rh[2, 7, 0] = np.nan
    rh[3, 9, 1] = -np.inf
    face[3, 13, :] = np.nan        # a lips point
    face[6, 0, :] = 0.0
    files["main/a"] = [("pose", pose), ("left_hand", lh), ("right_hand", rh), ("face", face)]
    # b: shorter than the window, no left hand, pose stored as big-endian float64 in Fortran
    # order.
    T = 6
    pose, rh, face = make_pose(rng, T), make_part(rng, T, 21), make_part(rng, T, 478)
    pose[2, 11, 2] = 0.0           # one zero channel is not "all zero": still detected
    files["main/b"] = [("face", face), ("right_hand", rh),
                       ("pose", np.asfortranarray(pose.astype(">f8")))]
    # c: no frame with shoulders (12 never detected), no face.
    T = 7
    pose, lh, rh = make_pose(rng, T), make_part(rng, T, 21), make_part(rng, T, 21)
    pose[:, 12, 0:2] = np.nan
    files["main/c"] = [("pose", pose), ("left_hand", lh), ("right_hand", rh)]
    # e: shoulders only in frames 2 and 6 (frame 4 is a tie: the earlier wins), a d = 0
    # frame, hands all zero (never seen), a float16 face and an integer member.
    T = 10
    pose, face = make_pose(rng, T), make_part(rng, T, 478)
    for t in range(T):
        if t not in (2, 6):
            pose[t, 11, 0] = np.nan
    pose[8, 11, :] = pose[8, 12, :]
    pose[6, 11, 0:2] = pose[6, 11, 0:2] - 0.05   # a different scale in frame 6
    zeros = np.zeros((T, 21, 3), np.float32)
    files["main/e"] = [("pose", pose), ("left_hand", zeros), ("right_hand", zeros.copy()),
                       ("face", face.astype("<f2")), ("frame_ids", np.arange(T, dtype="<i8"))]
    # d: no pose; a 468-point face.
    T = 8
    lh, rh, face = make_part(rng, T, 21), make_part(rng, T, 21), make_part(rng, T, 468)
    lh[1] = 0.0
    rh[5, 3, 0] = np.nan
    files["nopose/d"] = [("left_hand", lh), ("right_hand", rh), ("face", face)]
    return files


# ---- the reference computation (SPEC §1.1–1.2) --------------------------------------------

def parse_flags(flags):
    cfg = dict(coords=2, pose=True, hands=False, face=False, face_points="all",
               normalize="shoulders", zero_is_missing=True)
    it = iter(flags)
    for f in it:
        if f == "--coords": cfg["coords"] = int(next(it))
        elif f == "--include-hands": cfg["hands"] = True
        elif f == "--include-face": cfg["face"] = True
        elif f == "--no-include-pose": cfg["pose"] = False
        elif f == "--face-points": cfg["face_points"] = next(it)
        elif f == "--normalize": cfg["normalize"] = next(it)
        elif f == "--no-zero-is-missing": cfg["zero_is_missing"] = False
        else: raise ValueError(f)
    return cfg


def present(a, C, zim):
    """(T, joints) mask of detected joints over the first C channels."""
    k = a[..., :C].astype(np.float64)
    ok = np.all(np.isfinite(k), axis=-1)
    if zim:
        ok &= ~np.all(k == 0.0, axis=-1)
    return ok


def reference(members, cfg, subsets, face_count, window=WINDOW, stride=STRIDE):
    """(x (T,J,C) float32, stats (windows, 2C) float32, normalized) for one file's members;
    windows of `window` frames every `stride` frames (SPEC §1.4 starts)."""
    C, zim = cfg["coords"], cfg["zero_is_missing"]
    arrs = {n: np.asarray(a, dtype=np.float64) for n, a in members if n in PARTS}
    T = next(iter(arrs.values())).shape[0]
    included = [p for p in PARTS if {"pose": cfg["pose"], "left_hand": cfg["hands"],
                                     "right_hand": cfg["hands"], "face": cfg["face"]}[p]]
    blocks, raw_blocks = [], []
    for p in included:
        if p == "face":
            idx = subsets.get(cfg["face_points"])
            n = face_count if idx is None else len(idx)
        else:
            idx, n = None, 33 if p == "pose" else 21
        if p in arrs:
            a = arrs[p] if idx is None else arrs[p][:, idx]
            raw_blocks.append(a[..., :C])
            blocks.append((a[..., :C].copy(), present(a, C, zim)))
        else:
            z = np.zeros((T, n, C))
            raw_blocks.append(z)
            blocks.append((z, np.zeros((T, n), bool)))
    x = np.concatenate([b[0] for b in blocks], axis=1)
    pres = np.concatenate([b[1] for b in blocks], axis=1)

    normalized = cfg["normalize"] == "none"
    if cfg["normalize"] == "shoulders" and "pose" in arrs:
        pose = arrs["pose"]
        pp = present(pose, C, zim)
        d = np.sqrt((pose[:, 11, 0] - pose[:, 12, 0]) ** 2 + (pose[:, 11, 1] - pose[:, 12, 1]) ** 2)
        with np.errstate(invalid="ignore"):
            has = pp[:, 11] & pp[:, 12] & (d > 0)
        frames = np.flatnonzero(has)
        if len(frames):
            normalized = True
            nc = min(C, 3)
            for t in range(T):
                dist = np.abs(frames - t)
                ts = frames[np.argmin(dist)]   # argmin: the first (earlier) on ties
                m = 0.5 * (pose[ts, 11, :nc] + pose[ts, 12, :nc])
                x[t, :, :nc] = (x[t, :, :nc] - m) / d[ts]
    x[~pres] = 0.0

    # Signer statistics: the pose's first C channels when the file has one, else the included
    # joints; raw values, present joints only.
    if "pose" in arrs:
        src, sp = arrs["pose"][..., :C], present(arrs["pose"], C, zim)
    else:
        src = np.concatenate(raw_blocks, axis=1)
        sp = pres
    starts = window_starts(T, window, stride)
    stats = np.zeros((len(starts), 2 * C))
    for i, s in enumerate(starts):
        e = min(s + window, T)
        v = src[s:e][sp[s:e]]
        if len(v):
            stats[i, :C] = v.mean(axis=0)
            stats[i, C:] = v.std(axis=0) + 1e-6
    return x.astype(np.float32), stats.astype(np.float32), normalized


def window_starts(T, window, stride):
    """SPEC §1.4: 0, stride, ... while start + window <= T; one window at 0 when T < window."""
    return list(range(0, T - window + 1, stride)) if T >= window else [0]


# ---- whole folders, configured as a checkpoint's `config` --------------------------------

def cfg_from_config(config):
    """The §1.1 options of reference() from a checkpoint's config JSON (SPEC §6 names)."""
    return dict(coords=int(config["coords"]), pose=bool(config["include_pose"]),
                hands=bool(config["include_hands"]), face=bool(config["include_face"]),
                face_points=config["face_points"], normalize=config["normalize"],
                zero_is_missing=bool(config["zero_is_missing"]))


def load_members(path):
    """[(name, array)] of an npz's members, as np.load reads them (any dtype/order/endianness)."""
    with np.load(path, allow_pickle=False) as z:
        return [(n, z[n]) for n in z.files]


def prepare_folder(data, config):
    """Every window of every `<data>/*.npz` (byte order of the name) as the model sees it:
    [(video, T, starts, windows (n, window, J, C) float32, stats (n, 2C) float32)]. Short
    videos give one window at 0 whose frames past T are zeros (added after normalisation)."""
    cfg, W, S = cfg_from_config(config), int(config["window"]), int(config["stride"])
    subsets = face_subsets()
    face_count = int(config.get("face_points_in_file", 478))
    out = []
    names = sorted((n for n in os.listdir(data) if n.endswith(".npz")), key=lambda n: n.encode())
    for name in names:
        members = load_members(os.path.join(data, name))
        x, stats, _ = reference(members, cfg, subsets, face_count, W, S)
        T = x.shape[0]
        starts = window_starts(T, W, S)
        win = np.zeros((len(starts), W) + x.shape[1:], np.float32)
        for i, s in enumerate(starts):
            e = min(s + W, T)
            win[i, :e - s] = x[s:e]
        out.append((name[:-4], T, starts, win, stats))
    return out


def main():
    files = make_files()
    for key, members in files.items():
        write_npz(os.path.join(OUT, key + ".npz"), members)
    subsets = face_subsets()
    lines = []
    for name, folder, flags in CASES:
        cfg = parse_flags(flags)
        vids = sorted(k for k in files if k.startswith(folder + "/"))
        counts = {dict(files[k]).get("face").shape[1] for k in vids if "face" in dict(files[k])}
        face_count = max(counts) if counts else 0
        out = []
        for k in vids:
            x, st, normalized = reference(files[k], cfg, subsets, face_count)
            vid = k.split("/")[1]
            out += [(vid + ".x", x), (vid + ".stats", st),
                    (vid + ".normalized", np.array([normalized], np.float32))]
        write_npz(os.path.join(OUT, "expected", name + ".npz"), out, compress=True)
        lines.append(" ".join([name, folder] + flags))
    with open(os.path.join(OUT, "cases.txt"), "w") as f:
        f.write("# written by tools/dataset_reference.py: <case> <folder> <data flags...>;\n")
        f.write("# windows of %d frames every %d frames\n" % (WINDOW, STRIDE))
        f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
