"""The one exception type that the CLI turns into a clear message and exit code."""


class DifusorError(Exception):
    """An error the user can fix; its message says what to do."""
