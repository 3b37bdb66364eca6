"""Map data the official list lacks: the two archipelagos every map of Vietnam carries, and corrected positions."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Archipelago:
    """An archipelago drawn on the maps of the country, of its province and of its own district."""

    name: str
    label: str  # as drawn on the map, with the province it belongs to
    lat: float
    lon: float
    province_code: str  # the official code, the same in both structures
    # The units whose subtree is the archipelago: (tier, official code) in the legacy and 2025 structures.
    own_units: tuple[tuple[str, str], ...]
    bounds: tuple[float, float, float, float]  # south, north, west, east: the group's extent


ARCHIPELAGOS = (
    Archipelago(
        name="Quần đảo Hoàng Sa", label="Quần đảo Hoàng Sa (TP. Đà Nẵng)", lat=16.5, lon=112.0, province_code="48",
        own_units=(("district", "498"), ("commune", "20333")), bounds=(15.7, 17.2, 111.1, 112.8),
    ),
    Archipelago(
        name="Quần đảo Trường Sa", label="Quần đảo Trường Sa (Khánh Hòa)", lat=10.0, lon=114.0, province_code="56",
        own_units=(("district", "576"), ("commune", "22736")), bounds=(8.0, 11.5, 111.5, 117.0),
    ),
)

# `vietnamadminunits` geocoded its legacy units by name; for these it fell back to the province's mainland
# centre ("Khánh Hòa, Vietnam", "Da Nang"), which put the island communes of Huyện Trường Sa in Nha Trang and
# Huyện Hoàng Sa in the city. The loader stores these positions instead: (structure, tier, code) → (lat, lon).
# The 2025 structure's own positions (Đặc khu Hoàng Sa, Đặc khu Trường Sa) are right and are kept.
POSITION_FIXES: dict[tuple[str, str, str], tuple[float, float]] = {
    ("legacy", "district", "498"): (16.5, 112.0),  # Huyện Hoàng Sa: no commune, the archipelago itself
    ("legacy", "district", "576"): (10.0, 114.0),  # Huyện Trường Sa
    ("legacy", "commune", "22736"): (8.64, 111.92),  # Thị trấn Trường Sa (đảo Trường Sa Lớn)
    ("legacy", "commune", "22737"): (11.43, 114.33),  # Xã Song Tử Tây
    ("legacy", "commune", "22739"): (9.88, 114.33),  # Xã Sinh Tồn
}
