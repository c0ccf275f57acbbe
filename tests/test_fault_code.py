"""Section 3.4: a binding-A fault's faultcode is required, its EPX code RECOMMENDED.

Read from the spec's text: "A fault without a code passes with a warning; a fault that
names a code must name the right one. A reader accepts faultcode with or without a prefix."
"""

from __future__ import annotations

import pytest

from epix.messages.soap import build_fault, parse_fault
from epix.model import AckError
from epix.validation.fault_code import faultcode_name, judge_fault

_CLIENT = b"""<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>
<faultcode>%s</faultcode><faultstring>refused</faultstring></s:Fault></s:Body></s:Envelope>"""


def _fault(faultcode: str, code: str | None):  # noqa: ANN202 - SoapFault
    return parse_fault(build_fault(faultcode, "refused", AckError(code, "refused") if code else None))


@pytest.mark.parametrize(("faultcode", "named", "expected", "broken", "missed"), [
    ("soap:Client", "EPX-304", "Client", None, None),
    ("soap:Client", None, "Client", None, "the fault names no EPX code (RECOMMENDED: EPX-304)"),
    ("soap:Client", "EPX-309", "Client",
     "expected a soap:Client fault with EPX-304 (unknown document); the partner's fault names EPX-309 "
     "(binding A: the security token does not match the document)", None),
    ("soap:Server", "EPX-304", "Client",
     'expected a soap:Client fault with EPX-304 (unknown document); the partner answered the fault "soap:Server" '
     "naming EPX-304", None),
    ("soap:Server", None, "Client",
     'expected a soap:Client fault with EPX-304 (unknown document); the partner answered the fault "soap:Server" '
     "without an EPX code", None),
    ("soap:Server", None, None, None, "the fault names no EPX code (RECOMMENDED: EPX-304)"),
])
def test_a_fault_is_judged_by_its_faultcode_then_its_epx_code(faultcode: str, named: str | None, expected: str | None,
                                                              broken: str | None, missed: str | None) -> None:
    verdict = judge_fault(_fault(faultcode, named), "EPX-304", faultcode=expected)
    assert (verdict.broken, verdict.missed) == (broken, missed)
    assert verdict.holds is (broken is None)


@pytest.mark.parametrize("written", [b"soap:Client", b"s:Client", b"Client"])
def test_the_faultcode_is_read_with_or_without_a_prefix(written: bytes) -> None:
    body = _CLIENT % written
    if written == b"soap:Client":
        body = body.replace(b"<s:Envelope ", b'<s:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" ')
    fault = parse_fault(body)
    assert faultcode_name(fault.faultcode) == "Client"
    assert judge_fault(fault, "EPX-304").missed == "the fault names no EPX code (RECOMMENDED: EPX-304)"


def test_a_code_the_profile_does_not_define_is_named_as_such() -> None:
    verdict = judge_fault(_fault("soap:Client", "EPX-999"), "EPX-304")
    assert verdict.broken.endswith("the partner's fault names EPX-999 (a code the profile does not define)")
