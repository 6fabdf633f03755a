#!/usr/bin/env python3
"""make_pose_fixtures.py — the .pose and OpenPose JSON fixtures of tests/test_formats.c.

Usage: /usr/bin/python3 tools/make_pose_fixtures.py [OUT_DIR]   (default tests/fixtures/formats)

No pose-format library is used: the files are written with struct.pack from the published
description of the binary layout (sign-language-processing/pose, docs/specs/v0.1.md and
v0.2.md; pose_header.py and pose_body.py for the details the specs leave out: strings are a
u16 byte length then UTF-8, dims = longest point format − 1, v0.1 frames = what the bytes hold).

Writes, deterministically (numpy's default_rng(seed), fixed values), so a rerun is byte-identical:
  mp_v02.pose      v0.2, MediaPipe Holistic, XYZC, 640x480, fps 29.97, 2 frames, 2 people;
                   POSE_LANDMARKS 33, FACE_LANDMARKS 468, LEFT_HAND_LANDMARKS 21,
                   RIGHT_HAND_LANDMARKS 21 (person 0's right hand missing: confidence 0),
                   POSE_WORLD_LANDMARKS 33 (to be ignored)
  op_v01.pose      v0.1, OpenPose, XYC, 1280x720, fps 25, 3 frames, 2 people;
                   pose_keypoints_2d 25, face_keypoints_2d 70, hand_left_keypoints_2d 21,
                   hand_right_keypoints_2d 21 (person 0's left hand missing)
  <name>.expected.npz   what the reader must give: per part (pose, left_hand, right_hand, face)
                   for person 0 and with suffix _p1 for person 1, x/width, y/height, z kept,
                   MediaPipe pose's confidence as channel 3, NaN where confidence is 0
  openpose/rec/rec_00000000000{0..4}_keypoints.json   OpenPose JSON, BODY_25 + hands + face:
                   frame 0 two people (the second more confident), frame 1 the same two in
                   swapped order (followed by the neck), frame 2 no person, frame 3 one person
                   without a left hand, frame 4 three people (the followed one last);
                   openpose_rec.expected.npz holds the parts the reader must give.
"""
import json
import os
import struct
import sys
import time
from unittest import mock

os.environ["TZ"] = "UTC"
time.tzset()

import numpy as np  # noqa: E402

FIXED_TIME = 1262304000.0  # np.savez stamps members with the time: fixed, for identical bytes


def savez(path, **arrays):
    with mock.patch("time.time", return_value=FIXED_TIME):
        np.savez(path, **arrays)


def pstr(s):
    b = s.encode("utf-8")
    return struct.pack("<H", len(b)) + b


def component(name, fmt, points, limbs, colors):
    out = pstr(name) + pstr(fmt) + struct.pack("<HHH", len(points), len(limbs), len(colors))
    for p in points:
        out += pstr(p)
    for a, b in limbs:
        out += struct.pack("<HH", a, b)
    for r, g, b in colors:
        out += struct.pack("<HHH", r, g, b)
    return out


def pose_file(version, width, height, comps, fps, data, conf):
    """comps: list of (name, fmt, n_points); data (F, P, N, D) float32; conf (F, P, N)."""
    head = struct.pack("<f", version) + struct.pack("<HHH", width, height, 0)
    head += struct.pack("<H", len(comps))
    for name, fmt, n in comps:
        limbs = [(i, i + 1) for i in range(min(n - 1, 3))]
        head += component(name, fmt, [f"P{i}" for i in range(n)], limbs, [(255, 0, 0)])
    frames, people = data.shape[0], data.shape[1]
    if abs(version - 0.1) < 1e-3:
        body = struct.pack("<HHH", int(fps), frames, people)
    else:
        body = struct.pack("<fIH", fps, frames, people)
    body += data.astype("<f4").tobytes() + conf.astype("<f4").tobytes()
    return head + body


def expected_parts(data, conf, comps, mapping, width, height, person, pose_conf_channel):
    out = {}
    off = 0
    for name, fmt, n in comps:
        part = mapping.get(name)
        if part is not None:
            d = data[:, person, off:off + n, :].astype(np.float64)
            c = conf[:, person, off:off + n]
            coords = 3 if len(fmt) - 1 >= 3 else 2
            v = np.empty(d.shape[:2] + (coords + (1 if part == "pose" and pose_conf_channel
                                                  and coords == 3 else 0),), np.float32)
            v[..., 0] = (d[..., 0] / width).astype(np.float32)
            v[..., 1] = (d[..., 1] / height).astype(np.float32)
            if coords == 3:
                v[..., 2] = d[..., 2].astype(np.float32)
            if v.shape[-1] == 4:
                v[..., 3] = c
            v[~(c > 0)] = np.nan
            out[part] = v
        off += n
    return out


def make_mp(out):
    rng = np.random.default_rng(9)
    comps = [("POSE_LANDMARKS", "XYZC", 33), ("FACE_LANDMARKS", "XYZC", 468),
             ("LEFT_HAND_LANDMARKS", "XYZC", 21), ("RIGHT_HAND_LANDMARKS", "XYZC", 21),
             ("POSE_WORLD_LANDMARKS", "XYZC", 33)]
    F, P, N = 2, 2, sum(c[2] for c in comps)
    W, H = 640, 480
    data = np.zeros((F, P, N, 3), np.float32)
    data[..., 0] = rng.uniform(0, W, (F, P, N))
    data[..., 1] = rng.uniform(0, H, (F, P, N))
    data[..., 2] = rng.uniform(-0.5, 0.5, (F, P, N))
    conf = rng.uniform(0.05, 1.0, (F, P, N)).astype(np.float32)
    conf[:, :, 33:33 + 468 + 42] = 1.0  # pose-format writes 1 for detected face and hand points
    rh = 33 + 468 + 21
    conf[:, 0, rh:rh + 21] = 0.0        # person 0's right hand was not detected
    data[:, 0, rh:rh + 21] = 0.0
    conf[1, 1, 5] = 0.0                 # one pose point of person 1 missing in frame 1
    mapping = {"POSE_LANDMARKS": "pose", "FACE_LANDMARKS": "face",
               "LEFT_HAND_LANDMARKS": "left_hand", "RIGHT_HAND_LANDMARKS": "right_hand"}
    with open(os.path.join(out, "mp_v02.pose"), "wb") as f:
        f.write(pose_file(0.2, W, H, comps, 29.97, data, conf))
    exp = expected_parts(data, conf, comps, mapping, W, H, 0, True)
    exp.update({k + "_p1": v for k, v in
                expected_parts(data, conf, comps, mapping, W, H, 1, True).items()})
    savez(os.path.join(out, "mp_v02.expected.npz"), **exp)


def make_op(out):
    rng = np.random.default_rng(25)
    comps = [("pose_keypoints_2d", "XYC", 25), ("face_keypoints_2d", "XYC", 70),
             ("hand_left_keypoints_2d", "XYC", 21), ("hand_right_keypoints_2d", "XYC", 21)]
    F, P, N = 3, 2, sum(c[2] for c in comps)
    W, H = 1280, 720
    data = np.zeros((F, P, N, 2), np.float32)
    data[..., 0] = rng.uniform(0, W, (F, P, N))
    data[..., 1] = rng.uniform(0, H, (F, P, N))
    conf = rng.uniform(0.05, 1.0, (F, P, N)).astype(np.float32)
    lh = 25 + 70
    conf[:, 0, lh:lh + 21] = 0.0        # person 0's left hand was not detected
    data[:, 0, lh:lh + 21] = 0.0
    conf[2, 0, 3] = 0.0
    mapping = {"pose_keypoints_2d": "pose", "face_keypoints_2d": "face",
               "hand_left_keypoints_2d": "left_hand", "hand_right_keypoints_2d": "right_hand"}
    with open(os.path.join(out, "op_v01.pose"), "wb") as f:
        f.write(pose_file(0.1, W, H, comps, 25, data, conf))
    exp = expected_parts(data, conf, comps, mapping, W, H, 0, False)
    exp.update({k + "_p1": v for k, v in
                expected_parts(data, conf, comps, mapping, W, H, 1, False).items()})
    savez(os.path.join(out, "op_v01.expected.npz"), **exp)


KEYS = [("pose", "pose_keypoints_2d", 25), ("left_hand", "hand_left_keypoints_2d", 21),
        ("right_hand", "hand_right_keypoints_2d", 21), ("face", "face_keypoints_2d", 70)]


def person(rng, neck, conf_scale, drop=()):
    p = {"person_id": [-1]}
    for part, key, n in KEYS:
        if part in drop:
            p[key] = []
            continue
        xy = rng.uniform(0, 1000, (n, 2)).round(3)
        c = (rng.uniform(0.2, 1.0, n) * conf_scale).round(4)
        c[n // 2] = 0.0                 # one undetected point per part
        if part == "pose":
            xy[1] = neck
            c[1] = 0.9
        p[key] = [float(v) for row in np.column_stack([xy, c]) for v in row]
        p[key.replace("_2d", "_3d")] = []
    return p


def make_openpose(out):
    rng = np.random.default_rng(70)
    a = lambda neck, **k: person(rng, neck, 0.5, **k)   # less confident
    b = lambda neck, **k: person(rng, neck, 1.0, **k)   # more confident
    frames = []
    pa, pb = a([100.0, 100.0]), b([600.0, 300.0])
    frames.append(([pa, pb], 1))
    # B first now, and A made the more confident: the neck (nearest to B's) still picks B
    pb1, pa1 = person(rng, [610.0, 305.0], 0.3), person(rng, [120.0, 100.0], 1.0)
    frames.append(([pb1, pa1], 0))
    frames.append(([], None))
    frames.append(([b([605.0, 310.0], drop=("left_hand",))], 0))
    frames.append(([a([90.0, 95.0]), a([300.0, 300.0]), b([600.0, 320.0])], 2))
    d = os.path.join(out, "openpose", "rec")
    os.makedirs(d, exist_ok=True)
    exp = {part: np.full((len(frames), n, 2), np.nan, np.float32) for part, _, n in KEYS}
    for i, (people, who) in enumerate(frames):
        doc = {"version": 1.3, "people": people}
        with open(os.path.join(d, f"rec_{i:012d}_keypoints.json"), "w") as f:
            json.dump(doc, f)
        if who is None:
            continue
        for part, key, n in KEYS:
            v = people[who][key]
            if not v:
                continue
            arr = np.array(v, np.float64).reshape(n, 3)
            ok = arr[:, 2] > 0
            exp[part][i, ok, 0] = arr[ok, 0].astype(np.float32)
            exp[part][i, ok, 1] = arr[ok, 1].astype(np.float32)
    savez(os.path.join(out, "openpose_rec.expected.npz"), **exp)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "formats")
    os.makedirs(out, exist_ok=True)
    make_mp(out)
    make_op(out)
    make_openpose(out)


if __name__ == "__main__":
    main()
