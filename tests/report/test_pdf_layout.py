"""The PDF's layout rules that need no database: a heading goes to the next page with a chart it would orphan."""

import pytest

from report.pdf import _Pdf


@pytest.mark.parametrize("chart_mm", [60, 150, 200])
def test_a_heading_moves_with_a_chart_that_fits_on_one_page(chart_mm: float) -> None:
    """Xã Tây Hồ's coverage chart (some twenty villages) is taller than half a page: its heading used to end a page."""
    pdf = _Pdf("Thử")
    pdf.add_page()
    pdf.set_y(120)  # past the middle of the page
    pdf.section("3. Độ phủ theo địa bàn trực thuộc", chart_mm)
    assert pdf.get_y() + chart_mm <= pdf.h - pdf.b_margin  # the chart fits below its heading


def test_a_block_taller_than_a_page_keeps_half_a_page_with_its_heading() -> None:
    pdf = _Pdf("Thử")
    pdf.add_page()
    pdf.set_y(200)
    pdf.section("5. Tổ chưa báo cáo trong kỳ", 400)
    body = pdf.h - pdf.t_margin - pdf.b_margin
    assert pdf.page_no() == 2 and pdf.get_y() + body / 2 <= pdf.h - pdf.b_margin
