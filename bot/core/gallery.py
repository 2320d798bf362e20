"""Generated images: found in the state or in tool results, posted once each, with buttons."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from bot.core import codec
from bot.core.context import TurnContext
from bot.core.keyboards import inline_image_buttons
from bot.core.live import keep_typing
from bot.core.outbox import Button, Keyboard, OutboxError
from bot.core.scratch import Scratch
from bot.core.texts import t
from bot.nemo import GeneratedMedia, NemoClient
from bot.nemo.draft import media_key
from bot.nemo.errors import NemoError
from storage import ImageStore

__all__ = ["FoundImage", "Gallery", "images_in_state", "images_in_tool_result"]

log = logging.getLogger(__name__)

_IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif"})
_URL_KEYS = ("image_url", "imageUrl", "image", "url", "output_url", "outputUrl")
_MAX_BUTTON_ROWS = 5  # Discord's limit; Telegram allows more
_MAX_CAPTION_PROMPT = 200


@dataclass(frozen=True, slots=True)
class FoundImage:
    """An image the agent made: where it is and what it shows."""

    url: str
    prompt: str = ""


def images_in_state(media: Iterable[GeneratedMedia]) -> list[FoundImage]:
    """The images among a state's generated media."""
    return [FoundImage(m.url, m.prompt) for m in media if m.type == "image"]


def images_in_tool_result(response: Any, prompt: str = "") -> list[FoundImage]:
    """Image URLs in a tool's response (`image_url`, `images: [...]`…), in order, each once."""
    found: list[FoundImage] = []
    seen: set[str] = set()

    def visit(value: Any, depth: int) -> None:
        if depth > 6:
            return
        if isinstance(value, Mapping):
            here = str(value.get("prompt") or prompt)
            for key in _URL_KEYS:
                url = value.get(key)
                if isinstance(url, str) and _looks_like_image(url, key) and url not in seen:
                    seen.add(url)
                    found.append(FoundImage(url, here))
            for child in value.values():
                visit(child, depth + 1)
        elif isinstance(value, list):
            for child in value:
                if isinstance(child, str) and _looks_like_image(child, "images"):
                    if child not in seen:
                        seen.add(child)
                        found.append(FoundImage(child, prompt))
                else:
                    visit(child, depth + 1)

    visit(response, 0)
    return found


def _looks_like_image(url: str, key: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    named = key.lower().startswith("image")
    return named or PurePosixPath(parts.path).suffix.lower() in _IMAGE_SUFFIXES


class Gallery:
    """Posts a turn's new images, each once per session, with 🔁 Again and ✨ Variation."""

    def __init__(self, nemo: NemoClient, store: ImageStore, scratch: Scratch) -> None:
        self._nemo = nemo
        self._store = store
        self._scratch = scratch

    async def post(self, ctx: TurnContext, found: Sequence[FoundImage], prompt: str = "") -> int:
        """Download and post the images not posted yet; returns how many reached the chat.

        An image is recorded only just before it is sent, so one that was being downloaded
        when the bot stopped is posted after the restart, and one that was being sent is
        never sent twice.
        """
        known = await self._store.known_images(ctx.session_id, [media_key(i.url) for i in found])
        fresh = {media_key(i.url): i for i in found if media_key(i.url) not in known}
        if not fresh:
            return 0
        if ctx.chat.inline is not None:
            return await self._show_inline(ctx, next(iter(fresh.values())), prompt)
        with self._scratch.folder("img-") as folder:
            downloaded: list[tuple[FoundImage, Path]] = []
            for number, image in enumerate(fresh.values(), 1):
                path = Path(folder) / f"image_{number}{_suffix(image.url)}"
                try:
                    await self._nemo.download(image.url, path)
                    downloaded.append((image, path))
                except NemoError as exc:
                    log.warning("could not download a generated image: %s", exc)
            ready = await self._claim(ctx, downloaded, prompt)
            if not ready:
                return 0
            try:
                async with keep_typing(ctx.pacer, ctx.chat, "upload_photo"):
                    await self._send(ctx, ready, prompt)
            except OutboxError as exc:
                log.warning("could not post generated images: %s", exc)
                return 0
        for image_id, _, _ in ready:
            await self._store.mark_image_posted(image_id)
        return len(ready)

    async def _show_inline(self, ctx: TurnContext, image: FoundImage, prompt: str) -> int:
        """An inline message becomes the image. It takes no uploads, so the platform fetches
        the image from its URL (NemoVideo's are public); where it cannot, the message gets
        the link. One image only: an inline message is one message."""
        shown = ctx.image_prompt or image.prompt or prompt
        key = media_key(image.url)
        image_id = await self._store.remember_image(
            ctx.user_id, ctx.session_id, key, image.url, shown
        )
        if image_id is None:
            return 0
        caption = t("image_caption", ctx.lang, prompt=shown[:_MAX_CAPTION_PROMPT]) if shown else ""
        buttons = inline_image_buttons(ctx.user_id, ctx.session_id, image_id, ctx.lang)
        try:
            try:
                await ctx.pacer.show_image(ctx.chat, image.url, caption, buttons)
            except OutboxError as exc:
                log.warning("an inline message could not show a generated image: %s", exc)
                link = t("inline_image_link", ctx.lang, caption=caption, url=image.url)
                await ctx.pacer.send_text(ctx.chat, link, buttons)
        except OutboxError as exc:
            log.warning("could not finish an inline message: %s", exc)
            return 0
        await self._store.mark_image_posted(image_id)
        return 1

    async def _claim(
        self, ctx: TurnContext, downloaded: Sequence[tuple[FoundImage, Path]], prompt: str
    ) -> list[tuple[int, FoundImage, Path]]:
        """Record the images about to be sent; one that someone else recorded is skipped."""
        ready = []
        for image, path in downloaded:
            recorded = ctx.image_prompt or image.prompt or prompt
            image_id = await self._store.remember_image(
                ctx.user_id, ctx.session_id, media_key(image.url), image.url, recorded
            )
            if image_id is not None:
                ready.append((image_id, image, path))
        return ready

    async def _send(
        self, ctx: TurnContext, ready: Sequence[tuple[int, FoundImage, Path]], prompt: str
    ) -> None:
        shown = ctx.image_prompt or ready[0][1].prompt or prompt
        caption = t("image_caption", ctx.lang, prompt=shown[:_MAX_CAPTION_PROMPT]) if shown else ""
        buttons = self.buttons(ctx, [image_id for image_id, _, _ in ready])
        paths = [path for _, _, path in ready]
        if len(paths) == 1 or ctx.pacer.limits(ctx.chat).album_buttons:
            await ctx.pacer.send_images(ctx.chat, paths, caption, buttons)
            return
        await ctx.pacer.send_images(ctx.chat, paths, caption)
        await ctx.pacer.send_text(ctx.chat, t("image_actions", ctx.lang), buttons)

    @staticmethod
    def buttons(ctx: TurnContext, image_ids: Sequence[int]) -> Keyboard:
        """🔁 Again and ✨ Variation for each image (numbered when there are several)."""
        rows: list[tuple[Button, ...]] = []
        many = len(image_ids) > 1
        for number, image_id in enumerate(image_ids[:_MAX_BUTTON_ROWS], 1):
            again = t("btn_again_n", ctx.lang, n=number) if many else t("btn_again", ctx.lang)
            vary = (
                t("btn_variation_n", ctx.lang, n=number) if many else t("btn_variation", ctx.lang)
            )
            rows.append(
                (
                    Button(again, codec.encode("again", ctx.user_id, ctx.session_id, image_id)),
                    Button(vary, codec.encode("variation", ctx.user_id, ctx.session_id, image_id)),
                )
            )
        return tuple(rows)


def _suffix(url: str) -> str:
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
    return suffix if suffix in _IMAGE_SUFFIXES else ".png"
