"""One figure number per caption: a figure that carries the paper's own number keeps only that one.

The §7 page reruns the paper's figures with captions that start with the paper's number ("Fig. 3a,
ours beside the paper's ..."), and Sphinx put its own running number in front ("Fig. 13 Fig. 3a, ...").
A figure whose caption starts with "Fig. <number>," (PAPER_CAPTION) gets no running number, and the
other figures are numbered on without gaps. Such a figure is referenced with {ref} (its caption), not
{numref}: it has no running number to show.
"""

from __future__ import annotations

import re
from collections import defaultdict

from docutils import nodes
from sphinx.application import Sphinx

PAPER_CAPTION = re.compile(r"^Fig\.\s*\d+[a-z]?,")


def paper_figures(doctree: nodes.Node) -> set[str]:
    """The ids of the figures in `doctree` whose caption starts with the paper's number."""
    found = set()
    for figure in doctree.findall(nodes.figure):
        captions = list(figure.findall(nodes.caption))
        if captions and PAPER_CAPTION.match(captions[0].astext()):
            found.update(figure["ids"])
    return found


def renumber(fignumbers: dict, unnumbered: dict) -> dict:
    """`fignumbers` (Sphinx's env.toc_fignumbers: docname -> figure type -> id -> number tuple) without
    the figures of `unnumbered` (docname -> ids), the other figures renumbered in their old order,
    1, 2, ... within each group of numbers that share a prefix (a section number, or none)."""
    groups = defaultdict(list)
    for doc, types in fignumbers.items():
        for figid, number in types.get("figure", {}).items():
            groups[number[:-1]].append((number[-1], doc, figid))
    result = {
        doc: {kind: {} if kind == "figure" else dict(ids) for kind, ids in types.items()}
        for doc, types in fignumbers.items()
    }
    for prefix, members in groups.items():
        count = 0
        for _, doc, figid in sorted(members):
            if figid in unnumbered.get(doc, ()):
                continue
            count += 1
            result[doc]["figure"][figid] = (*prefix, count)
    return result


def _read(app: Sphinx, doctree: nodes.document) -> None:
    found = paper_figures(doctree)
    if found:
        _store(app.env)[app.env.docname] = found


def _store(env) -> dict:
    if not hasattr(env, "paper_figures"):
        env.paper_figures = {}
    return env.paper_figures


def _purge(app: Sphinx, env, docname: str) -> None:
    _store(env).pop(docname, None)


def _merge(app: Sphinx, env, docnames, other) -> None:
    _store(env).update({doc: ids for doc, ids in _store(other).items() if doc in docnames})


def _renumber(app: Sphinx, env) -> list[str]:
    env.toc_fignumbers = renumber(env.toc_fignumbers, _store(env))
    return list(env.toc_fignumbers)  # every page with figures is written again with its new numbers


def setup(app: Sphinx) -> dict:
    app.connect("doctree-read", _read)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    # after Sphinx numbers the figures (500)
    app.connect("env-get-updated", _renumber, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
