"""Party IDs (profile section 1): one rule, and every reader of a party ID applies it.

Section 1: a party is named by "the ISO 3166-1 alpha-2 code of its country", optionally
followed by "-" and an authority code where a country has several MAs (``US-FWS``);
party IDs are upper case. The authority code is 1 to 10 letters or digits, as in the
``PartyIDType`` of ``schemas/envelope/envelope.xsd``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from lxml import etree

from epix.messages.envelope import build_envelope, parse_envelope
from epix.messages.errors import MessageError
from epix.messages.status import build_status, parse_status
from epix.model import EnvelopeHeader, Status
from epix.party import PARTY_ID, InvalidPartyId, check_party_id, is_party_id, party_of
from epix.pki import InvalidPartyId as PkiInvalidPartyId
from epix.pki import Pki, PkiError, init_pki, subject_for
from epix.profile import ProfileError, load_profile
from epix.signing import TrustError, TrustStore

ROOT = Path(__file__).resolve().parents[1]

ACCEPTED = [
    ("CH", "a country's only MA"),
    ("US-FWS", "a country with several MAs: country, '-', authority code"),
    ("FR", "another country"),
    ("DE-BFN", "an authority code of letters"),
    ("XY-1", "an authority code of one digit"),
    ("US-FISHWILDL", "an authority code of 10 characters, the most there can be"),
]
REFUSED = [
    ("ch", "lower case"),
    ("Ch", "mixed case"),
    ("C", "one letter is no alpha-2 code"),
    ("CHE", "alpha-3, not alpha-2"),
    ("US-", "a dash without an authority code"),
    ("US-fws", "an authority code in lower case"),
    ("US-FISHWILDLIFE", "an authority code of 11 characters"),
    ("-FWS", "no country"),
    ("US_FWS", "an underscore instead of a dash"),
    ("US-FW S", "white space"),
    ("CH ", "trailing white space"),
    ("CH\n", "a trailing new line"),
    ("", "empty"),
]
EVERY = [pytest.param(value, id=f"{value!r}: {why}") for value, why in (*ACCEPTED, *REFUSED)]
ACCEPTED_IDS = {value for value, _ in ACCEPTED}


def test_the_pattern_is_the_envelope_schemas_party_id_type() -> None:
    schema = etree.parse(str(ROOT / "schemas" / "envelope" / "envelope.xsd"))
    xs = {"xs": "http://www.w3.org/2001/XMLSchema"}
    [pattern] = schema.xpath("//xs:simpleType[@name='PartyIDType']//xs:pattern/@value", namespaces=xs)
    assert PARTY_ID.pattern.replace("(?:", "(") == pattern


@pytest.mark.parametrize("value", EVERY)
def test_the_rule(value: str) -> None:
    accepted = value in ACCEPTED_IDS
    assert is_party_id(value) is accepted
    if accepted:
        assert check_party_id(value) == value
    else:
        with pytest.raises(InvalidPartyId, match="is not a party ID"):
            check_party_id(value)


@pytest.mark.parametrize("value", [None, 41, b"CH", ["CH"]])
def test_what_is_no_text_is_no_party_id(value: object) -> None:
    assert not is_party_id(value)
    with pytest.raises(InvalidPartyId):
        check_party_id(value)


@pytest.mark.parametrize("value", EVERY)
def test_the_profile_agrees(value: str, tmp_path: Path) -> None:
    profile = tmp_path / "profile.toml"
    profile.write_text(f'[us]\nparty = {_toml(value)}\n[simulator]\nparty = "FR"\n', encoding="utf-8")
    if value in ACCEPTED_IDS:
        assert load_profile(profile).us.party == value
    else:
        with pytest.raises(ProfileError) as caught:
            load_profile(profile)
        [problem] = caught.value.problems
        assert problem.startswith("us.party must be a party ID")


@pytest.mark.parametrize("value", EVERY)
def test_the_pki_agrees(value: str, tmp_path: Path) -> None:
    out = tmp_path / "pki"
    if value in ACCEPTED_IDS:
        assert init_pki([value], out).parties == (value,)
        assert party_of(subject_for(value, "test")) == value
        assert Pki.load(out).parties == (value,)
    else:
        with pytest.raises(PkiInvalidPartyId, match="is not a party ID"):
            init_pki([value], out)
        assert not out.exists()


def test_the_pkis_refusal_is_both_a_pki_error_and_a_party_id_error() -> None:
    assert issubclass(PkiInvalidPartyId, PkiError)
    assert issubclass(PkiInvalidPartyId, InvalidPartyId)


@pytest.mark.parametrize("value", EVERY)
def test_the_trust_store_agrees(value: str) -> None:
    if value in ACCEPTED_IDS:
        TrustStore(anchors={value: []})
    else:
        with pytest.raises(TrustError, match="is not a party ID"):
            TrustStore(anchors={value: []})


@pytest.mark.parametrize("value", EVERY)
def test_the_message_readers_agree(value: str) -> None:
    """An XML reader first trims the text (the schema's type is ``xs:token``), then applies the rule."""
    status = build_status(Status(party_id=value, profile_version="1", document_types=["export-permit"]))
    header = EnvelopeHeader(
        message_id="0192f7a0-5a3e-7c1e-9a51-3b7f2d4c9e10", sender=value, recipient="FR",
        document_type="export-permit", document_number="26CH000123", document_status="issued",
        created_at=datetime(2026, 11, 28, 9, 30, tzinfo=timezone.utc),
    )
    envelope = build_envelope(header, etree.Element("payload"))
    token = value.strip()
    if token in ACCEPTED_IDS:
        assert parse_status(status).party_id == token
        assert parse_envelope(envelope)[0].sender == token
    else:
        refused = "is empty" if not token else "is not a party ID"
        with pytest.raises(MessageError, match=refused):
            parse_status(status)
        with pytest.raises(MessageError, match=refused):
            parse_envelope(envelope)


def _toml(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
