"""The test session's network ban: nothing leaves loopback.

Installed in the pytest process by `tests/conftest.py` and in every Python child the tests
start by `tests/netban/site/sitecustomize.py` (on their `PYTHONPATH`). It wraps the Python
entry points a connection goes through: `socket.socket.connect`, `connect_ex` and `sendto`
(asyncio's `sock_connect` and `create_connection` end there too), and the name lookups
`getaddrinfo`, `gethostbyname` and `gethostbyname_ex`. Unix sockets, `socketpair`,
loopback addresses and loopback names pass. A refused attempt raises `NetworkBanned` (an
`OSError`, so the code under test sees what an offline machine gives it) and is recorded,
so a test that swallows the error still fails. Only the standard library: a child loads
this file by path, before anything of ours is importable.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "ALLOW",
    "LOG",
    "ON",
    "NetworkBanned",
    "allowed_host",
    "install",
    "lifted",
    "loopback_names",
    "normal",
    "set_lifted",
    "take_violations",
    "uninstall",
]

ON = "TESTS_NETBAN"  # "1" turns the ban on in a child (not NEMOBOT_: clean_env drops those)
LOG = "TESTS_NETBAN_LOG"  # where a child appends what it refused, for the test to report
ALLOW = "TESTS_NETBAN_ALLOW"  # hosts the person running the tests named (comma-separated)
HINT = "tests reach only loopback: use a local fake, or see tests/README.md on allow_network"

_violations: list[str] = []
_state: dict[str, Any] = {"lifted": False, "log": None}
_originals: dict[tuple[object, str], Any] = {}
_INHERITED = object()  # socket.socket's own methods come from _socket.socket


class NetworkBanned(OSError):
    """A test tried to reach an address outside loopback."""


def loopback_names(hosts: Path = Path("/etc/hosts")) -> frozenset[str]:
    """`localhost` and every name the hosts file gives a loopback address."""
    names = {"localhost"}
    try:
        lines = hosts.read_text(errors="replace").splitlines()
    except OSError:
        lines = []
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if len(fields) > 1 and _is_local_ip(fields[0]):
            names.update(name.lower() for name in fields[1:])
    return frozenset(names)


def _is_local_ip(text: str) -> bool:
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # Linux sends a connection to 0.0.0.0 or :: to this machine.
    return ip.is_loopback or ip.is_unspecified


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def normal(host: str) -> str:
    """`host` as `names` holds it: an address in its short form, a name in lower case."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host.lower().rstrip(".")


def allowed_host(host: object, names: frozenset[str]) -> bool:
    """Whether connecting to `host` stays on this machine (or on a host in `names`)."""
    if host is None:
        return True
    text = host.decode() if isinstance(host, bytes) else str(host)
    if text == "":
        return True  # the empty host means INADDR_ANY
    return _is_local_ip(text) or normal(text) in names


def lifted() -> bool:
    """Whether the current test opted out with `@pytest.mark.allow_network`."""
    return _state["lifted"]


def set_lifted(value: bool) -> None:
    """Lift the ban for one test (the marker's fixture), or put it back."""
    _state["lifted"] = value


def take_violations() -> list[str]:
    """The attempts refused in this process since the last call, oldest first."""
    taken = list(_violations)
    del _violations[: len(taken)]
    return taken


def _refuse(what: str) -> NetworkBanned:
    message = f"network ban: {what} leaves this machine ({HINT})"
    _violations.append(message)
    if _state["log"]:
        with Path(_state["log"]).open("a", encoding="utf-8") as log:
            log.write(f"pid {os.getpid()} {' '.join(sys.argv)[:200]}: {message}\n")
    return NetworkBanned(message)


def _check_address(sock: socket.socket, address: Any, names: frozenset[str], verb: str) -> None:
    if _state["lifted"] or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    host = address[0] if isinstance(address, tuple) and address else address
    if not allowed_host(host, names):
        raise _refuse(f"{verb} to {address!r}")


def _check_lookup(host: object, names: frozenset[str], verb: str) -> None:
    text = host.decode() if isinstance(host, bytes) else host
    if _state["lifted"] or (isinstance(text, str) and _is_ip(text)):
        return  # a numeric address is parsed, not looked up; the connect is judged
    if not allowed_host(host, names):
        raise _refuse(f"{verb}({host!r})")


def _guard_connect(name: str, names: frozenset[str]) -> Callable[..., Any]:
    original = getattr(socket.socket, name)

    def guarded(self: socket.socket, address: Any) -> Any:
        _check_address(self, address, names, name)
        return original(self, address)

    return guarded


def _guard_sendto(names: frozenset[str]) -> Callable[..., Any]:
    original = socket.socket.sendto

    def sendto(self: socket.socket, data: Any, *rest: Any) -> Any:
        _check_address(self, rest[-1] if rest else None, names, "sendto")
        return original(self, data, *rest)

    return sendto


def _guard_lookup(name: str, names: frozenset[str]) -> Callable[..., Any]:
    original = getattr(socket, name)

    def lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        _check_lookup(host, names, name)
        return original(host, *args, **kwargs)

    return lookup


def install(log: str | None = None, allow: Iterable[str] = ()) -> None:
    """Put the ban on this process (idempotent), letting `allow` through as well.

    A child appends each refusal to `log`, where the test process reads it.
    """
    if _originals:
        return
    names = loopback_names() | {normal(host) for host in allow}
    _state["log"] = log
    guards = {
        (socket.socket, "connect"): _guard_connect("connect", names),
        (socket.socket, "connect_ex"): _guard_connect("connect_ex", names),
        (socket.socket, "sendto"): _guard_sendto(names),
    }
    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex"):
        guards[(socket, name)] = _guard_lookup(name, names)
    for (owner, name), guard in guards.items():
        _originals[(owner, name)] = vars(owner).get(name, _INHERITED)
        setattr(owner, name, guard)


def uninstall() -> None:
    """Give the process its own socket functions back."""
    for (owner, name), original in _originals.items():
        if original is _INHERITED:
            delattr(owner, name)
        else:
            setattr(owner, name, original)
    _originals.clear()
