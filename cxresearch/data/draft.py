"""Draft a codebook from a data file: ``cxresearch init DATAFILE``.

Reads a CSV, Excel, SPSS, Parquet or Qualtrics file and guesses the role of
every column from its name, its values and (SPSS) its labels: the id, brand,
wave and weight columns, NPS (0-10, or coded 1-11 with its recode), CSAT,
CES and loyalty ratings, yes/no outcomes, expectation/experience pairs and
other ratings (touchpoints), "don't know" codes, free text, review
sentiment and reasons, operational times, and profile columns. Every guess
is written with a comment saying why; every open question is a TODO. The
draft loads as it is (``cxresearch validate``), so ``cxresearch report``
runs on it; a researcher then edits the guesses.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import Problem, StudyError
from .catalog import touchpoint_catalog
from .readers import NA_LIKE, read_table

MISSING_CODES = (97.0, 98.0, 99.0, 999.0)
LIKERT_TOPS = (3, 4, 5, 6, 7, 10, 11)
MAX_PROFILE_CATEGORIES = 15
SENTIMENTS = {"negative", "neutral", "positive"}

_NAMES = {
    "id": r"^(id|respondent(_?id)?|resp_?id|case_?id|response_?id|customer_?id|record_?id)$",
    "brand": r"(brand|airline|company|carrier|provider|operator|bank|retailer|chain)",
    "wave": r"^(wave|period|survey_?wave|year|quarter|month|round)$",
    "weight": r"(weight|wgt)",
    "nps": r"(recommend|nps|ltr)",
    "csat": r"(satisf|csat|overall)",
    "ces": r"(effort|ces\b|easy|ease)",
    "loyalty": r"(loyal|repurchase|buy_?again|come_?back|return_?intent)",
    "retained": r"(churn|retain|retention|stay|renew|still_?customer|cancel)",
    "referral": r"(refer)",
    "text": r"(comment|text|verbatim|open|remark|why|feedback)",
    "reason": r"(reason|cause|topic|category)",
    "operational": r"(wait|delay|minutes|mins|seconds|duration|response_?time|days)",
}
_PAIRS = {
    "expectation": (
        r"^(exp|expect|expectation|e)_(?P<tp>.+)$|^(?P<tp2>.+)_(exp|expect|expectation)$"
    ),
    "experience": (
        r"^(perf|experience|perception|p|rating)_(?P<tp>.+)$|^(?P<tp2>.+)_(perf|experience)$"
    ),
    "importance": r"^(imp|importance)_(?P<tp>.+)$|^(?P<tp2>.+)_(imp|importance)$",
    "emotion": r"^(feel|emotion|smiley)_(?P<tp>.+)$|^(?P<tp2>.+)_(feel|emotion|smiley)$",
}


@dataclass
class _Column:
    """What the values of one column look like."""

    name: str
    values: pd.Series
    numbers: pd.Series | None = None  # the answers as numbers, when every one is a number
    codes: tuple[float, ...] = ()  # "don't know" codes found (97, 98, 99, 999)
    low: float = np.nan
    high: float = np.nan
    distinct: int = 0

    @property
    def key(self) -> str:
        return re.sub(r"[^a-z0-9]+", "_", self.name.lower()).strip("_")

    @property
    def is_rating(self) -> bool:
        """Whole numbers on a rating scale: 0/1 up to 3-11, with 3 or more values used."""
        if self.numbers is None or self.distinct < 3:
            return False
        whole = bool((self.numbers.dropna() % 1 == 0).all())
        return whole and self.low in (0, 1) and self.high in LIKERT_TOPS

    @property
    def yes_no(self) -> list[str] | None:
        """The two distinct answers of a yes/no column, else None."""
        answers = self.values.dropna().astype(str).str.strip()
        answers = answers[answers != ""]
        distinct = sorted(set(answers))
        return distinct if len(distinct) == 2 else None

    @property
    def long_text(self) -> bool:
        if self.numbers is not None:
            return False
        text = self.values.dropna().astype(str)
        return len(text) > 0 and text.str.len().mean() >= 25 and text.nunique() > 0.5 * len(text)


def _describe(name: str, values: pd.Series) -> _Column:
    column = _Column(name, values)
    text = values.astype("string").str.strip()
    # blanks and NA-like text ("N/A", "null") do not make a numeric column text
    text = text.mask((text == "") | text.str.lower().isin(NA_LIKE))
    numbers = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
    if text.notna().any() and (numbers.notna() == text.notna()).all():
        codes = tuple(c for c in MISSING_CODES if (numbers == c).any())
        rest = numbers[~numbers.isin(codes)]
        if codes and rest.dropna().max() > 11:  # 99 is a value here, not a code
            codes, rest = (), numbers
        column.numbers, column.codes = rest, codes
        column.low, column.high = float(rest.min()), float(rest.max())
        column.distinct = int(rest.nunique())
    else:
        column.distinct = int(text.nunique())
    return column


def _matches(kind: str, column: _Column) -> bool:
    return re.search(_NAMES[kind], column.key) is not None


def _closeness(kind: str, column: _Column) -> int:
    """0 when the name is the role's word itself ("airline"), 1 when it starts or
    ends with it, 2 when the word is inside it ("airline_sentiment")."""
    words = _NAMES[kind].strip("^$()").split("|")
    if column.key in words:
        return 0
    if any(column.key.startswith(w) or column.key.endswith(w) for w in words):
        return 1
    return 2


def _is_sentiment(column: _Column) -> bool:
    answers = set(column.values.dropna().astype(str).str.lower().str.strip())
    return column.numbers is None and len(answers) >= 2 and answers <= SENTIMENTS


def _scale(column: _Column) -> list[int]:
    return [int(column.low), int(column.high)]


def _touchpoint_id(stem: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_")
    for catalog_id in touchpoint_catalog():
        if catalog_id in key or key in catalog_id:
            return catalog_id
    return key


@dataclass
class _Draft:
    """The guesses, as lines of YAML with their comments."""

    data_file: str
    name: str
    lines: dict[str, list[str]] = field(default_factory=dict)
    todos: list[str] = field(default_factory=list)
    taken: set[str] = field(default_factory=set)
    missing: set[float] = field(default_factory=set)
    brand: str | None = None

    def add(self, section: str, line: str, column: str | None = None) -> None:
        self.lines.setdefault(section, []).append(line)
        if column is not None:
            self.taken.add(column)


def draft_codebook(data_file: str | Path, out: str | Path) -> str:
    """The text of a codebook drafted from ``data_file``, for a ``study.yaml`` at ``out``.

    Raises
    ------
    StudyError
        When the file cannot be read.
    """
    data_file, out = Path(data_file), Path(out)
    raw = read_table(data_file)
    frame = raw.frame.loc[:, [c for c in raw.frame.columns if not str(c).startswith("Unnamed")]]
    if frame.empty:
        raise StudyError(Problem(str(data_file), "the file has no data rows or no columns"))
    columns = {str(c): _describe(str(c), frame[c]) for c in frame.columns}
    relative = os.path.relpath(data_file.resolve(), out.resolve().parent)
    draft = _Draft(relative, re.sub(r"[\s_-]+", " ", data_file.stem).strip())
    _roles(draft, columns)
    _outcomes(draft, columns)
    _touchpoints(draft, columns)
    _feedback(draft, columns)
    _operational_and_text(draft, columns)
    _profile(draft, columns)
    if not any(k in draft.lines for k in ("outcomes", "touchpoints", "feedback")):
        raise StudyError(
            Problem(
                str(data_file),
                "no column looks like an outcome, a rating or review sentiment: write the "
                "codebook by hand (see the README's 'Your own study')",
            )
        )
    return _render(draft, raw.notes)


def _roles(draft: _Draft, columns: dict[str, _Column]) -> None:
    for column in columns.values():
        if _matches("id", column) and column.distinct == len(column.values.dropna()):
            if column.values.notna().all():
                draft.add(
                    "columns", f"  id: {_q(column.name)}   # unique on every row", column.name
                )
                break
    else:
        draft.todos.append("no unique id column found: respondents are numbered by data row")
    for kind, note in (
        ("brand", "the brand each respondent rated"),
        ("wave", "the survey wave (sorted naturally; add waves: [...] for another order)"),
    ):
        found = sorted(
            (
                c for c in columns.values()
                if c.name not in draft.taken and _matches(kind, c) and 1 <= c.distinct <= 50
                and not _is_sentiment(c)
            ),
            key=lambda c: _closeness(kind, c),
        )  # fmt: skip
        if found:
            draft.add("columns", f"  {kind}: {_q(found[0].name)}   # {note}", found[0].name)
            if kind == "brand":
                draft.brand = str(found[0].values.dropna().astype(str).str.strip().mode()[0])
    weights = [
        c for c in columns.values()
        if c.name not in draft.taken and _matches("weight", c) and c.numbers is not None
        and c.low > 0
    ]  # fmt: skip
    if weights:
        draft.add("columns", f"  weight: {_q(weights[0].name)}   # survey weight", weights[0].name)


def _outcomes(draft: _Draft, columns: dict[str, _Column]) -> None:
    free = [c for c in columns.values() if c.name not in draft.taken]
    for kind in ("nps", "csat", "ces", "loyalty"):
        for column in free:
            if column.name in draft.taken or not (column.is_rating and _matches(kind, column)):
                continue
            spec = f"{{column: {_q(column.name)}, scale: {_scale(column)}"
            note = f"ratings {int(column.low)}-{int(column.high)}"
            if kind == "nps":
                if (column.low, column.high) == (1, 11):
                    spec = f"{{column: {_q(column.name)}, scale: [0, 10], recode: {_recode_1_11()}"
                    note = "stored as 1-11: recoded to 0-10"
                elif not (column.low >= 0 and column.high == 10):
                    continue
            draft.add("outcomes", f"  {kind}: {spec}}}   # {note}", column.name)
            draft.missing.update(column.codes)
            break
    for column in free:
        if column.name in draft.taken or column.yes_no is None:
            continue
        for kind in ("retained", "referral"):
            if _matches(kind, column):
                break
        else:
            continue
        answers = column.yes_no
        churn = re.search(r"(churn|cancel)", column.key) is not None
        true = _yes(answers, invert=churn)
        why = f"yes/no ({' / '.join(answers)})" + (": churned = not retained" if churn else "")
        draft.add(
            "outcomes",
            f'  {kind}: {{column: {_q(column.name)}, "true": [{_q(true)}]}}   # {why}',
            column.name,
        )
        draft.todos.append(f"check that {column.name} = {true} means {kind}")


def _yes(answers: list[str], invert: bool = False) -> str:
    """Which of two answers means yes (1, true, yes, y); with ``invert``, the other."""
    yes = next((a for a in answers if a.lower() in ("1", "1.0", "true", "yes", "y")), answers[-1])
    return next(a for a in answers if a != yes) if invert else yes


def _recode_1_11() -> str:
    return "{" + ", ".join(f"{i + 1}: {i}" for i in range(11)) + "}"


def _touchpoints(draft: _Draft, columns: dict[str, _Column]) -> None:
    found: dict[str, dict[str, _Column]] = {}
    for column in columns.values():
        if column.name in draft.taken or not column.is_rating:
            continue
        for kind, pattern in _PAIRS.items():
            match = re.match(pattern, column.key)
            if match:
                stem = match.group("tp") or match.group("tp2")
                found.setdefault(stem, {})[kind] = column
                break
    for column in columns.values():  # other ratings: experiences of touchpoints of their own
        in_pair = any(column in kinds.values() for kinds in found.values())
        if column.name not in draft.taken and column.is_rating and not in_pair:
            found.setdefault(column.key, {})["experience"] = column
    catalog = touchpoint_catalog()
    used: set[str] = set()
    for stem, kinds in found.items():
        if "experience" not in kinds:
            continue
        tp_id = _touchpoint_id(stem)
        tp_id = tp_id if tp_id not in used else stem
        used.add(tp_id)
        if tp_id in catalog:
            draft.add("touchpoints", f"  - id: {tp_id}   # the catalog's {catalog[tp_id]['label']}")
        else:
            draft.add("touchpoints", f"  - id: {tp_id}")
            draft.add(
                "touchpoints", "    stage: during   # TODO: before, during or after the purchase?"
            )
            draft.todos.append(f"set the stage of touchpoint {tp_id}")
        for kind in ("experience", "expectation", "importance", "emotion"):
            column = kinds.get(kind)
            if column is not None:
                draft.add(
                    "touchpoints",
                    f"    {kind}: {{column: {_q(column.name)}, scale: {_scale(column)}}}",
                    column.name,
                )
                draft.missing.update(column.codes)
                if column.low == 0 and column.high in (5, 7):
                    draft.todos.append(
                        f"{column.name} uses 0: if 0 means 'not applicable', add missing: [0] "
                        f"and scale: [1, {int(column.high)}]"
                    )


def _feedback(draft: _Draft, columns: dict[str, _Column]) -> None:
    candidates = [c for c in columns.values() if c.name not in draft.taken and _is_sentiment(c)]
    if not candidates:
        return
    sentiment = max(candidates, key=lambda c: c.values.notna().sum())  # the most answered
    draft.add("feedback", f"  sentiment: {_q(sentiment.name)}   # negative / neutral / positive")
    draft.taken.add(sentiment.name)
    reason = next(
        (
            c for c in columns.values()
            if c.name not in draft.taken and c.numbers is None and _matches("reason", c)
            and 2 <= c.distinct <= 60
        ),
        None,
    )  # fmt: skip
    if reason is not None:
        draft.add("feedback", f"  reason: {_q(reason.name)}", reason.name)
        draft.todos.append("place the negative reasons on the journey: feedback: touchpoints:")
    text = next((c for c in columns.values() if c.name not in draft.taken and c.long_text), None)
    if text is not None:
        draft.add("feedback", f"  text: {_q(text.name)}   # the posts themselves", text.name)


def _operational_and_text(draft: _Draft, columns: dict[str, _Column]) -> None:
    for column in columns.values():
        if column.name in draft.taken:
            continue
        if column.numbers is not None and _matches("operational", column) and column.low >= 0:
            draft.add(
                "operational",
                f"  - {{column: {_q(column.name)}}}   # TODO: touchpoint, target and unit",
                column.name,
            )
            draft.todos.append(f"give {column.name} its touchpoint, target and unit")
        elif column.long_text:
            draft.add("text", f"  - {{column: {_q(column.name)}}}   # free text", column.name)


def _profile(draft: _Draft, columns: dict[str, _Column]) -> None:
    left = []
    for column in columns.values():
        if column.name in draft.taken:
            continue
        if re.search(r"(^id$|_id$|^id_)", column.key):
            left.append(column.name)
            continue
        small = 2 <= column.distinct <= MAX_PROFILE_CATEGORIES
        if small or (column.numbers is not None and column.distinct > MAX_PROFILE_CATEGORIES):
            draft.add("profile", f"    - {_q(column.name)}", column.name)
        else:
            left.append(column.name)
    if left:
        shown = ", ".join(left[:8]) + (" ..." if len(left) > 8 else "")
        draft.todos.append(f"columns left out (ids, free text, many categories): {shown}")


def _render(draft: _Draft, read_notes: tuple[str, ...]) -> str:
    out = [
        "# Drafted by `cxresearch init` from the data file's columns: every role is a guess,",
        "# with the reason in a comment. Check each one, then `cxresearch validate` this file.",
        *(f"# {note}" for note in read_notes),
        f"name: {_q(draft.name)}",
        f"brand: {_q(draft.brand)}   # TODO: the most frequent brand; set the one the report is for"
        if draft.brand is not None
        else "# brand: the brand the report is for (needs a brand column)",
        "min_base: 30   # smaller groups are suppressed in reports",
        f"responses: {_q(draft.data_file)}",
    ]
    columns = list(draft.lines.get("columns", []))
    if "profile" in draft.lines:
        columns += ["  profile:", *draft.lines["profile"]]
    if columns:
        out += ["columns:", *columns]
    for section in ("outcomes", "touchpoints", "feedback"):
        if section in draft.lines:
            out += [f"{section}:", *draft.lines[section]]
    if draft.missing:
        codes = ", ".join(f"{c:g}" for c in sorted(draft.missing))
        out.append(f'missing: [{codes}]   # "don\'t know" / "refused" codes found in the ratings')
    for section in ("operational", "text"):
        if section in draft.lines:
            out += [f"{section}:", *draft.lines[section]]
    if draft.todos:
        out += ["", "# TODO:", *(f"# - {todo}" for todo in dict.fromkeys(draft.todos))]
    return "\n".join(out) + "\n"


def _q(value: str) -> str:
    """A YAML scalar, quoted when it would not read back as the same text."""
    text = str(value)
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_ .\-]*", text) and text.lower() not in (
        "yes", "no", "true", "false", "on", "off", "null", "y", "n",
    )  # fmt: skip
    return text if plain and text == text.strip() else '"' + text.replace('"', '\\"') + '"'
