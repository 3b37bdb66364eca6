"""The app's pages: address, file, title and icon, and which pages each role sees."""

# url path → (file, title, icon); the order is the menu's order. File names differ from the url
# paths on purpose: Streamlit's legacy `pages/` discovery maps a file's stem to a url, and a match
# would let a first request (or AppTest) run the page file without this frame.
PAGES: dict[str, tuple[str, str, str]] = {
    "overview": ("pages/overview_page.py", "Tổng quan", ":material/dashboard:"),
    "coverage": ("pages/coverage_page.py", "Độ phủ", ":material/map:"),
    "teams": ("pages/teams_page.py", "Tổ CNSCĐ", ":material/groups:"),
    "villages": ("pages/villages_page.py", "Địa bàn", ":material/holiday_village:"),
    "activities": ("pages/activities_page.py", "Hoạt động", ":material/volunteer_activism:"),
    "feedback": ("pages/feedback_page.py", "Kiến nghị", ":material/forum:"),
    "reports": ("pages/reports_page.py", "Báo cáo", ":material/summarize:"),
    "users": ("pages/users_page.py", "Người dùng", ":material/manage_accounts:"),
    "reform": ("pages/reform_page.py", "Sắp xếp địa giới", ":material/account_tree:"),
    "account": ("pages/account_page.py", "Tài khoản", ":material/person:"),
}
ROLE_PAGES: dict[str, list[str]] = {
    "admin": ["overview", "coverage", "teams", "activities", "feedback", "reports", "villages", "users", "reform", "account"],
    "officer": ["overview", "coverage", "teams", "activities", "feedback", "reports", "villages", "users", "account"],
    "leader": ["overview", "coverage", "activities", "feedback", "reports", "account"],
    "volunteer": ["overview", "activities", "feedback", "account"],
}
