"""Vietnamese collation: letters in the alphabet's order, then tones, then case; numbers by value."""

import unicodedata

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from db.text import collation_key, sort_frame, sorted_names


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("Xã Tam Đàn", "Xã Tam Thái"),  # đ is a letter of its own, before t (code points put it after)
        ("Hà Nội", "Huế"),
        ("Đà Nẵng", "Hồ Chí Minh"),
        ("Dương", "Đà Nẵng"),  # d before đ, whatever follows
        ("an", "ăn"), ("ăn", "ân"), ("ân", "bà"),
        ("em", "êm"), ("om", "ôm"), ("ôm", "ơm"), ("um", "ưm"), ("ưm", "vũ"),
        ("Thôn 2", "Thôn 10"),
        ("Tổ dân phố 9", "Tổ dân phố 12"),
        ("Tam", "Tam Đàn"),  # a prefix first
        ("Tam Đàn", "Tama"),  # a space before any letter
        ("má", "mai"),  # the letters decide over the whole string before any tone
        ("mà b", "ma c"),
        ("ma", "Ma"),  # case last
    ],
)
def test_pairs_in_dictionary_order(first: str, then: str) -> None:
    assert collation_key(first) < collation_key(then)
    assert sorted_names([then, first]) == [first, then]


def test_tones_after_the_bare_letter_in_order() -> None:
    assert sorted_names(["mạ", "má", "mã", "mả", "mà", "ma"]) == ["ma", "mà", "mả", "mã", "má", "mạ"]


def test_provinces_in_dictionary_order() -> None:
    names = ["Hồ Chí Minh", "Huế", "Đà Nẵng", "Hà Nội", "Điện Biên", "Đắk Lắk", "An Giang", "Bắc Ninh", "Bà Rịa"]
    assert sorted_names(names) == ["An Giang", "Bà Rịa", "Bắc Ninh", "Đà Nẵng", "Đắk Lắk", "Điện Biên",
                                   "Hà Nội", "Hồ Chí Minh", "Huế"]


def test_tone_combined_with_a_letter_mark() -> None:
    # ậ is a + circumflex + dot below: the letter â with the nặng tone, in either mark order.
    assert collation_key("ậ")[0] == collation_key("â")[0] != collation_key("a")[0]
    assert collation_key("a\u0323\u0302") == collation_key("a\u0302\u0323") == collation_key("ậ")


def test_sort_frame_orders_rows_and_puts_empty_cells_last() -> None:
    df = pd.DataFrame({"parent": ["Xã Tam Thái", "Xã Tam Đàn", None, "Xã Tam Đàn"],
                       "name": ["Thôn 1", "Thôn 10", "Thôn 3", "Thôn 2"]})
    got = sort_frame(df, "parent", "name")
    assert list(got["name"]) == ["Thôn 2", "Thôn 10", "Thôn 1", "Thôn 3"]
    assert list(got.index) == [0, 1, 2, 3]


VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯ0123456789 -"
TONES = ["", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"]
words = st.lists(st.tuples(st.sampled_from(VIETNAMESE), st.sampled_from(TONES)), max_size=12).map(
    lambda parts: unicodedata.normalize("NFC", "".join(c + (t if c.isalpha() else "") for c, t in parts)))
any_text = st.one_of(words, st.text(max_size=20))


def strip_tones(text: str) -> str:
    """The text without its five tone marks (letter marks such as ă ơ kept)."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in TONES[1:]))


@settings(max_examples=300)
@given(any_text)
def test_deterministic_and_normalisation_blind(text: str) -> None:
    key = collation_key(text)
    assert collation_key(text) == key
    assert collation_key(unicodedata.normalize("NFD", text)) == key
    assert collation_key(unicodedata.normalize("NFC", text)) == key


@settings(max_examples=200)
@given(st.lists(any_text, max_size=20))
def test_sorting_is_total_and_stable(names: list[str]) -> None:
    once = sorted_names(names)
    assert sorted_names(list(reversed(names))) == once  # no two distinct (NFC) strings tie
    assert sorted_names(once) == once
    for a, b in zip(once, once[1:], strict=False):
        assert collation_key(a) <= collation_key(b)
        if collation_key(a) == collation_key(b):
            assert unicodedata.normalize("NFC", a) == unicodedata.normalize("NFC", b)


@settings(max_examples=300)
@given(words, words)
def test_stripping_tones_never_crosses_a_different_base(a: str, b: str) -> None:
    if collation_key(a)[0] == collation_key(b)[0]:
        return  # the same letters: only tones and case tell them apart
    before = collation_key(a) < collation_key(b)
    assert (collation_key(strip_tones(a)) < collation_key(b)) == before
    assert (collation_key(a) < collation_key(strip_tones(b))) == before


def test_sort_frame_orders_numbers_by_value_before_text() -> None:
    df = pd.DataFrame({"rank": [2, 0, 2, 1], "full_name": ["Đặng Thu", "Vũ An", "Dương Hà", "Hoàng Lan"]})
    assert list(sort_frame(df, "rank", "full_name")["full_name"]) == ["Vũ An", "Hoàng Lan", "Dương Hà", "Đặng Thu"]
