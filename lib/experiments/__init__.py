"""Every experiment of the book, one module per chapter; importing this package registers them all
(every module of the package, in name order, so a new chapter's module needs no entry here).

Run one with `lib.run(name, profile)` (or `python -m lib run NAME`), which returns a tidy DataFrame;
`lib.sweep.get(name)` imports just the module that defines `name` (`lib.sweep.catalogue`).
"""

import importlib
import pkgutil

from lib.sweep import REGISTRY, get, run

for _module in sorted(info.name for info in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")

__all__ = ["REGISTRY", "get", "run"]
