"""`nemobot sandbox --port N` serves the API until interrupted."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import httpx

from tests.console.cli_support import clean_env


async def _sandbox_command(folder: Path, port: int, **env: str) -> asyncio.subprocess.Process:
    """`nemobot sandbox --port PORT`, its banner on a pipe."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "sandbox",
        "--port",
        str(port),
        cwd=folder,
        env=clean_env(**env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def test_sandbox_command_serves_and_stops_on_ctrl_c(
    tmp_path: Path, unused_tcp_port: int
) -> None:
    port = unused_tcp_port
    process = await _sandbox_command(tmp_path, port)
    assert process.stdout is not None
    try:
        async with asyncio.timeout(30):
            banner = (await process.stdout.readline()).decode()
        assert f"http://127.0.0.1:{port}" in banner
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            refused = await http.get("/api/credits/balance/simple")
            issued = await http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "cli"})
        assert refused.status_code == 401 and refused.json()["code"] == 1001
        assert issued.json()["data"]["credits"] == 100
    finally:
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(15):
            code = await process.wait()
    assert code == 0


async def test_sandbox_command_cleans_up_on_sigterm(tmp_path: Path, unused_tcp_port: int) -> None:
    """SIGTERM (a service manager stopping it) removes its data folder, like Ctrl-C."""
    # A temp folder of its own: sandboxes of other test runs come and go in the shared one.
    private = tmp_path / "tmp"
    private.mkdir()
    process = await _sandbox_command(tmp_path, unused_tcp_port, TMPDIR=str(private))
    assert process.stdout is not None
    async with asyncio.timeout(30):
        await process.stdout.readline()
    ours = set(private.glob("nemo-sandbox-*"))
    assert ours, "the sandbox made its data folder"
    process.send_signal(signal.SIGTERM)
    async with asyncio.timeout(15):
        assert await process.wait() == 0
    assert not any(path.exists() for path in ours)
