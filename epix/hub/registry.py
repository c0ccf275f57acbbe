"""The simulated hub's adapter registry: who may call it and which adapter serves each country.

A TOML file (``epix simulate --role hub --adapters FILE``); relative paths resolve against
the file's folder::

    [hub]
    client_certificate = "pki/XX-HUB/tls-client.pem"   # presented to the adapters
    client_key = "pki/XX-HUB/tls-client.key"
    callers = ["CH", "FR", "DE"]        # countries with a registered MA

    [[adapter]]
    country = "CH"                      # the IsoCountryCode it serves
    url = "https://127.0.0.1:9444/"     # its SOAP endpoint (profile section 3.1)
    ca = "pki/CH/ca.pem"                # trust anchor of its server certificate
    namespace = "urn:CitesDataExchange/v2/"           # default
    response_namespace = "urn:CitesDataExchange/v2/"  # default
    timeout = 5.0                       # seconds, default 5
    callers = ["FR"]                    # who may use it; default every registered caller

Every mistake is a :class:`RegistryError` of one sentence naming the file and the entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509

from epix.messages.identifiers import COUNTRY_CODE
from epix.messages.soap import SoapSettings
from epix.namespaces import CITES_EXCHANGE_V2
from epix.tomlfile import read_toml

#: Seconds the hub waits for an adapter unless its entry says otherwise (section 3.1).
DEFAULT_TIMEOUT = 5.0
_HUB_KEYS = frozenset({"client_certificate", "client_key", "callers"})
_ADAPTER_KEYS = frozenset({"country", "url", "ca", "namespace", "response_namespace", "timeout", "callers"})


class RegistryError(ValueError):
    """The registry file cannot be used as it is; the message names the file and the entry."""


@dataclass(frozen=True)
class AdapterEntry:
    """One registered adapter: the country it serves, where and how to call it, who may use it."""

    country: str
    url: str
    ca: Path | None = None
    namespace: str = CITES_EXCHANGE_V2
    response_namespace: str = CITES_EXCHANGE_V2
    timeout: float = DEFAULT_TIMEOUT
    #: The callers allowed to use it; ``None``: every registered caller.
    callers: tuple[str, ...] | None = None

    @property
    def settings(self) -> SoapSettings:
        """The adapter interface's namespaces of this adapter."""
        return SoapSettings(namespace=self.namespace, response_namespace=self.response_namespace)


@dataclass(frozen=True)
class Registry:
    """The registered callers and adapters, and the hub's TLS client certificate."""

    callers: tuple[str, ...]
    adapters: Mapping[str, AdapterEntry] = field(default_factory=dict)
    client_certificate: Path | None = None
    client_key: Path | None = None

    def adapter(self, country: str | None) -> AdapterEntry | None:
        return self.adapters.get(country or "")

    def may_use(self, caller: str, entry: AdapterEntry) -> bool:
        """Whether ``caller`` may use ``entry``: listed in its ``callers``, or any registered caller."""
        return caller in (entry.callers if entry.callers is not None else self.callers)


def load_registry(path: Path | str) -> Registry:
    """The registry in ``path``; :class:`RegistryError` with one sentence for any mistake."""
    path = Path(path)
    table, shown = read_toml(path, "the adapter registry", RegistryError)
    return _Reader(shown, path.resolve().parent).registry(table)


class _Reader:
    def __init__(self, shown: str, folder: Path):
        self.shown = shown
        self.folder = folder

    def fail(self, where: str, sentence: str) -> RegistryError:
        return RegistryError(f"{self.shown}: {where}: {sentence}")

    def registry(self, table: dict[str, Any]) -> Registry:
        unknown = sorted(set(table) - {"hub", "adapter"})
        if unknown:
            raise self.fail(unknown[0], "unknown table or key (a registry has [hub] and [[adapter]] entries)")
        hub = table.get("hub", {})
        if not isinstance(hub, dict):
            raise self.fail("hub", "must be a table ([hub])")
        self.unknown_keys(hub, _HUB_KEYS, "[hub]")
        callers = self.countries(hub.get("callers", []), "[hub] callers")
        certificate = self.certificate(hub, "client_certificate", "[hub]")
        key = self.readable(hub, "client_key", "[hub]")
        if (certificate is None) != (key is None):
            raise self.fail("[hub]", "client_certificate and client_key go together: give both or neither")
        entries = table.get("adapter", [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise self.fail("adapter", "must be a list of tables ([[adapter]])")
        adapters: dict[str, AdapterEntry] = {}
        for index, entry in enumerate(entries, start=1):
            adapter = self.adapter(entry, f"[[adapter]] {index}")
            if adapter.country in adapters:
                raise self.fail(f"[[adapter]] {index}", f"a second adapter for {adapter.country}")
            adapters[adapter.country] = adapter
        return Registry(callers, adapters, certificate, key)

    def adapter(self, entry: dict[str, Any], where: str) -> AdapterEntry:
        self.unknown_keys(entry, _ADAPTER_KEYS, where)
        if "country" not in entry:
            raise self.fail(where, "country missing (the IsoCountryCode the adapter serves)")
        country = self.country(entry["country"], f"{where} country")
        where = f"{where} ({country})"
        if "url" not in entry:
            raise self.fail(where, "url missing (the adapter's SOAP endpoint, https://…)")
        url = entry["url"]
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("https", "http") or not parts.hostname:
            raise self.fail(where, f"url {url!r} is not an http(s) URL with a host")
        timeout = entry.get("timeout", DEFAULT_TIMEOUT)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 600:
            raise self.fail(where, f"timeout {timeout!r} must be a number of seconds above 0 and at most 600")
        callers = self.countries(entry["callers"], f"{where} callers") if "callers" in entry else None
        return AdapterEntry(
            country=country, url=url, ca=self.certificate(entry, "ca", where),
            namespace=self.text(entry, "namespace", where), response_namespace=self.text(entry, "response_namespace",
                                                                                       where),
            timeout=float(timeout), callers=callers,
        )

    def unknown_keys(self, table: dict[str, Any], known: frozenset[str], where: str) -> None:
        unknown = sorted(set(table) - known)
        if unknown:
            raise self.fail(where, f"unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")

    def country(self, value: object, where: str) -> str:
        if not isinstance(value, str) or COUNTRY_CODE.fullmatch(value) is None:
            raise self.fail(where, f"{value!r} is not an ISO 3166-1 alpha-2 country code (upper case, e.g. CH)")
        return value

    def countries(self, values: object, where: str) -> tuple[str, ...]:
        if not isinstance(values, Sequence) or isinstance(values, str):
            raise self.fail(where, "must be a list of country codes, e.g. [\"CH\", \"FR\"]")
        return tuple(self.country(value, where) for value in values)

    def text(self, table: dict[str, Any], key: str, where: str) -> str:
        value = table.get(key, CITES_EXCHANGE_V2)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"{key} must be a namespace URI, not {value!r}")
        return value

    def readable(self, table: dict[str, Any], key: str, where: str) -> Path | None:
        if key not in table:
            return None
        value = table[key]
        if not isinstance(value, str) or not value:
            raise self.fail(where, f"{key} must be a file path, not {value!r}")
        path = self.folder / value
        try:
            path.read_bytes()
        except OSError as exc:
            raise self.fail(where, f"{key} {value}: cannot read it ({exc.strerror})") from None
        return path

    def certificate(self, table: dict[str, Any], key: str, where: str) -> Path | None:
        path = self.readable(table, key, where)
        if path is None:
            return None
        try:
            x509.load_pem_x509_certificate(path.read_bytes())
        except ValueError:
            raise self.fail(where, f"{key} {table[key]}: not a PEM certificate") from None
        return path
