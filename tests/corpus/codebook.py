"""Corpus cases: codebook.

A broken ``study.yaml`` (keys written twice, typos in keys at any depth, quoted
booleans, near-miss outcome names, values of the wrong type or out of range,
hostile YAML, files that are no YAML text at all) is refused with one plain
``StudyError`` naming the file and the key; a few valid but unusual codebooks
(an anchor reused, an outcome of the study's own) are accepted.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from unittest import mock

import yaml

from . import CODEBOOK, Outcome, case, rows, run_cli, write

FAMILY = "codebook"
TEXT = yaml.safe_dump(CODEBOOK, sort_keys=False)


def changed(**changes) -> dict:
    """A deep copy of the corpus codebook with top-level ``changes``."""
    return {**copy.deepcopy(CODEBOOK), **changes}


def with_touchpoint(index: int, **changes) -> dict:
    """The corpus codebook with touchpoint ``index`` changed."""
    book = copy.deepcopy(CODEBOOK)
    book["touchpoints"][index].update(changes)
    return book


def with_wait():
    """The corpus respondents with one more column, ``wait`` (minutes)."""
    return rows().assign(wait=[5, 12, 7, 30] * 10)


def validated(folder: Path, outcome: Outcome) -> None:
    """An accepted codebook: the study validates with its 40 respondents."""
    assert "valid (40 respondents)" in outcome.stdout, outcome.text


# --- keys written twice ------------------------------------------------------------


@case(
    "codebook-duplicate-keys",
    FAMILY,
    "min_base written twice: YAML would keep the last silently",
    errors=("duplicate key 'min_base'", "at lines 3 and"),
)
def duplicate_keys(folder):
    return write(folder, codebook=TEXT + "min_base: 50\n")


@case(
    "codebook-duplicate-key-in-a-touchpoint",
    FAMILY,
    "a touchpoint's stage written twice",
    errors=("duplicate key 'stage'", "write it once"),
)
def duplicate_stage(folder):
    return write(
        folder, codebook=TEXT.replace("- id: website\n", "- id: website\n  stage: after\n")
    )


# --- typos in keys, at any depth -----------------------------------------------------


@case(
    "codebook-typo-top-level",
    FAMILY,
    "touchpiont: instead of touchpoints:",
    errors=("unknown key 'touchpiont'", "did you mean 'touchpoints'"),
)
def typo_top(folder):
    book = changed()
    book["touchpiont"] = book.pop("touchpoints")
    return write(folder, codebook=book)


@case(
    "codebook-typo-target",
    FAMILY,
    "taget: on a touchpoint",
    errors=("taget", "did you mean 'target'", "touchpoints.website.taget"),
)
def typo_target(folder):
    return write(folder, codebook=with_touchpoint(0, taget=6))


@case(
    "codebook-typo-experience",
    FAMILY,
    "experiance: on a touchpoint",
    errors=("experiance", "did you mean 'experience'"),
)
def typo_experience(folder):
    book = with_touchpoint(1, experiance={"column": "perf_hot", "scale": [1, 7]})
    del book["touchpoints"][1]["experience"]
    return write(folder, codebook=book)


@case(
    "codebook-typo-lower-is-better",
    FAMILY,
    "lower_is_beter: on an outcome",
    errors=("lower_is_beter", "did you mean 'lower_is_better'"),
)
def typo_lower(folder):
    book = changed()
    book["outcomes"]["csat"]["lower_is_beter"] = True
    return write(folder, codebook=book)


@case(
    "codebook-typo-touchpoint-of-operational",
    FAMILY,
    "touchpiont: in an operational measure",
    errors=("operational[0].touchpiont", "did you mean 'touchpoint'"),
)
def typo_operational(folder):
    book = changed(operational=[{"column": "wait", "touchpiont": "hotline"}])
    return write(folder, with_wait(), codebook=book)


@case(
    "codebook-typo-column-role",
    FAMILY,
    "wieght: among the column roles",
    errors=("columns.wieght", "did you mean 'weight'"),
)
def typo_role(folder):
    return write(folder, codebook=changed(columns={"id": "id", "wieght": "region"}))


# --- booleans ---------------------------------------------------------------------------


@case(
    "codebook-quoted-false",
    FAMILY,
    'lower_is_better: "false" in quotes (was read as true)',
    errors=("lower_is_better", "true or false", "without quotes"),
)
def quoted_false(folder):
    book = changed()
    book["outcomes"]["csat"]["lower_is_better"] = "false"
    return write(folder, codebook=book)


@case(
    "codebook-quoted-no-operational",
    FAMILY,
    'an operational measure with lower_is_better: "no"',
    errors=("operational[0].lower_is_better", "without quotes"),
)
def quoted_no(folder):
    operational = [{"column": "wait", "touchpoint": "hotline", "lower_is_better": "no"}]
    return write(folder, with_wait(), codebook=changed(operational=operational))


# --- outcome names --------------------------------------------------------------------


@case(
    "codebook-outcome-npss",
    FAMILY,
    "an outcome named npss (a typo of nps)",
    errors=("unknown outcome 'npss'", "did you mean 'nps'"),
)
def outcome_npss(folder):
    book = changed()
    book["outcomes"]["npss"] = book["outcomes"].pop("nps")
    return write(folder, codebook=book)


@case(
    "codebook-outcome-of-its-own",
    FAMILY,
    "an outcome named by the study itself (satisfied: yes/no) is accepted",
    accepted=validated,
)
def outcome_own(folder):
    book = changed()
    book["outcomes"]["satisfied"] = {"column": "happy", "true": ["yes"], "label": "Satisfied"}
    data = rows().assign(happy=["yes", "no"] * 20)
    return write(folder, data, codebook=book)


@case(
    "codebook-yes-no-outcome-with-a-scale",
    FAMILY,
    "retained: given a scale",
    errors=("outcomes.retained.scale", "takes no scale"),
)
def retained_scale(folder):
    book = changed()
    book["outcomes"]["retained"] = {"column": "wait", "scale": [1, 7]}
    return write(folder, with_wait(), codebook=book)


# --- min_base -------------------------------------------------------------------------


for _value, _name in ((-5, "negative"), ("abc", "text"), (1.5, "fraction"), (True, "boolean")):

    @case(
        f"codebook-min-base-{_name}",
        FAMILY,
        f"min_base: {_value!r}",
        errors=("min_base", "whole number of at least 1"),
    )
    def min_base(folder, value=_value):
        return write(folder, min_base=value)


# --- types and ranges -----------------------------------------------------------------


@case(
    "codebook-brand-is-a-list",
    FAMILY,
    "brand: [Acme, Rival]",
    errors=("brand", "one brand", "not a list"),
)
def brand_list(folder):
    return write(folder, brand=["Acme", "Rival"])


@case(
    "codebook-scale-as-text",
    FAMILY,
    'scale: "1-7" written as text',
    errors=("touchpoints.hotline.experience.scale", "write it as a list: [1, 7]"),
)
def scale_text(folder):
    return write(
        folder, codebook=with_touchpoint(1, experience={"column": "perf_hot", "scale": "1-7"})
    )


@case(
    "codebook-scale-reversed",
    FAMILY,
    "scale: [5, 1]",
    errors=("outcomes.csat.scale", "low < high"),
)
def scale_reversed(folder):
    book = changed()
    book["outcomes"]["csat"]["scale"] = [5, 1]
    return write(folder, codebook=book)


@case(
    "codebook-missing-is-text",
    FAMILY,
    "missing: abc",
    errors=("missing", "list of numeric codes"),
)
def missing_text(folder):
    return write(folder, missing="abc")


@case(
    "codebook-target-outside-the-scale",
    FAMILY,
    "target: 9 on a 1-7 experience scale",
    errors=("touchpoints.hotline.target", "outside the scale 1-7"),
)
def target_outside(folder):
    return write(folder, codebook=with_touchpoint(1, target=9))


@case(
    "codebook-target-not-a-number",
    FAMILY,
    "target: .nan",
    errors=("touchpoints.hotline.target", "must be a score on the scale 1-7"),
)
def target_nan(folder):
    return write(folder, codebook=with_touchpoint(1, target=float("nan")))


@case(
    "codebook-touchpoint-without-id",
    FAMILY,
    "a touchpoint with no id",
    errors=("touchpoints[1].id", "needs an id"),
)
def touchpoint_no_id(folder):
    book = changed()
    del book["touchpoints"][1]["id"]
    return write(folder, codebook=book)


@case(
    "codebook-touchpoint-id-twice",
    FAMILY,
    "two touchpoints with the id website",
    errors=("touchpoints.website.id", "used twice"),
)
def touchpoint_twice(folder):
    return write(folder, codebook=with_touchpoint(1, id="website", stage="before"))


@case(
    "codebook-stage-typo",
    FAMILY,
    "stage: durring",
    errors=("unknown stage 'durring'", "did you mean 'during'"),
)
def stage_typo(folder):
    return write(folder, codebook=with_touchpoint(0, stage="durring"))


@case(
    "codebook-column-named-twice",
    FAMILY,
    "the same column as CSAT and as an experience",
    errors=("'sat'", "names this column twice", "outcomes.csat"),
)
def column_twice(folder):
    return write(folder, codebook=with_touchpoint(1, experience={"column": "sat", "scale": [1, 7]}))


@case(
    "codebook-every-problem-at-once",
    FAMILY,
    "a key twice, a typo and a bad min_base: all three reported together",
    errors=("3 problems", "duplicate key 'brand'", "did you mean 'target'", "min_base"),
)
def all_at_once(folder):
    text = TEXT.replace("min_base: 2", "min_base: -5").replace(
        "  stage: after\n", "  stage: after\n  taget: 6\n"
    )
    return write(folder, codebook=text + "brand: Rival\n")


# --- hostile YAML ---------------------------------------------------------------------

BILLION_LAUGHS = (
    'lol: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    + "".join(
        f"l{level}: &{b} [{', '.join([f'*{a}'] * 9)}]\n"
        for level, (a, b) in enumerate(zip("abcdefgh", "bcdefghi", strict=True), start=1)
    )
)


@case(
    "codebook-billion-laughs",
    FAMILY,
    "9 levels of 9 aliases each (10**9 values once expanded)",
    errors=("aliases", "more than 10,000 values"),
)
def billion_laughs(folder):
    return write(folder, codebook=TEXT + BILLION_LAUGHS)


@case(
    "codebook-anchor-reused",
    FAMILY,
    "an anchor &scale [1, 7] reused by every touchpoint item is accepted",
    accepted=validated,
)
def anchor_reused(folder):
    text = TEXT.split("touchpoints:")[0] + (
        "touchpoints:\n"
        "- {id: website, stage: before, experience: {column: perf_web, scale: &scale [1, 7]},\n"
        "   expectation: {column: exp_web, scale: *scale}}\n"
        "- {id: hotline, stage: after, experience: {column: perf_hot, scale: *scale}}\n"
        "missing: [98, 99]\n"
    )
    return write(folder, codebook=text)


@case(
    "codebook-deep-nesting",
    FAMILY,
    "10,000 opening brackets",
    errors=("more than 40 levels deep",),
)
def deep_nesting(folder):
    return write(folder, codebook=TEXT + "description: " + "[" * 10_000 + "\n")


@case(
    "codebook-alias-into-itself",
    FAMILY,
    "an anchored list that holds its own alias",
    errors=("cannot contain itself",),
)
def alias_loop(folder):
    return write(folder, codebook=TEXT + "waves: &w [1, *w]\n")


@case(
    "codebook-huge-file",
    FAMILY,
    "a codebook of over a megabyte",
    errors=("short text file", "bytes"),
)
def huge(folder):
    return write(folder, codebook=TEXT + ("# padding " + "x" * 100 + "\n") * 11_000)


# --- files that are no YAML mapping -----------------------------------------------------


@case(
    "codebook-utf16",
    FAMILY,
    "a codebook saved as UTF-16",
    errors=("saved as utf-16", "save it as utf-8"),
)
def utf16(folder):
    argv = write(folder)
    (folder / "study.yaml").write_bytes(TEXT.encode("utf-16"))
    return argv


@case(
    "codebook-cp1250",
    FAMILY,
    "a codebook saved in the Windows code page cp1250",
    errors=("not utf-8 text", "line 1", "cp1250"),
)
def cp1250(folder):
    argv = write(folder)
    (folder / "study.yaml").write_bytes(TEXT.replace("Corpus study", "Łódź").encode("cp1250"))
    return argv


@case("codebook-empty-file", FAMILY, "an empty study.yaml", errors=("the codebook is empty",))
def empty(folder):
    argv = write(folder)
    (folder / "study.yaml").write_bytes(b"")
    return argv


@case(
    "codebook-top-level-list",
    FAMILY,
    "a YAML list at the top level",
    errors=("is a list", "mapping of keys"),
)
def top_list(folder):
    return write(folder, codebook="- name: x\n- responses: responses.csv\n")


@case(
    "codebook-syntax-error",
    FAMILY,
    "an unclosed bracket on line 3",
    errors=("not valid yaml", "line 3"),
)
def syntax(folder):
    return write(folder, codebook="name: x\nresponses: responses.csv\nmissing: [98, 99\n")


@case(
    "codebook-tab-indent",
    FAMILY,
    "a line indented with a tab",
    errors=("not valid yaml", "line 2", "not tabs"),
)
def tab_indent(folder):
    return write(folder, codebook="name: x\n\tresponses: responses.csv\n")


@case(
    "codebook-folder-without-study-yaml",
    FAMILY,
    "a study folder with no study.yaml",
    errors=("study.yaml", "does not exist"),
)
def folder_without(folder):
    write(folder)
    (folder / "empty").mkdir()
    return ["validate", "empty"]


@case(
    "codebook-device-file",
    FAMILY,
    "study.yaml is a link to /dev/zero (an endless read)",
    errors=("not a regular file",),
)
def device(folder):
    argv = write(folder)
    (folder / "study.yaml").unlink()
    os.symlink("/dev/zero", folder / "study.yaml")
    return argv


def run_unreadable(folder: Path, argv: list[str]) -> Outcome:
    """Run with ``study.yaml`` unreadable (a root user can read any file, so
    the refusal of the operating system is simulated)."""
    real = Path.read_bytes

    def read_bytes(path: Path) -> bytes:
        if path.name == "study.yaml":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    with mock.patch.object(Path, "read_bytes", read_bytes):
        return run_cli(folder, argv)


@case(
    "codebook-unreadable",
    FAMILY,
    "study.yaml that may not be read",
    errors=("study.yaml", "permission denied"),
    run=run_unreadable,
)
def unreadable(folder):
    return write(folder)


@case(
    "codebook-python-tag",
    FAMILY,
    "a !!python/object tag that an unsafe loader would run",
    errors=("not valid yaml", "line 44", "constructor"),
    forbidden=("pwned",),
)
def python_tag(folder):
    return write(folder, codebook=TEXT + 'description: !!python/object/apply:print ["pwned"]\n')
