"""Every shape of study renders a whole report: the index and every applicable chapter,
no failed cell, and the sections the study can support (and only those)."""

import re

import pytest
from shapes import SHAPES, make_shape

import cxresearch as cx

pytestmark = pytest.mark.slow

ALL_CHAPTERS = {f"0{i}" for i in range(8)}
# what each shape lacks: chapters left out and index sections absent
NOT_SURVEY = {"01", "02", "03", "06"}
LEFT_OUT = {
    "no_brand_column": ({"04"}, {"competitors"}),
    "one_brand": ({"04"}, {"competitors"}),
    "experiences_only": (set(), {"gaps"}),
    "no_waves": (set(), {"trends"}),
    "text_only": (NOT_SURVEY, {"gaps", "drivers", "personas", "strategy"}),
    "events_only": (NOT_SURVEY | {"04", "07"}, {"gaps", "drivers", "personas", "competitors"}),
    "operational_only": (NOT_SURVEY | {"04", "07"}, {"gaps", "drivers", "personas", "competitors"}),
}
WITHOUT_NPS = {"csat_only", "yes_no_only", "text_only", "events_only", "operational_only"}
PRESENT = {
    "text_only": {"competitors", "feedback"},
    "events_only": {"journey"},
    "operational_only": {"journey"},
    "forty_touchpoints": {"personas", "gaps", "drivers", "strategy"},
    "spss_labelled": {"personas", "gaps", "drivers", "competitors", "strategy", "trends"},
}


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    return cx.make_demo_study(tmp_path_factory.mktemp("matrix-demo"), n=300, random_state=5)


@pytest.mark.parametrize("shape", [s for s in SHAPES if s != "full"])  # full: test_reporting
def test_every_shape_renders_its_whole_report(shape, small_demo, tmp_path):
    path = make_shape(shape, tmp_path / shape, small_demo)
    index = cx.render_report(path, tmp_path / "report", {"n_boot": 20}, progress=False)
    chapters = {p.stem[:2] for p in (tmp_path / "report" / "chapters").glob("*.html")}
    missing_chapters, missing_sections = LEFT_OUT.get(shape, (set(), set()))
    assert chapters == ALL_CHAPTERS - missing_chapters
    html = index.read_text()
    sections = set(re.findall(r'<section id="([a-z]+)"', html))
    assert {"method", "quality"} <= sections
    assert not (missing_sections & sections), missing_sections & sections
    assert PRESENT.get(shape, set()) <= sections, PRESENT.get(shape, set()) - sections
    if shape in WITHOUT_NPS:
        text = re.sub(r"<[^>]+>", " ", html)
        assert "NPS" not in text, "the report mentions a measure the study does not have"
    if shape.startswith("waves_as_"):  # the later wave is compared with the earlier one
        later = {
            "waves_as_numbers": "10",
            "waves_as_labels": "Wave 10",
            "waves_as_dates": "Sep 2026",
        }
        assert "What moved since" in html and f", {later[shape]}</h3>" in html
    for page in (tmp_path / "report" / "chapters").glob("*.html"):
        assert "Traceback" not in page.read_text(), page.name


ANALYSES = {
    "kpis": lambda s: cx.kpis(s),
    "scorecard": lambda s: cx.scorecard(s),
    "gaps": lambda s: cx.gaps(s),
    "drivers": lambda s: cx.drivers(s, n_boot=0),
    "segment": lambda s: cx.segment(s, k=2, n_boot=0),
    "compare": lambda s: cx.compare(s),
    "trends": lambda s: cx.trends(s),
    "journey": lambda s: cx.journey(s),
    "operations": lambda s: cx.operations(s),
    "funnel": lambda s: cx.funnel(s),
    "smileys": lambda s: cx.smileys(s),
    "reviews": lambda s: cx.reviews(s),
    "quotes": lambda s: cx.quotes(s),
    "strategy": lambda s: cx.strategy(s, n_boot=0),
    "loyalty_links": lambda s: cx.loyalty_links(s),
}


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("shape", SHAPES)
def test_every_analysis_works_or_says_what_the_study_lacks(shape, small_demo, tmp_path):
    """On every shape, each analysis returns a result that shows itself, or raises a
    StudyError in words: never a pandas or numpy error."""
    study = cx.load_study(make_shape(shape, tmp_path / shape, small_demo))
    for name, analysis in ANALYSES.items():
        try:
            result = analysis(study)
        except cx.StudyError as error:
            assert "needs" in str(error), (shape, name, str(error))
            continue
        result.display(), result.findings(), result._repr_html_()
