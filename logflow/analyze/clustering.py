"""Families of templates: TF-IDF over template words, linked by cosine similarity, sparse throughout.

Templates, not events, are clustered: a million events hold a few hundred templates, so this step
costs milliseconds whatever the input size. Each template text becomes a TF-IDF vector of its words
(``<*>``, numbers and ``key=<*>`` pairs dropped), L2-normalised, in a scipy sparse matrix. Two templates
are linked when their cosine similarity reaches ``family_similarity``; a family is a connected
component of that graph (single linkage), which is what groups variants such as
``connection refused to <*>`` / ``Connection refused (host <*>)`` across services and hosts.

The neighbour search is sklearn's brute-force radius search on the sparse matrix, which works in
row chunks, so memory stays bounded even with tens of thousands of templates: the matrix is never
densified and the full similarity matrix is never built.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.neighbors import NearestNeighbors

#: Words: letters first, then letters, digits, ``_`` or ``-`` (``<*>`` and bare numbers never match).
TOKEN_PATTERN = r"(?u)\b[^\W\d_][\w\-]*\b"  # noqa: S105 (a regex, not a secret)
#: ``key=<*>`` pairs: the key names a variable, it says little about what happened (``trace_id``).
KEY_VALUE = re.compile(r"[\w.\-]+=<\*>")


@dataclass(frozen=True, slots=True)
class Families:
    """Family label per template, and each template's similarity to its nearest other template."""

    labels: npt.NDArray[np.int64]
    nearest: npt.NDArray[np.float64]
    """Cosine similarity to the most similar *other* template (0 when there is none)."""

    @property
    def count(self) -> int:
        return int(self.labels.max()) + 1 if self.labels.size else 0


def cluster_templates(texts: Sequence[str], similarity: float = 0.5) -> Families:
    """Group template texts into families; see the module docstring for the method."""
    n = len(texts)
    if n == 0:
        return Families(np.zeros(0, dtype=np.int64), np.zeros(0))
    vectorizer = TfidfVectorizer(
        token_pattern=TOKEN_PATTERN,
        lowercase=True,
        ngram_range=(1, 1),
        sublinear_tf=True,
        norm="l2",
        dtype=np.float64,
    )
    try:
        matrix = vectorizer.fit_transform([KEY_VALUE.sub(" ", t).replace("<*>", " ") for t in texts])
    except ValueError:  # no template has a single word: every template is its own family
        return Families(np.arange(n, dtype=np.int64), np.zeros(n))
    if n == 1:
        return Families(np.zeros(1, dtype=np.int64), np.zeros(1))
    search = NearestNeighbors(metric="cosine", algorithm="brute").fit(matrix)
    graph = search.radius_neighbors_graph(matrix, radius=1.0 - similarity, mode="connectivity")
    _, labels = connected_components(graph, directed=False)
    distances, indices = search.kneighbors(matrix, n_neighbors=2)
    # Column 0 is usually the template itself; duplicates (distance 0) can swap the order.
    other = np.where(indices[:, 0] == np.arange(n), distances[:, 1], distances[:, 0])
    nearest = np.clip(1.0 - other, 0.0, 1.0)
    empty = np.asarray(matrix.getnnz(axis=1) == 0)
    nearest[empty] = 0.0  # a template with no words is similar to nothing
    return Families(_relabel(labels), nearest)


def _relabel(labels: npt.NDArray[np.int32]) -> npt.NDArray[np.int64]:
    """Labels in order of first appearance, so the same input always gets the same labels."""
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(np.argsort(first))
    return order[labels].astype(np.int64)
