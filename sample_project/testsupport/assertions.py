"""Assertions shared by the sample project's tests."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import IntegrityError, transaction


@contextmanager
def violates(constraint: str) -> Iterator[None]:
    """Expect the block to fail with an IntegrityError from ``constraint`` by name.

    Checking the name (not just the exception type) makes sure the intended rule fired,
    not some other one. The savepoint keeps the test's transaction usable afterwards.
    """
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        yield
    reported = getattr(getattr(excinfo.value.__cause__, "diag", None), "constraint_name", None)
    assert reported == constraint, f"expected {constraint!r} to be violated, got {reported!r}"
