#!/usr/bin/python3
"""draw_landmarks.py — one frame of a video (or an image) with the landmarks `signstgcn
extract` wrote for it drawn on top, as a PNG, to look at by eye.

    python3 tools/draw_landmarks.py RECORDING.npz SOURCE OUT.png [--frame T] [--scale S]
                                    [--box X0,Y0,X1,Y1 ...]

Draws: pose landmarks (red) with MediaPipe's pose skeleton, the left hand (green) and right
hand (blue) landmarks with the bounding box of each hand's 21 points, the face (yellow dots),
and the pose wrists (LEFT_WRIST 15, RIGHT_WRIST 16) as large crosses in the hand's colour, so
that one can see whether each pose wrist lies in its hand's box and left/right are not
swapped. `--box` adds reference boxes in pixels (white), e.g. the hand boxes a test expects.

Needs only the Python standard library and ffmpeg/ffprobe (which the extractor needs anyway):
the npz is read with zipfile (float32 members, as signstgcn writes them), the frame is
decoded by ffmpeg to raw RGB, and the PNG is written with zlib. Not needed at run or test
time.
"""
import argparse
import ast
import json
import struct
import subprocess
import sys
import zipfile
import zlib

POSE_EDGES = [(11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24),
              (23, 25), (25, 27), (24, 26), (26, 28), (15, 17), (15, 19), (15, 21), (16, 18),
              (16, 20), (16, 22), (0, 1), (1, 2), (2, 3), (3, 7), (0, 4), (4, 5), (5, 6), (6, 8),
              (9, 10)]
HAND_EDGES = [(0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (5, 9), (9, 10),
              (10, 11), (11, 12), (9, 13), (13, 14), (14, 15), (15, 16), (13, 17), (0, 17),
              (17, 18), (18, 19), (19, 20)]


def read_npz(path):
    """{member: (shape, list of floats)} for the float32 members."""
    out = {}
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            raw = z.read(name)
            if raw[:6] != b"\x93NUMPY":
                sys.exit(f"draw_landmarks: '{path}': member '{name}' is not a .npy")
            major = raw[6]
            hlen = struct.unpack("<H" if major == 1 else "<I", raw[8:10] if major == 1 else raw[8:12])[0]
            start = 10 if major == 1 else 12
            header = ast.literal_eval(raw[start:start + hlen].decode("latin1"))
            if header["descr"] != "<f4" or header["fortran_order"]:
                sys.exit(f"draw_landmarks: '{path}': member '{name}' has dtype {header['descr']} "
                         "(expected <f4 in C order, as signstgcn writes)")
            data = raw[start + hlen:]
            n = len(data) // 4
            out[name[:-4] if name.endswith(".npy") else name] = (
                tuple(header["shape"]), struct.unpack(f"<{n}f", data))
    return out


def frame_rgb(source, t, fps):
    """(width, height, bytearray RGB, source frame) of the recording's frame t, as ffmpeg
    decodes it. When the recording's fps (its npz `fps`) differs from the source's, as after
    `signstgcn extract --fps N`, frame t is the source frame nearest to t / fps seconds."""
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                            "stream=width,height,avg_frame_rate:stream_tags=rotate:"
                            "stream_side_data=rotation",
                            "-of", "json", source], capture_output=True, text=True)
    if probe.returncode != 0:
        sys.exit(f"draw_landmarks: '{source}': ffprobe: {probe.stderr.strip().splitlines()[-1]}")
    st = json.loads(probe.stdout)["streams"][0]
    w, h = st["width"], st["height"]
    rot = float(st.get("tags", {}).get("rotate", 0))
    for sd in st.get("side_data_list", []):
        rot = float(sd.get("rotation", rot))
    if abs(rot) % 180 == 90:  # ffmpeg turns the picture upright, as the extractor sees it
        w, h = h, w
    num, _, den = st.get("avg_frame_rate", "0/1").partition("/")
    src_fps = float(num) / float(den or 1) if float(den or 1) else 0.0
    if fps > 0 and src_fps > 0 and abs(fps - src_fps) > 1e-3:
        t = int(round(t * src_fps / fps))
    dec = subprocess.run(["ffmpeg", "-v", "error", "-i", source, "-vf", f"select=eq(n\\,{t})",
                          "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True)
    if dec.returncode != 0 or len(dec.stdout) != w * h * 3:
        sys.exit(f"draw_landmarks: '{source}': cannot decode frame {t} "
                 f"({len(dec.stdout)} bytes, expected {w * h * 3})")
    return w, h, bytearray(dec.stdout), t


class Canvas:
    def __init__(self, w, h, rgb, scale):
        self.w, self.h, self.s = w * scale, h * scale, scale
        self.px = bytearray(self.w * self.h * 3)
        for y in range(self.h):
            for x in range(self.w):
                i = ((y // scale) * w + x // scale) * 3
                j = (y * self.w + x) * 3
                self.px[j:j + 3] = rgb[i:i + 3]

    def dot(self, x, y, c, r=1):
        for dy in range(-r, r + 1):
            for dx in range(-r, r + 1):
                xi, yi = int(round(x)) + dx, int(round(y)) + dy
                if 0 <= xi < self.w and 0 <= yi < self.h:
                    j = (yi * self.w + xi) * 3
                    self.px[j:j + 3] = bytes(c)

    def line(self, x0, y0, x1, y1, c):
        n = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
        for k in range(n + 1):
            a = k / n
            self.dot(x0 + (x1 - x0) * a, y0 + (y1 - y0) * a, c, 0)

    def rect(self, x0, y0, x1, y1, c):
        self.line(x0, y0, x1, y0, c)
        self.line(x1, y0, x1, y1, c)
        self.line(x1, y1, x0, y1, c)
        self.line(x0, y1, x0, y0, c)

    def cross(self, x, y, c, r):
        self.line(x - r, y - r, x + r, y + r, c)
        self.line(x - r, y + r, x + r, y - r, c)
        self.line(x - r + 1, y - r, x + r + 1, y + r, c)
        self.line(x - r + 1, y + r, x + r + 1, y - r, c)

    def png(self, path):
        rows = b"".join(b"\x00" + bytes(self.px[y * self.w * 3:(y + 1) * self.w * 3])
                        for y in range(self.h))

        def chunk(kind, data):
            return (struct.pack(">I", len(data)) + kind + data +
                    struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n")
            f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)))
            f.write(chunk(b"IDAT", zlib.compress(rows, 6)))
            f.write(chunk(b"IEND", b""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("npz")
    ap.add_argument("source")
    ap.add_argument("out")
    ap.add_argument("--frame", type=int, default=0)
    ap.add_argument("--scale", type=int, default=2)
    ap.add_argument("--box", action="append", default=[],
                    help="X0,Y0,X1,Y1 in pixels of the source, drawn in white")
    a = ap.parse_args()
    m = read_npz(a.npz)
    fps = m["fps"][1][0] if "fps" in m else 0.0
    w, h, rgb, src_t = frame_rgb(a.source, a.frame, fps)
    cv = Canvas(w, h, rgb, a.scale)
    s = a.scale

    def points(name):
        if name not in m:
            return []
        shape, vals = m[name]
        if a.frame >= shape[0]:
            sys.exit(f"draw_landmarks: '{a.npz}' has {shape[0]} frames (asked for {a.frame})")
        J, C = shape[1], shape[2]
        base = a.frame * J * C
        pts = []
        for j in range(J):
            x, y = vals[base + j * C], vals[base + j * C + 1]
            pts.append(None if x != x or y != y else (x * w * s, y * h * s))
        return pts

    for b in a.box:
        x0, y0, x1, y1 = (float(v) * s for v in b.split(","))
        cv.rect(x0, y0, x1, y1, (255, 255, 255))
    for p in points("face"):
        if p:
            cv.dot(p[0], p[1], (255, 220, 0), 0)
    pose = points("pose")
    for i, j in POSE_EDGES:
        if i < len(pose) and j < len(pose) and pose[i] and pose[j]:
            cv.line(*pose[i], *pose[j], (255, 60, 60))
    for p in pose:
        if p:
            cv.dot(p[0], p[1], (255, 0, 0), 1)
    found = []
    for name, colour, wrist in (("left_hand", (0, 230, 0), 15), ("right_hand", (40, 120, 255), 16)):
        hp = points(name)
        if hp and all(hp):
            for i, j in HAND_EDGES:
                cv.line(*hp[i], *hp[j], colour)
            xs, ys = [p[0] for p in hp], [p[1] for p in hp]
            cv.rect(min(xs), min(ys), max(xs), max(ys), colour)
            found.append(name)
        if len(pose) > wrist and pose[wrist]:
            cv.cross(*pose[wrist], colour, 4 * s)
    cv.png(a.out)
    print(f"{a.out}: frame {a.frame} (source frame {src_t}) of {a.source} ({w}x{h}, scale {s}); "
          f"pose {'yes' if any(pose) else 'no'}, hands {', '.join(found) or 'none'}, "
          f"face {'yes' if any(points('face')) else 'no'}")


if __name__ == "__main__":
    main()
