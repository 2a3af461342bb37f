"""The README's headline, computed: how many of the published paper's claims hold on the book's
scorecard (`lib.claims.published`, the page book/paper/scorecard), written between two markers of
README.md, so that the README never states a count that no run produced.

    python scripts/readme_headline.py            print the line (profile: $BOOK_PROFILE, default full)
    python scripts/readme_headline.py --write    put it into README.md
    python scripts/readme_headline.py --check    exit 1 when README.md's line differs (the Pages workflow
                                                 runs this after the full-profile build)

The results come from the results cache (what is missing is computed, as on the scorecard page).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

README = Path(__file__).resolve().parent.parent / "README.md"
START = "<!-- headline: computed by scripts/readme_headline.py, do not edit by hand -->"
END = "<!-- /headline -->"


def headline(verdicts: pd.Series, profile: str) -> str:
    """The headline sentence for the scorecard's `verdicts` ("holds" or "fails", one per claim).

    Raises ValueError when `verdicts` is empty or holds another word.
    """
    words = set(verdicts)
    if len(verdicts) == 0 or not words <= {"holds", "fails"}:
        raise ValueError(
            f"verdicts must be a non-empty series of 'holds' / 'fails', got {sorted(map(str, words))}"
        )
    held = int((verdicts == "holds").sum())
    failed = len(verdicts) - held
    return (
        f"**{held} of {len(verdicts)} claims of the published paper hold** on the book's scorecard "
        f"({profile} profile; {failed} {'fails' if failed == 1 else 'fail'}, with the reason on the scorecard page)."
    )


def replace(text: str, line: str) -> str:
    """`text` (a README) with the line between the markers START and END replaced by `line`.

    Raises ValueError when the markers are missing or out of order.
    """
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README must hold the markers {START!r} and {END!r}, in that order")
    return text[: start + len(START)] + "\n" + line + "\n" + text[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help="put the line into README.md")
    action.add_argument("--check", action="store_true", help="exit 1 when README.md's line differs")
    parser.add_argument(
        "--profile", choices=("quick", "full"), default=None, help="default $BOOK_PROFILE or full"
    )
    args = parser.parse_args(argv)

    from lib.claims import published
    from lib.sweep import current_profile

    profile = args.profile or current_profile()
    line = headline(published(profile)["verdict"], profile)
    text = README.read_text()
    if args.write:
        README.write_text(replace(text, line))
    elif args.check and replace(text, line) != text:
        print(
            f"README.md's headline is stale; the {profile} profile gives:\n{line}\n"
            "run: python scripts/readme_headline.py --write",
            file=sys.stderr,
        )
        return 1
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
