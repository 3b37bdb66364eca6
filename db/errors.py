"""The one exception type for errors a user can cause, carrying a Vietnamese message."""


class UserError(Exception):
    """Bad input, a name taken or a missing record: the page shows `message` next to `field`."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDenied(UserError):
    """The acting user may not read or write the record asked for."""

    def __init__(self, message: str = "Bạn không có quyền truy cập dữ liệu này.") -> None:
        super().__init__(message)


class NotFound(UserError):
    """The record asked for does not exist."""
