#!/usr/bin/python3
"""make_npz_fixtures.py — writes tests/fixtures/npz/: .npz files as numpy writes them, the
float32 values numpy computes for each member, and broken files, for tests/test_npz.c.

Run with Debian's python3 (numpy 1.24):  /usr/bin/python3 tools/make_npz_fixtures.py
Output is deterministic: fixed random seeds, TZ=UTC and a fixed zip timestamp (np.savez
stamps members with the current time otherwise), so a rerun reproduces the committed bytes.

Layout:
  <name>.npz                       a fixture (valid or broken)
  expect/<name>.<member>.f32       numpy's arr.astype('<f4') in C order, raw little-endian
  expect/np_save_<what>.npy        np.save output the C writer must reproduce byte for byte
Every valid fixture's every float member has an expect file; the test checks that too.
"""
import io
import os
import sys
import time
import zipfile
from unittest import mock

os.environ["TZ"] = "UTC"
time.tzset()

import numpy as np  # noqa: E402
from numpy.lib import format as npf  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "npz")
FIXED_TIME = 1262304000.0  # 2010-01-01 00:00 UTC: the zip timestamp of every member
ZIP_DATE = time.gmtime(FIXED_TIME)[:6]


def path(*p):
    return os.path.join(ROOT, *p)


def expect(stem, arrays):
    for name, arr in arrays.items():
        if arr.dtype.kind != "f":
            continue
        out = np.ascontiguousarray(arr.astype("<f4"))
        with open(path("expect", "%s.%s.f32" % (stem, name)), "wb") as f:
            f.write(out.tobytes(order="C"))


def savez(stem, compressed, **arrays):
    """np.savez / np.savez_compressed with a fixed timestamp."""
    with mock.patch("time.time", return_value=FIXED_TIME):
        (np.savez_compressed if compressed else np.savez)(path(stem + ".npz"), **arrays)
    expect(stem, arrays)


def npy_bytes(arr, version=None):
    b = io.BytesIO()
    npf.write_array(b, arr, version=version, allow_pickle=True)
    return b.getvalue()


def zip_members(stem, members, compression=zipfile.ZIP_STORED, force_zip64=False):
    """A zip of raw members [(name, bytes)], as np.savez builds it."""
    with zipfile.ZipFile(path(stem + ".npz"), "w", compression=compression,
                         allowZip64=True) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = compression
            with zf.open(info, "w", force_zip64=force_zip64) as f:
                f.write(data)


def main():
    os.makedirs(path("expect"), exist_ok=True)
    for f in os.listdir(ROOT):
        if f.endswith(".npz"):
            os.remove(path(f))
    for f in os.listdir(path("expect")):
        os.remove(path("expect", f))
    rng = np.random.default_rng(20261125)

    # --- valid: np.savez / np.savez_compressed, the three float widths, shapes -------------
    savez("savez_f32", False,
          pose=rng.standard_normal((3, 5, 2)).astype("<f4"),
          left_hand=rng.standard_normal((3, 4, 3)).astype("<f4"))
    savez("savez_compressed_mixed", True,
          half=rng.standard_normal((2, 3, 4)).astype("<f2"),
          double=(rng.standard_normal((5, 3)) * 1e3).astype("<f8"),
          scalar=np.array(3.25, dtype="<f4"),
          vector=rng.standard_normal(7).astype("<f4"),
          empty=np.zeros((0, 3), dtype="<f4"))
    savez("fortran", False,
          f32=np.asfortranarray(rng.standard_normal((3, 4, 2)).astype("<f4")),
          f64=np.asfortranarray(rng.standard_normal((4, 5))),
          f16=np.asfortranarray(rng.standard_normal((2, 3)).astype("<f2")),
          f4d=np.asfortranarray(rng.standard_normal((2, 3, 2, 2)).astype("<f4")))
    savez("bigendian", True,
          be16=rng.standard_normal((3, 2)).astype(">f2"),
          be32=rng.standard_normal((2, 3, 2)).astype(">f4"),
          be64=rng.standard_normal(6).astype(">f8"),
          be32_fortran=np.asfortranarray(rng.standard_normal((3, 4)).astype(">f4")))

    # npy format versions 1.0 / 2.0 / 3.0 written by numpy into a hand-made zip.
    ver = {"v1": rng.standard_normal((2, 3)).astype("<f4"),
           "v2": rng.standard_normal((4,)).astype("<f8"),
           "v3": rng.standard_normal((3, 1)).astype("<f2")}
    zip_members("versions", [("v1.npy", npy_bytes(ver["v1"], (1, 0))),
                             ("v2.npy", npy_bytes(ver["v2"], (2, 0))),
                             ("v3.npy", npy_bytes(ver["v3"], (3, 0)))],
                compression=zipfile.ZIP_DEFLATED)
    expect("versions", ver)

    # zip64 extra fields on every member, one stored and one deflated archive.
    z64 = {"pose": rng.standard_normal((4, 33, 2)).astype("<f4"),
           "face": rng.standard_normal((2, 3)).astype("<f8")}
    zip_members("zip64_stored", [(k + ".npy", npy_bytes(v)) for k, v in z64.items()],
                force_zip64=True)
    expect("zip64_stored", z64)
    zip_members("zip64_deflated", [(k + ".npy", npy_bytes(v)) for k, v in z64.items()],
                compression=zipfile.ZIP_DEFLATED, force_zip64=True)
    expect("zip64_deflated", z64)

    # Special values: NaN, infinities, signed zero, subnormal halves, float64 rounding.
    half_bits = np.array([0x0000, 0x8000, 0x0001, 0x8001, 0x03ff, 0x0200, 0x0400, 0x7bff,
                          0xfbff, 0x7c00, 0xfc00, 0x7e00, 0xfe00, 0x7e01, 0x3c00, 0x3555],
                         dtype="<u2")
    dbl = np.array([0.0, -0.0, 1.0 + 2.0 ** -24, 1.0 + 3 * 2.0 ** -24, 1.0 + 2.0 ** -23 + 2.0 ** -24,
                    1e39, -1e39, 3.4028235677973366e38, 3.4028235e38, 1e-40, -1e-42, 1e-50,
                    np.nan, -np.nan, np.inf, -np.inf, 0.1, 2.0 / 3.0, 1.401298464324817e-45,
                    7.006492321624085e-46, 7.006492321624087e-46], dtype="<f8")
    f32 = np.array([np.nan, np.inf, -np.inf, -0.0, 1e-45, np.finfo("<f4").max], dtype="<f4")
    savez("special", False, half=half_bits.view("<f2"), double=dbl, single=f32,
          double_be=dbl.astype(">f8"), half_be=half_bits.view("<f2").astype(">f2"))

    # Header spellings numpy reads: '=' and '|' byte order, double quotes, key order,
    # Python 2 long ints, no trailing comma in the dict.
    arr = np.arange(6, dtype="<f8").reshape(2, 3) / 8
    arr4 = np.arange(4, dtype="<f4") - 1.5
    spell = [
        ("eq_f8", "{'descr': '=f8', 'fortran_order': False, 'shape': (2, 3), }", arr),
        ("bar_f4", "{'descr': '|f4', 'fortran_order': False, 'shape': (4,), }", arr4),
        ("dq_keys", '{"shape": (2, 3), "fortran_order": False, "descr": "<f8"}', arr),
        ("py2_long", "{'descr': '<f4', 'fortran_order': False, 'shape': (4L,), }", arr4),
        ("no_order", "{'descr': 'f8', 'fortran_order': False, 'shape': (2L, 3L)}", arr),
    ]
    zip_members("header_spellings",
                [(n + ".npy", npf._wrap_header(h, (1, 0)) + a.tobytes()) for n, h, a in spell])
    expect("header_spellings", {n: a for n, _, a in spell})

    # --- mixed: readable float plus members the reader lists but cannot read ------------------
    rec = np.zeros(2, dtype=[("x", "<f4"), ("y", "<i4")])
    obj = np.array([{"a": 1}, None], dtype=object)
    mixed = {"pose": rng.standard_normal((2, 33, 2)).astype("<f4"),
             "cplx": np.array([1 + 2j, 3 - 1j], dtype="<c8"),
             "labels": np.arange(3, dtype="<i8"),
             "record": rec}
    zip_members("unsupported_dtypes",
                [(k + ".npy", npy_bytes(v)) for k, v in mixed.items()] +
                [("obj.npy", npy_bytes(obj)), ("notes.txt", b"not an array\n")])
    expect("unsupported_dtypes", mixed)

    # --- broken headers and sizes, each in its own member -------------------------------------
    good = np.arange(3, dtype="<f4")
    hdr = npf._wrap_header("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", (1, 0))
    bad = [
        ("garbage", npf._wrap_header("{'descr': <f4, 'fortran_order': Maybe, }", (1, 0))
         + good.tobytes()),
        ("badmagic", b"\x93NUMPX" + hdr[6:] + good.tobytes()),
        ("badversion", b"\x93NUMPY\x04\x00" + hdr[8:] + good.tobytes()),
        ("short", b"\x93NUM"),
        ("short_data", hdr + good.tobytes()[:10]),
        ("long_data", hdr + good.tobytes() + b"\0\0\0\0"),
        ("huge_header", b"\x93NUMPY\x02\x00" + (70000).to_bytes(4, "little") + b" " * 100),
        ("huge_shape", npf._wrap_header(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 16), }",
            (1, 0))),
        ("bad_shape", npf._wrap_header("{'descr': '<f4', 'fortran_order': False, 'shape': (3), }",
                                       (1, 0)) + good.tobytes()),
        ("missing_key", npf._wrap_header("{'descr': '<f4', 'shape': (3,), }", (1, 0))
         + good.tobytes()),
        ("ok", npy_bytes(good)),
    ]
    zip_members("bad_headers", [(n + ".npy", b) for n, b in bad])
    expect("bad_headers", {"ok": good})

    # --- broken archives --------------------------------------------------------------------
    savez("tmp_trunc", False, pose=rng.standard_normal((4, 33, 2)).astype("<f4"),
          left_hand=rng.standard_normal((4, 21, 2)).astype("<f4"))
    whole = open(path("tmp_trunc.npz"), "rb").read()
    os.remove(path("tmp_trunc.npz"))
    os.remove(path("expect", "tmp_trunc.pose.f32"))
    os.remove(path("expect", "tmp_trunc.left_hand.f32"))
    cd = whole.find(b"PK\x01\x02")
    open(path("truncated_data.npz"), "wb").write(whole[:600])     # inside pose's data
    open(path("truncated_cd.npz"), "wb").write(whole[:cd + 30])   # inside the central directory
    # A flipped data byte: the zip is intact, the member's CRC is not.
    crc = bytearray(whole)
    crc[200] ^= 0x40
    open(path("crc_mismatch.npz"), "wb").write(bytes(crc))

    # A deflated member whose stream holds less than its zip sizes (and its header) claim:
    # the archive is intact, the member's data ends early.
    short = np.arange(64, dtype="<f4")
    full = npy_bytes(short)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("pose.npy", date_time=ZIP_DATE), full[:-100],
                    compress_type=zipfile.ZIP_DEFLATED)
    b = bytearray(buf.getvalue())
    cdir = b.find(b"PK\x01\x02")
    b[22:26] = len(full).to_bytes(4, "little")            # local header: uncompressed size
    b[cdir + 24:cdir + 28] = len(full).to_bytes(4, "little")  # central directory: the same
    open(path("short_stream.npz"), "wb").write(bytes(b))

    with zipfile.ZipFile(path("text_only.npz"), "w") as zf:
        zf.writestr(zipfile.ZipInfo("README.txt", date_time=ZIP_DATE), "landmarks go here\n")
    open(path("not_a_zip.npz"), "wb").write(b"pose,left_hand\n0.1,0.2\n")

    # --- what np.save writes, for the C writer to match byte for byte ------------------------
    for what, a in {"2x3": np.arange(6, dtype="<f4").reshape(2, 3) * 0.5 - 1,
                    "scalar": np.array(-2.5, dtype="<f4"),
                    "vec5": np.arange(5, dtype="<f4") / 3,
                    "empty0x4": np.zeros((0, 4), dtype="<f4")}.items():
        open(path("expect", "np_save_%s.npy" % what), "wb").write(npy_bytes(a))

    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(ROOT) for f in fs)
    print("wrote %s (%d bytes)" % (os.path.normpath(ROOT), total), file=sys.stderr)


if __name__ == "__main__":
    main()
