"""How a binding-A fault names its error (profile section 3.4).

The ``faultcode`` is required: ``Client`` for the caller's errors, ``Server`` otherwise,
read with or without a prefix (``soap:Client``, ``s:Client``, ``Client``). The EPX code is
RECOMMENDED (the pilot never defined codes): the fault's ``detail`` holds one ``epx:Error``
whose ``Code`` is the code of the table. So a fault that names no code passes with a
warning that names the code it should carry, and a fault that names a code must name
the right one.
"""

from __future__ import annotations

from dataclasses import dataclass

from epix.codes import CODES
from epix.messages.soap import SoapFault

#: How much of a partner's faultcode a sentence shows.
_SHOWN = 80


@dataclass(frozen=True)
class FaultVerdict:
    """What section 3.4 says of one fault: ``broken``, the sentence of a requirement it
    breaks (the scenario fails); else ``missed``, the sentence of the RECOMMENDED it misses
    (the scenario passes with a warning); neither, it is as recommended."""

    broken: str | None = None
    missed: str | None = None

    @property
    def holds(self) -> bool:
        return self.broken is None


def faultcode_name(faultcode: str | None) -> str:
    """The faultcode without its prefix: ``Client`` of ``soap:Client``, ``s:Client`` or ``Client``."""
    return (faultcode or "").strip().rpartition(":")[2]


def judge_fault(fault: SoapFault, code: str, *, faultcode: str | None = "Client") -> FaultVerdict:
    """``fault`` against section 3.4, when it should be a ``faultcode`` fault (``None``: either)
    naming ``code``."""
    expected = f"a soap:{faultcode} fault" if faultcode else "a fault"
    named = fault.error.code if fault.error is not None and fault.error.code else None
    if faultcode is not None and faultcode_name(fault.faultcode) != faultcode:
        return FaultVerdict(broken=(
            f"expected {expected} with {code} ({_meaning(code)}); the partner answered the fault "
            f"{_shown(fault.faultcode)} {f'naming {named}' if named else 'without an EPX code'}"))
    if named is None:
        return FaultVerdict(missed=f"the fault names no EPX code (RECOMMENDED: {code})")
    if named != code:
        return FaultVerdict(broken=(
            f"expected {expected} with {code} ({_meaning(code)}); the partner's fault names {named} "
            f"({_meaning(named)})"))
    return FaultVerdict()


def _meaning(code: str) -> str:
    known = CODES.get(code)
    return known.meaning if known is not None else "a code the profile does not define"


def _shown(text: str) -> str:
    text = " ".join(text.split())
    return f'"{text[:_SHOWN]}…"' if len(text) > _SHOWN else f'"{text}"'
