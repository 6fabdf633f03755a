#!/usr/bin/env python3
"""graph_reference.py — SPEC §2 written again in numpy, as the oracle for src/graph/graph.c.

Usage: /usr/bin/python3 tools/graph_reference.py data/mediapipe_topology.txt [OUT_DIR]
(OUT_DIR defaults to tests/fixtures/graph). Rerunning it rewrites the same bytes.

It shares no code or tables with the C side: it parses the topology file itself, lays out
the joints (pose 33, left hand 21, right hand 21, face F), builds the dense 0/1 adjacency,
finds hop distances by breadth-first search from each component's root (pose 0 for the
component that holds it, else the component's smallest index, as the SPEC states it), and
forms the dense matrices
    uniform  A0[i,j] = 1/sqrt(deg i * deg j) for j in N(i) + {i}
    spatial  A0 = diag(1/deg), A1[i,j] = 1/deg i (h(j) < h(i)), A2[i,j] = 1/deg i (h(j) >= h(i))
in float64. Each configuration and partition becomes one text file <name>_<partition>.txt:
comment lines, then "J <J> K <K> nnz <nnz>", then one "k i j value" line per non-zero in
(k, i, j) order, value with 9 significant digits (float32 round trip).
"""
import os
import sys
from collections import deque

import numpy as np

CONTOUR_GROUPS = ("face_lips", "face_left_eye", "face_left_eyebrow",
                  "face_right_eye", "face_right_eyebrow", "face_oval")

# A small skeleton given as an explicit edge list (graph_build_edges): a cycle with a tail,
# a second component with a cycle and a branch, and an isolated joint. tests/test_graph.c
# holds the same list.
EDGES13 = [(0, 1), (1, 2), (2, 3), (3, 1), (1, 4), (4, 5), (5, 6),
           (7, 8), (8, 9), (9, 10), (10, 7), (9, 11)]

# name, pose, hands, face, face_points, face_in_file, graph
CONFIGS = [
    ("pose", True, False, False, "all", 478, "mediapipe"),
    ("pose_hands", True, True, False, "all", 478, "mediapipe"),
    ("pose_hands_lips", True, True, True, "lips", 478, "mediapipe"),
    ("pose_hands_contours", True, True, True, "contours", 468, "mediapipe"),
    ("pose_face_all478", True, False, True, "all", 478, "mediapipe"),
    ("pose_hands_face_all478", True, True, True, "all", 478, "mediapipe"),
    ("hands", False, True, False, "all", 478, "mediapipe"),
    ("face_lips", False, False, True, "lips", 478, "mediapipe"),
    ("chain_pose_hands", True, True, False, "all", 478, "chain"),
    ("edges13", None, None, None, None, None, "edges"),
]


def read_topology(path):
    groups = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            tok = line.split()
            if not tok or tok[0].startswith("#"):
                continue
            groups.setdefault(tok[0], []).append((int(tok[1]), int(tok[2])))
    return groups


def layout(pose, hands, face, face_points, face_in_file, groups):
    """Part -> (offset, list of local MediaPipe indices kept)."""
    parts = []
    if pose:
        parts.append(("pose", list(range(33))))
    if hands:
        parts.append(("left_hand", list(range(21))))
        parts.append(("right_hand", list(range(21))))
    if face:
        if face_points == "all":
            kept = list(range(face_in_file))
        elif face_points == "contours":
            kept = sorted({p for g in CONTOUR_GROUPS for e in groups[g] for p in e})
        else:
            kept = sorted({p for e in groups["face_lips"] for p in e})
        parts.append(("face", kept))
    out, off = {}, 0
    for name, kept in parts:
        out[name] = (off, {mp: off + k for k, mp in enumerate(kept)})
        off += len(kept)
    return out, off


def mediapipe_adjacency(cfg, groups):
    _, pose, hands, face, fp, fin, _ = cfg
    parts, J = layout(pose, hands, face, fp, fin, groups)
    A = np.zeros((J, J), dtype=np.int64)

    def link(pa, a, pb, b):
        if pa in parts and pb in parts:
            ja, jb = parts[pa][1].get(a), parts[pb][1].get(b)
            if ja is not None and jb is not None:
                A[ja, jb] = A[jb, ja] = 1

    for a, b in groups["pose"] + [(0, 11), (0, 12), (0, 9), (0, 10)]:
        link("pose", a, "pose", b)
    for side in ("left_hand", "right_hand"):
        for a, b in groups["hand"]:
            link(side, a, side, b)
    link("pose", 15, "left_hand", 0)
    link("pose", 16, "right_hand", 0)
    face_edges = groups["face_lips"] if fp == "lips" else \
        [e for g in CONTOUR_GROUPS for e in groups[g]]
    for a, b in face_edges:
        link("face", a, "face", b)
    link("pose", 0, "face", 0)
    return A, ("pose" in parts)


def edges_adjacency(J, edges):
    A = np.zeros((J, J), dtype=np.int64)
    for a, b in edges:
        A[a, b] = A[b, a] = 1
    return A


def hops(A, pose_included):
    J = A.shape[0]
    comp = -np.ones(J, dtype=np.int64)
    members = []
    for s in range(J):  # connected components by BFS
        if comp[s] >= 0:
            continue
        comp[s] = len(members)
        seen, q = [s], deque([s])
        while q:
            u = q.popleft()
            for v in np.nonzero(A[u])[0]:
                if comp[v] < 0:
                    comp[v] = comp[s]
                    seen.append(int(v))
                    q.append(int(v))
        members.append(seen)
    h = -np.ones(J, dtype=np.int64)
    for c, mem in enumerate(members):
        root = 0 if (pose_included and comp[0] == c) else min(mem)
        h[root] = 0
        q = deque([root])
        while q:
            u = q.popleft()
            for v in np.nonzero(A[u])[0]:
                if h[v] < 0:
                    h[v] = h[u] + 1
                    q.append(int(v))
    assert (h >= 0).all()
    return h


def partitions(A, pose_included):
    J = A.shape[0]
    deg = A.sum(axis=1) + 1
    AI = A + np.eye(J, dtype=np.int64)
    uniform = AI / np.sqrt(np.outer(deg, deg))
    h = hops(A, pose_included)
    closer = (h[None, :] < h[:, None]) & (A == 1)
    farther = (h[None, :] >= h[:, None]) & (A == 1)
    inv = (1.0 / deg)[:, None]
    spatial = np.stack([np.diag(1.0 / deg), closer * inv, farther * inv])
    assert np.allclose(spatial.sum(axis=0), AI * inv)
    return {"uniform": uniform[None], "spatial": spatial}


def write(path, title, M):
    K, J, _ = M.shape
    k, i, j = np.nonzero(M)
    lines = [f"# {os.path.basename(path)} - generated by tools/graph_reference.py; do not edit",
             f"# {title}",
             f"J {J} K {K} nnz {len(k)}"]
    lines += [f"{a} {b} {c} {M[a, b, c]:.9g}" for a, b, c in zip(k, i, j)]
    with open(path, "w", encoding="ascii") as f:
        f.write("\n".join(lines) + "\n")


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: graph_reference.py TOPOLOGY_TXT [OUT_DIR]")
    groups = read_topology(sys.argv[1])
    out = sys.argv[2] if len(sys.argv) == 3 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "graph")
    os.makedirs(out, exist_ok=True)
    for cfg in CONFIGS:
        name, pose, hands, face, fp, fin, kind = cfg
        if kind == "mediapipe":
            A, pose_in = mediapipe_adjacency(cfg, groups)
            title = (f"graph=mediapipe pose={int(pose)} hands={int(hands)} face={int(face)} "
                     f"face_points={fp} face_in_file={fin}")
        elif kind == "chain":
            _, J = layout(pose, hands, face, fp, fin, groups)
            A, pose_in = edges_adjacency(J, [(i, i + 1) for i in range(J - 1)]), pose
            title = f"graph=chain J={J}"
        else:
            A, pose_in = edges_adjacency(13, EDGES13), False
            title = "graph=edges J=13 " + " ".join(f"{a}-{b}" for a, b in EDGES13)
        for pname, M in partitions(A, pose_in).items():
            write(os.path.join(out, f"{name}_{pname}.txt"), f"{title} partition={pname}", M)


if __name__ == "__main__":
    main()
