"""Charts stay readable whatever the study's shape."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from conftest import BASIC_CODEBOOK, write_study  # noqa: E402

import cxresearch as cx  # noqa: E402


def test_a_chart_of_many_groups_shows_the_largest_and_says_so(tmp_path):
    rng = np.random.default_rng(3)
    n = 2000
    rows = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)],
            "brand": "Acme",
            "store": [f"store {i % 40:02d}" for i in range(n)],
            "recommend": rng.integers(0, 11, n),
            "sat": rng.integers(1, 6, n),
        }
    )
    codebook = {**BASIC_CODEBOOK, "touchpoints": [], "columns": {"id": "id", "brand": "brand",
                "profile": ["store"]}}  # fmt: skip
    study = cx.load_study(write_study(tmp_path, rows, codebook))
    ax = cx.kpis(study, by="store").plot()
    assert len(ax.get_yticks()) == 25
    assert "25 of 40 groups" in ax.get_title()
    plt.close("all")


def test_the_importance_performance_chart_numbers_its_points_with_a_key(demo):
    ax = cx.drivers(demo, n_boot=0).plot()
    numbers = {t.get_text() for t in ax.texts if t.get_text().isdigit()}
    assert numbers == {str(i) for i in range(1, len(demo.codebook.touchpoints) + 1)}
    key = next(t.get_text() for t in ax.texts if "Hotline" in t.get_text())
    assert all(tp.label in key for tp in demo.codebook.touchpoints)
    plt.close("all")
