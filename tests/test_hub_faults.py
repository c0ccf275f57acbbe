"""Each fault mode of the simulated hub changes the behaviour it names, and only with it on
(the same call against the conformant hub shows the difference)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hub_helpers import call, hub_pki, positions, scripted_adapter, write_registry  # noqa: F401 - fixture
from lxml import etree

from epix import safexml
from epix.hub.faults import CATALOGUE, FAULTS, UnknownHubFault, check_names, listing
from epix.hub.running import HubConfig, RunningHub, start_hub
from epix.messages import soap
from epix.messages.hub_soap import TIMEOUT_FAULTSTRING, read_answer
from epix.partner.issuing import SeededDocument
from epix.partner.running import RunningPartner, running_partner
from epix.pki import HUB_PARTY, Pki


@pytest.fixture(scope="module")
def ch(hub_pki: Pki) -> Iterator[RunningPartner]:
    with running_partner("CH", pki_dir=hub_pki.root, peers=("FR", "DE", HUB_PARTY)) as partner:
        yield partner


@pytest.fixture(scope="module")
def registry(hub_pki: Pki, ch: RunningPartner, tmp_path_factory: pytest.TempPathFactory) -> Path:
    entry = {"country": "CH", "url": ch.soap_url, "ca": str(ch.server_ca), "namespace": ch.config.soap.namespace,
             "response_namespace": ch.config.soap.response_namespace, "callers": ["FR"]}
    return write_registry(tmp_path_factory.mktemp("registry") / "registry.toml", hub_pki, [entry],
                          callers=("FR", "CH", "DE"))


def hub_with(pki: Pki, registry: Path, *faults: str) -> RunningHub:
    return start_hub(HubConfig(pki_dir=pki.root, adapters=registry, faults=faults))


def issued(partner: RunningPartner) -> SeededDocument:
    return next(d for d in partner.documents() if d.state == "issued")


def faultstring(response) -> str | None:  # noqa: ANN001
    answer = read_answer(response.content)
    return answer.faultstring if isinstance(answer, soap.SoapFault) else None


def test_the_catalogue_names_pull_06_for_each_fault() -> None:
    assert len(FAULTS) == len(CATALOGUE) >= 9
    assert all(f.requirement == "PULL-06" and f.sentence.endswith(".") for f in CATALOGUE)
    assert "hub-drops-quantities" in listing()
    with pytest.raises(UnknownHubFault, match="unknown hub fault ack-unsigned"):
        check_names(["ack-unsigned"])


def test_accepts_no_certificate(hub_pki: Pki, registry: Path) -> None:
    with hub_with(hub_pki, registry) as hub:
        assert faultstring(call(hub, "ServiceState", party=None, country="CH")) == "CertificateMissing"
    with hub_with(hub_pki, registry, "hub-accepts-no-certificate") as hub:
        assert call(hub, "ServiceState", party=None, country="CH").status_code == 200


def test_serves_unknown_caller(hub_pki: Pki, registry: Path) -> None:
    with hub_with(hub_pki, registry) as hub:
        assert faultstring(call(hub, "ServiceState", party=HUB_PARTY, country="CH")) == "CallerNotFound"
    with hub_with(hub_pki, registry, "hub-serves-unknown-caller", "hub-ignores-adapter-callers") as hub:
        assert call(hub, "ServiceState", party=HUB_PARTY, country="CH").status_code == 200


def test_misnames_unknown_callee(hub_pki: Pki, registry: Path) -> None:
    with hub_with(hub_pki, registry) as hub:
        assert faultstring(call(hub, "ServiceState", country="IT")) == "CalleeNotFound"
    with hub_with(hub_pki, registry, "hub-misnames-unknown-callee") as hub:
        assert faultstring(call(hub, "ServiceState", country="IT")) == "AdapterNotAvailable"
        assert call(hub, "ServiceState", country="CH").status_code == 200


def test_ignores_adapter_callers(hub_pki: Pki, registry: Path) -> None:
    with hub_with(hub_pki, registry) as hub:
        assert faultstring(call(hub, "ServiceState", party="DE", country="CH")) == "AdapterNotAvailable"
    with hub_with(hub_pki, registry, "hub-ignores-adapter-callers") as hub:
        assert call(hub, "ServiceState", party="DE", country="CH").status_code == 200


def test_waits_for_adapter(hub_pki: Pki, tmp_path: Path) -> None:
    with scripted_adapter(hub_pki, delay=2.0) as adapter:
        entry = {"country": "CH", "url": adapter.url, "ca": str(adapter.ca), "timeout": 0.5}
        registry = write_registry(tmp_path / "slow.toml", hub_pki, [entry])
        with hub_with(hub_pki, registry) as hub:
            assert faultstring(call(hub, "ServiceState", country="CH")) == TIMEOUT_FAULTSTRING
        with hub_with(hub_pki, registry, "hub-waits-for-adapter") as hub:
            started = time.monotonic()
            response = call(hub, "ServiceState", country="CH")
            assert response.status_code == 200 and response.content == adapter.body
            assert time.monotonic() - started >= 2.0


def test_rewrites_answer(hub_pki: Pki, registry: Path, ch: RunningPartner) -> None:
    document = issued(ch)
    asked = {"number": document.number, "token": document.token, "country": "CH"}
    with hub_with(hub_pki, registry, "hub-rewrites-answer") as hub:
        response = call(hub, "GetNonFinalCitesCertificate", **asked)
        relayed = hub.exchanges[-1].adapter.response_body
    assert response.status_code == 200 and response.content != relayed
    assert etree.QName(safexml.parse(response.content)).localname == "Envelope"


def test_replaces_adapter_fault(hub_pki: Pki, registry: Path, ch: RunningPartner) -> None:
    asked = {"number": issued(ch).number, "token": "WRONG-TOKEN-0000", "country": "CH"}
    with hub_with(hub_pki, registry) as hub:
        assert call(hub, "GetNonFinalCitesCertificate", **asked).status_code == 200
    with hub_with(hub_pki, registry, "hub-replaces-adapter-fault") as hub:
        response = call(hub, "GetNonFinalCitesCertificate", **asked)
    assert response.status_code == 500 and faultstring(response) == "Something went wrong"


def _forwarded(hub: RunningHub, ch: RunningPartner) -> bytes:
    document = issued(ch)
    call(hub, "ConfirmQuantities", number=document.number, token=document.token, country="CH",
         positions=positions((document.items[0].id, 0)))
    return hub.exchanges[-1].adapter.request_body


def test_drops_quantities(hub_pki: Pki, registry: Path, ch: RunningPartner) -> None:
    with hub_with(hub_pki, registry) as hub:
        assert b"ConfirmedQuantities" in _forwarded(hub, ch)
    with hub_with(hub_pki, registry, "hub-drops-quantities") as hub:
        sent = _forwarded(hub, ch)
    assert b"ConfirmedQuantities" not in sent and b"CertificateNumber" in sent


def _child_namespaces(body: bytes) -> set[str | None]:
    operation = safexml.parse(body).find(f"{{{soap.SOAP}}}Body/*")
    return {etree.QName(child).namespace for child in operation}


def test_qualifies_children(hub_pki: Pki, registry: Path, ch: RunningPartner) -> None:
    with hub_with(hub_pki, registry) as hub:
        assert _child_namespaces(_forwarded(hub, ch)) == {None}
    with hub_with(hub_pki, registry, "hub-qualifies-children") as hub:
        sent = _forwarded(hub, ch)
    assert _child_namespaces(sent) == {ch.config.soap.namespace}
