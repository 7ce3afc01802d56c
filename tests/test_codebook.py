"""The codebook: what parses, and the errors that name the file and the key."""

import time
from pathlib import Path

import pytest
import yaml
from conftest import BASIC_CODEBOOK

import cxresearch as cx
from cxresearch.data import STAGES, touchpoint_catalog


def write_codebook(tmp_path, **changes):
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump({**BASIC_CODEBOOK, **changes}, sort_keys=False))
    return path


def test_demo_codebook_parses_with_catalog_text(demo):
    cb = demo.codebook
    assert cb.brand == "Acme" and cb.min_base == 30
    assert {tp.stage for tp in cb.touchpoints} == set(STAGES)
    hotline = cb.touchpoint("hotline")
    assert hotline.stage == "after" and hotline.expectation.column == "exp_hotline"
    assert hotline.catalog["behaviours"]["do"]
    assert hotline.catalog["experience_to_deliver"]


def test_catalog_covers_the_three_stages_with_behaviours_and_resources():
    catalog = touchpoint_catalog()
    assert len(catalog) >= 15
    for entry in catalog.values():
        assert entry["stage"] in STAGES
        assert set(entry["behaviours"]) == {"do", "dont", "do_differently"}
        assert entry["resources"] and entry["experience"]


def test_unknown_stage_is_named(tmp_path):
    touchpoints = [{**BASIC_CODEBOOK["touchpoints"][0], "stage": "durring"}]
    with pytest.raises(cx.StudyError) as err:
        cx.Codebook.from_yaml(write_codebook(tmp_path, touchpoints=touchpoints))
    assert "study.yaml" in str(err.value)
    assert "touchpoints.website.stage" in str(err.value) and "durring" in str(err.value)


def test_a_column_named_twice_is_an_error_naming_both_roles(tmp_path):
    outcomes = {**BASIC_CODEBOOK["outcomes"], "loyalty": {"column": "sat", "scale": [1, 5]}}
    with pytest.raises(cx.StudyError) as err:
        cx.Codebook.from_yaml(write_codebook(tmp_path, outcomes=outcomes))
    assert err.value.column == "sat"
    assert "outcomes.csat and outcomes.loyalty" in str(err.value)


def test_every_problem_is_reported_at_once(tmp_path):
    path = write_codebook(
        tmp_path,
        min_base=0,
        touchpionts=[],
        outcomes={
            "nps": {"column": "recommend", "scale": [1, 11]},
            "csat": {"column": "sat", "scale": [5, 1]},
        },
    )
    with pytest.raises(cx.StudyError) as err:
        cx.Codebook.from_yaml(path)
    keys = {p.column for p in err.value.problems}
    assert {"touchpionts", "min_base", "outcomes.nps.scale", "outcomes.csat.scale"} <= keys


def test_missing_codebook_and_invalid_yaml(tmp_path):
    with pytest.raises(cx.StudyError, match="does not exist"):
        cx.Codebook.from_yaml(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed")
    with pytest.raises(cx.StudyError, match="not valid YAML"):
        cx.Codebook.from_yaml(bad)


def test_operational_measure_must_name_a_declared_touchpoint(tmp_path):
    path = write_codebook(tmp_path, operational=[{"column": "wait", "touchpoint": "queue"}])
    with pytest.raises(cx.StudyError, match="names no declared touchpoint"):
        cx.Codebook.from_yaml(path)


def test_touchpoint_from_the_catalog_needs_no_stage_or_label(tmp_path):
    touchpoints = [{"id": "hotline", "experience": {"column": "perf_hot", "scale": [1, 7]}}]
    cb = cx.Codebook.from_yaml(write_codebook(tmp_path, touchpoints=touchpoints))
    assert cb.touchpoints[0].stage == "after" and cb.touchpoints[0].label != "hotline"


def test_item_missing_codes_override_the_study_default(tmp_path):
    outcomes = {"nps": {"column": "recommend", "scale": [0, 10], "missing": [11]}}
    cb = cx.Codebook.from_yaml(write_codebook(tmp_path, outcomes=outcomes))
    assert cb.outcomes["nps"].missing == (11.0,)
    assert cb.touchpoint("website").experience.missing == (98.0, 99.0)


# --- strict reading (issue 13) --------------------------------------------------


def codebook_error(path) -> cx.StudyError:
    with pytest.raises(cx.StudyError) as err:
        cx.Codebook.from_yaml(path)
    return err.value


def write_text(tmp_path, text: str):
    path = tmp_path / "study.yaml"
    path.write_text(text, encoding="utf-8")
    return path


BASIC_TEXT = yaml.safe_dump(BASIC_CODEBOOK, sort_keys=False)


def test_a_key_written_twice_is_refused_with_both_lines(tmp_path):
    path = write_text(tmp_path, BASIC_TEXT + "min_base: 5\n")
    err = codebook_error(path)
    first = BASIC_TEXT.splitlines().index("min_base: 2") + 1
    last = len(BASIC_TEXT.splitlines()) + 1
    assert err.column == "min_base"
    assert "duplicate key 'min_base'" in str(err) and f"lines {first} and {last}" in str(err)


def test_a_key_written_twice_deep_inside_is_refused_too(tmp_path):
    text = BASIC_TEXT.replace("- id: website\n", "- id: website\n  stage: during\n", 1)
    assert "duplicate key 'stage'" in str(codebook_error(write_text(tmp_path, text)))


def test_a_merge_key_may_override_what_it_merges(tmp_path):
    text = BASIC_TEXT.replace(
        "  csat:\n    column: sat\n    scale:\n    - 1\n    - 5\n",
        "  csat: &csat\n    column: sat\n    scale: [1, 5]\n"
        "  loyalty:\n    <<: *csat\n    column: loyal\n    scale: [1, 7]\n",
    )
    codebook = cx.Codebook.from_yaml(write_text(tmp_path, text))
    assert codebook.outcomes["loyalty"].column == "loyal"


@pytest.mark.parametrize(
    ("changes", "key", "typo", "meant"),
    [
        ({"touchpionts": []}, "touchpionts", "touchpionts", "touchpoints"),
        (
            {"touchpoints": [{**BASIC_CODEBOOK["touchpoints"][1], "taget": 6}]},
            "touchpoints.hotline.taget",
            "taget",
            "target",
        ),
        (
            {
                "touchpoints": [
                    {"id": "hotline", "experiance": {"column": "perf_hot", "scale": [1, 7]}}
                ]
            },
            "touchpoints.hotline.experiance",
            "experiance",
            "experience",
        ),
        (
            {"outcomes": {"csat": {"column": "sat", "scale": [1, 5], "lower_is_beter": True}}},
            "outcomes.csat.lower_is_beter",
            "lower_is_beter",
            "lower_is_better",
        ),
        (
            {"operational": [{"column": "wait", "touchpiont": "hotline"}]},
            "operational[0].touchpiont",
            "touchpiont",
            "touchpoint",
        ),
        ({"columns": {"id": "id", "wieght": "w"}}, "columns.wieght", "wieght", "weight"),
    ],
)
def test_a_typo_in_a_key_at_any_depth_is_named_with_a_did_you_mean(
    tmp_path, changes, key, typo, meant
):
    err = codebook_error(write_codebook(tmp_path, **changes))
    problem = next(p for p in err.problems if p.column == key)
    assert f"unknown key '{typo}'; did you mean '{meant}'?" in problem.message
    assert "Allowed:" in problem.message


def test_an_unknown_key_with_no_close_match_lists_what_is_allowed(tmp_path):
    err = codebook_error(write_codebook(tmp_path, banana="yellow"))
    assert "did you mean" not in str(err)
    assert "allowed: benchmark, brand, codeframe, colours, columns" in str(err)


@pytest.mark.parametrize("quoted", ["false", "no", "yes", "False"])
def test_a_quoted_boolean_is_refused_not_read_as_true(tmp_path, quoted):
    outcomes = {"csat": {"column": "sat", "scale": [1, 5], "lower_is_better": quoted}}
    err = codebook_error(write_codebook(tmp_path, outcomes=outcomes))
    assert err.column == "outcomes.csat.lower_is_better"
    assert "true or false" in str(err) and "without quotes" in str(err)


def test_yaml_booleans_are_booleans(tmp_path):
    text = (
        BASIC_TEXT.replace("    - 5\n", "    - 5\n    lower_is_better: true\n", 1)
        + "operational:\n- {column: wait, touchpoint: hotline, lower_is_better: false}\n"
    )
    codebook = cx.Codebook.from_yaml(write_text(tmp_path, text))
    assert codebook.outcomes["csat"].lower_is_better is True
    assert codebook.operational[0].lower_is_better is False


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("npss", "nps"),
        ("NPS", "nps"),
        ("cast", "csat"),
        ("retaind", "retained"),
        ("loyality", "loyalty"),
    ],
)
def test_an_outcome_name_a_typo_away_from_a_known_one_is_refused(tmp_path, name, meant):
    outcomes = {name: {"column": "recommend", "scale": [0, 10]}}
    err = codebook_error(write_codebook(tmp_path, outcomes=outcomes))
    assert err.column == f"outcomes.{name}"
    assert f"did you mean '{meant}'?" in str(err)


def test_an_outcome_of_the_studys_own_keeps_its_name(tmp_path):
    outcomes = {
        "satisfied": {"column": "sat", "true": [5], "label": "Satisfied"},
        "effort": {"column": "recommend", "scale": [0, 10]},
    }
    codebook = cx.Codebook.from_yaml(write_codebook(tmp_path, outcomes=outcomes))
    assert set(codebook.outcomes) == {"satisfied", "effort"}
    assert codebook.outcomes["satisfied"].true_values == ("5",)


@pytest.mark.parametrize("value", [-5, 0, "abc", 1.5, True, [30]])
def test_min_base_must_be_a_whole_number_of_at_least_one(tmp_path, value):
    err = codebook_error(write_codebook(tmp_path, min_base=value))
    assert err.column == "min_base" and "whole number of at least 1" in str(err)


@pytest.mark.parametrize(
    ("changes", "key", "words"),
    [
        ({"brand": ["Acme", "Rival"]}, "brand", "one value, not a list"),
        ({"missing": "abc"}, "missing", "list of numeric codes"),
        ({"missing": [98, ".nan"]}, "missing", "list of numeric codes"),
        ({"responses": ["a.csv"]}, "responses", "must be text"),
        ({"name": {"a": 1}}, "name", "must be the study's name"),
        ({"waves": "Wave 1"}, "waves", "list of labels"),
        ({"columns": ["id"]}, "columns", "mapping of keys"),
        (
            {"text": [{"column": "c", "touchpoint": "hotlin"}]},
            "text[0].touchpoint",
            "did you mean 'hotline'",
        ),
    ],
)
def test_values_of_the_wrong_type_are_named(tmp_path, changes, key, words):
    err = codebook_error(write_codebook(tmp_path, **changes))
    problem = next(p for p in err.problems if p.column == key)
    assert words in problem.message


def test_a_scale_written_as_text_says_how_to_write_it(tmp_path):
    outcomes = {"csat": {"column": "sat", "scale": "1-5"}}
    err = codebook_error(write_codebook(tmp_path, outcomes=outcomes))
    assert err.column == "outcomes.csat.scale" and "write it as a list: [1, 5]" in str(err)


def test_a_target_must_lie_on_the_experience_scale(tmp_path):
    touchpoints = [{**BASIC_CODEBOOK["touchpoints"][1], "target": 9}]
    err = codebook_error(write_codebook(tmp_path, touchpoints=touchpoints))
    assert err.column == "touchpoints.hotline.target" and "outside the scale 1-7" in str(err)
    touchpoints = [{**BASIC_CODEBOOK["touchpoints"][1], "target": 6.5}]
    assert (
        cx.Codebook.from_yaml(write_codebook(tmp_path, touchpoints=touchpoints))
        .touchpoints[0]
        .target
        == 6.5
    )


def test_a_recode_must_land_on_the_scale(tmp_path):
    outcomes = {"nps": {"column": "recommend", "scale": [0, 10], "recode": {1: 0, 12: 11}}}
    err = codebook_error(write_codebook(tmp_path, outcomes=outcomes))
    assert err.column == "outcomes.nps.recode" and "outside the scale 0-10: 11" in str(err)


def test_touchpoints_need_an_id_each_their_own_and_a_known_stage(tmp_path):
    touchpoints = [
        {"stage": "before", "experience": {"column": "perf_web", "scale": [1, 7]}},
        {"id": "hotline", "experience": {"column": "perf_hot", "scale": [1, 7]}},
        {"id": "hotline", "experience": {"column": "exp_web", "scale": [1, 7]}},
        {"id": "kiosk", "stage": "durring", "experience": {"column": "k", "scale": [1, 7]}},
    ]
    err = codebook_error(write_codebook(tmp_path, touchpoints=touchpoints))
    by_key = {p.column: p.message for p in err.problems}
    assert "needs an id" in by_key["touchpoints[0].id"]
    assert "used twice" in by_key["touchpoints.hotline.id"]
    assert "did you mean 'during'?" in by_key["touchpoints.kiosk.stage"]


def test_a_yes_no_outcome_with_a_scale_says_what_it_takes(tmp_path):
    outcomes = {"retained": {"column": "sat", "scale": [1, 5]}}
    err = codebook_error(write_codebook(tmp_path, outcomes=outcomes))
    assert err.column == "outcomes.retained.scale" and "takes no scale" in str(err)


def test_dates_in_the_codebook_stay_text(tmp_path):
    text = BASIC_TEXT + "columns:\n  id: id\n  wave: brand\nwaves: [2026-01-01, 2026-04-01]\n"
    text = text.replace("columns:\n  id: id\n  brand: brand\n", "", 1)
    assert cx.Codebook.from_yaml(write_text(tmp_path, text)).waves == ("2026-01-01", "2026-04-01")


BILLION_LAUGHS = (
    'lol: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    + "".join(
        f"l{level}: &{b} [{', '.join([f'*{a}'] * 9)}]\n"
        for level, (a, b) in enumerate(zip("abcdefgh", "bcdefghi", strict=True), start=1)
    )
)


def test_the_billion_laughs_is_refused_in_well_under_a_second(tmp_path):
    path = write_text(tmp_path, BASIC_TEXT + BILLION_LAUGHS)
    started = time.perf_counter()
    err = codebook_error(path)
    assert time.perf_counter() - started < 1
    assert "aliases" in str(err) and "10,000" in str(err)


def test_an_anchor_reused_for_forty_touchpoints_is_fine(tmp_path):
    catalog = list(touchpoint_catalog())
    lines = ["touchpoints:"]
    for i in range(40):
        scale = "&scale [1, 7]" if i == 0 else "*scale"
        lines += [
            f"- id: tp{i}",
            f"  stage: {STAGES[i % 3]}",
            f"  experience: {{column: perf_{i}, scale: {scale}}}",
        ]
    text = BASIC_TEXT.split("touchpoints:")[0] + "\n".join(lines) + "\n"
    codebook = cx.Codebook.from_yaml(write_text(tmp_path, text))
    assert len(codebook.touchpoints) == 40 and len(catalog) < 40
    assert all(tp.experience.scale.high == 7 for tp in codebook.touchpoints)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("name: " + "[" * 10_000, "more than 40 levels deep"),
        ("name: &a [1, *a]\n", "cannot contain itself"),
        (
            "".join(f"a{i}: &a{i} [{'*a' + str(i - 1) if i else 1}]\n" for i in range(60)),
            "40 levels",
        ),
    ],
)
def test_nesting_is_bounded(tmp_path, text, words):
    started = time.perf_counter()
    err = codebook_error(write_text(tmp_path, text))
    assert time.perf_counter() - started < 1
    assert words in str(err)


def test_a_huge_codebook_is_refused_before_parsing(tmp_path):
    path = write_text(tmp_path, BASIC_TEXT + "# " + "x" * 1_100_000 + "\n")
    assert "a codebook is a short text file" in str(codebook_error(path))


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("name: Łódź study\n".encode("utf-16"), "saved as UTF-16"),
        (BASIC_TEXT.replace("Tiny study", "Łódź").encode("cp1250"), "not UTF-8 text: line 1"),
        (b"", "the codebook is empty"),
        (b"# only a comment\n\n", "the codebook is empty"),
        (b"- name: x\n- responses: y\n", "is a list"),
        (b"just words\n", "a single value ('just words')"),
        (b"name: x\nresponses: [a.csv\n", "not valid YAML at line 3"),
        (b"name: x\n\tresponses: a.csv\n", "indents with spaces, not tabs"),
        (b"name: x\n---\nname: y\n", "a codebook is one document"),
    ],
)
def test_a_file_that_is_no_yaml_mapping_is_refused_in_plain_words(tmp_path, content, words):
    path = tmp_path / "study.yaml"
    path.write_bytes(content)
    err = codebook_error(path)
    assert words in str(err) and err.file == str(path)


def test_a_utf8_byte_order_mark_is_fine(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_bytes(BASIC_TEXT.encode("utf-8-sig"))
    assert cx.Codebook.from_yaml(path).name == "Tiny study"


def test_an_unreadable_codebook_is_named(tmp_path, monkeypatch):
    path = write_text(tmp_path, BASIC_TEXT)
    real = Path.read_bytes

    def refuse(self):
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    err = codebook_error(path)
    assert err.file == str(path) and "permission denied" in str(err)


def test_a_folder_or_a_device_is_no_codebook(tmp_path):
    assert "is a folder" in str(codebook_error(tmp_path))
    with pytest.raises(cx.StudyError, match="does not exist"):
        cx.load_study(tmp_path)
    if Path("/dev/zero").exists():
        assert "not a regular file" in str(codebook_error(Path("/dev/zero")))


def test_problems_of_every_kind_are_reported_together(tmp_path):
    text = BASIC_TEXT.replace("min_base: 2", "min_base: -5\ntaget: 3") + "brand: Rival\n"
    err = codebook_error(write_text(tmp_path, text))
    assert {p.column for p in err.problems} == {"brand", "min_base", "taget"}
    assert str(err).startswith("3 problems in the study:")


# --- the brand's colours and the codeframe (issues 16 and 18) ---------------------

TEXT = [{"column": "comment", "touchpoint": None}]
CODEFRAME = [
    {"theme": "slow site", "keywords": ["slow", "load*"], "touchpoint": "website"},
    {"theme": "price", "keywords": ["expensive", "cena", "цена"]},
]


def test_colours_and_a_codeframe_parse(tmp_path):
    cb = cx.Codebook.from_yaml(
        write_codebook(tmp_path, colours=["#003366", "#FF9900"], text=TEXT, codeframe=CODEFRAME)
    )
    assert cb.colours == ("#003366", "#ff9900")
    assert [(t.theme, t.keywords, t.touchpoint) for t in cb.codeframe] == [
        ("slow site", ("slow", "load*"), "website"),
        ("price", ("expensive", "cena", "цена"), None),
    ]


def test_a_codebook_without_them_has_none(tmp_path):
    cb = cx.Codebook.from_yaml(write_codebook(tmp_path))
    assert cb.colours == () and cb.codeframe == ()


@pytest.mark.parametrize(
    "colours, key, words",
    [
        ("#003366", "colours", "must be a list of 1 to 12 colours"),
        ([], "colours", "must be a list of 1 to 12 colours"),
        (["#000000"] * 13, "colours", "must be a list of 1 to 12 colours"),
        (["#003366", "red"], "colours[1]", "must be a colour written #rrggbb"),
        (["003366"], "colours[0]", "did you mean '#003366'?"),
        (["#f90"], "colours[0]", "did you mean '#ff9900'?"),
        (["#00336g"], "colours[0]", "not '#00336g'"),
        ([None], "colours[0]", "write colours in quotes"),
        ([3366], "colours[0]", "not 3366"),
    ],
)
def test_bad_colours_are_named(tmp_path, colours, key, words):
    err = codebook_error(write_codebook(tmp_path, colours=colours))
    assert "study.yaml" in str(err)
    assert err.column == key and words in str(err)


def test_an_unquoted_colour_reads_as_a_comment_and_is_explained(tmp_path):
    err = codebook_error(write_text(tmp_path, BASIC_TEXT + "colours:\n  - #003366\n"))
    assert err.column == "colours[0]" and "unquoted, # starts a comment" in str(err)


def test_colors_spelled_the_american_way_gets_a_did_you_mean(tmp_path):
    err = codebook_error(write_codebook(tmp_path, colors=["#003366"]))
    assert err.column == "colors" and "did you mean 'colours'?" in str(err)


@pytest.mark.parametrize(
    "codeframe, key, words",
    [
        ({"price": ["cheap"]}, "codeframe", "must be a list of themes"),
        ([], "codeframe", "must be a list of themes"),
        (["price"], "codeframe[0]", "must be a theme"),
        ([{"keywords": ["cheap"]}], "codeframe[0].theme", "each theme needs a name"),
        ([{"theme": "price"}], "codeframe.price.keywords", "this key is required"),
        ([{"theme": "price", "keywords": "cheap"}], "codeframe.price.keywords", "[cheap]"),
        ([{"theme": "price", "keywords": []}], "codeframe.price.keywords", "a list of keywords"),
        ([{"theme": "price", "keywords": ["ok", ""]}], "codeframe.price.keywords", "''"),
        ([{"theme": "price", "keywords": ["*"]}], "codeframe.price.keywords", "with letters"),
        ([{"theme": "price", "keywords": [7.5, "x"]}], "codeframe.price.keywords", "7.5"),
        (
            [{"theme": "web", "keywords": ["slow"], "touchpoint": "websit"}],
            "codeframe.web.touchpoint",
            "names no declared touchpoint: 'websit'; did you mean 'website'?",
        ),
        (
            [{"theme": "web", "keywords": ["slow"], "touchpiont": "website"}],
            "codeframe.web.touchpiont",
            "did you mean 'touchpoint'?",
        ),
        (
            [{"theme": "a", "keywords": ["x"]}, {"theme": "a", "keywords": ["y"]}],
            "codeframe.a.theme",
            "named twice",
        ),
    ],
)
def test_bad_codeframes_are_named(tmp_path, codeframe, key, words):
    err = codebook_error(write_codebook(tmp_path, text=TEXT, codeframe=codeframe))
    assert "study.yaml" in str(err)
    assert err.column == key and words in str(err)


def test_a_codeframe_needs_comments_to_code(tmp_path):
    err = codebook_error(write_codebook(tmp_path, codeframe=CODEFRAME))
    assert err.column == "codeframe" and "add a text: column" in str(err)


def test_the_engine_and_its_scheduler_parse(tmp_path):
    cb = cx.Codebook.from_yaml(write_codebook(tmp_path, engine="dask", scheduler=" threads "))
    assert (cb.engine, cb.scheduler) == ("dask", "threads")
    address = cx.Codebook.from_yaml(write_codebook(tmp_path, scheduler="tcp://10.0.0.5:8786"))
    assert (address.engine, address.scheduler) == (None, "tcp://10.0.0.5:8786")
    plain = cx.Codebook.from_yaml(write_codebook(tmp_path))
    assert (plain.engine, plain.scheduler) == (None, None)


@pytest.mark.parametrize(
    ("changes", "key", "words"),
    [
        ({"engine": "daks"}, "engine", "must be pandas (the rows in memory, the default) or "
         "dask (Parquet data read lazily, partition by partition, for data larger than "
         "memory), not 'daks'; did you mean 'dask'?"),
        ({"engine": "spark"}, "engine", "or dask (Parquet data read lazily"),
        ({"engine": True}, "engine", "not True"),
        ({"scheduler": "127.0.0.1:8786"}, "scheduler", "did you mean 'tcp://127.0.0.1:8786'?"),
        ({"scheduler": "thread"}, "scheduler", "must be a Dask scheduler: threads, processes "
         "or synchronous (on this machine), or the address of a distributed scheduler such "
         "as tcp://127.0.0.1:8786, not 'thread'; did you mean 'threads'?"),
        ({"scheduler": 8786}, "scheduler", "not 8786"),
        ({"engine": "pandas", "scheduler": "threads"}, "scheduler",
         "runs the Dask engine, and engine: pandas reads the study in memory"),
    ],
)  # fmt: skip
def test_a_bad_engine_or_scheduler_is_named_with_its_key(tmp_path, changes, key, words):
    with pytest.raises(cx.StudyError) as err:
        cx.Codebook.from_yaml(write_codebook(tmp_path, **changes))
    assert f"study.yaml, column '{key}': " in str(err.value)
    assert words in str(err.value)
