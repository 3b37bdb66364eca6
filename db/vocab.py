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

# What the "Kết quả" figure of a report counts, by activity type (the quick form's label).
# A report's figures as its form labels them (the results' label depends on the type: RESULT_LABELS).
REPORT_FIGURES: dict[str, str] = {"people_reached": "Số người được hỗ trợ", "households_reached": "Số hộ"}

RESULT_LABELS: dict[str, str] = {
    "loudspeaker": "Số buổi phát thanh",
    "public_service": "Số hồ sơ trực tuyến đã nộp",
    "app_install": "Số lượt cài đặt / tài khoản kích hoạt",
    "cashless": "Số tài khoản thanh toán mở mới",
    "ecommerce": "Số sản phẩm đưa lên sàn",
    "door_to_door": "Số hộ đã đến",
    "training": "Số buổi tập huấn",
    "other": "Kết quả (nếu có)",
}

# The monthly sums a chart can show.
MEASURES: dict[str, str] = {
    "reports": "Số báo cáo",
    "people_reached": "Lượt người được hỗ trợ",
    "households_reached": "Số hộ",
    "results": "Kết quả",
}

# Team status filters of the registry list; "Đang hoạt động" is also what a team's status reads.
TEAM_STATUSES: dict[str, str] = {"all": "Tất cả", "active": "Đang hoạt động", "closed": "Ngừng hoạt động"}

ACCOUNT_STATES: dict[bool, str] = {True: "Đang dùng", False: "Đã khóa"}

RECOMMENDATION_CATEGORIES: dict[str, str] = {
    "difficulty": "Khó khăn, vướng mắc",
    "recommendation": "Kiến nghị",
    "proposal": "Đề xuất",
}
RECOMMENDATION_STATUSES: dict[str, str] = {"open": "Chưa xử lý", "in_progress": "Đang xử lý", "resolved": "Đã giải quyết"}

# The order switch of the bar charts of units; the charts where more is worse say "Nhiều nhất trước".
BAR_ORDERS: dict[str, str] = {"worst": "Thấp nhất trước", "name": "Theo tên"}
BAR_ORDER_MOST_FIRST = "Nhiều nhất trước"
TARGET_KINDS: dict[str, str] = {"village_coverage": "Tỷ lệ thôn có tổ", "people_quarter": "Lượt người được hỗ trợ trong quý"}
TARGET_STATUSES: dict[str, str] = {
    "reached": "Đã đạt",
    "on_track": "Đúng tiến độ",
    "at_risk": "Có nguy cơ chậm",
    "behind": "Chậm tiến độ",
    "no_target": "Chưa đặt chỉ tiêu",
}

# The audit trail's words: changed fields, actions and the kinds of record.
AUDIT_FIELDS: dict[str, str] = {
    "name": "Tên", "established_on": "Ngày thành lập", "decision_no": "Số quyết định", "closed_on": "Ngày ngừng hoạt động",
    "note": "Ghi chú", "full_name": "Họ và tên", "gender": "Giới tính", "birth_year": "Năm sinh", "phone": "Điện thoại",
    "role": "Vai trò", "organisation": "Tổ chức", "position": "Chức vụ", "joined_on": "Ngày tham gia", "left_on": "Ngày rời tổ",
    "activity_date": "Ngày hoạt động", "activity_type": "Loại hoạt động", "people_reached": "Số người",
    "households_reached": "Số hộ", "results": "Kết quả", "photo": "Ảnh",
    "confirmed_large": "Cán bộ xác nhận số liệu lớn",
}
AUDIT_ACTIONS: dict[str, str] = {"create": "Tạo mới", "update": "Sửa", "close": "Ngừng hoạt động", "delete": "Xóa"}
AUDIT_ENTITIES: dict[str, str] = {"teams": "Tổ", "members": "Thành viên", "activities": "Báo cáo"}

# The unit picker's level labels (shorter than TIERS, which name every kind of unit).
TIER_PICK_LABELS: dict[str, str] = {
    "province": "Tỉnh / thành phố",
    "district": "Huyện / quận / thị xã",
    "commune": "Xã / phường / thị trấn",
    "village": "Thôn / khối phố",
}

PERIOD_KINDS: dict[str, str] = {"month": "Tháng", "quarter": "Quý", "year": "Năm", "custom": "Tùy chọn"}


KEPT_TABLES: dict[str, str] = {
    "leaf_counts": "Số đếm của thôn/xã",
    "scope_counts": "Số đếm tổng hợp của huyện/tỉnh/cả nước",
    "activity_rollups": "Tổng hợp báo cáo theo xã, tháng, loại",
    "scope_rollups": "Tổng hợp báo cáo theo huyện/tỉnh/cả nước, tháng, loại",
}

KEPT_COLUMNS: dict[str, str] = {
    "villages": "thôn", "villages_covered": "thôn có tổ", "communes": "xã", "communes_with_team": "xã có tổ",
    "teams": "tổ", "members": "thành viên", "reporting": "tổ có báo cáo", "reports": "báo cáo",
    "people_reached": "lượt người", "households_reached": "lượt hộ", "results": "kết quả",
}

IMPORT_PREVIEW_COLUMNS: dict[str, str] = {
    "sheet": "Trang tính", "row": "Dòng", "place": "Địa bàn", "village": "Thôn", "team": "Tổ",
    "team_action": "Tổ: xử lý", "member": "Thành viên", "member_action": "Thành viên: xử lý", "status": "Kiểm tra",
}

IMPORT_PROBLEM_COLUMNS: dict[str, str] = {"sheet": "Trang tính", "row": "Dòng", "column": "Cột", "message": "Lỗi"}

IMPORT_FIELD_WORDS: dict[str, str] = {
    "name": "tên tổ", "decision_no": "số quyết định", "established_on": "ngày thành lập", "gender": "giới tính",
    "birth_year": "năm sinh", "phone": "điện thoại", "role": "vai trò", "organisation": "tổ chức", "position": "chức vụ",
    "joined_on": "ngày tham gia",
}

# How a problem names a column the sheet does not have.
IMPORT_COLUMNS: dict[str, str] = {
    "seq": "STT", "province": "Tỉnh", "district": "Huyện", "commune": "Xã", "village": "Thôn", "village_kind": "Loại",
    "team_name": "Tên tổ", "decision_no": "Số quyết định", "established_on": "Ngày thành lập", "full_name": "Họ và tên",
    "gender": "Giới tính", "birth_year": "Năm sinh", "birth_male": "Nam", "birth_female": "Nữ", "phone": "Số điện thoại",
    "role": "Vai trò", "organisation": "Tổ chức", "position": "Chức vụ", "joined_on": "Ngày tham gia", "note": "Ghi chú",
    "family_name": "Họ và đệm", "given_name": "Tên",
}

# A village on the commune's village chart: with an active team (True) or without (False).
VILLAGE_COVERED = {True: "Có tổ", False: "Chưa có tổ"}

# The two administrative structures, as a search hit, a page or the command line names them.
STRUCTURE_LABELS: dict[str, str] = {"legacy": "địa giới cũ", "2025": "địa giới mới"}
STRUCTURE_TITLES: dict[str, str] = {
    "legacy": "Địa giới cũ (đến 30/06/2025: tỉnh → huyện → xã)",
    "2025": "Địa giới mới (từ 01/07/2025: tỉnh → xã)",
}

# The mark a chart over time draws on the day the 2025 structure took effect.
REFORM_MARKER = "Sắp xếp địa giới 01/07/2025"
REFORM_MARKER_TITLE = "Mốc"

# What a page says under its date about the structure its figures follow (db/history.py decides which).
STRUCTURE_NOTES: dict[str, str] = {
    "legacy": "Số liệu theo địa giới cũ (tỉnh → huyện → xã), trước ngày sắp xếp 01/07/2025.",
    "2025": "Số liệu theo địa giới mới (tỉnh → xã) từ 01/07/2025.",
}
REGROUP_LABEL = "Xem theo địa giới mới"
REGROUP_NOTE = "Số liệu của ngày trước 01/07/2025, gộp theo các đơn vị hành chính hiện nay (tỉnh → xã)."

# The buttons of the administrator's two choices for a commune-level team of a legacy commune (the carry-over
# page; REFORM_DECISIONS below names the same choices in the audit trail and the command line).
COMMUNE_TEAM_DECISIONS: dict[str, str] = {"close": "Đóng từ 01/07/2025", "move": "Chuyển sang xã mới"}

# Why a village goes to its 2025 commune in the carry-over (db/reform.py).
REFORM_BASES: dict[str, str] = {
    "single": "Cả xã cũ vào một xã mới",
    "position": "Xã bị chia tách: theo vị trí của thôn",
    "default": "Xã bị chia tách: xã mới mặc định",
    "chosen": "Xã bị chia tách: cán bộ đã chọn",
    "none": "Không có xã mới tương ứng",
}
REFORM_DECISIONS: dict[str, str] = {"close": "Giải thể tổ từ 01/07/2025", "move": "Chuyển tổ sang xã mới"}
REFORM_VILLAGE_COLUMNS: dict[str, str] = {
    "village": "Thôn", "legacy_commune": "Xã cũ", "district": "Huyện cũ", "legacy_province": "Tỉnh cũ",
    "new_commune": "Xã mới", "new_province": "Tỉnh mới", "basis": "Căn cứ", "to_confirm": "Cần xác nhận",
    "options": "Các xã mới có thể chọn",
}
REFORM_TEAM_COLUMNS: dict[str, str] = {
    "team": "Tổ", "legacy_commune": "Xã cũ", "new_commune": "Xã mới (nếu chuyển nguyên tổ)", "members": "Thành viên",
    "reports_after": "Báo cáo từ 01/07/2025",
}
REFORM_SUMMARY_COLUMNS: dict[str, str] = {"item": "Nội dung", "value": "Số lượng"}
PREDECESSORS_LABEL = "Xem theo địa giới cũ (trước 01/07/2025):"
FORMER_COMMUNE_LABEL = "trước 01/07/2025 thuộc"  # a carried village's label: "… · trước 01/07/2025 thuộc Xã Tam Đại"
