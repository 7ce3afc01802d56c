"""Studies of every shape, made from one small demo study by editing its codebook
(and, for a few shapes, its data): the matrix of the "any study" issue.

Each shape names what the study has; ``make_shape(name, folder)`` writes it and
returns its ``study.yaml``. The demo's own shape is ``"full"``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

import cxresearch as cx


def _edit(codebook: dict, responses: pd.DataFrame, name: str) -> tuple[dict, pd.DataFrame]:
    outcomes = codebook["outcomes"]
    touchpoints = codebook["touchpoints"]

    def keep_outcomes(*names):
        codebook["outcomes"] = {k: v for k, v in outcomes.items() if k in names}

    def strip(*kinds):
        for tp in touchpoints:
            for kind in kinds:
                tp.pop(kind, None)

    if name == "nps_only":
        keep_outcomes("nps")
    elif name == "csat_only":
        keep_outcomes("csat")
    elif name == "yes_no_only":
        keep_outcomes("retained")
    elif name == "experiences_only":
        strip("expectation", "emotion", "target")
    elif name == "no_emotions":
        strip("emotion")
    elif name == "no_brand_column":
        codebook["columns"].pop("brand")
        codebook.pop("brand")
    elif name == "one_brand":
        responses = responses[responses["brand_rated"] == "Acme"]
    elif name == "waves_as_numbers":
        responses = responses.assign(wave=responses["wave"].map({"2026-Q2": 9, "2026-Q3": 10}))
    elif name == "waves_as_labels":
        mapping = {"2026-Q2": "Wave 9", "2026-Q3": "Wave 10"}
        responses = responses.assign(wave=responses["wave"].map(mapping))
    elif name == "waves_as_dates":
        mapping = {"2026-Q2": "Jun 2026", "2026-Q3": "Sep 2026"}
        responses = responses.assign(wave=responses["wave"].map(mapping))
    elif name == "no_waves":
        codebook["columns"].pop("wave")
    elif name == "one_touchpoint":
        codebook["touchpoints"] = [tp for tp in touchpoints if tp["id"] == "hotline"]
        codebook["operational"] = [
            op for op in codebook.get("operational", []) if op.get("touchpoint") == "hotline"
        ]
    elif name == "operational_only":
        codebook["outcomes"], codebook["touchpoints"], codebook["text"] = {}, [], []
        codebook["operational"] = [
            {k: v for k, v in op.items() if k != "touchpoint"} for op in codebook["operational"]
        ]
    elif name == "events_only":
        codebook["outcomes"], codebook["touchpoints"], codebook["text"] = {}, [], []
        codebook["operational"] = []
    elif name == "forty_touchpoints":
        extra = []
        for i in range(40 - len(touchpoints)):
            source = touchpoints[i % len(touchpoints)]
            column = f"{source['experience']['column']}_{i}"
            scores = responses[source["experience"]["column"]]
            jitter = ((np.arange(len(scores)) * (i + 7)) % 5 == 0).astype(float)  # not copies
            responses = responses.assign(**{column: (scores - jitter).clip(lower=1)})
            extra.append(
                {"id": f"extra_{i}", "label": f"Extra {i}", "stage": "after",
                 "experience": {**source["experience"], "column": column}}
            )  # fmt: skip
        codebook["touchpoints"] = touchpoints + extra
    elif name == "text_only":
        codebook["outcomes"], codebook["touchpoints"], codebook["operational"] = {}, [], []
        responses = responses.assign(
            mood=np.where(responses["recommend"] >= 7, "positive", "negative"),
            why=np.where(responses["recommend"] >= 7, None, "Long queue"),
        )
        codebook["feedback"] = {
            "sentiment": "mood", "reason": "why", "text": "comment",
            "touchpoints": {"Long queue": "queue"},
        }  # fmt: skip
        codebook["text"] = []
    elif name not in ("full", "spss_labelled"):
        raise KeyError(f"no shape {name!r}")
    if name not in ("full", "no_emotions", "events_only"):
        codebook.pop("events", None)
    return codebook, responses


SHAPES = (
    "full",
    "nps_only",
    "csat_only",
    "yes_no_only",
    "experiences_only",
    "no_emotions",
    "no_brand_column",
    "one_brand",
    "waves_as_numbers",
    "waves_as_labels",
    "waves_as_dates",
    "no_waves",
    "one_touchpoint",
    "forty_touchpoints",
    "text_only",
    "events_only",
    "operational_only",
    "spss_labelled",
)


def make_shape(name: str, folder: Path, demo_path: Path) -> Path:
    """Write the study of one shape into ``folder`` (from the demo at ``demo_path``)."""
    shutil.copytree(demo_path.parent, folder)
    path = folder / "study.yaml"
    codebook = yaml.safe_load(path.read_text())
    responses = pd.read_csv(folder / codebook["responses"])
    codebook, responses = _edit(codebook, responses, name)
    codebook["name"] = f"Shape: {name}"
    if name == "spss_labelled":
        _write_spss(folder, codebook, responses)
    else:
        responses.to_csv(folder / codebook["responses"], index=False)
    path.write_text(yaml.safe_dump(codebook, sort_keys=False))
    cx.load_study(path)  # every shape is a valid study
    return path


def _write_spss(folder: Path, codebook: dict, responses: pd.DataFrame) -> None:
    """The responses as SPSS: profile and brand columns coded 1..k with value labels."""
    import pyreadstat

    labels = {}
    frame = responses.copy()
    for column in [codebook["columns"]["brand"], *codebook["columns"]["profile"]]:
        if frame[column].dtype == object:
            names = sorted(frame[column].dropna().unique())
            codes = {name: float(i + 1) for i, name in enumerate(names)}
            frame[column] = frame[column].map(codes)
            labels[column] = {code: name for name, code in codes.items()}
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].fillna("").astype(str)
    codebook["responses"] = "responses.sav"
    pyreadstat.write_sav(frame, str(folder / "responses.sav"), variable_value_labels=labels)
