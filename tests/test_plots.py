"""Charts stay readable whatever the study's shape."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from conftest import BASIC_CODEBOOK, write_study  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import cxresearch as cx  # noqa: E402
from cxresearch import plots  # noqa: E402


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


# -- the user's text is drawn as written ---------------------------------------------------
HOSTILE_BRANDS = ["Ca$$h Mart", "$x^2$ Shop", "Back\\slash_Co"]
HOSTILE_REGIONS = ["$North$", "South_1", "East \\frac"]
HOSTILE_LABELS = {"website": "Web_site $5", "hotline": "Pay $x^2$ \\ desk"}


@pytest.fixture
def hostile_study(tmp_path):
    rng = np.random.default_rng(5)
    n = 300
    rows = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)],
            "brand": np.array(HOSTILE_BRANDS)[np.arange(n) % 3],
            "region": rng.choice(HOSTILE_REGIONS, n),
            "recommend": rng.integers(0, 11, n),
            "sat": rng.integers(1, 6, n),
            "perf_web": rng.integers(1, 8, n),
            "exp_web": rng.integers(1, 8, n),
            "perf_hot": rng.integers(1, 8, n),
        }
    )
    touchpoints = [
        {**tp, "label": HOSTILE_LABELS[tp["id"]]} for tp in BASIC_CODEBOOK["touchpoints"]
    ]
    codebook = {**BASIC_CODEBOOK, "brand": "Ca$$h Mart", "touchpoints": touchpoints,
                "columns": {"id": "id", "brand": "brand", "profile": ["region"]}}  # fmt: skip
    return cx.load_study(write_study(tmp_path, rows, codebook))


def _drawn_texts(ax) -> dict[str, object]:
    """Every non-empty text of the figure once drawn, by its string."""
    ax.figure.canvas.draw()
    return {t.get_text(): t for t in ax.figure.findobj(Text) if t.get_text()}


def _charts(study):
    yield "kpis by brand", cx.kpis(study, by="brand").plot()
    yield "kpis by region", cx.kpis(study, by="region").plot()
    yield "gaps", cx.gaps(study).plot()
    yield "comparison", cx.compare(study).plot()
    yield "leader", cx.compare(study).plot_leader()
    yield "journey", cx.journey(study).plot()
    yield "drivers", cx.drivers(study, n_boot=0).plot()


def test_brands_labels_and_categories_with_dollars_and_backslashes_are_drawn_literally(
    hostile_study,
):
    assert plt.rcParams["text.parse_math"]  # the default: "$...$" would be mathtext
    seen = set()
    for name, ax in _charts(hostile_study):
        texts = _drawn_texts(ax)  # drawing "Ca$$h Mart" as mathtext would raise
        for text in texts.values():
            assert not text.get_parse_math(), (name, text.get_text())
        seen |= {s for s in [*HOSTILE_BRANDS, *HOSTILE_REGIONS, *HOSTILE_LABELS.values()]
                 if any(s in t for t in texts)}  # fmt: skip
        plt.close("all")
    assert seen == {*HOSTILE_BRANDS, *HOSTILE_REGIONS, *HOSTILE_LABELS.values()}
    assert plt.rcParams["text.parse_math"]  # the user's own settings are left alone


def test_a_literal_dollar_is_drawn_as_text_not_as_a_formula():
    fig, ax = plt.subplots()
    math = ax.text(0, 0, "$x^2$", parse_math=True)
    literal = ax.text(0, 0.5, "$x^2$", parse_math=False)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    # the formula is narrower than its five characters as written
    assert math.get_window_extent(renderer).width < literal.get_window_extent(renderer).width
    plt.close(fig)


def test_every_chart_function_draws_literal_text():
    charts = [
        f
        for name, f in vars(plots).items()
        if callable(f) and getattr(f, "__module__", "") == plots.__name__
        and not name.startswith("_") and name not in {"set_theme", "literal_text"}
    ]  # fmt: skip
    assert len(charts) >= 15
    for chart in charts:
        assert getattr(chart, "__wrapped__", None) is not None, chart.__name__


def test_drawing_a_chart_leaves_every_other_setting_alone():
    """Charts keep showing in notebooks: the literal-text guard restores only its
    own settings, not ``interactive``, which pyplot's first import in a Jupyter
    kernel turns on (while the first chart is being drawn)."""

    @plots.literal_text
    def draw(ax=None):
        plt.ion()  # what importing pyplot in a Jupyter kernel does
        return plt.subplots()[1]

    was = plt.isinteractive()
    plt.ioff()
    try:
        draw()
        assert plt.isinteractive()
    finally:
        plt.interactive(was)
        plt.close("all")


def test_the_theme_is_seaborns_whitegrid_without_importing_it():
    """plots.THEME and COLOURS are seaborn's whitegrid/notebook theme and
    colorblind palette written out, so chapters skip seaborn's import."""
    import seaborn as sns

    expected = {**sns.axes_style("whitegrid"), **sns.plotting_context("notebook")}
    expected.pop("image.cmap")  # left out on purpose: only seaborn registers "rocket"
    assert plots.THEME == expected
    assert list(plots.COLOURS) == sns.color_palette("colorblind").as_hex()
