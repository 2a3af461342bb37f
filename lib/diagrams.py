"""Schematics and pictures drawn with matplotlib.

`draw_network`: the XOR-paper network of Part II (book/beyond/architecture). For the published paper's
setting (book/paper/setting): `pattern_glyphs`, `point_image`, `draw_points` and `draw_glyph_key` draw
points of D as images of patches in the style of the paper's Fig. 1a, and `draw_convpool` draws
ConvPool (Eq. 1).
"""

from __future__ import annotations

import matplotlib.pyplot as plt  # noqa: F401  (kept for callers that import it from here)
import numpy as np
from matplotlib.patches import FancyArrowPatch, Rectangle

from lib._checks import check_int, show


def draw_network(ax, n: int = 6, k: int = 3) -> None:
    """Patches x_1..x_n -> 2k filters (w_i: +1, u_i: -1) -> ReLU and max over positions -> fixed
    +-1 sum. Purely illustrative: n and k are the drawn sizes."""
    ax.set_xlim(0, 10)
    ax.set_ylim(-0.5, 2 * k + 0.5)
    ax.axis("off")
    gray = "0.85"
    for j in range(n):  # input patches
        yj = (2 * k) * (j + 0.5) / n
        ax.add_patch(Rectangle((0.2, yj - 0.3), 1.2, 0.6, fc=gray, ec="0.3"))
        ax.text(0.8, yj, f"$x_{{{j + 1}}}$", ha="center", va="center")
    colors = {+1: "#0173b2", -1: "#de8f05"}
    for c in range(2 * k):
        sign = +1 if c < k else -1
        name = f"w_{{{c + 1}}}" if sign > 0 else f"u_{{{c - k + 1}}}"
        yc = 2 * k - c - 0.5
        ax.add_patch(Rectangle((3.2, yc - 0.3), 1.6, 0.6, fc="white", ec=colors[sign], lw=1.5))
        ax.text(
            4.0, yc, f"$\\max_j \\sigma({name}\\cdot x_j)$", ha="center", va="center", fontsize=8
        )
        for j in range(n):
            yj = (2 * k) * (j + 0.5) / n
            ax.plot([1.4, 3.2], [yj, yc], color=colors[sign], lw=0.4, alpha=0.35)
        ax.add_patch(
            FancyArrowPatch(
                (4.8, yc), (7.3, k), arrowstyle="-|>", mutation_scale=8, color=colors[sign], lw=1
            )
        )
        ax.text(6.0, (yc + k) / 2 + 0.12, f"{sign:+d}", color=colors[sign], fontsize=8, ha="center")
    ax.add_patch(Rectangle((7.3, k - 0.45), 1.5, 0.9, fc="white", ec="0.2"))
    ax.text(8.05, k, "$N_W(x)$", ha="center", va="center")
    ax.text(0.8, -0.4, "patches\n(filter = stride = d)", ha="center", va="top", fontsize=8)
    ax.text(4.0, -0.4, "2k filters, ReLU,\nglobal max-pool", ha="center", va="top", fontsize=8)
    ax.text(6.2, -0.4, "fixed output\nweights ±1", ha="center", va="top", fontsize=8)


# --------------------------------------------------------------------------------------------------
# The published paper's setting (book/paper/setting): Fig. 1a-style pictures of points of D, and a
# schematic of ConvPool (Eq. 1).
# --------------------------------------------------------------------------------------------------

POSITIVE_COLOR = "#0173b2"  # o_1, y = +1 (the book's colorblind blue)
NEGATIVE_COLOR = "#d55e00"  # o_2, y = -1 (vermillion)
SPURIOUS_COLOR = "0.55"  # spurious patterns: grey

# Hand-drawn 7 x 7 glyphs: o_1 a plus sign, o_2 a ring, then simple shapes for the spurious patterns.
_HAND_GLYPHS = [
    ["...#...", "...#...", "...#...", "#######", "...#...", "...#...", "...#..."],  # o_1: plus
    ["..###..", ".#...#.", "#.....#", "#.....#", "#.....#", ".#...#.", "..###.."],  # o_2: ring
    ["#.....#", ".#...#.", "..#.#..", "...#...", "..#.#..", ".#...#.", "#.....#"],  # cross
    ["#######", "#.....#", "#.....#", "#.....#", "#.....#", "#.....#", "#######"],  # square
    ["...#...", "..#.#..", "..#.#..", ".#...#.", ".#...#.", "#.....#", "#######"],  # triangle
    ["#......", "#......", "#......", "#......", "#......", "#......", "#######"],  # L
    ["#######", ".......", ".......", "#######", ".......", ".......", "#######"],  # three bars
    ["#.#.#.#", ".#.#.#.", "#.#.#.#", ".#.#.#.", "#.#.#.#", ".#.#.#.", "#.#.#.#"],  # checker
    ["#......", ".#.....", "..#....", "...#...", "....#..", ".....#.", "......#"],  # diagonal
    ["#.#.#.#", "#.#.#.#", "#.#.#.#", "#.#.#.#", "#.#.#.#", "#.#.#.#", "#.#.#.#"],  # columns
    [".......", ".......", "..###..", "..###..", "..###..", ".......", "......."],  # dot
    ["...#...", "..###..", ".#####.", "#######", ".#####.", "..###..", "...#..."],  # diamond
]
GLYPH_SIZE = 7


def pattern_glyphs(l: int) -> np.ndarray:
    """One small picture per pattern, for drawing points of D as images (Fig. 1a of the paper).

    Returns a bool array (l, 7, 7), all glyphs distinct: o_1 (index 0) is a plus sign, o_2 (index 1) a
    ring, the next ten spurious patterns simple shapes, and any further ones random mirror-symmetric
    glyphs drawn from a fixed seed (so the pictures never change). l >= 1.
    """
    l = check_int("l", l, 1, 10_000)
    glyphs = [np.array([[c == "#" for c in row] for row in g]) for g in _HAND_GLYPHS[:l]]
    seen = {g.tobytes() for g in glyphs}
    rng = np.random.default_rng(20210727)
    half = (GLYPH_SIZE + 1) // 2
    while len(glyphs) < l:
        left = rng.random((GLYPH_SIZE, half)) < 0.5
        g = np.concatenate([left, left[:, : GLYPH_SIZE - half][:, ::-1]], axis=1)
        if g.sum() >= 8 and g.tobytes() not in seen:
            seen.add(g.tobytes())
            glyphs.append(g)
    return np.stack(glyphs)


def pattern_color(p: int) -> str:
    """The colour of pattern index p (0-based): o_1 blue, o_2 vermillion, spurious grey."""
    return POSITIVE_COLOR if p == 0 else NEGATIVE_COLOR if p == 1 else SPURIOUS_COLOR


def point_image(indices, l: int, grid: tuple[int, int]) -> np.ndarray:
    """An RGB image (H, W, 3) of one point of D: its n = rows * cols patches laid out row by row on a
    `grid`, each patch the glyph of its pattern in the pattern's colour on a white tile, with light
    grey lines between the tiles.

    indices : the n pattern indices of the point (0-based, in [0, l)).
    """
    import matplotlib.colors as mcolors

    l = check_int("l", l, 1, 10_000)
    if not (isinstance(grid, tuple) and len(grid) == 2):
        raise ValueError(f"grid must be a tuple (rows, cols), got {show(grid)}")
    rows, cols = check_int("grid[0]", grid[0], 1), check_int("grid[1]", grid[1], 1)
    idx = np.asarray(indices)
    if idx.ndim != 1 or idx.size != rows * cols or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(
            f"indices must be {rows * cols} integers (one per patch of the grid), got {show(indices)}"
        )
    if idx.min() < 0 or idx.max() >= l:
        raise ValueError(
            f"indices must lie in [0, l={l}), got values from {idx.min()} to {idx.max()}"
        )
    glyphs = pattern_glyphs(l)
    s, pad = GLYPH_SIZE, 1
    tile = s + 2 * pad
    img = np.ones((rows * tile + 1, cols * tile + 1, 3))
    img[::tile, :, :] = 0.82  # grid lines
    img[:, ::tile, :] = 0.82
    for j, p in enumerate(idx):
        r, c = divmod(j, cols)
        rgb = np.array(mcolors.to_rgb(pattern_color(int(p))))
        y0, x0 = r * tile + pad + 1, c * tile + pad + 1
        block = img[y0 : y0 + s, x0 : x0 + s]
        block[glyphs[p]] = rgb
    return img


def draw_points(axes, idx, y, l: int, grid: tuple[int, int] = (4, 4)) -> None:
    """Draw points of D as images (one per axis, in the style of the paper's Fig. 1a), titled with
    their label and framed in the label's colour.

    axes : a sequence of matplotlib axes, one per point. idx : (m, n) pattern indices, n = rows * cols
    (what `OrthogonalPatterns.sample_indices` returns). y : (m,) labels in {-1, +1}.
    """
    idx = np.asarray(idx)
    y = np.asarray(y)
    axes = list(np.ravel(axes))
    if idx.ndim != 2:
        raise ValueError(f"idx must be a 2-d array (m, n) of pattern indices, got {show(idx)}")
    if y.shape != (idx.shape[0],) or not np.isin(y, (-1, 1)).all():
        raise ValueError(f"y must hold {idx.shape[0]} labels in {{-1, +1}}, got {show(y)}")
    if len(axes) != idx.shape[0]:
        raise ValueError(f"axes must hold one axis per point ({idx.shape[0]}), got {len(axes)}")
    for ax, row, label in zip(axes, idx, y):
        ax.imshow(point_image(row, l, grid), interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        color = POSITIVE_COLOR if label > 0 else NEGATIVE_COLOR
        for spine in ax.spines.values():
            spine.set_visible(True)
            spine.set_edgecolor(color)
            spine.set_linewidth(2.5)
        ax.set_title(f"$y = {int(label):+d}$", color=color, fontsize=11)


def draw_glyph_key(ax, l: int) -> None:
    """A key to the glyphs: every pattern's picture with its name o_1, ..., o_l and its role."""
    l = check_int("l", l, 1, 10_000)
    img = point_image(np.arange(l), l, (1, l))
    ax.imshow(img, interpolation="nearest")
    tile = GLYPH_SIZE + 2
    ax.set_xticks([p * tile + tile / 2 for p in range(l)], [f"$o_{{{p + 1}}}$" for p in range(l)])
    for tick, p in zip(ax.get_xticklabels(), range(l)):
        tick.set_color(pattern_color(p))
    ax.set_yticks([])
    ax.grid(False)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)


def draw_convpool(ax, n: int = 6, k: int = 4, winner: int | None = 2) -> None:
    """A schematic of ConvPool (the paper's Eq. 1): patches x[1..n] -> k filters w_i shared over the
    positions (filter size = stride = d) -> ReLU and a global max over positions -> trained second
    layer a -> N(x). Purely illustrative: n and k are the drawn sizes. The line from patch `winner`
    (0-based; None: no highlight) to channel 1 is drawn thick and orange: the patch that wins that
    channel's max-pool and alone carries its gradient (Eq. 3)."""
    n = check_int("n", n, 1, 30)
    k = check_int("k", k, 1, 30)
    if winner is not None:
        winner = check_int("winner", winner, 0, n - 1)
    H = max(n, k)
    ax.set_xlim(-0.2, 11.2)
    ax.set_ylim(-1.6, H + 0.6)
    ax.axis("off")
    ys_patch = [H - (j + 0.5) * H / n for j in range(n)]
    ys_chan = [H - (i + 0.5) * H / k for i in range(k)]
    for j, yj in enumerate(ys_patch):  # input patches
        ax.add_patch(Rectangle((0.1, yj - 0.3), 1.3, 0.6, fc="0.92", ec="0.35"))
        ax.text(0.75, yj, f"$x[{j + 1}]$", ha="center", va="center", fontsize=10.5)
    blue, grey = POSITIVE_COLOR, "0.45"
    for i, yc in enumerate(ys_chan):
        for j, yj in enumerate(ys_patch):  # weight sharing: every patch meets the same filter w_i
            strong = i == 0 and winner is not None and j == winner
            ax.plot(
                [1.4, 3.3],
                [yj, yc],
                color=NEGATIVE_COLOR if strong else grey,
                lw=2.2 if strong else 0.5,
                alpha=1.0 if strong else 0.45,
                zorder=3 if strong else 1,
            )
        ax.add_patch(Rectangle((3.3, yc - 0.32), 2.6, 0.64, fc="white", ec=blue, lw=1.4))
        ax.text(
            4.6,
            yc,
            f"$\\max_j \\sigma(w_{{{i + 1}}} \\cdot x[j])$",
            ha="center",
            va="center",
            fontsize=10.5,
        )
        ax.add_patch(
            FancyArrowPatch(
                (5.9, yc), (8.3, H / 2), arrowstyle="-|>", mutation_scale=9, color=blue, lw=1
            )
        )
        ax.text(
            7.0,
            yc + (H / 2 - yc) * 0.45 + 0.15,
            f"$a_{{{i + 1}}}$",
            color=blue,
            fontsize=10.5,
            ha="center",
        )
    ax.add_patch(Rectangle((8.3, H / 2 - 0.65), 2.3, 1.3, fc="white", ec="0.2"))
    ax.text(
        9.45, H / 2, "$N(x; W, a)$\n$=\\sum_i a_i z_i(x)$", ha="center", va="center", fontsize=10.5
    )
    foot = -0.45
    ax.text(
        0.75, foot, "$n$ patches\n$x[j] \\in \\mathbb{R}^d$", ha="center", va="top", fontsize=9.5
    )
    ax.text(
        4.6,
        foot,
        "$k$ filters $w_i \\in \\mathbb{R}^d$ (size = stride = $d$),\nReLU, global max-pool: $z_i(x)$",
        ha="center",
        va="top",
        fontsize=9.5,
    )
    ax.text(
        9.45,
        foot,
        "trained second\nlayer $a \\in \\mathbb{R}^k$",
        ha="center",
        va="top",
        fontsize=9.5,
    )
    if winner is not None:
        ax.annotate(
            "winner of channel 1",
            xy=(1.4 + 0.35 * 1.9, ys_patch[winner] + 0.35 * (ys_chan[0] - ys_patch[winner])),
            xytext=(2.35, H + 0.15),
            color=NEGATIVE_COLOR,
            ha="center",
            va="bottom",
            fontsize=9,
            arrowprops=dict(arrowstyle="-", color=NEGATIVE_COLOR, lw=0.8),
        )
