"""A picture of the bot in a Telegram chat for the README, made from a real run.

    python -m bench.chat_picture [--out docs/telegram-chat.png]

The real Telegram adapter (python-telegram-bot) and engine answer a user of the Bot API
emulator, against the built-in sandbox: an image is asked for, then an export. The chat
as the emulator holds it (what a Telegram client would show: texts after their last edit,
photos, the video's thumbnail, inline buttons) is written as HTML and photographed with
headless Chromium (Debian: `apt-get install chromium fonts-noto-color-emoji`), then
trimmed and reduced to a small PNG. Not part of the package, nor of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import html
import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageChops

from tests.engine.harness import eventually, fast_sandbox
from tests.telegram.emulator import BotApiEmulator, BotMessage, running_emulator
from tests.telegram.harness import telegram_bot

USER = 4242
PROMPT = "generate an image of a sunset over a mountain lake"
WIDTH = 520
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
]
STYLE = """
body { margin: 0; background: #c9d9b8; font: 15px/1.35 "Noto Sans", "DejaVu Sans",
  "Noto Color Emoji", sans-serif; }
.chat { width: %dpx; padding: 14px 12px 6px; box-sizing: border-box; }
.title { background: #fff; margin: -14px -12px 12px; padding: 10px 14px; font-weight: 600; }
.title small { display: block; font-weight: 400; color: #7c8a96; }
.row { display: flex; margin: 0 0 8px; }
.row.user { justify-content: flex-end; }
.bubble { max-width: 82%%; background: #fff; border-radius: 12px; padding: 7px 10px;
  box-shadow: 0 1px 1px rgba(0,0,0,.12); white-space: pre-wrap; word-wrap: break-word; }
.user .bubble { background: #e1fec6; }
.bubble img { display: block; width: 100%%; border-radius: 8px; margin: -3px 0 6px; }
.video { position: relative; }
.video::after { content: "▶"; position: absolute; left: 50%%; top: 50%%; color: #fff;
  transform: translate(-50%%, -60%%); font-size: 30px; background: rgba(0,0,0,.45);
  border-radius: 50%%; width: 52px; height: 52px; line-height: 52px; text-align: center; }
.keys { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 4px; }
.keys span { flex: 1 1 40%%; text-align: center; background: rgba(52,90,66,.6);
  color: #fff; border-radius: 8px; padding: 6px 4px; font-size: 14px; }
.note { text-align: center; color: #4d5e45; font-size: 12px; margin: 4px 0 2px; }
"""


async def _converse(emu: BotApiEmulator, tmp: Path) -> list[BotMessage]:
    """The chat after an image and an export, as the emulator holds it."""
    async with fast_sandbox(image_seconds=1) as sandbox, telegram_bot(tmp, emu, sandbox) as bot:
        emu.send_message(USER, USER, PROMPT)
        await emu.wait_for_message(USER, lambda m: m.kind == "photo", timeout=60)

        async def idle() -> bool:
            counts = await bot.store.stats(0)
            return counts.queued == 0 and counts.running == 0

        await eventually(idle, 30)  # the turn is over: "export" is not queued behind it
        emu.send_message(USER, USER, "export")
        await emu.wait_for_message(USER, lambda m: m.kind == "video", timeout=120)
    return [m for m in emu.chats.all_messages(USER) if not m.deleted]


def _data_uri(data: bytes, width: int = 480) -> str:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    image.thumbnail((width, width))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def _bubble(message: BotMessage) -> str:
    parts = []
    if message.kind == "photo" and message.file is not None:
        parts.append(f'<img src="{_data_uri(message.file_bytes())}">')
    elif message.kind == "video" and message.thumbnail is not None:
        thumb = _data_uri(message.thumbnail.read())
        parts.append(f'<div class="video"><img src="{thumb}"></div>')
    parts.append(html.escape(message.body or ""))
    if message.buttons:
        keys = "".join(f"<span>{html.escape(b['text'])}</span>" for b in message.buttons)
        parts.append(f'<div class="keys">{keys}</div>')
    side = "bot" if message.outgoing else "user"
    return f'<div class="row {side}"><div class="bubble">{"".join(parts)}</div></div>'


def chat_html(messages: list[BotMessage], bot_name: str) -> str:
    """The chat as a Telegram client would show it, as one HTML page."""
    bubbles = "\n".join(_bubble(m) for m in messages)
    return (
        f"<!doctype html><meta charset='utf-8'><style>{STYLE % WIDTH}</style>"
        f"<div class='chat'><div class='title'>{html.escape(bot_name)}<small>bot</small></div>"
        f"{bubbles}<div class='note'>made from a run against the Bot API emulator</div></div>"
    )


def photograph(page: Path, out: Path, height: int = 2400) -> None:
    """Headless Chromium's screenshot of `page`, trimmed to the chat and made small."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("needs chromium (Debian: apt-get install chromium)")
    shot = page.with_suffix(".png")
    argv = [chromium, *CHROMIUM_FLAGS, f"--window-size={WIDTH},{height}"]
    subprocess.run(
        [*argv, f"--screenshot={shot}", page.as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
    )
    image = Image.open(shot).convert("RGB")
    background = Image.new("RGB", image.size, image.getpixel((image.width - 1, image.height - 1)))
    box = ImageChops.difference(image, background).getbbox()
    if box is not None:
        image = image.crop((0, 0, image.width, min(image.height, box[3] + 8)))
    out.parent.mkdir(parents=True, exist_ok=True)
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)


async def main(out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="nemobot-picture-") as folder:
        tmp = Path(folder)
        async with running_emulator() as emu:
            emu.private_chat(USER, first_name="Alice")
            messages = await _converse(emu, tmp)
            name = emu.options.bot_first_name
        page = tmp / "chat.html"
        page.write_text(chat_html(messages, name))
        photograph(page, out)
    print(f"{out}: {out.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/telegram-chat.png"))
    asyncio.run(main(parser.parse_args().out))
