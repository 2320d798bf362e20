"""The network ban: what leaves loopback is refused and reported, loopback still works."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from tests.console.cli_support import clean_env
from tests.netban import guard, session

OUTSIDE = "192.0.2.1"  # TEST-NET-1 (RFC 5737): documentation only, never routed


@contextmanager
def refused(*words: str) -> Iterator[None]:
    """The block is refused by the ban, naming `words`; the refusal is taken off the record."""
    with pytest.raises(guard.NetworkBanned) as caught:
        yield
    recorded = session.check()
    assert all(word in str(caught.value) for word in ("network ban", *words)), caught.value
    assert recorded == [str(caught.value)]


def test_a_connection_outside_loopback_is_refused_by_address() -> None:
    with socket.socket() as sock, refused(OUTSIDE, "80"):
        sock.connect((OUTSIDE, 80))
    with socket.socket() as sock, refused(OUTSIDE):
        sock.connect_ex((OUTSIDE, 443))
    with socket.socket(socket.AF_INET6) as sock, refused("2001:db8::1"):
        sock.connect(("2001:db8::1", 80))
    with socket.socket(type=socket.SOCK_DGRAM) as sock, refused(OUTSIDE):
        sock.sendto(b"x", (OUTSIDE, 53))


def test_a_lookup_of_a_name_outside_this_machine_is_refused() -> None:
    with refused("example.org"):
        socket.getaddrinfo("example.org", 443)
    with refused("example.org"):
        socket.gethostbyname("example.org")
    with refused("example.org"), socket.create_connection(("example.org", 80), timeout=1):
        pass


async def test_asyncio_connections_outside_loopback_are_refused() -> None:
    with refused(OUTSIDE):
        await asyncio.open_connection(OUTSIDE, 80)
    with refused("example.org"):
        await asyncio.open_connection("example.org", 80)
    loop = asyncio.get_running_loop()
    with socket.socket() as sock, refused(OUTSIDE):
        sock.setblocking(False)
        await loop.sock_connect(sock, (OUTSIDE, 80))


def test_a_refusal_the_code_swallows_is_still_on_the_record() -> None:
    # What a retry loop in the code under test would do.
    with suppress(OSError):
        socket.create_connection((OUTSIDE, 80), timeout=1)
    assert [OUTSIDE in line for line in session.check()] == [True]


async def test_loopback_tcp_udp_unix_and_socketpair_still_work(tmp_path: Path) -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.readline())
        await writer.drain()
        writer.close()

    for host in ("127.0.0.1", "localhost", socket.gethostname()):
        server = await asyncio.start_server(echo, "127.0.0.1", 0)
        async with server:
            reader, writer = await asyncio.open_connection(host, server.sockets[0].getsockname()[1])
            writer.write(b"hi\n")
            assert await reader.readline() == b"hi\n"
            writer.close()
    async with await asyncio.start_unix_server(echo, tmp_path / "s"):
        reader, writer = await asyncio.open_unix_connection(tmp_path / "s")
        writer.write(b"unix\n")
        assert await reader.readline() == b"unix\n"
        writer.close()
    left, right = socket.socketpair()
    with left, right, socket.socket(type=socket.SOCK_DGRAM) as udp:
        left.sendall(b"pair")
        assert right.recv(4) == b"pair"
        udp.bind(("127.0.0.1", 0))
        udp.sendto(b"udp", udp.getsockname())
        assert udp.recv(3) == b"udp"


def test_a_child_process_gets_the_ban_and_its_refusals_reach_the_test(tmp_path: Path) -> None:
    script = (
        "import socket\n"
        f"try: socket.create_connection(({OUTSIDE!r}, 80), timeout=1)\n"
        "except OSError as e: print(e)\n"
        "a, b = socket.socketpair(); a.send(b'ok'); print(b.recv(2).decode())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,  # where `tests` cannot be imported
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "network ban" in done.stdout and OUTSIDE in done.stdout, done
    assert done.stdout.rstrip().endswith("ok"), done
    assert [OUTSIDE in line for line in session.check()] == [True]


def test_the_hosts_file_decides_which_names_are_loopback(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.1.1 box box.lan  # ours\n::1 ip6-localhost\n10.0.0.2 db\n")
    names = guard.loopback_names(hosts)
    assert names == {"localhost", "box", "box.lan", "ip6-localhost"}
    allowed = ["127.0.0.9", "::1", "::ffff:127.0.0.1", "0.0.0.0", "", None, "BOX.", b"box"]
    assert all(guard.allowed_host(host, names) for host in allowed)
    assert not any(guard.allowed_host(h, names) for h in ("db", "10.0.0.2", "example.org"))


@pytest.mark.allow_network(reason="proves the opt-out; connects nowhere")
def test_the_opt_out_lifts_the_ban_for_one_test_and_its_children() -> None:
    assert guard.lifted()
    assert os.environ[guard.ON] == "0"


def test_the_postgresql_server_the_environment_names_is_let_through() -> None:
    url = "postgresql://nemobot@203.0.113.7:5432/postgres"
    names = guard.loopback_names() | set(session.named_servers(url))
    assert guard.allowed_host("203.0.113.7", frozenset(names))
    assert session.named_servers("postgresql://nemobot@127.0.0.1:5432/postgres") == []
    assert session.named_servers("postgresql://nemobot@localhost/postgres") == []
    assert session.named_servers("postgresql:///postgres?host=/run/postgresql") == []
