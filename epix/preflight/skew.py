"""Clock skew: the partner's clock, as the HTTP ``Date`` header of its answers gives it
(RFC 9110, 6.6.1), against ours. Signatures' validity, the replay window (ENV-13) and the
acknowledgement deadlines all depend on the two clocks agreeing."""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime

from epix import clock
from epix.preflight.services import Asked
from epix.preflight.verdicts import Line, fail, ok, skip, warn

CHECK = "clock"
#: More than this many seconds apart: a warning; more than the second, a failure.
WARN_SECONDS = 2 * 60
FAIL_SECONDS = 5 * 60
_FIX = "synchronise both machines' clocks with NTP (ours and the partner's web server)"


def skew(asked: list[Asked]) -> Line:
    """The line for the first answer that carries a ``Date`` header."""
    for one in asked:
        if one.exchange is None or one.exchange.status is None:
            continue
        value = _header(one.exchange.response_headers, "date")
        if value is None:
            continue
        try:
            theirs = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return warn(CHECK, f"the partner's Date header {value!r} is not an HTTP date; the clocks were not "
                               "compared", "the partner's web server must send the Date header as RFC 9110 says")
        if theirs.tzinfo is None:
            return warn(CHECK, f"the partner's Date header {value!r} gives no time zone (GMT); the clocks were not "
                               "compared", "the partner's web server must send the Date header in GMT")
        return _compared(theirs, one.at)
    if not any(one.exchange is not None for one in asked):
        return skip(CHECK, "no answer from the partner")
    return warn(CHECK, "no answer of the partner carried a Date header; the clocks were not compared",
                "the partner's web server should send the Date header (RFC 9110, 6.6.1)")


def _compared(theirs: datetime, ours: datetime) -> Line:
    seconds = (theirs - ours).total_seconds()
    way = "ahead of" if seconds > 0 else "behind"
    found = (f"the partner's clock is {_span(abs(seconds))} {way} ours (its Date header {clock.isoformat(theirs)}, "
             f"ours {clock.isoformat(ours)})")
    if abs(seconds) > FAIL_SECONDS:
        return fail(CHECK, f"{found}: more than {FAIL_SECONDS // 60} minutes", _FIX)
    if abs(seconds) > WARN_SECONDS:
        return warn(CHECK, f"{found}: more than {WARN_SECONDS // 60} minutes", _FIX)
    if abs(seconds) <= 2:
        return ok(CHECK, f"the partner's clock agrees with ours (within 2 s, its Date header {clock.isoformat(theirs)})")
    return ok(CHECK, found)


def _span(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name), None)
