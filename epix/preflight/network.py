"""The first two checks of each place the partner serves at: its host name resolves (DNS),
and it takes a TCP connection. Both are bounded by the profile's connect timeout."""

from __future__ import annotations

import socket
import threading
import time
from ipaddress import ip_address

from epix.preflight.target import Origin
from epix.preflight.verdicts import Line, fail, ok


def resolve(origin: Origin, timeout: float) -> tuple[Line, list[str]]:
    """The DNS line for ``origin``'s host, and its addresses (none when it failed)."""
    check, host = f"DNS {origin.host}", origin.host
    try:
        ip_address(host)
        return ok(check, f"{host} is an IP address, nothing to look up"), [host]
    except ValueError:
        pass
    found: list[object] = []
    # getaddrinfo takes no timeout: it runs in a thread of its own, left behind if it hangs
    lookup = threading.Thread(target=_look_up, args=(host, origin.port, found), daemon=True,
                              name=f"epix-preflight-dns-{host}")
    lookup.start()
    lookup.join(timeout)
    fix = "check the host name in the profile's binding URL, and this machine's DNS settings"
    if not found:
        return fail(check, f"{host} did not resolve within {timeout:g} s", fix, unreachable=True), []
    if isinstance(found[0], OSError):
        reason = found[0].strerror or str(found[0])
        return fail(check, f"{host} does not resolve ({reason})", fix, unreachable=True), []
    addresses = list(dict.fromkeys(found[0]))
    shown = ", ".join(addresses[:3]) + (f" and {len(addresses) - 3} more" if len(addresses) > 3 else "")
    return ok(check, f"{host} resolves to {shown}"), addresses


def _look_up(host: str, port: int, found: list[object]) -> None:
    try:
        found.append([info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)])
    except OSError as error:
        found.append(error)


def connect(origin: Origin, addresses: list[str], timeout: float) -> Line:
    """The TCP line: whether one of ``addresses`` takes a connection on ``origin``'s port."""
    check = f"TCP {origin}"
    problems = []
    for address in addresses:
        started = time.perf_counter()
        try:
            with socket.create_connection((address, origin.port), timeout=timeout):
                elapsed = (time.perf_counter() - started) * 1000
                return ok(check, f"{address} port {origin.port} takes connections ({elapsed:.0f} ms)")
        except ConnectionRefusedError:
            problems.append(f"nothing listens at {address} port {origin.port} (connection refused)")
        except TimeoutError:
            problems.append(f"no connection to {address} port {origin.port} within {timeout:g} s")
        except OSError as error:
            problems.append(f"no connection to {address} port {origin.port} ({error.strerror or error})")
    return fail(check, "; ".join(problems), "check the port in the profile's binding URL, that the partner's "
                "service runs, and any firewall between us and it", unreachable=True)
