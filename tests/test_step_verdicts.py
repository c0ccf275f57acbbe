"""The verdicts of the suite's Then steps on answers a partner may give, fed to them directly.

Each test hands a step a made-up answer (an HTML page with HTTP 200, an unsigned
acknowledgement, a redirect, a body that is not XML, an error text of megabytes) and
checks the verdict: a failed check (``AssertionError``) whose sentence names what
arrived, never a pass, never the harness's own error (any other exception), never a local
path or a text of megabytes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

import httpx
import pytest
from lxml import etree

from epix import clock
from epix.messages.acknowledgement import build_acknowledgement
from epix.model import AckError, Acknowledgement
from epix.namespaces import EPX, qname
from epix.safexml import to_bytes
from epix.signing import TrustStore, sign
from epix.transport import AnswerUnusable, Delivery, Exchange, PartnerClient, Sealed, SoapClient, deliver
from steps import acknowledgement_steps, delivery_steps, lifecycle_steps, partner_documents, pull_steps
from steps.observe import Answer, read_soap
from steps.scene import Scene
from steps.world import PartnerDocument, PartnerItem

BASE = "https://partner.example.fr/epix/v1"
MESSAGE_ID = "1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
HTML = b"<!DOCTYPE html><html><body><h1>Service temporarily unavailable</h1></body></html>"
LOCAL_PATHS = ("/work", "/tmp", "/home", ".py", ".toml", "site-packages")


@dataclass
class FakePartner:
    party: str = "FR"
    capabilities: frozenset[str] = frozenset({"retrieve", "pull"})

    def claims(self, capability: str) -> bool:
        return capability in self.capabilities


@dataclass
class FakeWorld:
    """What the steps under test ask of the world: the partner, its trust anchors, clients."""

    partner_trust: TrustStore
    partner: FakePartner = field(default_factory=FakePartner)
    us: SimpleNamespace = field(default_factory=lambda: SimpleNamespace(party="CH"))
    partner_country: str = "FR"
    profile: SimpleNamespace = field(default_factory=lambda: SimpleNamespace(is_simulator=False))
    our_rest: object = None
    our_soap: object = None
    clients: dict = field(default_factory=dict)

    def rest(self, identity: str = "us", **_: object) -> object:
        return self.clients[identity]

    def soap(self, identity: str = "us") -> object:
        return self.clients[identity]


@pytest.fixture()
def world(pki) -> FakeWorld:  # noqa: ANN001
    from cryptography import x509

    fr = pki.party("FR")
    anchors = x509.load_pem_x509_certificates(fr.ca.read_bytes())
    return FakeWorld(TrustStore(anchors={"FR": anchors}, crls={"FR": [x509.load_pem_x509_crl(fr.crl.read_bytes())]}))


def _scene(world: FakeWorld, *requirements: str) -> Scene:
    scene = Scene(world, requirements or ("SIG-01",), False)  # type: ignore[arg-type]
    scene.partner_document = PartnerDocument("26FR000001", "issued", "TOKEN-1",
                                             [PartnerItem("1", Decimal(10), "PCS")])
    return scene


def _ack(pki, status: str = "Accepted", *, signer: str | None = "FR", ref: str = MESSAGE_ID,  # noqa: ANN001
         errors: list[AckError] | None = None, extra: bool = False) -> bytes:
    ack = Acknowledgement(str(uuid.uuid4()), ref, "FR", "CH", status, clock.now(), errors or [])
    root = build_acknowledgement(ack)
    if extra:
        etree.SubElement(root, qname(EPX, "Unexpected")).text = "x"
    if signer is not None:
        root = sign(root, pki.signing_key(signer))
    return to_bytes(root)


def _exchange(status: int, body: bytes = b"", media: str | None = "application/xml", method: str = "POST",
              path: str = "envelopes", **headers: str) -> Exchange:
    response_headers = {**({"content-type": media} if media else {}), **headers}
    return Exchange(method, f"{BASE}/{path}", {}, b"", status=status, response_headers=response_headers,
                    response_body=body)


def _delivery(answer: Exchange, final: Exchange | None = None) -> Delivery:
    return Delivery(Sealed(MESSAGE_ID, b"<epx:Envelope/>"), answer=answer, final=final or answer)


def _failed(step, *args) -> str:  # noqa: ANN001, ANN002
    """The sentence of the failed check ``step(*args)`` makes; it must be one, one line, no local path."""
    with pytest.raises(AssertionError) as failed:
        step(*args)
    sentence = str(failed.value)
    assert "\n" not in sentence, sentence
    assert not any(p in sentence for p in LOCAL_PATHS), sentence
    return sentence


# ---------------------------------------------------------------------------
# 1. No pass without evidence

def test_an_html_page_with_http_200_is_no_acceptance(world) -> None:  # noqa: ANN001
    delivery = _delivery(_exchange(200, HTML, "text/html"))
    sentence = _failed(delivery_steps.partner_accepts, _scene(world), delivery)
    assert sentence.startswith("SIG-01: expected the partner's acknowledgement; it answered HTTP 200, text/html, ")
    assert "which is not an Acknowledgement" in sentence and '"<!DOCTYPE html><html><body>' in sentence


def test_an_empty_2xx_is_no_acceptance(world) -> None:  # noqa: ANN001
    sentence = _failed(delivery_steps.partner_accepts, _scene(world), _delivery(_exchange(204, b"", None)))
    assert "HTTP 204, no Content-Type, with an empty body" in sentence


def test_an_unsigned_accepted_acknowledgement_is_no_acceptance(world, pki) -> None:  # noqa: ANN001
    delivery = _delivery(_exchange(200, _ack(pki, signer=None)))
    sentence = _failed(delivery_steps.partner_accepts, _scene(world), delivery)
    assert sentence.startswith('SIG-01: the acknowledgement (it says "Accepted") cannot be taken as evidence: its '
                               'signature did not verify against the partner\'s trust anchor (ACK-04, SIG-03)')


def test_an_acknowledgement_signed_by_another_party_is_no_acceptance(world, pki) -> None:  # noqa: ANN001
    sentence = _failed(delivery_steps.partner_accepts, _scene(world), _delivery(_exchange(200, _ack(pki, signer="DE"))))
    assert "cannot be taken as evidence: its signature" in sentence


def test_an_acknowledgement_outside_the_envelope_schema_is_no_acceptance(world, pki) -> None:  # noqa: ANN001
    sentence = _failed(delivery_steps.partner_accepts, _scene(world), _delivery(_exchange(200, _ack(pki, extra=True))))
    assert "it is not valid against the envelope schema (ACK-01)" in sentence


def test_a_verified_accepted_acknowledgement_is_acceptance(world, pki) -> None:  # noqa: ANN001
    delivery_steps.partner_accepts(_scene(world), _delivery(_exchange(200, _ack(pki))))


def _async(pki, final: Exchange) -> Delivery:  # noqa: ANN001
    received = _exchange(202, _ack(pki, "Received"))
    return _delivery(received, final)


def test_asynchronous_acceptance_needs_a_verified_final_acknowledgement(world, pki) -> None:  # noqa: ANN001
    delivery_steps.partner_accepts(_scene(world), _async(pki, _exchange(200, _ack(pki), method="GET")))
    sentence = _failed(delivery_steps.partner_accepts, _scene(world),
                       _async(pki, _exchange(200, HTML, "text/html", method="GET")))
    assert "it answered HTTP 200, text/html" in sentence
    sentence = _failed(delivery_steps.partner_accepts, _scene(world),
                       _async(pki, _exchange(200, _ack(pki, signer=None), method="GET")))
    assert "cannot be taken as evidence" in sentence


def test_the_http_status_of_an_asynchronous_answer_is_judged_with_its_final_acknowledgement(world, pki) -> None:  # noqa: ANN001
    scene = _scene(world, "ACK-06")
    accepted = _async(pki, _exchange(200, _ack(pki), method="GET"))
    acknowledgement_steps.http_status_is(scene, accepted, "200 or 202")
    sentence = _failed(acknowledgement_steps.http_status_is, scene, accepted, "422")
    assert "the final acknowledgement says \"Accepted\"; HTTP 422 stands for Rejected" in sentence
    rejected = _async(pki, _exchange(200, _ack(pki, "Rejected", errors=[AckError("EPX-301", "bad code")]),
                                     method="GET"))
    acknowledgement_steps.http_status_is(scene, rejected, "422")
    assert "stands for Accepted" in _failed(acknowledgement_steps.http_status_is, scene, rejected, "200 or 202")


def test_a_2xx_status_needs_a_verified_accepted_acknowledgement(world, pki) -> None:  # noqa: ANN001
    scene = _scene(world, "ACK-06")
    sentence = _failed(acknowledgement_steps.http_status_is, scene, _delivery(_exchange(200, HTML, "text/html")),
                       "200 or 202")
    assert "HTTP 200, text/html" in sentence
    acknowledgement_steps.http_status_is(scene, _delivery(_exchange(200, _ack(pki))), "200 or 202")


def test_acknowledgement_content_judged_on_an_unsigned_acknowledgement_says_so(world, pki) -> None:  # noqa: ANN001
    delivery = _delivery(_exchange(200, _ack(pki, signer=None, ref=str(uuid.uuid4()))))
    sentence = _failed(acknowledgement_steps.ack_refers_to_envelope, _scene(world, "ACK-02"), delivery)
    assert "(judged on unsigned content: the acknowledgement's signature did not verify" in sentence
    signed = _delivery(_exchange(200, _ack(pki, ref=str(uuid.uuid4()))))
    assert "unsigned" not in _failed(acknowledgement_steps.ack_refers_to_envelope, _scene(world, "ACK-02"), signed)


# ---------------------------------------------------------------------------
# 2. A refusal is a refusal: a partner too slow (or too large) is never one

def _slow(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out")


def test_a_delivery_that_times_out_is_no_refusal() -> None:
    with PartnerClient(BASE, timeout=1, transport=httpx.MockTransport(_slow)) as client:
        with pytest.raises(AnswerUnusable):
            deliver(client, Sealed(MESSAGE_ID, b"<epx:Envelope/>"), refusal_is_an_answer=True)


def test_an_answer_too_large_is_no_refusal() -> None:
    def huge(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, content=b"x" * 4096)

    with PartnerClient(BASE, max_body=1024, transport=httpx.MockTransport(huge)) as client:
        with pytest.raises(AnswerUnusable):
            deliver(client, Sealed(MESSAGE_ID, b"<epx:Envelope/>"), refusal_is_an_answer=True)


def test_a_retrieval_by_a_caller_without_identity_that_times_out_is_no_refusal(world) -> None:  # noqa: ANN001
    world.clients["none"] = PartnerClient(BASE, timeout=1, transport=httpx.MockTransport(_slow))
    with pytest.raises(AnswerUnusable):
        lifecycle_steps.retrieve_anonymously(_scene(world, "LIF-01"))


def test_a_binding_a_call_by_an_unauthenticated_caller_that_times_out_is_no_refusal(world) -> None:  # noqa: ANN001
    world.clients["none"] = SoapClient("https://partner.example.fr/adapter", timeout=1,
                                       transport=httpx.MockTransport(_slow))
    with pytest.raises(AnswerUnusable):
        pull_steps.other_caller_requests(_scene(world, "PULL-05"), "a caller without a client certificate")


# ---------------------------------------------------------------------------
# 3. Blame: what the partner sent is its failure, named

@pytest.mark.parametrize("body, media, named", [
    (HTML, "text/html", 'HTTP 200, text/html, 81 bytes beginning "<!DOCTYPE html>'),
    (b"", "application/xml", "HTTP 200, application/xml, with an empty body"),
    (b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "b">]><p>&a;</p>', "application/xml", "declares a DTD"),
    (b"\x00\x01binary\xff", "application/octet-stream", r'beginning "\x00\x01binary'),
], ids=["html", "empty", "dtd", "binary"])
def test_a_retrieved_permit_that_is_not_xml_fails_naming_what_arrived(world, body, media, named) -> None:  # noqa: ANN001
    answer = Answer(_exchange(200, body, media, method="GET", path="permits/26FR000001"))
    sentence = _failed(lifecycle_steps.returned_signed, _scene(world, "LIF-01"), answer)
    assert named in sentence
    assert sentence.startswith("LIF-01: expected the retrieved permit as XML; the partner answered HTTP 200")


def test_xml_that_is_no_permit_fails_without_the_field_map_s_path(world) -> None:  # noqa: ANN001
    answer = Answer(_exchange(200, b"<html><body>no</body></html>", "application/xml", method="GET"))
    sentence = _failed(lifecycle_steps.returned_latest, _scene(world, "LIF-01"), answer)
    assert "which carries no CITESEPermit" in sentence


def test_a_redirect_is_named_as_a_redirect_with_its_location(world) -> None:  # noqa: ANN001
    answer = Answer(_exchange(302, b"", None, method="GET", Location="https://elsewhere.example.org/login"))
    sentence = _failed(lifecycle_steps.returned_signed, _scene(world, "LIF-01"), answer)
    assert 'a redirect (HTTP 302) to "https://elsewhere.example.org/login"' in sentence
    assert "empty" not in sentence
    delivery = _delivery(_exchange(302, b"", None, Location="https://elsewhere.example.org/login"))
    sentence = _failed(delivery_steps.partner_rejects, _scene(world, "SIG-01"), delivery, "EPX-200", None)
    assert 'a redirect (HTTP 302) to "https://elsewhere.example.org/login"' in sentence


def test_a_status_that_is_not_xml_or_not_a_status_fails(world) -> None:  # noqa: ANN001
    answer = Answer(_exchange(200, HTML, "text/html", method="GET", path="status"))
    assert "expected the partner's status as XML" in _failed(lifecycle_steps.status_names_party,
                                                              _scene(world, "LIF-02"), answer)
    answer = Answer(_exchange(200, b"<epx:Other xmlns:epx='urn:epix:pilot:envelope:1'/>", method="GET"))
    assert "cannot be read as one" in _failed(lifecycle_steps.status_lists_types, _scene(world, "LIF-02"), answer)


def test_a_binding_a_answer_that_is_not_soap_fails_naming_what_arrived(world) -> None:  # noqa: ANN001
    from epix.messages.soap import SoapSettings

    answer = read_soap(_exchange(200, HTML, "text/html"), SoapSettings())
    sentence = _failed(pull_steps.one_permit, _scene(world, "PULL-02"), answer)
    assert "HTTP 200, text/html" in sentence and "neither a SOAP response nor a SOAP fault" in sentence
    sentence = _failed(pull_steps.client_fault, _scene(world, "PULL-03"), answer, "EPX-304")
    assert "HTTP 200, text/html" in sentence


def test_reading_the_partner_s_document_by_binding_a_fails_on_html(world) -> None:  # noqa: ANN001
    world.partner.capabilities = frozenset({"pull"})
    world.our_soap = SimpleNamespace(get_non_final_certificate=lambda *a: _exchange(200, HTML, "text/html"))
    sentence = _failed(partner_documents.facts, _scene(world, "LIF-10"), _scene(world).partner_document)
    assert "HTTP 200, text/html" in sentence


# ---------------------------------------------------------------------------
# 4. A partner's long text is cut in the sentence and attached whole

def test_an_error_text_of_megabytes_is_cut_in_the_sentence(world, pki) -> None:  # noqa: ANN001
    text = "A" * 5_000_000
    delivery = _delivery(_exchange(422, _ack(pki, "Rejected", errors=[AckError("EPX-301", text)])))
    sentence = _failed(delivery_steps.partner_rejects, _scene(world, "DOC-02"), delivery, "EPX-303", None)
    assert len(sentence) < 1000
    assert "… (4,999,700 more characters; the whole text is attached)" in sentence


def test_an_unreadable_error_text_of_megabytes_is_cut_too(world, pki) -> None:  # noqa: ANN001
    text = "x" * 1_000_000
    delivery = _delivery(_exchange(422, _ack(pki, "Rejected", errors=[AckError("EPX-301", text)])))
    sentence = _failed(acknowledgement_steps.error_text_readable, _scene(world, "ERR-03"), delivery)
    assert len(sentence) < 1000 and "more characters; the whole text is attached" in sentence


# ---------------------------------------------------------------------------
# 5. PULL-03: a refusal that reveals a permit's values, not its element names

def test_a_refusal_that_names_the_species_reveals_the_permit(world, monkeypatch) -> None:  # noqa: ANN001
    from epix.messages.soap import SoapSettings, build_fault
    from epix.model import ItemFacts, PermitFacts, TradeParty

    facts = PermitFacts(number="26FR000001", importer=TradeParty(name="Jardin des Plantes"),
                        items=[ItemFacts(id="1", scientific_name="Loxodonta africana", quantity=Decimal(10))])
    monkeypatch.setattr(partner_documents, "facts", lambda scene, document: facts)
    fault = build_fault("soap:Client", "Wrong token for the Loxodonta africana of Jardin des Plantes",
                        AckError("EPX-309", "wrong token"))
    answer = read_soap(_exchange(500, fault, "text/xml"), SoapSettings())
    sentence = _failed(pull_steps.reveals_nothing, _scene(world, "PULL-03"), answer)
    assert sentence == 'PULL-03: the refusal reveals the permit\'s "Jardin des Plantes", "Loxodonta africana"'
    quiet = read_soap(_exchange(500, build_fault("soap:Client", "Wrong token", AckError("EPX-309", "wrong token")),
                                "text/xml"), SoapSettings())
    pull_steps.reveals_nothing(_scene(world, "PULL-03"), quiet)


# ---------------------------------------------------------------------------
# 6. Section 3.4: in binding A the EPX code of a fault is RECOMMENDED

def _soap_fault(faultcode: str, code: str | None):  # noqa: ANN202 - a SoapAnswer
    from epix.messages.soap import SoapSettings, build_fault

    body = build_fault(faultcode, "Refused", AckError(code, "refused") if code else None)
    return read_soap(_exchange(500, body, "text/xml"), SoapSettings())


def _warnings(step, *args) -> list[str]:  # noqa: ANN001, ANN002
    """The warnings ``step(*args)`` gives, when it passes."""
    from epix.report.warning import collecting

    with collecting() as warnings:
        step(*args)
    return [str(w) for w in warnings]


def test_a_client_fault_without_an_epx_code_passes_with_a_warning(world) -> None:  # noqa: ANN001
    answer = _soap_fault("soap:Client", None)
    assert _warnings(pull_steps.client_fault, _scene(world, "PULL-03"), answer, "EPX-304") == [
        "PULL-03: the fault names no EPX code (RECOMMENDED: EPX-304)"]
    assert _warnings(pull_steps.client_fault, _scene(world, "PULL-03"), _soap_fault("soap:Client", "EPX-304"),
                     "EPX-304") == []


def test_a_fault_with_the_wrong_code_or_faultcode_fails(world) -> None:  # noqa: ANN001
    sentence = _failed(pull_steps.client_fault, _scene(world, "PULL-03"), _soap_fault("soap:Client", "EPX-309"),
                       "EPX-304")
    assert sentence.startswith("PULL-03: expected a soap:Client fault with EPX-304 (unknown document); the partner's "
                               "fault names EPX-309")
    sentence = _failed(pull_steps.client_fault, _scene(world, "PULL-03"), _soap_fault("soap:Server", None), "EPX-304")
    assert 'the partner answered the fault "soap:Server" without an EPX code (fault string "Refused")' in sentence


def test_a_caller_refused_with_a_fault_without_a_code_passes_with_a_warning(world) -> None:  # noqa: ANN001
    answer = _soap_fault("soap:Client", None)
    assert _warnings(pull_steps.refused_105, _scene(world, "PULL-05"), answer) == [
        "PULL-05: the fault names no EPX code (RECOMMENDED: EPX-105)"]
    assert _warnings(pull_steps.caller_refused, _scene(world, "PULL-05"), answer) == [
        "PULL-05: the fault names no EPX code (RECOMMENDED: EPX-105)"]
    assert "names EPX-304" in _failed(pull_steps.refused_105, _scene(world, "PULL-05"),
                                      _soap_fault("soap:Client", "EPX-304"))
