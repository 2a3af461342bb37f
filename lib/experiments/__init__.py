"""Every experiment of the book, one module per chapter; importing this package registers them all.

Run one with `lib.run(name, profile)` (or `python -m lib run NAME`), which returns a tidy DataFrame.
"""
from lib.experiments import (  # noqa: F401
    architecture,
    beyond_orthogonal,
    cnn_vs_fcn,
    fcn_bound,
    generalization,
    lw_theory,
    optimization,
    paper_figures,
    setting,
    vc,
)
from lib.sweep import REGISTRY, get, run

__all__ = ["REGISTRY", "get", "run"]
