"""The user-facing Vietnamese vocabulary: every label that names a code, in one place."""

ROLES: dict[str, str] = {
    "admin": "Quản trị hệ thống",
    "officer": "Cán bộ địa bàn",
    "volunteer": "Thành viên tổ",
    "leader": "Lãnh đạo",
}

TIERS: dict[str, str] = {
    "province": "Tỉnh / thành phố",
    "district": "Huyện / quận / thị xã / thành phố",
    "commune": "Xã / phường / thị trấn",
    "village": "Thôn / khối phố / tổ dân phố / ấp / bản",
}

# Kinds a village may take; officers pick one when they add a village.
VILLAGE_KINDS: list[str] = ["Thôn", "Khối phố", "Tổ dân phố", "Ấp", "Bản", "Làng", "Buôn", "Khu phố"]

MEMBER_ROLES: dict[str, str] = {"leader": "Tổ trưởng", "deputy": "Tổ phó", "member": "Thành viên"}

GENDERS: dict[str, str] = {"male": "Nam", "female": "Nữ"}

ORGANISATIONS: dict[str, str] = {
    "commune_staff": "UBND xã / công chức",
    "youth_union": "Đoàn Thanh niên",
    "women_union": "Hội Liên hiệp Phụ nữ",
    "farmers_union": "Hội Nông dân",
    "veterans": "Hội Cựu chiến binh",
    "police": "Công an",
    "village_head": "Trưởng thôn / Bí thư chi bộ",
    "telecom_post": "Doanh nghiệp viễn thông – bưu chính",
    "teacher": "Giáo viên",
    "other": "Khác",
}

ACTIVITY_TYPES: dict[str, str] = {
    "loudspeaker": "Tuyên truyền qua hệ thống truyền thanh cơ sở",
    "public_service": "Hướng dẫn dịch vụ công trực tuyến",
    "app_install": "Hướng dẫn cài đặt, sử dụng ứng dụng, nền tảng số",
    "cashless": "Hỗ trợ thanh toán không dùng tiền mặt",
    "ecommerce": "Hỗ trợ hộ kinh doanh, quảng bá sản phẩm lên sàn thương mại điện tử",
    "door_to_door": "Đi từng ngõ, gõ từng nhà",
    "training": "Tập huấn, bồi dưỡng kỹ năng số",
    "other": "Khác",
}

# Short names for chart legends, where the full names do not fit on a phone.
ACTIVITY_SHORT: dict[str, str] = {
    "loudspeaker": "Truyền thanh",
    "public_service": "Dịch vụ công trực tuyến",
    "app_install": "Ứng dụng, nền tảng số",
    "cashless": "Thanh toán không tiền mặt",
    "ecommerce": "Thương mại điện tử",
    "door_to_door": "Đến từng nhà",
    "training": "Tập huấn kỹ năng số",
    "other": "Khác",
}

