"""The Streamlit pages on a phone and a bad line: compressed files, no outside host, a Vietnamese
message when the connection drops, the menu closing after a tap, lists that fit a 390 px screen."""

import gzip
import re
import urllib.request

import pandas as pd
import pytest

from ui import downloads

pytestmark = pytest.mark.browser


def _get(url: str, *, accept_gzip: bool) -> tuple[dict[str, str], bytes]:
    """One GET with or without `Accept-Encoding: gzip`; the headers (lower-case names) and the raw body."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"} if accept_gzip else {})
    with urllib.request.urlopen(request, timeout=30) as resp:
        return {k.lower(): v for k, v in resp.headers.items()}, resp.read()


def test_static_javascript_is_served_gzipped_to_a_client_that_accepts_it(demo_server):
    _, document = _get(demo_server.url + "/", accept_gzip=False)
    script = re.search(r'src="\.?/?(static/js/[^"]+\.js)"', document.decode()).group(1)
    url = f"{demo_server.url}/{script}"

    plain_headers, plain = _get(url, accept_gzip=False)
    assert "content-encoding" not in plain_headers
    assert int(plain_headers["content-length"]) == len(plain)

    for _ in range(2):  # the second answer comes from the cache of compressed bytes
        headers, body = _get(url, accept_gzip=True)
        assert headers["content-encoding"] == "gzip"
        assert "Accept-Encoding" in headers["vary"]
        assert int(headers["content-length"]) == len(body) < len(plain) / 2
        assert headers["cache-control"] == plain_headers["cache-control"]  # Streamlit's year-long immutable cache
        assert gzip.decompress(body) == plain


def test_the_page_document_is_gzipped_and_images_are_not(demo_server):
    headers, body = _get(demo_server.url + "/", accept_gzip=True)
    assert headers["content-encoding"] == "gzip"
    assert b"<html" in gzip.decompress(body).lower()
    _, document = _get(demo_server.url + "/", accept_gzip=False)
    icon = re.search(r'href="\.?/?([^"]+\.png)"', document.decode()).group(1)
    icon_headers, _ = _get(f"{demo_server.url}/{icon}", accept_gzip=True)
    assert "content-encoding" not in icon_headers


def test_empty_text_cells_are_blank_on_screen_and_the_rest_is_unchanged():
    frame = pd.DataFrame({
        "Tên tổ": ["Tổ A", "Tổ B", "Tổ C"],
        "Thuộc": ["Huyện Phú Ninh", None, float("nan")],
        "Ghi chú": pd.Series(["x", pd.NA, "z"], dtype="string"),
        "Thành viên": [3, 4, 5],
    })
    shown = downloads.blank_empty_cells(frame)
    assert shown["Thuộc"].tolist() == ["Huyện Phú Ninh", "", ""]
    assert shown["Ghi chú"].tolist() == ["x", "", "z"]
    assert shown["Thành viên"].tolist() == [3, 4, 5]
    assert frame["Thuộc"].isna().sum() == 2  # the Excel export still gets the frame as it was
