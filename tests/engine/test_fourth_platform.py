"""A fourth platform is an adapter and nothing else: it runs a whole conversation through the
composition root (`open_runtime`, `serve_adapters`) without a line of `bot/app.py` changing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.app import open_runtime
from bot.core.engine import Engine
from bot.core.messages import ChatRef, IncomingMessage, User
from bot.lifecycle import serve_adapters
from sandbox import RunningSandbox
from tests.engine.harness import FAST, RecordingOutbox, sandbox_settings


class ChalkboardAdapter:
    """A platform whose messages come from a queue and whose answers are recorded."""

    platform = "chalkboard"

    def __init__(self, outbox: RecordingOutbox) -> None:
        self.outbox = outbox
        self.incoming: asyncio.Queue[str] = asyncio.Queue()
        self._sent = 0

    def write(self, text: str) -> None:
        """The user writes on the chalkboard."""
        self.incoming.put_nowait(text)

    async def run(self, engine: Engine, stop: asyncio.Event) -> None:
        """Every line on the board goes to the engine until `stop`."""
        engine.connect(self.outbox)
        while not stop.is_set():
            line = asyncio.ensure_future(self.incoming.get())
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({line, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not line.done():
                line.cancel()
                return
            self._sent += 1
            chat = ChatRef(self.platform, "board-1")
            user = User(self.platform, "ada")
            await engine.submit(IncomingMessage(f"chalk-{self._sent}", user, chat, line.result()))


async def test_a_fourth_platform_runs_a_whole_conversation_through_the_root(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    outbox = RecordingOutbox(tmp_path / "received", platform="chalkboard")
    board = ChalkboardAdapter(outbox)
    settings = sandbox_settings(sandbox.url, NEMOBOT_DB=str(tmp_path / "bot.db"))
    async with open_runtime(settings, timing=FAST) as runtime:
        stop = asyncio.Event()
        serving = asyncio.create_task(serve_adapters(runtime.engine, [board], stop))
        board.write("generate an image of a chalk horse")
        await outbox.wait_for(lambda sent: sent.kind == "image", timeout=30)
        board.write("export")
        video = await outbox.wait_for(lambda sent: sent.kind == "video", timeout=60)
        stop.set()
        assert await asyncio.wait_for(serving, 30) == 0  # stopped cleanly
    assert video.chat == "board-1"
    assert any("chalk horse" in text for text in outbox.final_texts())
    assert sandbox.sandbox.sse_calls == 1
