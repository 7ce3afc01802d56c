"""Chapter notebooks are committed clean and stay thin."""

import ast
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_chapters():
    names = [p.stem for p in NOTEBOOKS]
    assert "00_data_quality" in names and "01_kpis" in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exactly_one_parameters_cell_defining_the_study(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    assert "study =" in tagged[0].source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_thin_no_definitions_or_loops_in_code_cells(path):
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "import cxresearch" in code
    for node in ast.walk(ast.parse(code)):
        assert not isinstance(
            node, (ast.FunctionDef, ast.ClassDef, ast.For, ast.While, ast.Lambda)
        ), f"{path.name}: logic belongs in the package, not in a chapter"


SHARED_PARAMETERS = (
    "study", "min_base", "brand", "segment", "random_state", "k", "clustering", "profile",
    "centre",
)  # fmt: skip


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_chapter_sets_up_with_open_chapter_and_the_shared_parameters(path):
    """All chapters take the same segmentation parameters, so they agree on the personas."""
    nb = nbformat.read(path, as_version=4)
    (parameters,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assigned = {
        target.id
        for node in ast.parse(parameters.source).body
        if isinstance(node, ast.Assign)
        for target in node.targets
    }
    assert set(SHARED_PARAMETERS) | {"features"} <= assigned, path.name
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    call = next(
        node
        for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "open_chapter"
    )
    passed = {kw.arg for kw in call.keywords} | {"study"}
    assert set(SHARED_PARAMETERS) | {"features"} <= passed, path.name
    assert "cx.segment(" not in code and "load_study(" not in code, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_papermill_reads_every_parameter_line(path):
    """papermill parses ``name = value  # help`` lines; a line it cannot parse
    (an ``=`` or a quote in the help) is left out of ``--help-notebook``."""
    from papermill.translators import PythonTranslator

    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assigned = [line for line in cell.source.splitlines() if line and not line.startswith("#")]
    assert len(PythonTranslator.inspect(cell)) == len(assigned), path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_valid_nbformat_with_an_id_on_every_cell(path):
    """A cell without an id makes nbformat warn on every report."""
    raw = nbformat.reader.reads(path.read_text(encoding="utf-8"))
    assert all("id" in cell for cell in raw["cells"]), "a cell has no id"
    nbformat.validate(raw)
