"""The quick profile's verdicts of both scorecards (`lib.claims.published`, Part I, and
`lib.claims.beyond`, Part II) are pinned in tests/pinned_verdicts.json: a change of any verdict fails
here, naming the claim with its old and new measurement. Updating the file is the
deliberate act that accepts a change:

    python tests/test_pinned_verdicts.py   # rewrites tests/pinned_verdicts.json
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from lib import claims

PINNED = Path(__file__).with_name("pinned_verdicts.json")


def current() -> dict[str, dict[str, str]]:
    card = pd.concat([claims.published("quick"), claims.beyond("quick")], ignore_index=True)
    assert card.id.is_unique, "a claim id appears in both scorecards"
    return {r.id: {"verdict": r.verdict, "ours": r.ours} for r in card.itertuples()}


def test_quick_profile_verdicts_are_the_pinned_ones():
    pinned = json.loads(PINNED.read_text())
    now = current()
    assert sorted(now) == sorted(pinned), (
        f"claims added or removed: pinned {sorted(pinned)}, now {sorted(now)}"
    )
    changed = [
        f"{cid}: verdict {pinned[cid]['verdict']!r} -> {now[cid]['verdict']!r}\n"
        f"    was: {pinned[cid]['ours']}\n    now: {now[cid]['ours']}"
        for cid in pinned
        if now[cid]["verdict"] != pinned[cid]["verdict"]
    ]
    assert not changed, (
        "scorecard verdicts changed (update tests/pinned_verdicts.json if intended):\n"
        + "\n".join(changed)
    )


if __name__ == "__main__":
    PINNED.write_text(json.dumps(current(), indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {PINNED}")
