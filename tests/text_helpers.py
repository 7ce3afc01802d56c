"""Studies of generated comments with planted topics, for the text tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import write_study

import cxresearch as cx
from cxresearch.analyses.text._planted import planted_comments

TEXT_CODEBOOK = {
    "name": "Planted comments",
    "min_base": 20,
    "responses": "responses.csv",
    "columns": {"id": "id", "weight": "w"},
    "outcomes": {"nps": {"column": "recommend", "scale": [0, 10]}},
    "text": [{"column": "comment", "touchpoint": None}],
}


def planted_study(folder, n=600, languages=("en",), random_state=0, weights=False, bad_topic=None):
    """A study of planted comments; with ``bad_topic``, that topic's writers
    score 0-4 and everyone else 7-10 (so the topic drives the NPS down)."""
    d = planted_comments(n, languages=languages, random_state=random_state)
    rng = np.random.default_rng(random_state)
    if bad_topic is not None:
        d["score"] = np.where(
            d["topic"] == bad_topic, rng.integers(0, 5, n), rng.integers(7, 11, n)
        )
    rows = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)],
            "recommend": d["score"],
            "comment": d["text"],
            "w": rng.uniform(0.5, 2.0, n) if weights else 1.0,
        }
    )
    return cx.load_study(write_study(folder, rows, TEXT_CODEBOOK)), d
