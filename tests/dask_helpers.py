"""Studies written as folders of Parquet parts, for the Dask engine's tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

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
