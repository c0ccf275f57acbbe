"""Profiles of a hub under test (PULL-06): the example loads, and each mistake is one sentence."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from epix.pki import Pki
from epix.profile import ProfileError, load_profile
from steps.world import simulator_capabilities

PROFILES = Path(__file__).resolve().parents[1] / "fixtures" / "profiles"


@pytest.fixture()
def hub_profile(tmp_path: Path, pki: Pki) -> Path:
    """The example hub profile beside a copy of the test PKI, with a hub CA."""
    shutil.copytree(pki.root, tmp_path / "pki")
    shutil.copy(pki.party("DE").ca, tmp_path / "pki" / "hub-ca.pem")
    target = tmp_path / "hub.toml"
    shutil.copy(PROFILES / "example-hub.toml", target)
    return target


def _edit(path: Path, old: str, new: str) -> Path:
    text = path.read_text()
    assert old in text, f"test set-up: {old!r} not in the profile"
    path.write_text(text.replace(old, new, 1))
    return path


def test_the_example_hub_profile_loads(hub_profile: Path) -> None:
    profile = load_profile(hub_profile)
    assert profile.partner.capabilities == {"hub"}
    assert profile.partner.hub.url == "https://hub.example.org"
    assert profile.us.adapters.listen == ("0.0.0.0", 9444)
    assert profile.us.adapters.key == hub_profile.parent / "pki" / "FR" / "tls-server.key"
    assert (profile.partner.hub.unregistered_caller, profile.partner.hub.disallowed_caller) == ("AT", "DE")


def test_the_simulated_hub_profile_claims_only_the_hub() -> None:
    profile = load_profile(PROFILES / "simulated-hub.toml")
    assert profile.simulator.role == "hub" and simulator_capabilities(profile.simulator) == {"hub"}
    assert profile.us.adapters.timeout == 1 and profile.us.adapters.listen is None


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('listen = "0.0.0.0:9444"', 'listen = "9444"',
     r'^us\.adapters\.listen must be a host and port to listen on, such as "0\.0\.0\.0:9444", not \'9444\'\.$'),
    ('listen = "0.0.0.0:9444"\n', "", r"^us\.adapters\.listen is missing: give where the adapters listen"),
    ('country = "FR"', 'country = "France"', r"^us\.adapters\.country must be an upper-case ISO 3166-1 alpha-2"),
    ('key = "pki/FR/tls-server.key"', 'key = "pki/CH/tls-client.key"',
     r"^us\.adapters\.key is not the private key of the certificate in us\.adapters\.certificate\.$"),
    ("timeout = 5", "timeout = 0", r"^us\.adapters\.timeout must be a positive number of seconds"),
    ('url = "https://hub.example.org"', 'url = "hub.example.org"', r"^partner\.hub\.url must be an https:// URL"),
    ('unknown_country = "QZ"', 'unknown_country = "QZZ"', r"^partner\.hub\.unknown_country must be an upper-case"),
    ('disallowed_caller = "DE"', 'disallowed_caller = "de"', r"^partner\.hub\.disallowed_caller must be a party ID"),
])
def test_each_mistake_of_a_hub_profile_is_one_sentence(hub_profile: Path, old: str, new: str, expected: str) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile(_edit(hub_profile, old, new))
    [problem] = caught.value.problems
    assert re.search(expected, problem), problem


def test_a_hub_without_its_table_is_named(hub_profile: Path) -> None:
    text = hub_profile.read_text()
    hub_profile.write_text(text[:text.index("[partner.hub]")] + text[text.index("[timeouts]"):])
    with pytest.raises(ProfileError) as caught:
        load_profile(hub_profile)
    assert caught.value.problems == ["partner.hub is missing: the partner claims hub; give [partner.hub] with the "
                                     "hub's url."]


def test_a_hub_without_our_adapters_is_named(hub_profile: Path) -> None:
    text = hub_profile.read_text()
    hub_profile.write_text(text[:text.index("[us.adapters]")] + text[text.index("[partner]"):])
    with pytest.raises(ProfileError) as caught:
        load_profile(hub_profile)
    assert caught.value.problems == ["partner claims hub, which needs an [us.adapters] table: where the adapters "
                                     "that the hub calls listen, and their TLS certificate."]


def test_the_simulator_plays_a_partner_or_the_hub(tmp_path: Path) -> None:
    profile = tmp_path / "sim.toml"
    profile.write_text('[us]\nparty = "CH"\n[simulator]\nrole = "adapter"\n')
    with pytest.raises(ProfileError) as caught:
        load_profile(profile)
    assert caught.value.problems == ["simulator.role must be one of partner, hub, not 'adapter'."]


def test_every_setting_of_the_example_hub_profile_is_explained() -> None:
    lines = (PROFILES / "example-hub.toml").read_text().splitlines()
    for number, line in enumerate(lines):
        if re.match(r"^[a-z_]+\s*=", line):
            assert lines[number - 1].lstrip().startswith("#"), f"line {number + 1} ({line!r}) has no comment above it"


@pytest.mark.parametrize(("role", "fault", "expected"), [
    ("hub", "ack-unsigned", "simulator.faults names 'ack-unsigned', not a fault mode of the hub; "
                            "see epix simulate --role hub --list-faults."),
    ("partner", "hub-drops-quantities", "simulator.faults names 'hub-drops-quantities', not a fault mode of the "
                                        "partner; see epix simulate --list-faults."),
])
def test_a_fault_of_what_the_simulator_does_not_play_is_named(tmp_path: Path, role: str, fault: str,
                                                              expected: str) -> None:
    profile = tmp_path / "sim.toml"
    profile.write_text(f'[us]\nparty = "CH"\n[simulator]\nrole = "{role}"\nfaults = ["{fault}"]\n')
    with pytest.raises(ProfileError) as caught:
        load_profile(profile)
    assert caught.value.problems == [expected]


def test_the_faults_of_what_the_simulator_plays_are_accepted(tmp_path: Path) -> None:
    profile = tmp_path / "sim.toml"
    profile.write_text('[us]\nparty = "CH"\n[simulator]\nrole = "hub"\nfaults = ["hub-drops-quantities"]\n')
    assert load_profile(profile).simulator.faults == ("hub-drops-quantities",)
    profile.write_text('[us]\nparty = "CH"\n[simulator]\nfaults = ["ack-unsigned", "trickle"]\n')
    assert load_profile(profile).simulator.faults == ("ack-unsigned", "trickle")
