"""Run a script with the wall clock moved: ``python -m nexus.build.clock DAYS manage.py ARGS``.

A check that wants to know whether a command's output depends on *today* (a seed that dates its
stays from ``date.today()``, stamps rows with ``timezone.now()``) runs it twice, the second time a
few hundred days later. The classes ``datetime.date`` and ``datetime.datetime`` are replaced, before
the script imports anything, by subclasses whose ``today()`` / ``now()`` / ``utcnow()`` are
``DAYS`` ahead, as freezegun does; ``isinstance`` still accepts the real ones, so the database
driver's values and the script's own mix freely. The database server's clock (``now()`` in SQL)
is not moved.
"""

from __future__ import annotations

import datetime as _datetime
import runpy
import sys

_REAL_DATE = _datetime.date
_REAL_DATETIME = _datetime.datetime


class _DateType(type):
    def __instancecheck__(cls, instance: object) -> bool:
        return isinstance(instance, _REAL_DATE)

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, _REAL_DATE)


class _DatetimeType(_DateType):
    def __instancecheck__(cls, instance: object) -> bool:
        return isinstance(instance, _REAL_DATETIME)

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, _REAL_DATETIME)


def move(days: float) -> None:
    """From now on, in this process, ``date.today()`` and ``datetime.now()`` are ``days`` ahead."""
    ahead = _datetime.timedelta(days=days)

    class ShiftedDate(_REAL_DATE, metaclass=_DateType):
        @classmethod
        def today(cls):
            return (_REAL_DATETIME.now() + ahead).date()

    class ShiftedDatetime(_REAL_DATETIME, metaclass=_DatetimeType):
        @classmethod
        def now(cls, tz=None):
            return _REAL_DATETIME.now(tz) + ahead

        @classmethod
        def today(cls):
            return _REAL_DATETIME.now() + ahead

        @classmethod
        def utcnow(cls):
            return _REAL_DATETIME.now(_datetime.UTC).replace(tzinfo=None) + ahead

    for shifted in (ShiftedDate, ShiftedDatetime):
        shifted.__name__ = shifted.__qualname__ = shifted.__mro__[1].__name__
        shifted.__module__ = "datetime"
    _datetime.date, _datetime.datetime = ShiftedDate, ShiftedDatetime
    # Modules imported before this point (the toolkit's own) keep names bound to the real
    # classes: rebind those too, so it does not matter what was imported first.
    swap = {id(_REAL_DATE): ShiftedDate, id(_REAL_DATETIME): ShiftedDatetime}
    for module in list(sys.modules.values()):
        for name, value in list(getattr(module, "__dict__", {}).items()):
            if id(value) in swap and not name.startswith("_REAL"):
                setattr(module, name, swap[id(value)])


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2:
        sys.exit("usage: python -m nexus.build.clock DAYS SCRIPT [ARGS...]")
    move(float(args[0]))
    sys.argv = args[1:]
    runpy.run_path(args[1], run_name="__main__")


if __name__ == "__main__":
    main()
