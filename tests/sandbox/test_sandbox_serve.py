"""`python -m sandbox` (the `serve()` entry point) runs until Ctrl-C."""

from __future__ import annotations

import asyncio
import re
import signal
import sys

import httpx


async def test_serve_prints_url_and_stops_on_ctrl_c(unused_tcp_port):
    port = unused_tcp_port
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sandbox",
        "--port",
        str(port),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(20):
            line = (await process.stdout.readline()).decode()
        match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert match and int(match.group(1)) == port, line
        async with httpx.AsyncClient(base_url=match.group(0)) as client:
            response = await client.post(
                "/api/auth/anonymous-token", headers={"X-Client-Id": "serve-test"}
            )
            assert response.json()["data"]["credits"] == 100
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(10):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
