"""Profiles: who we are, who the partner is and what it claims, read from a TOML file.

A profile is checked completely before any scenario runs. Every mistake becomes one
sentence that names the field (``partner.binding_b.url``) and says what is wrong, so
that a Task Force member can fix the file without reading code. Relative paths are
read relative to the profile's own folder.

Two kinds of profile exist: one with a ``[simulator]`` table, which starts the
simulated partner in process and takes the partner's address, certificates and test
documents from it; and one with a ``[partner]`` table that describes a real
Management Authority's endpoint (see ``fixtures/profiles/example-remote.toml``).
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from epix.model import DOCUMENT_STATES
from epix.party import is_party_id

#: The capabilities a partner can claim (profile section 12).
BINDING_A_CAPABILITIES = ("pull", "final", "confirm-quantities")
BINDING_B_CAPABILITIES = ("receive", "retrieve", "usage-report", "cancel", "async-ack", "send")
CAPABILITIES = (*BINDING_A_CAPABILITIES, *BINDING_B_CAPABILITIES, "signed-documents", "hub")
#: States a test document can be in; ``expired`` is an issued permit whose validity has ended.
TEST_DOCUMENT_STATES = (*DOCUMENT_STATES, "expired")
SOAP_OPERATIONS = (
    "GetNonFinalCitesCertificate", "GetFinalCitesCertificate", "ConfirmQuantities", "ServiceState",
)
_DOCUMENT_NUMBER = re.compile(r"^[A-Z0-9/.\-]{1,35}$")


class ProfileError(Exception):
    """A profile that cannot be used; ``problems`` holds one sentence per mistake."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = Path(path)
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"the profile {self.path} cannot be used:\n{lines}")


@dataclass(frozen=True)
class TestDocument:
    """A document that exists at the partner, for retrieval, confirmation and usage scenarios."""

    number: str
    state: str
    token: str | None = None
    issued_by_partner: bool = True

    __test__ = False  # not a pytest test class


@dataclass(frozen=True)
class OurParty:
    """The harness's own test party: the identity it connects and signs with."""

    party: str
    client_certificate: Path | None = None
    client_key: Path | None = None
    signing_certificate: Path | None = None
    signing_key: Path | None = None
    chain: tuple[Path, ...] = ()
    other_party: str | None = None
    pki: Path | None = None


@dataclass(frozen=True)
class BindingA:
    url: str
    namespace: str = "urn:CitesDataExchange"
    response_namespace: str = "urn:CitesDataExchange/v2/"
    actions: dict[str, str] = field(default_factory=lambda: {op: f"urn:{op}" for op in SOAP_OPERATIONS})


@dataclass(frozen=True)
class BindingB:
    url: str


@dataclass(frozen=True)
class Partner:
    """The Management Authority under test, as its profile describes it."""

    party: str
    capabilities: frozenset[str]
    trust_anchors: tuple[Path, ...]
    crls: tuple[Path, ...] = ()
    binding_a: BindingA | None = None
    binding_b: BindingB | None = None
    mtls: bool = True
    acknowledgements: str = "sync"
    size_limit_bytes: int = 10 * 1024 * 1024
    documents: tuple[TestDocument, ...] = ()

    def claims(self, capability: str) -> bool:
        return capability in self.capabilities

    def documents_in(self, state: str) -> list[TestDocument]:
        return [d for d in self.documents if d.state == state]


@dataclass(frozen=True)
class Timeouts:
    """Seconds. ``answer`` is binding A's limit (PULL-01, PULL-02); ``acknowledgement`` ACK-05's."""

    connect: float = 5.0
    answer: float = 10.0
    acknowledgement: float = 60.0


@dataclass(frozen=True)
class SimulatorSettings:
    """Start the simulated partner in process, playing ``party`` with these fault modes."""

    party: str = "FR"
    faults: tuple[str, ...] = ()
    mtls: bool = True
    acknowledgements: str = "sync"
    capabilities: frozenset[str] | None = None


@dataclass(frozen=True)
class Profile:
    path: Path
    name: str
    us: OurParty
    timeouts: Timeouts
    partner: Partner | None = None
    simulator: SimulatorSettings | None = None
    requirement_links: str = "https://epix-pilot.invalid/profile/v1#{}"

    @property
    def is_simulator(self) -> bool:
        return self.simulator is not None

    def with_partner(self, partner: Partner, us: OurParty | None = None) -> Profile:
        """This profile completed with a partner (and our credentials) known only at run time."""
        return replace(self, partner=partner, us=us or self.us)


def load_profile(path: str | Path) -> Profile:
    """Read and check the profile at ``path``; raise :class:`ProfileError` listing every mistake."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ProfileError(path, [f"the file cannot be read: {exc.strerror or exc}."]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(path, [f"the file is not valid TOML: {exc}."]) from None
    reader = _Reader(path.parent.resolve())
    profile = reader.profile(path, data)
    if reader.problems:
        raise ProfileError(path, reader.problems)
    assert profile is not None
    return profile


# ---------------------------------------------------------------------------
# Reading with one sentence per mistake.

_FIELDS: dict[str, tuple[str, ...]] = {
    "": ("profile", "us", "partner", "simulator", "timeouts", "report"),
    "profile": ("name", "description"),
    "us": ("party", "client_certificate", "client_key", "signing_certificate", "signing_key", "chain",
           "other_party", "pki"),
    "partner": ("party", "capabilities", "trust_anchors", "crls", "binding_a", "binding_b", "mtls",
                "acknowledgements", "size_limit_bytes", "documents"),
    "partner.binding_a": ("url", "namespace", "response_namespace", "actions"),
    "partner.binding_a.actions": SOAP_OPERATIONS,
    "partner.binding_b": ("url",),
    "partner.documents": ("number", "state", "token"),
    "simulator": ("party", "faults", "mtls", "acknowledgements", "capabilities"),
    "timeouts": ("connect", "answer", "acknowledgement"),
    "report": ("requirement_links",),
}


class _Reader:
    def __init__(self, base: Path):
        self.base = base
        self.problems: list[str] = []

    def problem(self, sentence: str) -> None:
        self.problems.append(sentence)

    # -- structure ---------------------------------------------------------
    def table(self, data: dict[str, Any], name: str, *, required: bool = False) -> dict[str, Any] | None:
        value = data.get(name.rsplit(".", 1)[-1]) if data is not None else None
        if value is None:
            if required:
                self.problem(f"{name} is missing: the profile needs a [{name}] table.")
            return None
        if not isinstance(value, dict):
            self.problem(f"{name} must be a table ([{name}]), not {_kind(value)}.")
            return None
        self.unknown_fields(value, name)
        return value

    def unknown_fields(self, data: dict[str, Any], where: str) -> None:
        known = _FIELDS[where.split("[")[0]]
        for key in data:
            if key not in known:
                full = f"{where}.{key}" if where else key
                close = difflib.get_close_matches(key, known, n=1)
                hint = f"; did you mean {where + '.' if where else ''}{close[0]}?" if close else (
                    f"; the fields of {where or 'a profile'} are: {', '.join(known)}.")
                self.problem(f"{full} is not a field of {where or 'a profile'}{hint}")

    # -- scalar values -----------------------------------------------------
    def value(self, data: dict[str, Any] | None, where: str, key: str, check: Callable[[str, Any], Any],
              *, required: bool = False, default: Any = None, hint: str = "") -> Any:
        name = f"{where}.{key}"
        if data is None or key not in data:
            if required:
                self.problem(f"{name} is missing{': ' + hint if hint else ''}.")
            return default
        return check(name, data[key])

    def text(self, name: str, value: Any) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.problem(f"{name} must be a non-empty text, not {_kind(value)}.")
            return None
        return value

    def party(self, name: str, value: Any) -> str | None:
        if not is_party_id(value):
            self.problem(f"{name} must be a party ID: an upper-case ISO 3166-1 alpha-2 code, optionally "
                         f"followed by '-' and an authority code (\"CH\", \"US-FWS\"), not {value!r}.")
            return None
        return value

    def boolean(self, name: str, value: Any) -> bool | None:
        if not isinstance(value, bool):
            self.problem(f"{name} must be true or false, not {_kind(value)}.")
            return None
        return value

    def seconds(self, name: str, value: Any) -> float | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            self.problem(f"{name} must be a positive number of seconds, not {value!r}.")
            return None
        return float(value)

    def positive_int(self, name: str, value: Any) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            self.problem(f"{name} must be a positive whole number, not {value!r}.")
            return None
        return value

    def choice(self, options: tuple[str, ...]) -> Callable[[str, Any], str | None]:
        def check(name: str, value: Any) -> str | None:
            if value not in options:
                self.problem(f"{name} must be one of {', '.join(options)}, not {value!r}.")
                return None
            return value
        return check

    def url(self, name: str, value: Any) -> str | None:
        if not isinstance(value, str):
            self.problem(f"{name} must be a URL in quotes, not {_kind(value)}.")
            return None
        try:
            parts = urlsplit(value)
            host = parts.hostname
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError as exc:
            self.problem(f"{name} is not a valid URL ({exc}): {value!r}.")
            return None
        if parts.scheme not in ("https", "http") or not host:
            self.problem(f"{name} must be an https:// URL with a host name, not {value!r}.")
            return None
        if parts.scheme == "http" and not _is_loopback(host):
            self.problem(f"{name} uses plain http:// for {host}, which the profile allows only on the "
                         f"loopback network (ENV-01); use https://.")
            return None
        if parts.query or parts.fragment:
            self.problem(f"{name} must be a base URL without a query or fragment, not {value!r}.")
            return None
        return value.rstrip("/")

    # -- files ---------------------------------------------------------------
    def file(self, name: str, value: Any) -> Path | None:
        if not isinstance(value, str) or not value:
            self.problem(f"{name} must be a file path in quotes, not {_kind(value)}.")
            return None
        path = (self.base / value).resolve()
        try:
            path.read_bytes()
        except OSError as exc:
            self.problem(f"{name}: the file {path} cannot be read ({exc.strerror or exc}).")
            return None
        return path

    def pki_folder(self, name: str, value: Any) -> Path | None:
        if not isinstance(value, str) or not value:
            self.problem(f"{name} must be a folder path in quotes, not {_kind(value)}.")
            return None
        path = (self.base / value).resolve()
        if not path.is_dir():
            self.problem(f"{name}: the folder {path} does not exist.")
            return None
        return path

    def certificate(self, name: str, value: Any) -> Path | None:
        path = self.file(name, value)
        if path is None:
            return None
        try:
            certs = x509.load_pem_x509_certificates(path.read_bytes())
        except ValueError:
            certs = []
        if not certs:
            self.problem(f"{name}: {path} is not a PEM certificate (expected '-----BEGIN CERTIFICATE-----').")
            return None
        return path

    def private_key(self, name: str, value: Any) -> Path | None:
        path = self.file(name, value)
        if path is None:
            return None
        try:
            serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (ValueError, TypeError) as exc:
            reason = "it is protected by a password" if isinstance(exc, TypeError) else "it is not a PEM private key"
            self.problem(f"{name}: {path} cannot be used as a private key: {reason}.")
            return None
        return path

    def crl(self, name: str, value: Any) -> Path | None:
        path = self.file(name, value)
        if path is None:
            return None
        try:
            x509.load_pem_x509_crl(path.read_bytes())
        except ValueError:
            self.problem(f"{name}: {path} is not a PEM certificate revocation list.")
            return None
        return path

    def list_of(self, check: Callable[[str, Any], Any]) -> Callable[[str, Any], tuple[Any, ...] | None]:
        def checked(name: str, value: Any) -> tuple[Any, ...] | None:
            if not isinstance(value, list):
                self.problem(f"{name} must be a list in square brackets, not {_kind(value)}.")
                return None
            items = [check(f"{name}[{i}]", v) for i, v in enumerate(value)]
            return tuple(i for i in items if i is not None)
        return checked

    def capability(self, name: str, value: Any) -> str | None:
        if value not in CAPABILITIES:
            close = difflib.get_close_matches(str(value), CAPABILITIES, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(CAPABILITIES)}."
            self.problem(f"{name}: {value!r} is not a capability of the profile{hint}")
            return None
        return value

    # -- the tables ------------------------------------------------------------
    def profile(self, path: Path, data: dict[str, Any]) -> Profile | None:
        self.unknown_fields(data, "")
        meta = self.table(data, "profile")
        name = self.value(meta, "profile", "name", self.text, default=path.stem)
        simulator = self.simulator(data)
        us = self.us(data, simulator is not None)
        partner = None if simulator is not None else self.partner(data)
        if simulator is None and "partner" not in data:
            self.problem("partner is missing: the profile needs a [partner] table that describes the "
                         "endpoint under test, or a [simulator] table to test against the simulated partner.")
        elif simulator is not None and "partner" in data:
            self.problem("partner and simulator are both given: a profile tests either a real partner "
                         "([partner]) or the simulated one ([simulator]), not both.")
        timeouts = self.timeouts(data)
        report = self.table(data, "report")
        links = self.value(report, "report", "requirement_links", self.requirement_links,
                           default=Profile.requirement_links)
        if self.problems or us is None:
            return None
        return Profile(path=path.resolve(), name=name, us=us, timeouts=timeouts, partner=partner,
                       simulator=simulator, requirement_links=links)

    def requirement_links(self, name: str, value: Any) -> str | None:
        if not isinstance(value, str) or "{}" not in value:
            self.problem(f"{name} must be a URL template with {{}} where the requirement ID goes, not {value!r}.")
            return None
        return value

    def us(self, data: dict[str, Any], simulated: bool) -> OurParty | None:
        table = self.table(data, "us", required=True)
        if table is None:
            return None
        party = self.value(table, "us", "party", self.party, required=True,
                           hint='give our test party ID, e.g. party = "CH"')
        needed = not simulated
        files = {
            "client_certificate": self.value(table, "us", "client_certificate", self.certificate, required=needed,
                                             hint="give the TLS client certificate we connect with"),
            "client_key": self.value(table, "us", "client_key", self.private_key, required=needed,
                                     hint="give the private key of us.client_certificate"),
            "signing_certificate": self.value(table, "us", "signing_certificate", self.certificate,
                                              required=needed, hint="give the certificate we sign documents with"),
            "signing_key": self.value(table, "us", "signing_key", self.private_key, required=needed,
                                      hint="give the private key of us.signing_certificate"),
        }
        chain = self.value(table, "us", "chain", self.list_of(self.certificate), default=())
        other = self.value(table, "us", "other_party", self.party)
        pki = self.value(table, "us", "pki", self.pki_folder)
        if pki is not None and party is not None and not (pki / party / "ca.pem").exists():
            self.problem(f"us.pki: {pki} holds no test PKI of our party {party} ({party}/ca.pem); make it with "
                         f"epix pki init --parties {party} --out {pki}.")
        self.key_matches("us.client_key", files["client_key"], "us.client_certificate", files["client_certificate"])
        self.key_matches("us.signing_key", files["signing_key"], "us.signing_certificate",
                         files["signing_certificate"])
        if party is None:
            return None
        return OurParty(party=party, chain=chain or (), other_party=other, pki=pki, **files)

    def key_matches(self, key_name: str, key: Path | None, cert_name: str, cert: Path | None) -> None:
        if key is None or cert is None:
            return
        private = serialization.load_pem_private_key(key.read_bytes(), password=None)
        public = x509.load_pem_x509_certificates(cert.read_bytes())[0].public_key()
        fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        if private.public_key().public_bytes(*fmt) != public.public_bytes(*fmt):
            self.problem(f"{key_name} is not the private key of the certificate in {cert_name}.")

    def partner(self, data: dict[str, Any]) -> Partner | None:
        table = self.table(data, "partner")
        if table is None:
            return None
        party = self.value(table, "partner", "party", self.party, required=True,
                           hint='give the party ID of the partner under test, e.g. party = "FR"')
        capabilities = self.value(table, "partner", "capabilities", self.list_of(self.capability), required=True,
                                  hint='list what the partner claims, e.g. capabilities = ["pull", "receive"]')
        anchors = self.value(table, "partner", "trust_anchors", self.list_of(self.certificate), required=True,
                             hint="give the CA certificate(s) the partner registered with the pilot")
        crls = self.value(table, "partner", "crls", self.list_of(self.crl), default=())
        mtls = self.value(table, "partner", "mtls", self.boolean, default=True)
        acks = self.value(table, "partner", "acknowledgements", self.choice(("sync", "async")), default="sync")
        limit = self.value(table, "partner", "size_limit_bytes", self.positive_int, default=10 * 1024 * 1024)
        claimed = frozenset(capabilities or ())
        binding_a = self.binding_a(table, claimed)
        binding_b = self.binding_b(table, claimed)
        documents = self.documents(table)
        if limit is not None and limit < 10 * 1024 * 1024:
            self.problem(f"partner.size_limit_bytes is {limit}, but the profile requires every partner to "
                         "accept at least 10 MiB (10485760 bytes, ENV-04).")
        if party is None or capabilities is None or anchors is None:
            return None
        return Partner(party=party, capabilities=claimed, trust_anchors=anchors, crls=crls or (),
                       binding_a=binding_a, binding_b=binding_b, mtls=bool(mtls), acknowledgements=acks or "sync",
                       size_limit_bytes=limit or 10 * 1024 * 1024, documents=documents)

    def binding_a(self, partner: dict[str, Any], claimed: frozenset[str]) -> BindingA | None:
        table = self.table(partner, "partner.binding_a")
        uses = sorted(claimed & set(BINDING_A_CAPABILITIES))
        if table is None:
            if uses:
                self.problem(f"partner.binding_a.url is missing: the partner claims {', '.join(uses)}, "
                             "which is served over binding A.")
            return None
        where = "partner.binding_a"
        url = self.value(table, where, "url", self.url, required=True, hint="give the SOAP endpoint's URL")
        namespace = self.value(table, where, "namespace", self.text, default=BindingA.namespace)
        response_ns = self.value(table, where, "response_namespace", self.text, default=BindingA.response_namespace)
        actions_table = self.table(table, f"{where}.actions")
        actions = {op: f"urn:{op}" for op in SOAP_OPERATIONS}
        for op in SOAP_OPERATIONS:
            actions[op] = self.value(actions_table, f"{where}.actions", op, self.text, default=actions[op])
        return BindingA(url=url, namespace=namespace, response_namespace=response_ns, actions=actions) if url else None

    def binding_b(self, partner: dict[str, Any], claimed: frozenset[str]) -> BindingB | None:
        table = self.table(partner, "partner.binding_b")
        uses = sorted(claimed & set(BINDING_B_CAPABILITIES))
        if table is None:
            if uses:
                self.problem(f"partner.binding_b.url is missing: the partner claims {', '.join(uses)}, "
                             "which is served over binding B.")
            return None
        url = self.value(table, "partner.binding_b", "url", self.url, required=True,
                         hint="give the partner's base URL, e.g. https://epix.example.fr/epix/v1")
        return BindingB(url=url) if url else None

    def documents(self, partner: dict[str, Any]) -> tuple[TestDocument, ...]:
        entries = partner.get("documents", [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            self.problem("partner.documents must be a list of [[partner.documents]] tables.")
            return ()
        found = []
        for i, entry in enumerate(entries):
            where = f"partner.documents[{i}]"
            for key in entry:
                if key not in _FIELDS["partner.documents"]:
                    self.problem(f"{where}.{key} is not a field of a test document; the fields are: "
                                 f"{', '.join(_FIELDS['partner.documents'])}.")
            number = self.value(entry, where, "number", self.document_number, required=True,
                                hint="give the document's number as printed in box 1")
            state = self.value(entry, where, "state", self.choice(TEST_DOCUMENT_STATES), required=True,
                               hint=f"give one of {', '.join(TEST_DOCUMENT_STATES)}")
            token = self.value(entry, where, "token", self.text)
            if number and state:
                found.append(TestDocument(number=number, state=state, token=token))
        return tuple(found)

    def document_number(self, name: str, value: Any) -> str | None:
        if not isinstance(value, str) or not _DOCUMENT_NUMBER.match(value):
            self.problem(f"{name} must be a document number of 1 to 35 characters A-Z 0-9 / - ., not {value!r}.")
            return None
        return value

    def simulator(self, data: dict[str, Any]) -> SimulatorSettings | None:
        table = self.table(data, "simulator")
        if table is None:
            return None
        party = self.value(table, "simulator", "party", self.party, default="FR")
        faults = self.value(table, "simulator", "faults", self.list_of(self.text), default=())
        mtls = self.value(table, "simulator", "mtls", self.boolean, default=True)
        acks = self.value(table, "simulator", "acknowledgements", self.choice(("sync", "async")), default="sync")
        caps = self.value(table, "simulator", "capabilities", self.list_of(self.capability))
        return SimulatorSettings(party=party or "FR", faults=faults or (), mtls=bool(mtls),
                                 acknowledgements=acks or "sync",
                                 capabilities=frozenset(caps) if caps is not None else None)

    def timeouts(self, data: dict[str, Any]) -> Timeouts:
        table = self.table(data, "timeouts")
        d = Timeouts()
        return Timeouts(
            connect=self.value(table, "timeouts", "connect", self.seconds, default=d.connect) or d.connect,
            answer=self.value(table, "timeouts", "answer", self.seconds, default=d.answer) or d.answer,
            acknowledgement=self.value(table, "timeouts", "acknowledgement", self.seconds,
                                       default=d.acknowledgement) or d.acknowledgement,
        )


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
