"""TLS contexts for both sides of mutual TLS (ENV-01, ENV-02).

httpx silently sends no client certificate when given file names: always hand it the
:class:`ssl.SSLContext` made here.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from pathlib import Path

MINIMUM_VERSION = ssl.TLSVersion.TLSv1_2


class TlsSetupError(ValueError):
    """A certificate, key or CA file could not be loaded; the message names the file."""


def client_context(
    ca_file: str | Path | Iterable[str | Path],
    cert_file: str | Path | None = None,
    key_file: str | Path | None = None,
) -> ssl.SSLContext:
    """A client context trusting only ``ca_file`` (one or several CA files) for the
    server, and presenting ``cert_file``/``key_file`` when given (mutual TLS)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies the server and its host name
    context.minimum_version = MINIMUM_VERSION
    for path in _paths(ca_file):
        _load_verify(context, path)
    if cert_file is not None:
        _load_chain(context, cert_file, key_file)
    return context


def server_context(
    cert_file: str | Path,
    key_file: str | Path,
    *,
    client_ca_files: Iterable[str | Path] = (),
    require_client_certificate: bool = True,
) -> ssl.SSLContext:
    """A server context with TLS 1.2 or newer; with ``require_client_certificate`` a
    client without a certificate issued by one of ``client_ca_files`` is refused."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = MINIMUM_VERSION
    context.set_alpn_protocols(["http/1.1"])
    cas = list(client_ca_files)
    if require_client_certificate and not cas:
        raise TlsSetupError("mutual TLS needs at least one CA file for client certificates")
    _load_chain(context, cert_file, key_file)
    if require_client_certificate:
        for path in cas:
            _load_verify(context, path)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def _paths(value: str | Path | Iterable[str | Path]) -> list[Path]:
    if isinstance(value, (str, Path)):
        return [Path(value)]
    return [Path(v) for v in value]


def _load_verify(context: ssl.SSLContext, path: Path) -> None:
    try:
        context.load_verify_locations(cafile=str(path))
    except (OSError, ssl.SSLError) as exc:
        raise TlsSetupError(f"{path}: cannot load it as a CA certificate file ({exc})") from None


def _load_chain(context: ssl.SSLContext, cert_file: str | Path, key_file: str | Path | None) -> None:
    try:
        context.load_cert_chain(str(cert_file), str(key_file) if key_file else None)
    except (OSError, ssl.SSLError) as exc:
        raise TlsSetupError(f"{cert_file}: cannot load the certificate and its key {key_file} ({exc})") from None
