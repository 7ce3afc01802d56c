"""Quotes never show a customer's contact details: the formats masked, and the
numbers that must stay as written (dates, amounts, short numbers)."""

import time

import pandas as pd
import pytest
from conftest import BASIC_CODEBOOK, write_study

import cxresearch as cx
from cxresearch.analyses.quotes import mask_contacts

# -- phone numbers, in several countries' conventions -------------------------------------
PHONES = {
    "+48 601 234 567": "Poland, international",
    "601-234-567": "Poland, mobile",
    "(030) 1234567": "Germany, bracketed area code",
    "0171/1234567": "Germany, slash after the prefix",
    "+7 (495) 123-45-67": "Russia, international",
    "8 800 555-35-35": "Russia, toll-free",
    "+40 721 234 567": "Romania, international",
    "0721.234.567": "Romania, dotted",
    "+359 88 123 4567": "Bulgaria, international",
    "+1-202-555-0143": "United States, dashed",
    "12-34-5678": "a local number in pairs (not a date)",
    "(022) 555-1234": "bracketed area code",
    "0048.22.555.12.34": "00 prefix, dotted",
    "555-1234": "a 7-digit local number",
    "０１７１/１２３４５６７": "full-width digits",
}


@pytest.mark.parametrize("phone", PHONES, ids=PHONES.values())
def test_phone_numbers_are_masked_in_every_national_style(phone):
    assert mask_contacts(f"Call me on {phone}, please.") == "Call me on [phone], please."


# -- card and account numbers -------------------------------------------------------------
@pytest.mark.parametrize(
    "text,expected",
    [
        ("card 4111 1111 1111 1111 was charged", "card [number] was charged"),
        ("card 4111-1111-1111-1111", "card [number]"),
        ("IBAN PL61 1090 1014 0000 0712 1981 2874, thanks", "IBAN [number], thanks"),
        ("IBAN DE89370400440532013000", "IBAN [number]"),
        ("account 61 1090 1014 0000 0712 1981 2874", "account [number]"),
        ("customer no. 12345678", "customer no. [phone]"),  # 8+ digits: masked
    ],
)
def test_long_digit_runs_are_masked(text, expected):
    assert mask_contacts(text) == expected


# -- e-mail addresses, also disguised -----------------------------------------------------
EMAILS = [
    "jan.kowalski@example.pl",
    "john+cx@mail.example.co.uk",
    "john @ example.com",
    "john＠example.com",  # full-width at sign
    "john＠example．com",  # and full-width dot
    "jo\u200bhn@exam\u200dple.com",  # zero-width space and joiner inside
    "john (at) example (dot) com",
    "john [at] example [dot] com",
    "john {at} example.com",
    "john <at> example <dot> com",
    "john (AT) example.com",
    "john at example dot com",
    "john at example.com",
    "jan małpa example kropka pl",
    "ivan собака example точка ru",
]


@pytest.mark.parametrize("email", EMAILS)
def test_email_addresses_are_masked_also_when_disguised(email):
    assert mask_contacts(f"Write to {email} today.") == "Write to [e-mail] today."


def test_a_right_to_left_override_cannot_hide_a_contact():
    text = "Call \u202e601 234 567\u202c now"
    assert mask_contacts(text) == "Call [phone] now"


# -- what must stay as written ------------------------------------------------------------
KEPT = [
    "Order 12345 took two weeks.",  # 5 digits: an order number, kept
    "Ticket 123456, still open.",  # 6 digits: kept
    "It cost 299.99 zł.",
    "It cost 1 299,99 zł, too much.",
    "A fine of 12 500 000 PLN, really?",
    "Refunded € 1 250 000 after all.",
    "Paid $1,250,000.50 in total.",
    "Delivered on 2024-03-15.",
    "Delivered on 15.03.2024.",
    "Delivered on 03/15/2024.",
    "From 15.03.2024-20.03.2024 nobody answered.",
    "Open from 10:30 to 18:00.",
    "Open 10.30-12.30 only.",
    "A customer since 2019-2024, in 2024.",
    "Prices rose by 45% and 12,5 %.",
    "I rate it 9/10.",
    "See Section 5.2 of the terms.",
    "Flight UA 1234 was late.",
    "Room 101, floor 3, 2 bags.",
    "Two emoji 👨\u200d👩\u200d👧 and Zażółć gęślą jaźń, Съешь же ещё.",
    "I was at home. Then I left at 5.",
    "Look at this dot here.",
    "thanks @united. Worst service.",
]


@pytest.mark.parametrize("text", KEPT)
def test_dates_amounts_and_short_numbers_stay_as_written(text):
    assert mask_contacts(text) == text


def test_a_comment_with_everything_keeps_the_rest_of_its_words():
    text = (
        "On 2024-03-15 I paid 299.99 zł (order 12345). Call +48 601 234 567 "
        "or 0171/1234567, or write to john [at] example [dot] com; card 4111 1111 1111 1111."
    )
    assert mask_contacts(text) == (
        "On 2024-03-15 I paid 299.99 zł (order 12345). Call [phone] "
        "or [phone], or write to [e-mail]; card [number]."
    )


# -- hostile input ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "a" * 1_000_000,
        "1" * 1_000_000,
        "1 " * 500_000,
        "111 " * 250_000,
        "a@" + "b." * 500_000 + "9",
        "x at y dot " * 90_000,
        "a (at) " * 140_000,
        "12.12." * 160_000,
    ],
    ids=["letters", "digits", "spaced digits", "digit groups", "dotted", "at words",
         "bracketed at", "date-like"],
)  # fmt: skip
def test_masking_a_megabyte_takes_linear_time(text):
    start = time.perf_counter()
    mask_contacts(text)
    assert time.perf_counter() - start < 10  # about 1 s; quadratic would be hours


def test_quotes_show_no_contact_of_any_format(tmp_path):
    comments = [f"Call {phone} about it." for phone in PHONES] + [
        f"Write to {email}." for email in EMAILS
    ]
    n = len(comments)
    rows = {
        "id": [f"r{i}" for i in range(n)],
        "brand": ["Acme"] * n,
        "recommend": [i % 11 for i in range(n)],
        "sat": [1 + i % 5 for i in range(n)],
        "comment": comments,
    }
    codebook = {**BASIC_CODEBOOK, "touchpoints": [], "text": [{"column": "comment"}]}
    study = cx.load_study(write_study(tmp_path, pd.DataFrame(rows), codebook))
    result = cx.quotes(study, n=n)
    shown = result._repr_html_()
    assert len(result.lines) == n
    for phone in PHONES:
        assert phone not in shown
    for email in EMAILS:
        assert email not in shown
    assert shown.count("[phone]") == len(PHONES) and shown.count("[e-mail]") == len(EMAILS)
