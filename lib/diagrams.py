"""A schematic of the paper's network, drawn with matplotlib (used by the architecture chapter)."""
from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, Rectangle


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
        ax.text(4.0, yc, f"$\\max_j \\sigma({name}\\cdot x_j)$", ha="center", va="center", fontsize=8)
        for j in range(n):
            yj = (2 * k) * (j + 0.5) / n
            ax.plot([1.4, 3.2], [yj, yc], color=colors[sign], lw=0.4, alpha=0.35)
        ax.add_patch(FancyArrowPatch((4.8, yc), (7.3, k), arrowstyle="-|>", mutation_scale=8, color=colors[sign], lw=1))
        ax.text(6.0, (yc + k) / 2 + 0.12, f"{sign:+d}", color=colors[sign], fontsize=8, ha="center")
    ax.add_patch(Rectangle((7.3, k - 0.45), 1.5, 0.9, fc="white", ec="0.2"))
    ax.text(8.05, k, "$N_W(x)$", ha="center", va="center")
    ax.text(0.8, -0.4, "patches\n(filter = stride = d)", ha="center", va="top", fontsize=8)
    ax.text(4.0, -0.4, "2k filters, ReLU,\nglobal max-pool", ha="center", va="top", fontsize=8)
    ax.text(6.2, -0.4, "fixed output\nweights ±1", ha="center", va="top", fontsize=8)

