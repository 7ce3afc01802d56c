"""Readers: encodings, delimiters, Qualtrics, Excel, SPSS and Parquet; what a file is
not, in plain words; data files only from inside the study folder."""

import os

import pandas as pd
import pytest
from conftest import BASIC_CODEBOOK, BASIC_ROWS, write_study

import cxresearch as cx
from cxresearch.data.readers import detect_encoding


def load_error(folder, rows=None, **changes) -> cx.StudyError:
    with pytest.raises(cx.StudyError) as err:
        cx.load_study(write_study(folder, rows, **changes))
    return err.value


CITIES = {
    "cp1250": ["Łódź", "Gdańsk", "Kraków", "Wrocław", "Poznań", "Timi\u015foara"],
    "cp1251": ["Москва", "София", "Пловдив", "Казань", "Варна", "Самара"],
    "utf-8": ["Łódź", "София", "Brașov", "Zürich", "Kraków", "Москва"],
    "utf-8-sig": ["Łódź", "София", "Brașov", "Zürich", "Kraków", "Москва"],
}


@pytest.mark.parametrize("encoding", list(CITIES))
def test_csv_encoding_is_detected_and_reported(tmp_path, encoding):
    rows = BASIC_ROWS.assign(city=CITIES[encoding])
    data = rows.to_csv(index=False).encode(encoding)
    path = write_study(tmp_path, data, columns={"id": "id", "brand": "brand", "profile": ["city"]})
    study = cx.load_study(path)
    assert list(study.responses["city"]) == CITIES[encoding]
    assert f"encoding {encoding}," in study.quality.read_notes[0]


def test_detect_encoding_on_longer_polish_and_bulgarian_text():
    polish = "Obsługa klienta była bardzo miła, ale kolejka do kasy za długa. Zażółć gęślą jaźń."
    bulgarian = "Обслужването беше бавно, а горещата линия не отговаря. Благодаря за търпението."
    assert detect_encoding(polish.encode("cp1250")) == "cp1250"
    assert detect_encoding(bulgarian.encode("cp1251")) == "cp1251"


def test_semicolon_csv(tmp_path):
    path = write_study(tmp_path, BASIC_ROWS.to_csv(index=False, sep=";"))
    assert cx.load_study(path).n == 6


def test_qualtrics_export_with_two_extra_header_rows(tmp_path):
    header = BASIC_ROWS.to_csv(index=False).splitlines()
    questions = ",".join(f'"Question text for {c}, with a comma"' for c in BASIC_ROWS.columns)
    import_ids = ",".join(f'"{{""ImportId"":""QID{i}""}}"' for i in range(len(BASIC_ROWS.columns)))
    text = "\n".join([header[0], questions, import_ids, *header[1:]]) + "\n"
    study = cx.load_study(write_study(tmp_path, text))
    assert study.n == 6
    assert study.responses.loc["a", "recommend"] == 10
    assert any("Qualtrics" in note for note in study.quality.read_notes)


def test_excel(tmp_path):
    BASIC_ROWS.to_excel(tmp_path / "responses.xlsx", index=False)
    path = write_study(tmp_path, responses="responses.xlsx")
    study = cx.load_study(path)
    assert study.n == 6 and study.responses.loc["c", "sat"] == 2


def test_spss_value_labels_become_category_names_and_codes_are_recoded(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    rows = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "brand": [1.0, 1.0, 2.0, 2.0],
            "recommend": [11.0, 10.0, 1.0, 99.0],  # SPSS stores 0-10 as 1-11; 99 = refused
            "sat": [5.0, 4.0, 2.0, 3.0],
            "perf_web": [7.0, 6.0, 5.0, 4.0],
            "exp_web": [6.0, 6.0, 6.0, 5.0],
            "perf_hot": [2.0, 3.0, 4.0, 5.0],
        }
    )
    pyreadstat.write_sav(
        rows,
        str(tmp_path / "responses.sav"),
        variable_value_labels={"brand": {1.0: "Acme", 2.0: "Rival"}},
    )
    outcomes = {
        "nps": {"column": "recommend", "scale": [0, 10], "recode": {i + 1: i for i in range(11)}},
        "csat": {"column": "sat", "scale": [1, 5]},
    }
    path = write_study(tmp_path, responses="responses.sav", outcomes=outcomes)
    study = cx.load_study(path)
    assert list(study.responses["brand"]) == ["Acme", "Acme", "Rival", "Rival"]
    assert list(study.responses["recommend"].fillna(-1)) == [10, 9, 0, -1]
    assert study.quality.dont_know["recommend"] == 1


def test_parquet_file_and_folder_of_parts(tmp_path):
    (tmp_path / "parts").mkdir()
    BASIC_ROWS.iloc[:3].to_parquet(tmp_path / "parts" / "part-0.parquet")
    BASIC_ROWS.iloc[3:].to_parquet(tmp_path / "parts" / "part-1.parquet")
    BASIC_ROWS.to_parquet(tmp_path / "responses.parquet")
    one = write_study(tmp_path / "one", responses="../responses.parquet")
    assert cx.load_study(one, data_dirs=[tmp_path]).n == 6
    folder_study = cx.load_study(
        write_study(tmp_path / "two", responses="../parts"), data_dirs=[tmp_path]
    )
    assert list(folder_study.responses.index) == list("abcdef")
    assert folder_study.quality.source == "../parts"
    assert "2 Parquet parts" in folder_study.quality.read_notes[0]


def test_unknown_file_type_and_missing_file(tmp_path):
    with pytest.raises(cx.StudyError, match="unknown file type"):
        cx.load_study(write_study(tmp_path, "x", responses="responses.json"))
    path = write_study(tmp_path / "b")
    (tmp_path / "b" / "responses.csv").unlink()
    with pytest.raises(cx.StudyError, match="does not exist"):
        cx.load_study(path)


def test_load_study_accepts_the_folder_and_overrides(tmp_path):
    write_study(tmp_path)
    study = cx.load_study(tmp_path, min_base=50, brand="Rival")
    assert (study.codebook.min_base, study.brand) == (50, "Rival")


def test_spss_labels_name_every_labelled_category_and_declared_missing_is_honoured(tmp_path):
    """A loyalty tier stored as 1/2/3 with labels reads as Bronze/Silver/Gold; the
    file's own missing values and ranges (97-99 on a rating, 99 on a tier and on a
    numeric tenure) become missing and are counted, never read as answers."""
    pyreadstat = pytest.importorskip("pyreadstat")
    rows = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d", "e", "f"],
            "brand": [1.0, 1.0, 1.0, 2.0, 2.0, 2.0],
            "tier": [1.0, 2.0, 3.0, 99.0, 1.0, 2.0],
            "tenure": [1.0, 5.0, 99.0, 3.0, 2.0, 4.0],
            "recommend": [10.0, 9.0, 8.0, 7.0, 6.0, 5.0],
            "sat": [5.0, 4.0, 97.0, 98.0, 3.0, 2.0],
            "perf_web": [7.0, 6.0, 5.0, 4.0, 3.0, 2.0],
            "exp_web": [6.0, 6.0, 6.0, 5.0, 5.0, 5.0],
            "perf_hot": [2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
        }
    )
    pyreadstat.write_sav(
        rows,
        str(tmp_path / "responses.sav"),
        variable_value_labels={
            "brand": {1.0: "Acme", 2.0: "Rival"},
            "tier": {1.0: "Bronze", 2.0: "Silver", 3.0: "Gold", 99.0: "Refused"},
            "tenure": {99.0: "Don't know"},
        },
        missing_ranges={"sat": [{"lo": 97.0, "hi": 99.0}], "tier": [99.0], "tenure": [99.0]},
    )
    codebook = {**BASIC_CODEBOOK, "columns": {**BASIC_CODEBOOK["columns"]}}
    codebook["columns"]["profile"] = ["tier", "tenure"]
    study = cx.load_study(write_study(tmp_path, responses="responses.sav", codebook=codebook))
    r = study.responses
    assert list(r["tier"].astype("string").fillna("-")) == [
        "Bronze", "Silver", "Gold", "-", "Bronze", "Silver"
    ]  # fmt: skip
    assert pd.api.types.is_numeric_dtype(r["tenure"]) and r["tenure"].isna().sum() == 1
    assert r["sat"].isna().sum() == 2 and r["sat"].max() == 5
    assert study.quality.dont_know["sat"] == 2
    assert study.quality.dont_know["tier"] == 1 and study.quality.dont_know["tenure"] == 1
    assert "tier" in " ".join(study.quality.read_notes)


# -- what a file is not, in plain words ---------------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_csv_with_or_without_bom_is_read(tmp_path, encoding):
    rows = BASIC_ROWS.assign(city=CITIES["utf-8"])
    data = rows.to_csv(index=False).encode(encoding)  # "utf-16" writes a BOM, the others none
    path = write_study(tmp_path, data, columns={"id": "id", "brand": "brand", "profile": ["city"]})
    study = cx.load_study(path)
    assert list(study.responses["city"]) == CITIES["utf-8"]
    assert study.responses.loc["a", "recommend"] == 10
    assert "encoding utf-16" in study.quality.read_notes[0]


def test_mixed_delimiters_name_the_encoding_the_delimiter_and_the_lines(tmp_path):
    lines = BASIC_ROWS.to_csv(index=False).splitlines()
    text = "\n".join([lines[0].replace(",", ";"), *lines[1:]]) + "\n"
    message = str(load_error(tmp_path, text))
    assert "encoding utf-8" in message and "delimiter semicolon (;)" in message
    assert "the header has 7 fields but line 2 has 1, line 3 has 1" in message
    assert "and 1 more lines differ" in message
    assert "line 2 uses comma (,)" in message and "mixes delimiters" in message


def test_a_short_row_is_an_error_not_silent_blanks(tmp_path):
    text = BASIC_ROWS.to_csv(index=False) + "g,Rival,7\n"
    message = str(load_error(tmp_path, text))
    assert "line 8 has 3" in message and "the header has 7 fields" in message


def test_a_byte_the_detected_code_page_cannot_read_names_the_encoding(tmp_path):
    data = BASIC_ROWS.to_csv(index=False).encode() + b"g,Rival,7,4,5,5,5,\x81\xe9\n"
    message = str(load_error(tmp_path, data))
    assert "encoding tried (cp1250)" in message and "0x81" in message


@pytest.mark.parametrize(
    "name, content, words",
    [
        ("responses.xlsx", bytes(range(256)) * 8, "not an Excel workbook (the file is not a valid"),
        ("responses.xls", b"\x00\x01junk" * 100, "not an Excel workbook"),
        ("responses.sav", b"$FL2" + b"\x00" * 300, "SPSS file is damaged"),
        ("responses.sav", b"id,brand\n1,2\n", "not an SPSS data file"),
        ("responses.parquet", b"PAR1 and then nothing", "Parquet file is damaged"),
        ("responses.parquet", b"id,brand\n", "not a Parquet file"),
        ("responses.csv", b"id,brand\x00\x01\x02\x03\xff\n", "binary (it holds NUL bytes)"),
        ("responses.csv", b"PK\x03\x04" + b"\x00" * 100, "zip archive"),
    ],
)
def test_a_file_that_is_not_what_its_name_says_is_named_in_plain_words(
    tmp_path, name, content, words
):
    (tmp_path / name).write_bytes(content)
    err = load_error(tmp_path, responses=name)
    assert words in str(err) and err.file == name and "engine" not in str(err)


def test_parquet_parts_may_store_numbers_as_integers_or_floats(tmp_path):
    (tmp_path / "parts").mkdir()
    BASIC_ROWS.iloc[:2].to_parquet(tmp_path / "parts" / "part-0.parquet")  # perf_hot: int64
    BASIC_ROWS.iloc[2:].to_parquet(tmp_path / "parts" / "part-1.parquet")  # a blank: double
    study = cx.load_study(write_study(tmp_path, responses="parts"))
    assert study.n == 6 and study.responses["perf_hot"].isna().sum() == 1


def test_parquet_parts_must_share_one_schema(tmp_path):
    (tmp_path / "parts").mkdir()
    BASIC_ROWS.iloc[:3].to_parquet(tmp_path / "parts" / "part-0.parquet")
    later = BASIC_ROWS.iloc[3:].astype({"recommend": str}).drop(columns="sat")
    later.to_parquet(tmp_path / "parts" / "part-1.parquet")
    err = load_error(tmp_path, responses="parts")
    assert err.file == "parts/part-1.parquet"
    assert "differs from part-0.parquet" in str(err)
    assert "'recommend' is string here, number there" in str(err) and "'sat' missing here" in str(
        err
    )


def test_a_folder_without_parquet_parts_is_refused_and_subfolders_are_not_walked(tmp_path):
    (tmp_path / "parts" / "deeper").mkdir(parents=True)
    BASIC_ROWS.to_parquet(tmp_path / "parts" / "deeper" / "part-0.parquet")
    err = load_error(tmp_path, responses="parts")
    assert "folder without Parquet parts" in str(err)
    err = load_error(tmp_path / "b", responses=".")
    assert "folder without Parquet parts" in str(err)


def test_an_excel_na_code_is_counted_like_in_a_csv(tmp_path):
    BASIC_ROWS.assign(region=["NA", "EU", "NA", "EU", "APAC", "NA"]).to_excel(
        tmp_path / "responses.xlsx", index=False
    )
    columns = {"id": "id", "brand": "brand", "profile": ["region"]}
    study = cx.load_study(write_study(tmp_path, responses="responses.xlsx", columns=columns))
    assert study.quality.na_like == {"region": {"NA": 3}}
    assert (study.responses["region"] == "NA").sum() == 3


# -- data files stay inside the study folder ----------------------------------------------
def secret(tmp_path):
    """Another file outside the study folder, with a header that must never be shown."""
    (tmp_path / "secret").mkdir()
    path = tmp_path / "secret" / "x.csv"
    BASIC_ROWS.rename(columns={"sat": "salary_of_ceo"}).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("written", ["../secret/x.csv", "ABSOLUTE", "/", "/usr/share"])
def test_a_data_file_outside_the_study_folder_is_refused_unread(tmp_path, written):
    path = secret(tmp_path)
    written = str(path) if written == "ABSOLUTE" else written
    err = load_error(tmp_path / "study", responses=written)
    assert err.file.endswith("study.yaml") and err.column == "responses"
    assert "outside the study folder, so it is not read" in str(err)
    assert "--data-dir" in str(err) and "CXRESEARCH_DATA_DIRS" in str(err)
    assert "salary_of_ceo" not in str(err)


def test_a_link_inside_the_folder_to_a_file_outside_is_refused(tmp_path):
    path = secret(tmp_path)
    (tmp_path / "study").mkdir()
    (tmp_path / "study" / "responses.csv").symlink_to(path)
    err = load_error(tmp_path / "study")
    assert "is a link to a file outside the study folder" in str(err)


def test_allowed_data_folders_by_argument_or_environment(tmp_path, monkeypatch):
    path = secret(tmp_path)
    study = write_study(tmp_path / "study", responses="../secret/x.csv")
    with pytest.raises(cx.StudyError, match="'sat': column is missing"):  # read and checked
        cx.load_study(study, data_dirs=[path.parent])
    monkeypatch.setenv("CXRESEARCH_DATA_DIRS", f"/nowhere{os.pathsep}{path.parent}")
    with pytest.raises(cx.StudyError, match="'sat': column is missing"):
        cx.load_study(study)
    monkeypatch.setenv("CXRESEARCH_DATA_DIRS", str(tmp_path / "elsewhere"))
    with pytest.raises(cx.StudyError, match="outside the study folder"):
        cx.load_study(study)


def test_files_are_named_relative_to_the_study_folder(tmp_path):
    (tmp_path / "data").mkdir()
    BASIC_ROWS.to_csv(tmp_path / "data" / "answers.csv", index=False)
    study = cx.load_study(write_study(tmp_path, responses="data/answers.csv"))
    assert study.quality.source == "data/answers.csv"
    assert str(tmp_path) not in study.quality.summary()


def test_an_allowed_file_by_absolute_path_is_named_under_its_folder(tmp_path):
    path = secret(tmp_path)
    path.write_text(BASIC_ROWS.to_csv(index=False))
    study = cx.load_study(write_study(tmp_path / "s", responses=str(path)), data_dirs=[path.parent])
    assert study.quality.source == "secret/x.csv"


def test_an_events_file_outside_the_study_folder_is_refused_too(tmp_path):
    pd.DataFrame({"session": ["s1"], "step": ["cart"]}).to_csv(tmp_path / "ev.csv", index=False)
    events = {"file": "../ev.csv", "session": "session", "step": "step", "funnel": ["cart"]}
    err = load_error(tmp_path / "study", events=events)
    assert err.column == "events.file" and "'../ev.csv' is outside the study folder" in str(err)
    study = cx.load_study(tmp_path / "study", data_dirs=[tmp_path])
    assert study.quality.events_source == "../ev.csv" and study.quality.events_read == 1
