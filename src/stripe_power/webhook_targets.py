"""Where `send_test_webhook` may post, decided once and then connected to exactly.

The URL is parsed by the HTTP client that sends it (no second parser to disagree about the
host), the host is resolved once, every address is judged, and the request goes to those
addresses, never to a second resolution of the name (DNS rebinding). Redirects are not followed.

- Always: the host must be loopback (`localhost`, 127.0.0.0/8, ::1) or listed with
  --allow-webhook-host.
- Team mode (client keys, or HTTP clients on other machines): the server's own machine and
  network are not the client's to reach. Loopback names are not enough, and every address
  the host resolves to must be public, unless the operator passes --allow-private-webhook-targets.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio

from .config import Settings, is_loopback
from .errors import InputError, StripePowerError

if TYPE_CHECKING:
    import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Target:
    url: httpx.URL
    addresses: tuple[str, ...]  # checked, in the resolver's order


def _refuse(problem: str, fix: str) -> InputError:
    return InputError("url", f"{problem}; nothing was sent.", fix)


_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the last 32 bits are the IPv4 address
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: local use, never global
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d (RFC 4291 2.5.5.1)
_IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # RFC 2765 ::ffff:0:a.b.c.d
_SITE_LOCAL = ipaddress.ip_network("fec0::/10")  # deprecated (RFC 3879), never global


def public(address: Address) -> bool:
    """Reachable from anywhere: not loopback, private, link-local, unspecified, reserved or
    multicast, including such an IPv4 address inside an IPv6 one (::ffff:127.0.0.1, 6to4,
    Teredo, NAT64 64:ff9b::127.0.0.1, IPv4-compatible ::127.0.0.1, IPv4-translated
    ::ffff:0:127.0.0.1)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL or address in _SITE_LOCAL:
            return False
        inner = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if inner is None and any(address in net for net in (_NAT64, _IPV4_COMPATIBLE, _IPV4_TRANSLATED)):
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None and not public(inner):
            return False
    return address.is_global and not address.is_multicast


async def check_target(url: str, settings: Settings) -> Target:
    """The parsed URL and the addresses it may be posted to, or an InputError naming `url`."""
    import httpx  # only this tool posts anywhere: not an import paid at start-up

    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        raise _refuse(f"{url[:60]!r} is not a valid URL", "Pass http://127.0.0.1:PORT/path.") from None
    host = parsed.host.lower()
    if parsed.scheme not in ("http", "https") or not host:
        raise _refuse(f"{url[:60]!r} is not an http(s) URL with a host", "Pass http://127.0.0.1:PORT/path.")
    team, private_ok = settings.team, settings.allow_private_webhook_targets
    listed = host in settings.allow_webhook_hosts
    if not listed and not (is_loopback(host) and (private_ok or not team)):
        raise _refuse(
            f"{host!r} is not a host this server posts to",
            f"Ask the operator to start it with --allow-webhook-host {host}."
            if team
            else f"Use your local handler (http://127.0.0.1:PORT/...), or start the server with "
            f"--allow-webhook-host {host}.",
        )
    if parsed.userinfo:
        raise _refuse(
            "a user or password in the URL is not sent to handlers", "Remove the user:password@ part."
        )
    addresses = await _resolve(host, parsed.port or (443 if parsed.scheme == "https" else 80))
    if team and not private_ok:
        inside = [str(a) for a in addresses if not public(a)]
        if inside:
            raise _refuse(
                f"{host!r} is the server's own machine or network ({', '.join(inside)}), which a client "
                "may not reach in team mode",
                "Use a public handler URL, or ask the operator for --allow-private-webhook-targets.",
            )
    return Target(parsed, tuple(str(a) for a in addresses))


async def _resolve(host: str, port: int) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise _refuse(
            f"{host!r} does not resolve ({error.strerror or error})", "Check the host name."
        ) from None
    ordered = dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found)
    return list(ordered)


async def post(target: Target, content: bytes, headers: Mapping[str, str]) -> httpx.Response:
    """POST to the first checked address that accepts a connection, as `target.url`'s host
    (Host header and TLS server name), without following redirects."""
    import httpx

    url = target.url
    last: Exception | None = None
    async with httpx.AsyncClient(follow_redirects=False, timeout=TIMEOUT_SECONDS, trust_env=False) as http:
        for address in target.addresses:
            pinned = url.copy_with(host=address)
            request = http.build_request(
                "POST",
                pinned,
                content=content,
                headers={**headers, "Host": url.netloc.decode("ascii")},
                extensions={"sni_hostname": url.host} if url.scheme == "https" else {},
            )
            try:
                return await http.send(request)
            except httpx.ConnectError as error:
                last = error
            except httpx.HTTPError as error:
                raise _delivery_error(str(url), error) from None
    raise _delivery_error(str(url), last)


def _delivery_error(url: str, error: Exception | None) -> StripePowerError:
    detail = (
        f"{error.__class__.__name__}{': ' + str(error)[:200] if str(error) else ''}"
        if error
        else "no address"
    )
    return StripePowerError(
        f"Could not deliver to {url}: {detail}. Is the handler running and listening there?"
    )
