"""Files sent on Telegram are judged by their bytes, not their names (real PTB, emulator)."""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from sandbox import RunningSandbox
from tests.engine.harness import fast_sandbox
from tests.telegram.emulator import BotApiEmulator, running_emulator
from tests.telegram.harness import telegram_bot

ALICE = 1001


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with fast_sandbox() as running:
        yield running


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with running_emulator() as emulator:
        emulator.private_chat(ALICE, first_name="Alice")
        yield emulator


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), "orange").save(buffer, format="PNG")
    return buffer.getvalue()


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a picture")
    return buffer.getvalue()


def _uploaded(sandbox: RunningSandbox) -> list[str]:
    return [info["filename"] for s in sandbox.sandbox.sessions.values() for info in s.video_infos]


async def test_a_png_photo_goes_up_as_png_under_a_dated_name(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox):
        emu.send_message(ALICE, ALICE, photo=_png())
        await emu.wait_for_message(ALICE, lambda m: m.text == "📎 Added 1 file to your project.")
        [name] = _uploaded(sandbox)
        assert re.fullmatch(r"photo_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d\.png", name)
        emu.send_message(ALICE, ALICE, "/status")
        status = await emu.wait_for_message(
            ALICE, lambda m: m.kind == "photo" and (m.caption or "").startswith("Timeline")
        )
        assert name in (status.caption or "")
        assert "AQAD" not in (status.caption or "")


async def test_a_misnamed_document_goes_up_under_its_real_extension(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox):
        emu.send_message(ALICE, ALICE, document=("scan.jpg", "image/jpeg", _png()))
        await emu.wait_for_message(ALICE, lambda m: m.text == "📎 Added 1 file to your project.")
        assert _uploaded(sandbox) == ["scan.png"]


async def test_a_zip_named_jpg_is_named_and_its_caption_answered(
    tmp_path: Path,
    emu: BotApiEmulator,
    sandbox: RunningSandbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    async with telegram_bot(tmp_path, emu, sandbox):
        document = ("holiday.jpg", "image/jpeg", _zip())
        emu.send_message(ALICE, ALICE, document=document, caption='add a title "Trip"')
        refusal = await emu.wait_for_message(ALICE, lambda m: "ZIP" in (m.text or ""))
        assert refusal.text == (
            "holiday.jpg is really a ZIP archive, not a picture, video or audio file, "
            "so I left it out. I'll answer your message without it."
        )
        await emu.wait_for_message(ALICE, lambda m: 'the title "Trip"' in (m.text or ""))
        assert _uploaded(sandbox) == []
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert refused == ["attachment refused: named .jpg, content zip"]
    assert not any("holiday" in m or "Trip" in m for m in caplog.messages)
