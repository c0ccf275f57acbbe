"""Profiles: who we are, who the partner is and what it claims, read from a TOML file.

A profile is checked completely before any scenario runs. Every mistake becomes one
sentence that names the field (``partner.binding_b.url``) and says what is wrong, so
that a Task Force member can fix the file without reading code. Relative paths are
read relative to the profile's own folder.

Two kinds of profile exist: one with a ``[simulator]`` table, which starts the
simulated partner in process and takes the partner's address, certificates and test
documents from it; and one with a ``[partner]`` table that describes a real
Management Authority's endpoint (see ``fixtures/profiles/example-remote.toml``).

Each table of the file is a model below, field for field: a field's type says what it
accepts (:mod:`epix.profilefields`), its ``description`` is the hint given when it is
missing. :func:`load_profile` checks the whole file at once and turns each of
pydantic's errors into a sentence with :func:`epix.profilefields.sentence`.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, StrictBool, ValidationError, ValidationInfo,
    field_validator, model_validator,
)
from pydantic_core import PydanticCustomError

from epix.messages.soap import ADAPTER_TIMEOUT
from epix.model import DOCUMENT_STATES
from epix.namespaces import CITES_EXCHANGE_V2
from epix.transport.client import DEFAULT_MAX_BODY
from epix.profilefields import (
    Address, Certificate, CountryCode, Crl, DocumentNumber, Folder, LinkTemplate, PartyId, PrivateKey, Seconds, Secret,
    Text, Url, WholeNumber, same_key_pair, sentence,
)

#: The capabilities a partner can claim (profile section 12).
BINDING_A_CAPABILITIES = ("pull", "final", "confirm-quantities")
BINDING_B_CAPABILITIES = ("receive", "retrieve", "usage-report", "cancel", "async-ack", "send")
CAPABILITIES = (*BINDING_A_CAPABILITIES, *BINDING_B_CAPABILITIES, "signed-documents", "hub")
#: States a test document can be in; ``expired`` is an issued permit whose validity has ended.
TEST_DOCUMENT_STATES = (*DOCUMENT_STATES, "expired")
#: The smallest request body every partner must accept (ENV-04).
MIN_SIZE_LIMIT = 10 * 1024 * 1024


class ProfileError(Exception):
    """A profile that cannot be used; ``problems`` holds one sentence per mistake."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = Path(path)
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"the profile {self.path} cannot be used:\n{lines}")


def _capability(value: Any) -> str:
    if value not in CAPABILITIES:
        close = difflib.get_close_matches(str(value), CAPABILITIES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(CAPABILITIES)}."
        raise ValueError(f": {value!r} is not a capability of the profile{hint}")
    return value


Capability = Annotated[str, BeforeValidator(_capability)]
Acknowledgements = Literal["sync", "async"]
#: What the simulator plays: the partner (an MA's endpoint) or the EPIX hub (binding A, 3.2).
Role = Literal["partner", "hub"]


def _for_a_partner(hint: str, **settings: Any) -> Any:
    """A field that the profile of a real partner must give; the simulator provides it otherwise."""
    return Field(None, validate_default=True, description=hint, **settings)


class _Table(BaseModel):
    """A table of the profile: a key that is not a field is a mistake; a loaded profile does not change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TestDocument(_Table):
    """A document that exists at the partner, for retrieval, confirmation and usage scenarios."""

    model_config = ConfigDict(title="a test document")
    __test__ = False  # not a pytest test class

    number: DocumentNumber = Field(description="give the document's number as printed in box 1")
    state: Literal[TEST_DOCUMENT_STATES] = Field(description=f"give one of {', '.join(TEST_DOCUMENT_STATES)}")
    #: The security token printed on the permit, which binding A asks for.
    token: Secret | None = Field(None, repr=False)

    def __init__(self, *values: Any, **fields: Any) -> None:
        """Also ``TestDocument(number, state, token)``."""
        super().__init__(**dict(zip(type(self).model_fields, values)), **fields)


class OurAdapters(_Table):
    """The adapters the harness serves behind a hub under test (capability ``hub``, PULL-06):
    the hub's registry names them as the adapters of ``country``."""

    model_config = ConfigDict(title="our adapters")

    listen: Address | None = _for_a_partner('give where the adapters listen, e.g. listen = "0.0.0.0:9444"; '
                                            "the hub's registry points there")
    country: CountryCode = "FR"
    certificate: Certificate | None = _for_a_partner("give the TLS server certificate the adapters present "
                                                     "(its CA is registered with the hub)")
    key: PrivateKey | None = _for_a_partner("give the private key of us.adapters.certificate", repr=False)
    #: The CA of the hub's TLS client certificate; when given, a client without one is refused.
    hub_ca: Certificate | None = None
    #: The seconds the hub waits for these adapters, as its registry says (3.1: 5 by default).
    timeout: Seconds = 5.0
    namespace: Text = CITES_EXCHANGE_V2
    response_namespace: Text = CITES_EXCHANGE_V2

    @field_validator("listen", "certificate", "key")
    @classmethod
    def _given_for_a_partner(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and (info.context or {}).get("simulated") is False:
            raise PydanticCustomError("missing", "Field required")
        return value

    @field_validator("key")
    @classmethod
    def _key_of_its_certificate(cls, key: Path | None, info: ValidationInfo) -> Path | None:
        if key is not None and info.data.get("certificate") and not same_key_pair(key, info.data["certificate"]):
            raise ValueError("is not the private key of the certificate in us.adapters.certificate.")
        return key


class OurParty(_Table):
    """The harness's own test party: the identity it connects and signs with."""

    party: PartyId = Field(description='give our test party ID, e.g. party = "CH"')
    client_certificate: Certificate | None = _for_a_partner("give the TLS client certificate we connect with")
    client_key: PrivateKey | None = _for_a_partner("give the private key of us.client_certificate", repr=False)
    signing_certificate: Certificate | None = _for_a_partner("give the certificate we sign documents with")
    signing_key: PrivateKey | None = _for_a_partner("give the private key of us.signing_certificate", repr=False)
    chain: tuple[Certificate, ...] = ()
    other_party: PartyId | None = None
    #: A second harness party that the partner registers (trusts) but does not serve, for
    #: the refusals of PULL-05 (section 12); its TLS client certificate comes from ``pki``.
    unserved_party: PartyId | None = None
    pki: Folder | None = None
    #: Where the harness serves the adapters behind a hub under test (capability ``hub``).
    adapters: OurAdapters | None = None

    @field_validator("client_certificate", "client_key", "signing_certificate", "signing_key")
    @classmethod
    def _given_for_a_partner(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is None and (info.context or {}).get("simulated") is False:
            raise PydanticCustomError("missing", "Field required")
        return value

    @field_validator("client_key", "signing_key")
    @classmethod
    def _key_of_its_certificate(cls, key: Path | None, info: ValidationInfo) -> Path | None:
        certificate = info.field_name.replace("_key", "_certificate")
        if key is not None and info.data.get(certificate) and not same_key_pair(key, info.data[certificate]):
            raise ValueError(f"is not the private key of the certificate in us.{certificate}.")
        return key

    @field_validator("pki")
    @classmethod
    def _holds_our_party(cls, pki: Path | None, info: ValidationInfo) -> Path | None:
        party = info.data.get("party")
        if pki is not None and party is not None and not (pki / party / "ca.pem").exists():
            raise ValueError(f": {pki} holds no test PKI of our party {party} ({party}/ca.pem); make it with "
                             f"epix pki init --parties {party} --out {pki}.")
        return pki


class SoapActions(_Table):
    """The SOAPAction of each binding A operation; the defaults are the values as deployed."""

    GetNonFinalCitesCertificate: Text = "urn:GetNonFinalCitesCertificate"
    GetFinalCitesCertificate: Text = "urn:GetFinalCitesCertificate"
    ConfirmQuantities: Text = "urn:ConfirmQuantities"
    ServiceState: Text = "urn:ServiceState"

    def __getitem__(self, operation: str) -> str:
        if operation not in type(self).model_fields:
            raise KeyError(operation)
        return getattr(self, operation)


SOAP_OPERATIONS = tuple(SoapActions.model_fields)


class BindingA(_Table):
    """The partner's adapter (3.1): its URL, its request and response namespaces, the
    SOAPAction of each operation, and the adapter timeout: how long the hub waits for its
    answer (PULL-01, PULL-02). The defaults are the spec's."""

    url: Url = Field(description="give the SOAP endpoint's URL")
    namespace: Text = "urn:CitesDataExchange/v2/"
    response_namespace: Text = "urn:CitesDataExchange/v2/"
    actions: SoapActions = SoapActions()
    timeout: Seconds = ADAPTER_TIMEOUT


class BindingB(_Table):
    url: Url = Field(description="give the partner's base URL, e.g. https://epix.example.fr/epix/v1")


class HubUnderTest(_Table):
    """A hub under test (capability ``hub``): its base URL, and the callers and the country
    of the scenarios that it must refuse (PULL-06). The callers are parties of ``us.pki``,
    whose TLS client certificates name their country (``C=``)."""

    model_config = ConfigDict(title="the hub under test")

    url: Url = Field(description="give the hub's base URL, e.g. url = \"https://hub.example.org\"")
    #: A party whose country has no Management Authority registered at the hub (CallerNotFound).
    unregistered_caller: PartyId | None = None
    #: A party registered at the hub that may not use the harness's adapters (AdapterNotAvailable).
    disallowed_caller: PartyId | None = None
    #: An IsoCountryCode for which the hub has no adapter (CalleeNotFound).
    unknown_country: CountryCode = "QZ"


class Partner(_Table):
    """The Management Authority under test, as its profile describes it."""

    party: PartyId = Field(description='give the party ID of the partner under test, e.g. party = "FR"')
    capabilities: frozenset[Capability] = Field(
        description='list what the partner claims, e.g. capabilities = ["pull", "receive"]')
    trust_anchors: tuple[Certificate, ...] = Field(
        description="give the CA certificate(s) the partner registered with the pilot")
    crls: tuple[Crl, ...] = ()
    binding_a: BindingA | None = Field(None, validate_default=True)
    binding_b: BindingB | None = Field(None, validate_default=True)
    hub: HubUnderTest | None = Field(None, validate_default=True)
    mtls: StrictBool = True
    acknowledgements: Acknowledgements = "sync"
    size_limit_bytes: WholeNumber = MIN_SIZE_LIMIT
    documents: tuple[TestDocument, ...] = ()

    @field_validator("binding_a", "binding_b")
    @classmethod
    def _given_for_what_is_claimed(cls, binding: BindingA | BindingB | None, info: ValidationInfo) -> Any:
        served = BINDING_A_CAPABILITIES if info.field_name == "binding_a" else BINDING_B_CAPABILITIES
        uses = sorted(set(info.data.get("capabilities", ())) & set(served))
        if binding is None and uses:
            raise ValueError(f".url is missing: the partner claims {', '.join(uses)}, "
                             f"which is served over binding {info.field_name[-1].upper()}.")
        return binding

    @field_validator("hub")
    @classmethod
    def _given_for_a_hub(cls, hub: HubUnderTest | None, info: ValidationInfo) -> HubUnderTest | None:
        if hub is None and "hub" in info.data.get("capabilities", ()):
            raise ValueError("is missing: the partner claims hub; give [partner.hub] with the hub's url.")
        return hub

    @field_validator("size_limit_bytes")
    @classmethod
    def _at_least_10_mib(cls, limit: int) -> int:
        if limit < MIN_SIZE_LIMIT:
            raise ValueError(f"is {limit}, but the profile requires every partner to accept at least 10 MiB "
                             f"({MIN_SIZE_LIMIT} bytes, ENV-04).")
        return limit

    def claims(self, capability: str) -> bool:
        return capability in self.capabilities

    def documents_in(self, state: str) -> list[TestDocument]:
        return [d for d in self.documents if d.state == state]


class SimulatorSettings(_Table):
    """Start the simulated partner in process, playing ``party`` with these fault modes."""

    party: PartyId = "FR"
    #: ``hub``: the simulated EPIX hub, with the harness's adapters behind it (PULL-06).
    role: Role = "partner"
    faults: tuple[Text, ...] = ()
    mtls: StrictBool = True
    acknowledgements: Acknowledgements = "sync"
    capabilities: frozenset[Capability] | None = None

    @field_validator("faults")
    @classmethod
    def _known_faults(cls, faults: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        """Each fault is one of what the simulator plays: the partner's switchboard or the hub's."""
        if info.data.get("role") == "hub":
            from epix.hub.faults import FAULTS as known

            what, listing = "the hub", "epix simulate --role hub --list-faults"
        else:
            from epix.partner.faults import Faults, UnknownFault

            known, what, listing = set(), "the partner", "epix simulate --list-faults"
            for name in faults:
                try:
                    Faults((name,))
                    known.add(name)
                except UnknownFault:
                    pass
        unknown = [name for name in faults if name not in known]
        if unknown:
            raise ValueError(f"names {', '.join(map(repr, unknown))}, not a fault mode of {what}; see {listing}.")
        return faults


class Timeouts(_Table):
    """Seconds. ``answer`` bounds every exchange as a whole (an answer not complete by then
    fails; binding A's adapter timeout, ``partner.binding_a.timeout``, can only be shorter);
    ``acknowledgement`` is ACK-05's limit."""

    connect: Seconds = 5.0
    answer: Seconds = 10.0
    acknowledgement: Seconds = 60.0


class Limits(_Table):
    """What the harness reads of a partner: ``answer_bytes`` at most of one answer's body."""

    answer_bytes: WholeNumber = DEFAULT_MAX_BODY


class About(_Table):
    """The ``[profile]`` table: ``name`` is shown in the report (default: the file's name)."""

    name: Text | None = None
    description: Any = None  # free text for the reader of the file; not used


class ReportSettings(_Table):
    requirement_links: LinkTemplate = "https://epix-pilot.invalid/profile/v1#{}"
    #: Values that must never appear in the evidence of a run (passwords, internal names),
    #: besides the security tokens of the test documents.
    secrets: tuple[Secret, ...] = Field((), repr=False)
    #: A certifier's key and certificate that sign each run's manifest (``epix verify-statement``);
    #: without them our party's ``us.signing_key`` and ``us.signing_certificate`` sign it.
    statement_certificate: Certificate | None = None
    statement_key: PrivateKey | None = Field(None, repr=False, validate_default=True)

    @field_validator("statement_key")
    @classmethod
    def _key_of_the_statement_certificate(cls, key: Path | None, info: ValidationInfo) -> Path | None:
        certificate = info.data.get("statement_certificate")
        if key is not None and certificate is None and "statement_certificate" not in info.data:
            return key  # the certificate itself is wrong; that is said for it
        if (key is None) != (certificate is None):
            raise ValueError("and report.statement_certificate go together: give both (a certifier's key and its "
                             "certificate) or neither (our party's signing key signs the run).")
        if key is not None and not same_key_pair(key, certificate):
            raise ValueError("is not the private key of the certificate in report.statement_certificate.")
        return key


class Profile(_Table):
    """A whole profile file, and (``path``) where it was read from."""

    model_config = ConfigDict(title="a profile")

    about: About = Field(About(), alias="profile")
    us: OurParty = Field(description="the profile needs a [us] table")
    partner: Partner | None = Field(
        None, validate_default=True, description="the profile needs a [partner] table that describes the "
        "endpoint under test, or a [simulator] table to test against the simulated partner")
    simulator: SimulatorSettings | None = None
    timeouts: Timeouts = Timeouts()
    limits: Limits = Limits()
    report: ReportSettings = ReportSettings()
    _path: Path = PrivateAttr(Path())

    @field_validator("partner")
    @classmethod
    def _adapters_for_a_hub(cls, partner: Partner | None, info: ValidationInfo) -> Partner | None:
        us = info.data.get("us")
        if partner is not None and partner.claims("hub") and us is not None and us.adapters is None:
            raise ValueError("claims hub, which needs an [us.adapters] table: where the adapters that the hub "
                             "calls listen, and their TLS certificate.")
        return partner

    @field_validator("partner", mode="before")
    @classmethod
    def _partner_or_simulator(cls, partner: Any, info: ValidationInfo) -> Any:
        simulated = (info.context or {}).get("simulated")
        if simulated and partner is not None:
            raise ValueError("and simulator are both given: a profile tests either a real partner ([partner]) "
                             "or the simulated one ([simulator]), not both.")
        if simulated is False and partner is None:
            raise PydanticCustomError("missing", "Field required")
        return partner

    @model_validator(mode="after")
    def _remember_the_file(self, info: ValidationInfo) -> Profile:
        self._path = (info.context or {}).get("path", self._path)
        return self

    @property
    def path(self) -> Path:
        return self._path

    @property
    def name(self) -> str:
        return self.about.name or self.path.stem

    @property
    def requirement_links(self) -> str:
        return self.report.requirement_links

    @property
    def is_simulator(self) -> bool:
        return self.simulator is not None

    def secrets(self) -> list[str]:
        """What the evidence of a run must never show: the test documents' security tokens
        and the values ``[report] secrets`` lists."""
        documents = self.partner.documents if self.partner is not None else ()
        return [*(d.token for d in documents if d.token), *self.report.secrets]

    def with_partner(self, partner: Partner, us: OurParty | None = None) -> Profile:
        """This profile completed with a partner (and our credentials) known only at run time."""
        return self.model_copy(update={"partner": partner, "us": us or self.us})


def load_profile(path: str | Path) -> Profile:
    """Read and check the profile at ``path``; raise :class:`ProfileError` listing every mistake."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise ProfileError(path, [f"the file cannot be read: {exc.strerror or exc}."]) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(path, [f"the file is not valid TOML: {exc}."]) from None
    context = {"path": path.resolve(), "folder": path.parent.resolve(),
               "simulated": isinstance(data.get("simulator"), dict)}
    try:
        return Profile.model_validate(data, context=context)
    except ValidationError as error:
        raise ProfileError(path, [sentence(e, Profile) for e in error.errors()]) from None
