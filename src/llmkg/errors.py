"""The one base exception of llmkg.

Every error a user can act on is an :class:`LlmkgError` (or a subclass). The CLI turns
it into a single line on stderr and its ``exit_code``; the web app into an HTTP status.
"""

from __future__ import annotations


class LlmkgError(Exception):
    """Base of all errors llmkg reports to its users.

    ``exit_code`` follows pySHACL's convention: 1 means "the data has violations",
    2 means usage or internal error.
    """

    exit_code = 2
    http_status = 400

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None):
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:  # "data/models/x.yaml:9: field: message"
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        fld = f"{self.field}: " if self.field else ""
        return f"{where}{fld}{self.message}"


class DataError(LlmkgError):
    """The records in data/ are broken (YAML syntax, unknown key, duplicate id, ...)."""

    exit_code = 1


class ValidationFailed(LlmkgError):
    """The graph has SHACL violations; the build is refused. ``problems``: the violations
    (llmkg.records.read.Problem), which the CLI prints before the message, as validate does."""

    exit_code = 1

    def __init__(self, message: str, problems: list | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


class StoreError(LlmkgError):
    """The store is missing, locked or unreadable."""

    exit_code = 2
    http_status = 503


class QueryError(LlmkgError):
    """A query is malformed, a parameter unknown or ill-typed, or the query timed out."""

    exit_code = 2
    http_status = 400
