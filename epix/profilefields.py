"""What the fields of a profile accept, and how a mistake in one becomes one sentence.

Each type here (``PartyId``, ``Url``, ``Certificate`` …) is a pydantic type whose check
raises ``ValueError`` with the rest of the sentence that begins with the field's name
("must be …", or ": the file … cannot be read"). :func:`sentence` makes the whole
sentence from any of pydantic's errors, naming the field as the TOML file does
(``partner.documents[2].state``). Paths are read relative to the ``folder`` given in
the validation context, the profile's own folder; without one, as given.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from pydantic import BaseModel, BeforeValidator, ValidationInfo
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from epix.messages.identifiers import is_document_number
from epix.party import is_party_id
from epix.report.redact import MIN_SECRET_LENGTH


def rule(holds: Callable[[Any], Any], problem: str, convert: Callable[[Any], Any] = lambda value: value) -> Any:
    """A check: ``convert(value)`` if ``holds(value)``, else ``problem`` (formatted with ``value`` and ``kind``)."""
    def check(value: Any) -> Any:
        if not holds(value):
            raise ValueError(problem.format(value=value, kind=_kind(value)))
        return convert(value)
    return BeforeValidator(check)


def _positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


Text = Annotated[str, rule(lambda v: isinstance(v, str) and v.strip(), "must be a non-empty text, not {kind}.")]
PartyId = Annotated[str, rule(is_party_id, "must be a party ID: an upper-case ISO 3166-1 alpha-2 code, optionally "
                              "followed by '-' and an authority code (\"CH\", \"US-FWS\"), not {value!r}.")]
DocumentNumber = Annotated[str, rule(lambda v: isinstance(v, str) and is_document_number(v),
                                     "must be a document number of 1 to 35 characters A-Z 0-9 / - ., not {value!r}.")]
Secret = Annotated[str, rule(lambda v: isinstance(v, str) and len(v.strip()) >= MIN_SECRET_LENGTH,
                             f"must be a text of at least {MIN_SECRET_LENGTH} characters (a shorter value cannot be "
                             "masked in the report without masking ordinary words).")]
Seconds = Annotated[float, rule(_positive, "must be a positive number of seconds, not {value!r}.", float)]
WholeNumber = Annotated[int, rule(lambda v: _positive(v) and isinstance(v, int),
                                  "must be a positive whole number, not {value!r}.")]
CountryCode = Annotated[str, rule(lambda v: isinstance(v, str) and re.fullmatch(r"[A-Z]{2}", v) is not None,
                                  "must be an upper-case ISO 3166-1 alpha-2 country code (\"FR\"), not {value!r}.")]
LinkTemplate = Annotated[str, rule(lambda v: isinstance(v, str) and "{}" in v,
                                   "must be a URL template with {{}} where the requirement ID goes, not {value!r}.")]


def _url(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a URL in quotes, not {_kind(value)}.")
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise ValueError(f"is not a valid URL ({exc}): {value!r}.") from None
    if parts.scheme not in ("https", "http") or not host:
        raise ValueError(f"must be an https:// URL with a host name, not {value!r}.")
    if parts.scheme == "http" and not _is_loopback(host):
        raise ValueError(f"uses plain http:// for {host}, which the profile allows only on the loopback network "
                         "(ENV-01); use https://.")
    if parts.query or parts.fragment:
        raise ValueError(f"must be a base URL without a query or fragment, not {value!r}.")
    return value.rstrip("/")


#: An https:// base URL (http:// on the loopback network only), without a trailing slash.
Url = Annotated[str, BeforeValidator(_url)]


def _address(value: Any) -> tuple[str, int]:
    host, _, port = value.rpartition(":") if isinstance(value, str) else ("", "", "")
    host = host.strip("[]")
    if not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"must be a host and port to listen on, such as \"0.0.0.0:9444\", not {value!r}.")
    return host, int(port)


#: Where a server of the harness listens: ``"host:port"`` read as ``(host, port)``.
Address = Annotated[tuple[str, int], BeforeValidator(_address)]


def _path(value: Any, info: ValidationInfo, what: str) -> Path:
    if not isinstance(value, (str, Path)) or not str(value):
        raise ValueError(f"must be a {what} path in quotes, not {_kind(value)}.")
    folder = (info.context or {}).get("folder")
    return (folder / value).resolve() if folder else Path(value)


def _file(load: Callable[[bytes], None]) -> Any:
    """A file that can be read and that ``load`` accepts (else it raises ValueError with the problem)."""
    def check(value: Any, info: ValidationInfo) -> Path:
        path = _path(value, info, "file")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ValueError(f": the file {path} cannot be read ({exc.strerror or exc}).") from None
        try:
            load(data)
        except ValueError as problem:
            raise ValueError(f": {path} {problem}") from None
        return path
    return BeforeValidator(check)


def _certificates(data: bytes) -> None:
    try:
        found = x509.load_pem_x509_certificates(data)
    except ValueError:
        found = []
    if not found:
        raise ValueError("is not a PEM certificate (expected '-----BEGIN CERTIFICATE-----').")


def _private_key(data: bytes) -> None:
    try:
        serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise ValueError("cannot be used as a private key: it is protected by a password.") from None
    except (ValueError, UnsupportedAlgorithm):
        raise ValueError("cannot be used as a private key: it is not a PEM private key.") from None


def _crl(data: bytes) -> None:
    try:
        x509.load_pem_x509_crl(data)
    except ValueError:
        raise ValueError("is not a PEM certificate revocation list.") from None


def _folder(value: Any, info: ValidationInfo) -> Path:
    path = _path(value, info, "folder")
    if not path.is_dir():
        raise ValueError(f": the folder {path} does not exist.")
    return path


Certificate = Annotated[Path, _file(_certificates)]
PrivateKey = Annotated[Path, _file(_private_key)]
Crl = Annotated[Path, _file(_crl)]
Folder = Annotated[Path, BeforeValidator(_folder)]


def same_key_pair(key: Path, certificate: Path) -> bool:
    """Whether the private key in ``key`` belongs to the (first) certificate in ``certificate``."""
    private = serialization.load_pem_private_key(key.read_bytes(), password=None)
    public = x509.load_pem_x509_certificates(certificate.read_bytes())[0].public_key()
    der = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private.public_key().public_bytes(*der) == public.public_bytes(*der)


# ---------------------------------------------------------------------------
# From pydantic's errors to sentences.

def sentence(error: ErrorDetails, root: type[BaseModel]) -> str:
    """One of pydantic's errors in validating ``root`` as one sentence that begins with the field's name.

    A missing field's hint is its ``description``; a table is called by its model's
    ``title`` (``a test document``) or by its name.
    """
    loc, kind, value = error["loc"], error["type"], error.get("input")
    name, table, model = _name(loc), _name(loc[:-1]), _model_at(root, loc[:-1])
    if kind == "value_error":
        rest = str(error["ctx"]["error"])
        return name + ("" if rest.startswith((":", ".")) else " ") + rest
    if kind == "missing":
        field = _fields_of(model).get(str(loc[-1]))
        hint = field.description if field else None
        return f"{name} is missing{': ' + hint if hint else ''}."
    if kind == "extra_forbidden":
        fields = list(_fields_of(model))
        called = (model.model_config.get("title") if model else None) or table
        close = difflib.get_close_matches(str(loc[-1]), fields, n=1)
        hint = (f"did you mean {table + '.' if table else ''}{close[0]}?" if close
                else f"the fields of {called} are: {', '.join(fields)}.")
        return f"{name} is not a field of {called}; {hint}"
    if kind == "bool_type":
        return f"{name} must be true or false, not {_kind(value)}."
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'", error["ctx"]["expected"])
        return f"{name} must be one of {', '.join(options)}, not {value!r}."
    if kind == "model_type":
        brackets = f"[[{table}]]" if isinstance(loc[-1], int) else f"[{name}]"
        return f"{name} must be a table ({brackets}), not {_kind(value)}."
    if kind in ("tuple_type", "frozen_set_type", "list_type"):
        return f"{name} must be a list in square brackets, not {_kind(value)}."
    message = error["msg"]
    return f"{name}: {message[:1].lower()}{message[1:]}."


def _name(loc: tuple[int | str, ...]) -> str:
    """``partner.documents[2].state``: a location as the profile writes it."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


def _model_at(root: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model of the table at ``loc``: ``root`` at ``()``, the document model at ``partner.documents[0]``."""
    model: type[BaseModel] | None = root
    for part in loc:
        if model is not None and not isinstance(part, int):
            field = _fields_of(model).get(part)
            model = _model_in(field.annotation) if field else None
    return model


def _fields_of(model: type[BaseModel] | None) -> dict[str, FieldInfo]:
    """A model's fields by the key the file uses (the alias, if there is one)."""
    return {field.alias or name: field for name, field in model.model_fields.items()} if model else {}


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next(filter(None, map(_model_in, typing.get_args(annotation))), None)


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
