"""The API's request parsers: DRF's, with hostile JSON answered 400 instead of 500.

DRF's ``JSONParser`` turns a ``ValueError`` (bad syntax, bytes that aren't UTF-8) into a
400 ParseError. Two kinds of valid-looking JSON got through to a 500:

* nested a few thousand levels deep (``[[[[…]]]]``, 2 bytes a level): Python's decoder
  raises ``RecursionError``, which is no ValueError;
* a number too large for a float (``1e400``): Python reads it as ``inf``, and the first
  ``int(inf)`` downstream (an id lookup, an IntegerField) raises ``OverflowError``.
"""

import codecs
import math

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text[:40]}")
    return value


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser (same media type, same strictness), refusing the two cases above."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            return json.load(codecs.getreader(encoding)(stream),
                             parse_constant=json.strict_constant if self.strict else None,
                             parse_float=_finite_float)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
