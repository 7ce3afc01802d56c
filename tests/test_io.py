"""Readers: encodings, delimiters, Qualtrics, Excel, SPSS and Parquet."""

import pandas as pd
import pytest
from conftest import BASIC_CODEBOOK, BASIC_ROWS, write_study

import cxresearch as cx
from cxresearch.data.readers import detect_encoding

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
    assert cx.load_study(write_study(tmp_path / "one", responses="../responses.parquet")).n == 6
    folder_study = cx.load_study(write_study(tmp_path / "two", responses="../parts"))
    assert list(folder_study.responses.index) == list("abcdef")


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
