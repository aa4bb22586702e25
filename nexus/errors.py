"""Errors the toolkit reports to a learner as one readable message instead of a traceback."""

from __future__ import annotations


class NexusError(Exception):
    """A problem a learner can fix: says which service, what went wrong and what to do."""

    def __init__(self, service: str, cause: str, fix: str = "") -> None:
        self.service = service
        self.cause = cause
        self.fix = fix
        super().__init__(self.message())

    def message(self) -> str:
        """The one-paragraph text the CLI prints."""
        text = f"{self.service}: {self.cause}"
        if self.fix:
            text += f"\n  fix: {self.fix}"
        return text


class UsageError(NexusError):
    """Bad input on the command line (unknown command or service name): exit code 2."""

    def __init__(self, cause: str) -> None:
        super().__init__("nexus", cause)
