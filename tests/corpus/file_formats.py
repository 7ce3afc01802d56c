"""Corpus cases: file formats (CSV encodings and delimiters, Qualtrics, Excel, SPSS,
Parquet files and folders, empty and binary files) and where data files may be
(never outside the study folder, whatever the path or link says).

Accepted cases check what was read: the encoding and delimiter noted, the
respondents and the counted "don't know" codes.
"""

from __future__ import annotations

from pathlib import Path

import cxresearch

from . import Outcome, case, rows, write

FAMILY = "file formats"
CITIES = {
    "cp1250": ["Łódź", "Gdańsk", "Kraków", "Wrocław"],
    "cp1251": ["Москва", "София", "Пловдив", "Казань"],
    "utf-8": ["Łódź", "София", "Brașov", "Zürich"],
}
SECRET_HEADER = "ceo_salary"
SECRET_VALUE = "TOPSECRET-4711"


def study(folder: Path) -> cxresearch.Study:
    return cxresearch.load_study(folder / "study.yaml")


def with_cities(encoding: str, cities: list[str]) -> bytes:
    return rows().assign(region=cities * 10).to_csv(index=False).encode(encoding)


def reads_cities(encoding: str, cities: list[str]):
    def check(folder: Path, out: Outcome) -> None:
        s = study(folder)
        assert s.n == 40 and set(s.responses["region"]) == set(cities)
        assert f"encoding {encoding}," in s.quality.read_notes[0]
        assert f"read as CSV, encoding {encoding}" in out.stdout

    return check


def secret_file(folder: Path) -> Path:
    """Another file beside the study folder: its header and values must never be shown."""
    other = folder.parent / "secret"
    other.mkdir(exist_ok=True)
    path = other / "x.csv"
    rows().assign(**{SECRET_HEADER: SECRET_VALUE}).to_csv(path, index=False)
    return path


# -- CSV encodings --------------------------------------------------------------------------
for _encoding, _cities in [
    ("utf-8", CITIES["utf-8"]),
    ("utf-8-sig", CITIES["utf-8"]),
    ("cp1250", CITIES["cp1250"]),
    ("cp1251", CITIES["cp1251"]),
]:
    case(
        f"formats-csv-{_encoding}",
        FAMILY,
        f"a CSV in {_encoding} with place names",
        accepted=reads_cities(_encoding, _cities),
    )(lambda folder, e=_encoding, c=_cities: write(folder, with_cities(e, c)))


@case(
    "formats-csv-utf-16-with-bom",
    FAMILY,
    "a CSV saved as UTF-16 (Excel's 'Unicode text') with its byte-order mark",
    accepted=reads_cities("utf-16", CITIES["utf-8"]),
)
def _(folder):
    return write(folder, with_cities("utf-16", CITIES["utf-8"]))


@case(
    "formats-csv-utf-16-without-bom",
    FAMILY,
    "a CSV in UTF-16 little-endian without a byte-order mark",
    accepted=reads_cities("utf-16-le", CITIES["utf-8"]),
)
def _(folder):
    return write(folder, with_cities("utf-16-le", CITIES["utf-8"]))


# -- delimiters -----------------------------------------------------------------------------
def reads_with(delimiter: str):
    def check(folder: Path, out: Outcome) -> None:
        s = study(folder)
        assert s.n == 40 and s.responses.loc["r003", "sat"] == rows().loc[3, "sat"]
        assert f"delimiter {delimiter!r}" in s.quality.read_notes[0]

    return check


@case("formats-semicolon", FAMILY, "a CSV with ';'", accepted=reads_with(";"))
def _(folder):
    return write(folder, rows().to_csv(index=False, sep=";"))


@case("formats-tab", FAMILY, "a tab-separated file", accepted=reads_with("\t"))
def _(folder):
    return write(folder, rows().to_csv(index=False, sep="\t"))


@case(
    "formats-mixed-delimiters",
    FAMILY,
    "header with ';', data lines with ','",
    errors=(
        "encoding utf-8",
        "delimiter semicolon (;)",
        "the header has 8 fields but line 2 has 1",
        "and 35 more lines differ",
        "mixes delimiters",
    ),
)
def _(folder):
    lines = rows().to_csv(index=False).splitlines()
    return write(folder, "\n".join([lines[0].replace(",", ";"), *lines[1:]]) + "\n")


def _qualtrics(folder: Path, out: Outcome) -> None:
    s = study(folder)
    assert s.n == 40 and s.quality.rows_read == 40
    assert s.responses.loc["r000", "recommend"] == rows().loc[0, "recommend"]
    assert "Qualtrics export" in out.stdout


@case(
    "formats-qualtrics",
    FAMILY,
    "a Qualtrics export with question texts and ImportId rows under the header",
    accepted=_qualtrics,
)
def _(folder):
    data = rows()
    lines = data.to_csv(index=False).splitlines()
    texts = ",".join(f'"How about {c}, really?"' for c in data.columns)
    ids = ",".join(f'"{{""ImportId"":""QID{i}""}}"' for i in range(len(data.columns)))
    return write(folder, "\n".join([lines[0], texts, ids, *lines[1:]]) + "\n")


# -- Excel, SPSS, Parquet -------------------------------------------------------------------
def _excel(folder: Path, out: Outcome) -> None:
    s = study(folder)
    assert s.n == 40 and s.quality.na_like == {"region": {"NA": 20}}
    assert "read the first sheet" in out.stdout


@case(
    "formats-excel",
    FAMILY,
    "an Excel workbook with a region coded NA: read, NA counted and kept",
    accepted=_excel,
)
def _(folder):
    data = rows()
    data.loc[data.index[::2], "region"] = "NA"
    data.to_excel(folder / "responses.xlsx", index=False)
    return write(folder, responses="responses.xlsx")


@case(
    "formats-excel-random-bytes",
    FAMILY,
    "a .xlsx that is random bytes",
    errors=("responses.xlsx", "not an excel workbook", "not a valid .xlsx zip"),
    forbidden=("engine",),
)
def _(folder):
    import numpy as np

    (folder / "responses.xlsx").write_bytes(np.random.default_rng(1).bytes(3000))
    return write(folder, responses="responses.xlsx")


def _spss(folder: Path, out: Outcome) -> None:
    s = study(folder)
    assert s.quality.dont_know["sat"] == 3 and s.responses["sat"].max() <= 5
    assert s.quality.dont_know["recommend"] == 0
    assert "3 answers in 1 columns" in out.stdout


@case(
    "formats-spss-user-missing",
    FAMILY,
    "an SPSS file whose satisfaction declares 7-9 as user-missing",
    accepted=_spss,
)
def _(folder):
    import pyreadstat

    data = rows().astype({c: float for c in ("recommend", "sat", "perf_web", "exp_web")})
    data = data.astype({"perf_hot": float})
    data.loc[[1, 5, 9], "sat"] = [7.0, 8.0, 9.0]
    pyreadstat.write_sav(
        data, str(folder / "responses.sav"), missing_ranges={"sat": [{"lo": 7.0, "hi": 9.0}]}
    )
    return write(folder, responses="responses.sav")


@case(
    "formats-spss-damaged",
    FAMILY,
    "a .sav cut off after its first bytes",
    errors=("responses.sav", "spss file is damaged"),
)
def _(folder):
    import pyreadstat

    pyreadstat.write_sav(rows(), str(folder / "responses.sav"))
    data = (folder / "responses.sav").read_bytes()
    (folder / "responses.sav").write_bytes(data[:200])
    return write(folder, responses="responses.sav")


def _parquet(folder: Path, out: Outcome) -> None:
    assert study(folder).n == 40 and "read as Parquet" in out.stdout


@case("formats-parquet", FAMILY, "a Parquet file", accepted=_parquet)
def _(folder):
    rows().to_parquet(folder / "responses.parquet")
    return write(folder, responses="responses.parquet")


@case(
    "formats-parquet-damaged",
    FAMILY,
    "a .parquet whose end was cut off",
    errors=("responses.parquet", "parquet file is damaged"),
)
def _(folder):
    rows().to_parquet(folder / "responses.parquet")
    data = (folder / "responses.parquet").read_bytes()
    (folder / "responses.parquet").write_bytes(data[: len(data) // 2])
    return write(folder, responses="responses.parquet")


@case(
    "formats-parquet-parts-mismatch",
    FAMILY,
    "a folder of parts where one part stores the NPS as text",
    errors=("parts/part-2.parquet", "do not share one schema", "'recommend' is string here"),
)
def _(folder):
    (folder / "parts").mkdir()
    data = rows()
    data.iloc[:20].to_parquet(folder / "parts" / "part-1.parquet")
    data.iloc[20:].astype({"recommend": str}).to_parquet(folder / "parts" / "part-2.parquet")
    return write(folder, responses="parts")


# -- empty, binary, elsewhere ---------------------------------------------------------------
@case("formats-empty-file", FAMILY, "an empty responses.csv", errors=("responses.csv", "empty"))
def _(folder):
    return write(folder, b"")


@case(
    "formats-binary-csv",
    FAMILY,
    "a responses.csv that is an image",
    errors=("responses.csv", "binary", "not a text csv"),
)
def _(folder):
    return write(folder, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))


@case(
    "formats-outside-the-study-folder",
    FAMILY,
    "responses: ../secret/x.csv (another project's file)",
    errors=("column 'responses'", "outside the study folder", "not read", "--data-dir"),
    forbidden=(SECRET_HEADER, SECRET_VALUE),
)
def _(folder):
    secret_file(folder)
    return write(folder, responses="../secret/x.csv")


def _allowed(folder: Path, out: Outcome) -> None:
    s = cxresearch.load_study(folder / "study.yaml", data_dirs=[folder.parent / "secret"])
    assert s.n == 40 and s.quality.source == "../secret/x.csv"
    assert "Responses: ../secret/x.csv" in out.stdout and str(folder.parent) not in out.stdout


@case(
    "formats-outside-but-allowed",
    FAMILY,
    "responses: ../secret/x.csv with --data-dir ../secret: read, named as written",
    accepted=_allowed,
)
def _(folder):
    secret_file(folder)
    return [*write(folder, responses="../secret/x.csv"), "--data-dir", "../secret"]


@case(
    "formats-responses-is-root",
    FAMILY,
    "responses: / (which once walked the whole filesystem)",
    errors=("'/'", "outside the study folder"),
    forbidden=("usr/", "Parquet parts"),
)
def _(folder):
    return write(folder, responses="/")


@case(
    "formats-link-outside",
    FAMILY,
    "responses.csv is a symbolic link to a file outside the study folder",
    errors=("a link to a file outside the study folder",),
    forbidden=(SECRET_HEADER, SECRET_VALUE),
)
def _(folder):
    (folder / "responses.csv").symlink_to(secret_file(folder))
    return write(folder)


@case(
    "formats-folder-without-parts",
    FAMILY,
    "responses: . (the study folder itself, no Parquet parts in it)",
    errors=("folder without parquet parts",),
)
def _(folder):
    return write(folder, responses=".")


@case(
    "formats-missing-file",
    FAMILY,
    "responses names a file that is not there",
    errors=("answers.csv", "does not exist"),
)
def _(folder):
    argv = write(folder, responses="answers.csv")
    (folder / "answers.csv").unlink()
    return argv
