"""A hub under test and the harness around it, for one run (PULL-06).

The harness is the importing caller (its own party, and the callers the hub must refuse)
and the issuing Management Authority's adapters behind the hub (:class:`HarnessAdapters`,
serving ``country``). The hub waits ``adapter_timeout`` seconds for them, as its registry says.
"""

from __future__ import annotations

from dataclasses import dataclass

from epix.hubtest.adapters import HarnessAdapters
from epix.hubtest.calls import TIMEOUT_MARGIN
from epix.messages.soap import SoapSettings
from epix.profile import OurAdapters

#: A silent adapter answers after all, this many seconds after the hub should have given up:
#: a hub that waits for it relays a late answer, which shows.
LATE_BY = 1.0


@dataclass
class HubRig:
    url: str
    adapters: HarnessAdapters
    country: str
    adapter_timeout: float
    settings: SoapSettings
    unregistered_caller: str | None
    disallowed_caller: str | None
    unknown_country: str

    @property
    def silence(self) -> float:
        """How long a silent adapter holds a request: past the timeout and its margin."""
        return self.adapter_timeout + TIMEOUT_MARGIN + LATE_BY


def harness_adapters(settings: OurAdapters, **overrides: object) -> HarnessAdapters:
    """The adapters' server as ``[us.adapters]`` describes it (not started); ``overrides``
    replace its certificate, key, CAs or address where the run provides them."""
    host, port = settings.listen or ("127.0.0.1", 0)
    values = {"certificate": settings.certificate, "key": settings.key, "host": host, "port": port,
              "client_cas": (settings.hub_ca,) if settings.hub_ca else (), **overrides}
    return HarnessAdapters(**values)


def adapter_settings(settings: OurAdapters) -> SoapSettings:
    """The adapter interface's namespaces the hub registered for the harness's adapters."""
    return SoapSettings(namespace=settings.namespace, response_namespace=settings.response_namespace)
