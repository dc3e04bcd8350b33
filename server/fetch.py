"""Fetch an image from a URL a stranger gave us, without letting them aim us inward.

Server-side request forgery is the classic hole in "check this URL" services (HMA's
own check only looks at the scheme). Here every hop is resolved once, every
address is checked (no loopback, private, link-local, multicast, reserved or
IPv4-mapped forms), the connection goes to the very address that was checked, and
redirects are followed by hand so each target is checked again. Time and size are
capped; whether it is an image is decided later by sniffing the bytes.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import certifi
import urllib3
from flask import current_app

from .errors import ApiError
from .limits import charge_work

USER_AGENT = "OriginCheck/1.0 (+known-fakes image lookup)"


class FetchError(ApiError):
    """A URL we will not or could not fetch (422 unless the refusal says otherwise)."""

    def __init__(self, code: str, message: str, status: int = 422) -> None:
        super().__init__(code, message, status)


@dataclass(frozen=True)
class FetchPolicy:
    max_bytes: int
    timeout: float = 5.0  # for the whole fetch, all hops included
    max_redirects: int = 3
    allow_loopback: bool = False  # tests and local demos only
    concurrency: int = 8  # fetches at once in this process (all requests together)


def fetch_policy() -> FetchPolicy:
    """The policy the app's configuration sets (``FETCH_*``)."""
    config = current_app.config
    return FetchPolicy(
        max_bytes=config["FETCH_MAX_BYTES"],
        timeout=config["FETCH_TIMEOUT"],
        max_redirects=config["FETCH_MAX_REDIRECTS"],
        allow_loopback=config["FETCH_ALLOW_LOOPBACK"],
        concurrency=config["FETCH_CONCURRENCY"],
    )


_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def fetch(url: str, policy: FetchPolicy) -> bytes:
    """Return the body at ``url`` or raise FetchError.

    At most ``policy.concurrency`` fetches run at once in a process; a fetch that finds
    no slot within its own timeout is refused (503) rather than queued without end.
    The time spent counts against the client's work budget (``limits.charge_work``).
    """
    started = time.monotonic()
    with _slots_lock:
        slots = _slots.setdefault(
            policy.concurrency, threading.BoundedSemaphore(policy.concurrency)
        )
    if not slots.acquire(timeout=policy.timeout):
        raise FetchError("fetch_busy", "Too many addresses are being fetched; try again.", 503)
    try:
        return _fetch(url, policy, started + policy.timeout)
    finally:
        slots.release()
        charge_work(time.monotonic() - started)


def _fetch(url: str, policy: FetchPolicy, deadline: float) -> bytes:
    for _ in range(policy.max_redirects + 1):
        response = _get(url, policy, deadline)
        try:
            if response.status in (301, 302, 303, 307, 308):
                location = response.headers.get("Location")
                if not location:
                    raise FetchError("fetch_failed", "A redirect without a Location header.")
                url = urljoin(url, location)
                continue
            if response.status != 200:
                raise FetchError("fetch_failed", f"The image URL answered HTTP {response.status}.")
            return _read_capped(response, policy.max_bytes, deadline)
        finally:
            response.release_conn()
    raise FetchError("too_many_redirects", f"More than {policy.max_redirects} redirects.")


#: Ranges Python's ``is_global`` still calls public, but no fetch of ours should reach:
#: deprecated site-local IPv6, documentation prefixes, the 6to4 relay anycast, AS112.
NOT_PUBLIC = tuple(
    ipaddress.ip_network(net)
    for net in ("fec0::/10", "3fff::/20", "2001:db8::/32", "192.88.99.0/24", "2620:4f:8000::/48")
)


def check_address(address: str, *, allow_loopback: bool = False) -> None:
    """Refuse any address that is not a public unicast one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if any(ip in net for net in NOT_PUBLIC):
        raise _forbidden()
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if mapped is not None:
            ip = mapped
    if allow_loopback and ip.is_loopback:
        return
    if not ip.is_global or ip.is_multicast or ip.is_reserved or any(ip in n for n in NOT_PUBLIC):
        raise _forbidden()


def _forbidden() -> FetchError:
    return FetchError(
        "url_forbidden", "That URL points to a private or reserved network address.", 403
    )


def _get(url: str, policy: FetchPolicy, deadline: float) -> urllib3.BaseHTTPResponse:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError("bad_url", "Only http and https URLs can be checked.", 400)
    if not parts.hostname or parts.username or parts.password:
        raise FetchError("bad_url", "The URL has no host, or carries credentials.", 400)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchError("bad_url", "The URL's port is not valid.", 400) from None
    address = _resolve(parts.hostname, port, policy)
    timeout = urllib3.Timeout(connect=_left(deadline), read=_left(deadline))
    common = {"port": port, "timeout": timeout, "retries": False, "maxsize": 1}
    if parts.scheme == "https":
        pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
            address,
            server_hostname=parts.hostname,
            assert_hostname=parts.hostname,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            **common,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, **common)
    host_header = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        return pool.urlopen(
            "GET",
            path,
            headers={"Host": host_header, "User-Agent": USER_AGENT, "Accept": "image/*"},
            redirect=False,
            preload_content=False,
            assert_same_host=False,
        )
    except urllib3.exceptions.TimeoutError:
        raise FetchError("fetch_timeout", "The image URL did not answer in time.") from None
    except urllib3.exceptions.HTTPError:
        # Not the library's text: it names addresses and resolver details.
        raise FetchError("fetch_failed", "The image URL could not be reached.") from None


def _resolve(host: str, port: int, policy: FetchPolicy) -> str:
    """The address to connect to. A name that does not resolve and a name that resolves
    inward get the same answer, so the fetcher cannot be used to learn which internal
    names exist; an address written in the URL is refused as such (nothing to learn)."""
    unreachable = FetchError("fetch_failed", f"The host {host!r} could not be reached.")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise unreachable from None
    addresses = [info[4][0] for info in infos]
    literal = _is_ip_literal(host)
    # Every address must pass: a name that also resolves inward is refused outright.
    for address in addresses:
        try:
            check_address(address, allow_loopback=policy.allow_loopback)
        except FetchError:
            if literal:
                raise
            raise unreachable from None
    return addresses[0]


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


def _read_capped(response: urllib3.BaseHTTPResponse, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    chunks: list[bytes] = []
    size = 0
    try:
        # read1 returns what has arrived, so a server trickling bytes still meets
        # the deadline instead of holding a worker until the socket timeout.
        while chunk := response.read1(64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise _too_large(max_bytes)
            if time.monotonic() > deadline:
                raise FetchError("fetch_timeout", "The image URL sent too slowly.")
            chunks.append(chunk)
    except urllib3.exceptions.TimeoutError:
        raise FetchError("fetch_timeout", "The image URL did not answer in time.") from None
    except urllib3.exceptions.HTTPError:
        raise FetchError("fetch_failed", "The download broke off.") from None
    return b"".join(chunks)


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError("fetch_timeout", "The image URL did not answer in time.")
    return left


def _too_large(max_bytes: int) -> FetchError:
    return FetchError("image_too_large", f"The image is larger than {max_bytes:,} bytes.", 413)
