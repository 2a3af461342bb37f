"""What a chapter needs to put numbers into its sentences: glue a dict of facts, show a settings object."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lib.settings import Settings


def glue_facts(prefix: str, facts: dict[str, Any]) -> None:
    """Glue every fact as `<prefix>_<key>` (for `{glue:text}` in the page's sentences), displaying nothing;
    numpy scalars as Python numbers, which a format such as `:.3f` accepts."""
    from myst_nb import glue

    for key, value in facts.items():
        glue(
            f"{prefix}_{key}",
            value.item() if isinstance(value, np.generic) else value,
            display=False,
        )


def settings_table(s: Settings) -> pd.DataFrame:
    """A settings object as a table a reader can scan: one row per field, its value and its meaning."""
    values = s.as_dict()
    return pd.DataFrame(
        [
            {
                "setting": name,
                "value": "None" if values[name] is None else str(values[name]),
                "meaning": doc,
            }
            for name, doc in s.describe().items()
        ]
    )
