"""The console chat: stdin lines in, stdout lines out, files saved to an output folder."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import re
import shlex
import shutil
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, TextIO

from adapters.console_buttons import TypedButtons
from bot.core.engine import Engine
from bot.core.files import copy_capped
from bot.core.messages import Attachment, ChatRef, IncomingMessage, User
from bot.core.outbox import Keyboard, Limits, OutboxError, VideoFile

__all__ = ["PLATFORM", "ConsoleChat", "ConsoleOutbox", "printable"]

PLATFORM = "console"
_KINDS = {
    "image": {".jpg", ".jpeg", ".png", ".gif", ".webp"},
    "video": {".mp4", ".mov", ".avi", ".webm", ".mkv"},
    "audio": {".mp3", ".wav", ".m4a", ".aac"},
}
# A terminal cannot edit a printed line: each answer is printed once, when it is complete.
_LIMITS = Limits(
    max_text=100_000,
    max_caption=100_000,
    max_upload=2**40,
    rates=(),
    live="off",
    edit_interval=0.0,
    typed_buttons=True,
)
PROMPT = "you> "
_SLUG = re.compile(r"\w+")


def _kind_of(path: Path) -> str:
    suffix = path.suffix.lower()
    return next((kind for kind, suffixes in _KINDS.items() if suffix in suffixes), "file")


class ConsoleOutbox:
    """Prints replies; files the bot posts are copied under `out_dir` and announced by path.

    Buttons are printed as `[label]` and remembered in `buttons`, so typing a label's word
    presses it. While the `you> ` prompt shows, a late line (a finished video) is printed
    above it and the prompt comes back under it.
    """

    platform = PLATFORM

    def __init__(self, out_dir: Path, stream: TextIO | None = None) -> None:
        self.out_dir = out_dir
        self.buttons = TypedButtons()
        self._stream = stream or sys.stdout
        self._ids = itertools.count(1)
        self._prompt_shown = False

    def show_prompt(self) -> None:
        """Print the `you> ` prompt (once: it stays until a line is typed)."""
        if not self._prompt_shown:
            self._stream.write(PROMPT)
            self._stream.flush()
            self._prompt_shown = True

    def prompt_answered(self) -> None:
        """A line was typed: the cursor is on a fresh line, the prompt is gone."""
        self._prompt_shown = False

    def _print(self, line: str) -> None:
        prompt = self._prompt_shown
        if prompt:  # take the prompt off its line first (a pipe gets a line break instead)
            self._stream.write("\r\x1b[K" if self._stream.isatty() else "\n")
            self._prompt_shown = False
        print(printable(line), file=self._stream, flush=True)
        if prompt:
            self.show_prompt()

    def limits(self, chat: ChatRef) -> Limits:
        return _LIMITS

    async def send_text(self, chat: ChatRef, text: str, buttons: Keyboard = ()) -> str:
        self._print(f"bot> {text}")
        self._print_buttons(buttons)
        return str(next(self._ids))

    async def edit_text(
        self, chat: ChatRef, message_id: str, text: str, buttons: Keyboard = ()
    ) -> None:
        self._print(f"bot> {text}")

    async def delete_message(self, chat: ChatRef, message_id: str) -> bool:
        return False

    async def send_typing(self, chat: ChatRef, action: str = "typing") -> None:
        return None

    async def send_images(
        self, chat: ChatRef, images: Sequence[Path], caption: str = "", buttons: Keyboard = ()
    ) -> list[str]:
        ids = [
            self._save("image", path, caption if index == 0 else "", _slug(caption))
            for index, path in enumerate(images)
        ]
        self._print_buttons(buttons)
        return ids

    async def send_video(
        self, chat: ChatRef, video: VideoFile, caption: str = "", buttons: Keyboard = ()
    ) -> str:
        message_id = self._save("video", video.path, caption, "")
        self._print_buttons(buttons)
        return message_id

    async def fetch_attachment(self, attachment: Attachment, dest: Path, limit: int) -> Path:
        return await asyncio.to_thread(copy_capped, Path(attachment.ref), dest, limit)

    def _print_buttons(self, buttons: Keyboard) -> None:
        labels = [button.label for row in buttons for button in row]
        if labels:
            self.buttons.shown(buttons)
            self._print("     [" + "] [".join(labels) + "]")

    def _save(self, kind: str, path: Path, caption: str, slug: str) -> str:
        """Copy a posted file under a name of its own: `img_<time>_<prompt>.png`, never
        over an earlier one."""
        prefix = "img" if kind == "image" else "render"
        stem = "_".join(filter(None, (prefix, time.strftime("%Y%m%d-%H%M%S"), slug)))
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            saved = _copy_new(path, self.out_dir, stem, path.suffix.lower())
        except OSError as exc:
            raise OutboxError(f"cannot save a {kind}: {exc.strerror}") from exc
        if caption:
            self._print(f"bot> {caption}")
        self._print(f"[{kind}] {saved}")
        return str(next(self._ids))


def _slug(caption: str) -> str:
    """A few words of an image's caption (its prompt) for the file name."""
    return "-".join(_SLUG.findall(caption.lower()))[:40].strip("-_")


def _copy_new(source: Path, folder: Path, stem: str, suffix: str) -> Path:
    """Copy `source` to `folder/stem+suffix`, or `stem-2+suffix`…: never over a file."""
    for number in itertools.count(1):
        dest = folder / (f"{stem}{suffix}" if number == 1 else f"{stem}-{number}{suffix}")
        try:
            with source.open("rb") as src, dest.open("xb") as out:
                shutil.copyfileobj(src, out)
        except FileExistsError:
            continue
        return dest
    raise AssertionError("unreachable")


class ConsoleChat:
    """Feeds stdin lines to the engine as one console user."""

    def __init__(
        self,
        engine: Engine,
        user_id: str,
        stdin: BinaryIO | None = None,
        outbox: ConsoleOutbox | None = None,
    ) -> None:
        self._engine = engine
        self._outbox = outbox or ConsoleOutbox(Path("nemobot-out"))
        self._user = User(PLATFORM, user_id, user_id)
        self._chat = ChatRef(PLATFORM, user_id, private=True)
        self._stdin = stdin or sys.stdin.buffer
        self._run_id = uuid.uuid4().hex[:12]  # a new run's lines are new updates
        self._lines = itertools.count(1)

    async def run(self, *, interactive: bool) -> int:
        """Read until EOF; in batch mode each line is answered before the next is read.

        Interactively the next line is read at once (so /cancel works mid-answer), and the
        prompt shows once the answer is complete.
        """
        lines = _lines_of(self._stdin)
        while True:
            prompter = asyncio.create_task(self._prompt_when_idle()) if interactive else None
            raw = await lines.get()
            if prompter is not None:
                prompter.cancel()
                self._outbox.prompt_answered()
            if not raw:
                break
            message = self.to_message(raw.decode("utf-8", errors="replace").rstrip("\r\n"))
            await self._engine.submit(message)
            if not interactive:
                await self._engine.wait_idle(renders=False)
        await self._engine.wait_idle(renders=True)
        return 0

    async def _prompt_when_idle(self) -> None:
        await self._engine.wait_idle(renders=False)
        self._outbox.show_prompt()

    def to_message(self, line: str) -> IncomingMessage:
        """One input line as a message; `/attach PATH [caption]` sends a local file, and a
        button's word (`again`) presses the latest button of that name."""
        number = next(self._lines)
        text = self._outbox.buttons.pressed(line) or line
        attachments: tuple[Attachment, ...] = ()
        if line.startswith("/attach"):
            text, attachments = _parse_attach(line[len("/attach") :].strip())
        return IncomingMessage(
            update_id=f"{self._run_id}:{number}",
            user=self._user,
            chat=self._chat,
            text=text,
            attachments=attachments,
            message_id=str(number),
        )


_READ_SIZE = 65536
# C0 and C1 control characters (ESC, BEL, CSI…) but newline and tab: a terminal would obey them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` without the control characters a terminal would act on."""
    return _CONTROL.sub("", text)


def _lines_of(stream: BinaryIO) -> asyncio.Queue[bytes]:
    """Lines of `stream`, read by a daemon thread (b"" at the end).

    A daemon thread, not the loop's executor: Ctrl-C must end the program at once, not after
    the next Enter. It reads the raw descriptor (`os.read`): a daemon blocked inside a
    buffered stream's readline holds its lock, and the interpreter aborts at exit.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    try:
        fd = stream.fileno()
    except (OSError, ValueError):
        fd = None  # not a real file (tests hand in BytesIO)

    def chunks() -> Iterator[bytes]:
        if fd is None:
            yield from iter(lambda: stream.read(_READ_SIZE), b"")
            return
        yield from iter(lambda: os.read(fd, _READ_SIZE), b"")

    def read() -> None:
        with contextlib.suppress(RuntimeError, ValueError, OSError):  # the loop or stream closed
            pending = b""
            for chunk in chunks():
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for line in complete:
                    loop.call_soon_threadsafe(queue.put_nowait, line + b"\n")
            if pending:
                loop.call_soon_threadsafe(queue.put_nowait, pending)
            loop.call_soon_threadsafe(queue.put_nowait, b"")

    threading.Thread(target=read, name="console-stdin", daemon=True).start()
    return queue


def _parse_attach(rest: str) -> tuple[str, tuple[Attachment, ...]]:
    try:
        words = shlex.split(rest)
    except ValueError:
        words = rest.split()
    if not words:
        return "upload", ()
    path = Path(words[0]).expanduser()
    try:
        size: int | None = path.stat().st_size
    except OSError:
        size = None
    attachment = Attachment(_kind_of(path), path.name, str(path), size)
    return " ".join(words[1:]), (attachment,)
