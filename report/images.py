"""Charts to PNG and SVG with vl-convert, using the Vietnamese-capable font shipped on PyPI."""

from functools import cache
from pathlib import Path

import altair as alt
import vl_convert as vlc


@cache
def font_dir() -> Path:
    """Roboto from the `font-roboto` package: it carries every Vietnamese diacritic."""
    import font_roboto

    return Path(font_roboto.__file__).parent / "files"


@cache
def _register() -> None:
    vlc.register_font_directory(str(font_dir()))


def _spec(chart: alt.TopLevelMixin) -> dict:
    spec = chart.to_dict()
    spec.setdefault("config", {})["font"] = "Roboto"
    spec.setdefault("background", "white")
    return spec


def chart_png(chart: alt.TopLevelMixin, *, scale: float = 2.0) -> bytes:
    """The chart as a PNG image."""
    _register()
    return vlc.vegalite_to_png(_spec(chart), scale=scale)


def chart_svg(chart: alt.TopLevelMixin) -> str:
    """The chart as an SVG document."""
    _register()
    return vlc.vegalite_to_svg(_spec(chart))
