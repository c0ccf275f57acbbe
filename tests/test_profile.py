"""Profiles: the shipped ones load, and each kind of mistake gets one sentence naming the field."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from epix.profile import BindingB, OurParty, Partner, ProfileError, TestDocument, load_profile

ROOT = Path(__file__).resolve().parents[1]
PROFILES = ROOT / "fixtures" / "profiles"


def _write_identity(folder: Path, name: str, country: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, country),
                         x509.NameAttribute(NameOID.COMMON_NAME, f"{name} {country}")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / f"{name}.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    if name == "ca":
        crl = (x509.CertificateRevocationListBuilder().issuer_name(subject).last_update(now)
               .next_update(now + dt.timedelta(days=7)).sign(key, hashes.SHA256()))
        (folder / "crl.pem").write_bytes(crl.public_bytes(serialization.Encoding.PEM))


@pytest.fixture()
def remote(tmp_path: Path) -> Path:
    """The example remote profile, copied beside a PKI that has the files it names."""
    for name in ("tls-client", "signing"):
        _write_identity(tmp_path / "pki" / "CH", name, "CH")
    _write_identity(tmp_path / "pki" / "FR", "ca", "FR")
    target = tmp_path / "remote.toml"
    shutil.copy(PROFILES / "example-remote.toml", target)
    return target


def _edit(path: Path, old: str, new: str) -> Path:
    text = path.read_text()
    assert old in text, f"test set-up: {old!r} not in the profile"
    path.write_text(text.replace(old, new, 1))
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    return caught.value.problems


def test_the_simulator_profile_loads() -> None:
    profile = load_profile(PROFILES / "simulator.toml")
    assert profile.is_simulator
    assert profile.us.party == "CH"
    assert profile.simulator.party == "FR"
    assert profile.simulator.faults == ()
    assert profile.partner is None


def test_the_example_remote_profile_loads_beside_its_pki(remote: Path) -> None:
    profile = load_profile(remote)
    partner = profile.partner
    assert partner.party == "FR"
    assert partner.claims("pull") and partner.claims("receive") and not partner.claims("hub")
    assert partner.binding_a.url == "https://epix.example.fr/cites/adapter"
    assert partner.binding_a.actions["ConfirmQuantities"] == "urn:ConfirmQuantities"
    assert partner.binding_a.namespace == partner.binding_a.response_namespace == "urn:CitesDataExchange/v2/"
    assert partner.binding_a.timeout == 5
    assert partner.binding_b.url == "https://epix.example.fr/epix/v1"
    assert [d.state for d in partner.documents] == ["issued", "issued", "cancelled", "used"]
    assert profile.us.client_certificate == remote.parent / "pki" / "CH" / "tls-client.pem"
    assert profile.timeouts.answer == 10


def test_binding_a_defaults_to_the_spec(remote: Path) -> None:
    text = remote.read_text()
    for line in ('namespace = "urn:CitesDataExchange/v2/"\n', 'response_namespace = "urn:CitesDataExchange/v2/"\n',
                 "timeout = 5\n"):
        text = text.replace(line, "", 1)
    path = remote.parent / "defaults.toml"
    path.write_text(text)
    binding = load_profile(path).partner.binding_a
    assert (binding.namespace, binding.response_namespace, binding.timeout) == (
        "urn:CitesDataExchange/v2/", "urn:CitesDataExchange/v2/", 5.0)


def test_the_secrets_of_a_profile_are_its_tokens_and_what_it_lists(remote: Path) -> None:
    profile = load_profile(_edit(remote, "[report]", '[report]\nsecrets = ["gateway.internal.fr"]'))
    assert profile.secrets() == ["K7Q2-93XM", "P4T8-1ZRA", "W2N6-7HDE", "C9L3-0QVB", "gateway.internal.fr"]
    assert not any(secret in repr(profile) for secret in profile.secrets())
    assert profile.limits.answer_bytes == 32 * 1024 * 1024 and profile.timeouts.connect == 5
    assert profile.us.unserved_party is None
    assert load_profile(_edit(remote, '# unserved_party = "AT"', 'unserved_party = "AT"')).us.unserved_party == "AT"


def test_every_setting_of_the_example_remote_profile_is_explained() -> None:
    lines = (PROFILES / "example-remote.toml").read_text().splitlines()
    table, explained = "", set()
    for number, line in enumerate(lines):
        if line.startswith("["):
            table = line.strip("[] ")
        key = re.match(r"^([a-zA-Z_]+)\s*=", line)
        if key and (table, key.group(1)) not in explained:
            explained.add((table, key.group(1)))
            above = lines[number - 1].strip()
            assert above.startswith("#") or re.match(r"^[A-Za-z]+ = \"urn:", line), (
                f"line {number + 1} ({line!r}) has no comment above it")


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('party = "CH"\n', "", r"^us\.party is missing: give our test party ID"),
    ('client_key = "pki/CH/tls-client.key"', 'client_key = "pki/CH/nothing.key"',
     r"^us\.client_key: the file .*nothing\.key cannot be read"),
    ('url = "https://epix.example.fr/epix/v1"', 'url = "ftp://epix.example.fr/epix"',
     r"^partner\.binding_b\.url must be an https:// URL"),
    ('url = "https://epix.example.fr/epix/v1"', 'url = "http://epix.example.fr/epix/v1"',
     r"^partner\.binding_b\.url uses plain http:// for epix\.example\.fr.*loopback"),
    ('url = "https://epix.example.fr/epix/v1"', 'url = "https://epix.example.fr:99999/x"',
     r"^partner\.binding_b\.url is not a valid URL"),
    ("mtls = true", "mtls = true\ncapabilites = []", r"^partner\.capabilites is not a field of partner; "
                                                     r"did you mean partner\.capabilities\?"),
    ('"signed-documents"]', '"signed-documents", "pul"]',
     r"^partner\.capabilities\[8\]: 'pul' is not a capability of the profile; did you mean 'pull'\?"),
    ('party = "FR"', 'party = "france"', r"^partner\.party must be a party ID"),
    ('state = "cancelled"', 'state = "void"', r"^partner\.documents\[2\]\.state must be one of"),
    ("mtls = true", 'mtls = "yes"', r"^partner\.mtls must be true or false, not the text 'yes'"),
    ("answer = 10", "answer = -1", r"^timeouts\.answer must be a positive number of seconds"),
    ("size_limit_bytes = 10485760", "size_limit_bytes = 1000", r"^partner\.size_limit_bytes is 1000.*10 MiB"),
    ('acknowledgements = "sync"', 'acknowledgements = "later"',
     r"^partner\.acknowledgements must be one of sync, async, not 'later'\.$"),
    ('crls = ["pki/FR/crl.pem"]', 'crls = "pki/FR/crl.pem"',
     r"^partner\.crls must be a list in square brackets, not the text 'pki/FR/crl\.pem'\.$"),
    ("[partner.binding_b]", "[[partner.binding_b]]",
     r"^partner\.binding_b must be a table \(\[partner\.binding_b\]\), not a list\.$"),
    ('ServiceState = "urn:ServiceState"', 'ServiceStat = "urn:ServiceState"',
     r"^partner\.binding_a\.actions\.ServiceStat is not a field of partner\.binding_a\.actions; "
     r"did you mean partner\.binding_a\.actions\.ServiceState\?$"),
    ('token = "W2N6-7HDE"', 'tokn = "W2N6-7HDE"', r"^partner\.documents\[2\]\.tokn is not a field of a test document"),
    ('number = "26FR000090"', 'number = "26fr000090"', r"^partner\.documents\[2\]\.number must be a document number"),
    ('state = "cancelled"\n', "", r"^partner\.documents\[2\]\.state is missing: give one of issued, "),
    ("answer = 10", 'answer = "10"', r"^timeouts\.answer must be a positive number of seconds, not '10'\.$"),
    ("timeout = 5", "timeout = 0", r"^partner\.binding_a\.timeout must be a positive number of seconds"),
    ('signing_key = "pki/CH/signing.key"\n', "", r"^us\.signing_key is missing: give the private key of "),
    ('chain = []', 'chain = ["pki/CH/signing.key"]', r"^us\.chain\[0\]: .*signing\.key is not a PEM certificate"),
    ('requirement_links = "https://epix-pilot.invalid/profile/v1#{}"', 'requirement_links = "https://x"',
     r"^report\.requirement_links must be a URL template with \{\} where the requirement ID goes"),
    ("[timeouts]", "[simulator]\n[timeouts]", r"^partner and simulator are both given: "),
    ('# unserved_party = "AT"', 'unserved_party = "at"', r"^us\.unserved_party must be a party ID"),
    ("answer_bytes = 33554432", "answer_bytes = 0", r"^limits\.answer_bytes must be a positive whole number"),
    ('token = "W2N6-7HDE"', 'token = "W2N"', r"^partner\.documents\[2\]\.token must be a text of at least 4 "
                                             r"characters \(a shorter value cannot be masked"),
    ("[report]", '[report]\nsecrets = ["pw"]', r"^report\.secrets\[0\] must be a text of at least 4 characters"),
])
def test_each_mistake_is_one_sentence_naming_the_field(remote: Path, old: str, new: str, expected: str) -> None:
    problems = _problems(_edit(remote, old, new))
    assert len(problems) == 1, problems
    assert re.search(expected, problems[0]), problems[0]
    assert problems[0].endswith((".", "?")) and "\n" not in problems[0]


def test_a_certificate_file_that_is_not_a_certificate_is_named(remote: Path) -> None:
    (remote.parent / "pki" / "FR" / "ca.pem").write_text("hello")
    [problem] = _problems(remote)
    assert problem.startswith("partner.trust_anchors[0]: ") and "is not a PEM certificate" in problem


def test_a_key_that_belongs_to_another_certificate_is_named(remote: Path) -> None:
    _edit(remote, 'signing_key = "pki/CH/signing.key"', 'signing_key = "pki/CH/tls-client.key"')
    [problem] = _problems(remote)
    assert problem == "us.signing_key is not the private key of the certificate in us.signing_certificate."


def test_a_claimed_binding_without_its_url_is_named(remote: Path) -> None:
    text = remote.read_text()
    start = text.index("[partner.binding_a]")
    end = text.index("[partner.binding_b]")
    remote.write_text(text[:start] + text[end:])
    [problem] = _problems(remote)
    assert problem.startswith("partner.binding_a.url is missing: the partner claims confirm-quantities, final, pull")


def test_several_mistakes_are_all_listed(remote: Path) -> None:
    _edit(remote, 'party = "FR"', 'party = "fr"')
    _edit(remote, "connect = 5", "connect = 0")
    problems = _problems(remote)
    assert [p.split(" ")[0] for p in problems] == ["partner.party", "timeouts.connect"]


def test_a_file_that_is_not_toml_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[us\nparty = 'CH'")
    [problem] = _problems(broken)
    assert problem.startswith("the file is not valid TOML: ")


def test_a_missing_profile_file_is_named(tmp_path: Path) -> None:
    [problem] = _problems(tmp_path / "absent.toml")
    assert problem.startswith("the file cannot be read: No such file")


def test_a_profile_needs_a_partner_or_the_simulator(tmp_path: Path) -> None:
    bare = tmp_path / "bare.toml"
    bare.write_text('[us]\nparty = "CH"\nother_party = "DE"\n')
    problems = _problems(bare)
    assert any(p.startswith("partner is missing: ") for p in problems)


def test_unknown_simulator_field_is_named(tmp_path: Path) -> None:
    profile = tmp_path / "sim.toml"
    profile.write_text('[us]\nparty = "CH"\n[simulator]\nparty = "FR"\nfault = ["x"]\n')
    [problem] = _problems(profile)
    assert problem == "simulator.fault is not a field of simulator; did you mean simulator.faults?"


def test_a_profile_for_the_simulator_needs_no_certificates_of_ours(tmp_path: Path) -> None:
    profile = tmp_path / "sim.toml"
    profile.write_text('[us]\nparty = "CH"\n[simulator]\n')
    loaded = load_profile(profile)
    assert loaded.us.client_certificate is None and loaded.simulator.party == "FR"
    assert loaded.name == "sim" and loaded.path == profile.resolve()


def test_secrets_stay_out_of_the_representation(remote: Path) -> None:
    profile = load_profile(remote)
    shown = repr(profile)
    assert "K7Q2-93XM" not in shown and "tls-client.key" not in shown and "signing.key" not in shown
    assert profile.partner.documents[0].token == "K7Q2-93XM"
    assert profile.us.client_key == remote.parent / "pki" / "CH" / "tls-client.key"


def test_a_profile_is_completed_with_a_partner_known_at_run_time(remote: Path) -> None:
    """As the suite does for the simulated partner: the tables are built from values, not read."""
    profile = load_profile(remote)
    pki = remote.parent / "pki"
    us = OurParty(party="CH", client_certificate=pki / "CH" / "tls-client.pem",
                  client_key=pki / "CH" / "tls-client.key", other_party="DE")
    partner = Partner(party="FR", capabilities=frozenset({"receive"}), trust_anchors=(pki / "FR" / "ca.pem",),
                      binding_b=BindingB(url="https://127.0.0.1:8443/epix/v1/"),
                      documents=(TestDocument("26FR000101", "expired", "K7Q2-93XM"),))
    completed = profile.with_partner(partner, us)
    assert completed.partner.binding_b.url == "https://127.0.0.1:8443/epix/v1"
    assert completed.partner.documents_in("expired")[0].token == "K7Q2-93XM"
    assert completed.us.other_party == "DE" and completed.us.signing_key is None
    assert (completed.path, completed.name) == (profile.path, profile.name)
    assert profile.partner.party == "FR" and profile.us.signing_key is not None


def test_our_test_pki_folder_must_hold_our_party(remote: Path) -> None:
    _edit(remote, "# pki = \"pki\"", 'pki = "pki"')
    [problem] = _problems(remote)
    assert problem.startswith("us.pki: ") and "holds no test PKI of our party CH" in problem
    (remote.parent / "pki" / "CH" / "ca.pem").write_text("x")
    assert load_profile(remote).us.pki == remote.parent / "pki"
