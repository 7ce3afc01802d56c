"""Studies written as folders of Parquet parts, for the Dask engine's tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from shapes import make_shape

import cxresearch as cx

PARTS = 4
N = 2000


def write_parts(frame: pd.DataFrame, folder: Path, parts: int = PARTS) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), parts)):
        frame.iloc[rows].reset_index(drop=True).to_parquet(folder / f"part-{i}.parquet")


def parquet_study(folder: Path, edit=None) -> Path:
    """The demo study with its responses as a folder of Parquet parts (``edit``
    changes the responses first)."""
    path = cx.make_demo_study(folder, n=N, random_state=3, events=False)
    raw = pd.read_csv(folder / "responses.csv", dtype={"respondent_id": str})
    if edit is not None:
        edit(raw)
    write_parts(raw, folder / "parts")
    (folder / "responses.csv").unlink()
    path.write_text(path.read_text().replace("responses: responses.csv", "responses: parts"))
    return path


def shape_in_parts(name: str, folder: Path, demo: Path, edit=None, parts: int = 3) -> Path:
    """A study of ``tests/shapes.py``'s shape ``name`` in ``folder`` (made from the
    demo at ``demo``) with its responses as Parquet parts (``edit`` changes them first)."""
    path = make_shape(name, folder, demo)
    codebook = yaml.safe_load(path.read_text())
    raw = pd.read_csv(folder / codebook["responses"], dtype={"respondent_id": str})
    if edit is not None:
        edit(raw)
    write_parts(raw, folder / "parts", parts)
    (folder / codebook["responses"]).unlink()
    codebook["responses"] = "parts"
    path.write_text(yaml.safe_dump(codebook, sort_keys=False))
    return path


def engines(path: Path):
    """The study at ``path`` in memory and on Dask (synchronous scheduler)."""
    from cxresearch.data.dask_study import load_dask_study

    return cx.load_study(path), load_dask_study(path, scheduler="synchronous")
