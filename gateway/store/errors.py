"""Errors the taxpayer datastore raises on purpose, placed in the gateway's error tree.

::

    GatewayError (gateway.errors)
      RequestRejectedError
        ConflictError
          StoreNotEmptyError        seeding refused: the store already holds taxpayers
        InvalidRequestError
          ImportFileError           one line of an import file is unusable; nothing imported
      DependencyUnavailableError
        DatastoreUnavailableError   (gateway.errors) the database could not be used

Like every gateway error, the messages never hold taxpayer data: an import
error names the line and the field, never the value found there.
"""

from __future__ import annotations

from gateway.errors import ConflictError, InvalidRequestError


class StoreNotEmptyError(ConflictError):
    """Synthetic seeding was asked for, but the store already has taxpayers."""


class ImportFileError(InvalidRequestError):
    """A line of a taxpayer import file was rejected; the whole import was rolled back.

    ``line`` is 1-based; ``reason`` says what is wrong without quoting the data.
    ``str(error)`` is ``"line N: reason"``, the form the CLI prints.
    """

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}", extra={"line": line})
        self.line = line
        self.reason = reason
