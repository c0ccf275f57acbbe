"""How faults are made: the catalogue and one override each, kept out of the conformant partner."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from epix.model import AckError
from epix.partner import PartnerConfig
from epix.partner.answers import Acknowledger, Errors
from epix.partner.endpoint import PartnerEndpoint
from epix.partner.fault_overrides import IGNORES_SEAM
from epix.partner.identity import Identifier
from epix.partner.faults import CATALOGUE, FAULTS, LAPSE_NAMES, LAPSE_OVERRIDES, LAPSES, OVERRIDES, Faults, override
from epix.partner.lifecycle import Lifecycle
from epix.partner.pull import Puller
from epix.partner.receive import Receiver
from epix.partner.resources import Resources
from epix.pki import Pki

PARTNER = Path(__file__).resolve().parents[1] / "epix" / "partner"
#: The modules that know faults by name: the catalogue and the overrides.
FAULT_MODULES = {"faults.py", "fault_overrides.py"}
#: The classes whose methods are the seams a fault may replace.
PARTS = (Identifier, Errors, Acknowledger, Lifecycle, Receiver, Resources, Puller)


def test_no_module_of_the_reference_partner_names_a_fault() -> None:
    modules = sorted(p for p in PARTNER.glob("*.py") if p.name not in FAULT_MODULES)
    assert len(modules) > 10
    named = {}
    for module in modules:
        text = module.read_text(encoding="utf-8")
        found = [name for name in (*FAULTS, *LAPSE_NAMES) if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)]
        if found:
            named[module.name] = found
        assert "faults.on(" not in text and "overlooked(" not in text, module.name
    assert named == {}


def test_every_fault_has_one_override_or_only_ignores_findings() -> None:
    without_effect = [f.name for f in CATALOGUE if f.name not in OVERRIDES and not f.ignores]
    assert without_effect == []
    assert set(OVERRIDES) <= set(FAULTS)
    assert len(CATALOGUE) == len(FAULTS) == 64
    pure_ignores = [f.name for f in CATALOGUE if f.name not in OVERRIDES]
    assert len(OVERRIDES) + len(pure_ignores) == len(CATALOGUE)
    with pytest.raises(ValueError, match="has an override already"):
        override("ack-unsigned", Acknowledger.sign)(lambda acknowledger, base, root: root)
    with pytest.raises(KeyError, match="no-such-fault"):
        override("no-such-fault", Acknowledger.sign)


def test_every_override_replaces_a_public_method_of_a_part() -> None:
    for name, registered in {**OVERRIDES, **LAPSE_OVERRIDES}.items():
        owners = [part for part in PARTS if getattr(part, registered.name, None) is registered.seam]
        assert len(owners) == 1, name
        assert not registered.name.startswith("_"), name
    assert any(getattr(part, IGNORES_SEAM.__name__, None) is IGNORES_SEAM for part in PARTS)


def _replaced(endpoint: PartnerEndpoint) -> set[str]:
    """The seams replaced on the parts of ``endpoint``, as ``Class.method``."""
    return {f"{type(part).__name__}.{name}" for part in endpoint.parts for name in vars(part)
            if callable(getattr(type(part), name, None))}


def test_a_partner_has_exactly_the_seams_of_its_faults_replaced(pki: Pki, tmp_path: Path) -> None:
    def endpoint(*faults: str) -> PartnerEndpoint:
        return PartnerEndpoint(PartnerConfig("FR", pki.root, tmp_path / "fr.db", faults=Faults(faults)))

    conformant = endpoint()
    try:
        assert _replaced(conformant) == set()
    finally:
        conformant.stop()
    for fault in CATALOGUE:
        expected = set()
        if fault.name in OVERRIDES:
            expected.add(OVERRIDES[fault.name].seam.__qualname__)
        if fault.ignores:
            expected.add(IGNORES_SEAM.__qualname__)
        faulty = endpoint(fault.name)
        try:
            assert _replaced(faulty) == expected, fault.name
        finally:
            faulty.stop()


def test_overrides_of_one_seam_wrap_each_other_in_catalogue_order(pki: Pki, tmp_path: Path) -> None:
    faults = Faults(["errors-without-sentences", "accepted-with-error", "ack-wrong-reference"])
    endpoint = PartnerEndpoint(PartnerConfig("FR", pki.root, tmp_path / "fr.db", faults=faults))
    try:
        to = AckError("EPX-104", "To is 'DE', but this endpoint is 'FR'", location="/epx:Envelope/epx:Header/epx:To")
        rejected = endpoint.acknowledger.acknowledgement("a-message", "CH", "Rejected", [to])
        assert rejected.ref_to_message_id != "a-message"
        assert [(e.code, e.text, e.location) for e in rejected.errors] == [("EPX-104", "EPX-104", None)]
        accepted = endpoint.acknowledger.acknowledgement("a-message", "CH", "Accepted", [])
        assert [(e.code, e.text, e.severity) for e in accepted.errors] == [("EPX-303", "EPX-303", "error")]
    finally:
        endpoint.stop()


def test_every_lapse_has_one_override_apart_from_the_faults() -> None:
    assert set(LAPSE_OVERRIDES) == set(LAPSE_NAMES) == {lapse.name for lapse in LAPSES}
    assert not set(LAPSE_NAMES) & set(FAULTS)
    assert Faults(["no-epx-codes", "ack-unsigned"]).names == {"no-epx-codes", "ack-unsigned"}


def test_no_epx_codes_leaves_the_epx_error_out_of_binding_a_faults(pki: Pki, tmp_path: Path) -> None:
    from epix.messages.soap import parse_fault
    from epix.partner.answers import Rejection
    from epix.partner.pull import Fault

    refusal = Fault.client(Rejection("EPX-309", "PULL-03", "The TokenId does not match the permit"))
    for faults, code in ((Faults(), "EPX-309"), (Faults(["no-epx-codes"]), None)):
        endpoint = PartnerEndpoint(PartnerConfig("FR", pki.root, tmp_path / f"fr-{code}.db", faults=faults))
        try:
            answer = endpoint.puller.fault_answer(refusal)
            fault = parse_fault(answer.body)
            assert (answer.status, fault.faultcode) == (500, "soap:Client")
            assert (fault.error.code if fault.error else None) == code
            assert _replaced(endpoint) == ({"Puller.fault_error"} if faults else set())
        finally:
            endpoint.stop()
