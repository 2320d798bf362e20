"""The Bot API emulator, driven by the real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import datetime as dtm
import io
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from PIL import Image
from telegram import Bot as PtbBot
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    ReplyParameters,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import Application, ApplicationBuilder, CommandHandler, ContextTypes

from tests.telegram.emulator import (
    SECRET_HEADER,
    ApiError,
    BotApiEmulator,
    EmulatorOptions,
    parse_formatted,
    running_emulator,
)

USER = 1001
GROUP = -100777


def make_bot(emu: BotApiEmulator, token: str | None = None) -> PtbBot:
    """A real PTB Bot pointed at the emulator."""
    return PtbBot(
        token or emu.token,
        base_url=f"{emu.url}/bot",
        base_file_url=f"{emu.url}/file/bot",
    )


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with running_emulator() as emulator:
        emulator.private_chat(USER, first_name="Alice")
        emulator.group_chat(GROUP, title="Team")
        yield emulator


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[PtbBot]:
    async with make_bot(emu) as client:
        yield client


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d) for d in data]])


def last_description(emu: BotApiEmulator) -> str | None:
    return emu.calls[-1].description


# --- parsing, straight against the parsers -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "mode", "plain", "entities"),
    [
        ("😀<b>é</b>", "HTML", "😀é", [{"type": "bold", "offset": 2, "length": 1}]),
        ("&#x1F600;&amp;&quot;", "HTML", '😀&"', []),
        (
            '<pre><code class="language-py">x</code></pre>',
            "HTML",
            "x",
            [{"type": "pre", "offset": 0, "length": 1, "language": "py"}],
        ),
        (
            "*b* \\. ||s||",
            "MarkdownV2",
            "b . s",
            [
                {"type": "bold", "offset": 0, "length": 1},
                {"type": "spoiler", "offset": 4, "length": 1},
            ],
        ),
        (
            "[t](https://e.org)",
            "Markdown",
            "t",
            [{"type": "text_link", "offset": 0, "length": 1, "url": "https://e.org/"}],
        ),
        ("  <i>x</i>  ", "HTML", "x", [{"type": "italic", "offset": 0, "length": 1}]),
    ],
)
def test_parsers_produce_plain_text_and_utf16_entities(
    text: str, mode: str, plain: str, entities: list[dict[str, Any]]
) -> None:
    assert parse_formatted(text, mode, None) == (plain, entities)


def test_html_ampersand_strictness_is_configurable() -> None:
    with pytest.raises(ApiError, match="can't parse entities"):
        parse_formatted("Tom & Jerry", "HTML", None)
    # tdlib itself keeps a bare "&" literally.
    assert parse_formatted("Tom & Jerry", "HTML", None, strict_ampersand=False) == (
        "Tom & Jerry",
        [],
    )


def test_command_and_mention_entities_use_utf16_offsets(emu: BotApiEmulator) -> None:
    assert emu.command_entities("/start@nemo_test_bot go") == [
        {"type": "bot_command", "offset": 0, "length": 20}
    ]
    assert emu.command_entities("hi /start") == []
    assert emu.mention_entities("😀 @nemo_test_bot, @Nemo_Test_Bot") == [
        {"type": "mention", "offset": 3, "length": 14},
        {"type": "mention", "offset": 19, "length": 14},
    ]


# --- identity and routing ---------------------------------------------------------------


async def test_get_me_and_token_checks(emu: BotApiEmulator, bot: PtbBot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456789, "nemo_test_bot", True)
    assert me.can_read_all_group_messages is False
    assert me.can_join_groups is True

    with pytest.raises(InvalidToken):
        async with make_bot(emu, "123456789:AAThisIsAWellFormedButWrongTokenXYZ"):
            pass
    assert emu.calls[-1].status == 401
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("noSuchMethod")
    assert emu.calls[-1].status == 404
    assert emu.token not in repr(emu.calls)


async def test_json_and_form_bodies_decode_json_fields(emu: BotApiEmulator) -> None:
    url = f"{emu.url}/bot{emu.token}/sendMessage"
    markup = {"inline_keyboard": [[{"text": "go", "callback_data": "go"}]]}
    async with aiohttp.ClientSession() as http:
        async with http.post(
            url, json={"chat_id": USER, "text": "json", "reply_markup": markup}
        ) as response:
            assert response.status == 200
        form = {"chat_id": str(USER), "text": "form", "reply_markup": json.dumps(markup)}
        async with http.post(url, data=form) as response:
            assert (await response.json())["result"]["reply_markup"] == markup
        async with http.get(f"{emu.url}/bot{emu.token}/getMe") as response:
            assert (await response.json())["result"]["username"] == "nemo_test_bot"
    assert [m.reply_markup for m in emu.messages(USER)] == [markup, markup]


# --- delivery: long polling, offsets, conflicts, webhooks ---------------------------------


async def test_long_poll_answers_as_soon_as_an_update_is_queued(
    emu: BotApiEmulator, bot: PtbBot
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await emu.wait_for(lambda e: e.waiting_pollers == 1)
    emu.send_message(USER, USER, "hello")
    updates = await asyncio.wait_for(poll, 3)
    assert loop.time() - started < 3
    assert [u.message.text for u in updates] == ["hello"]
    assert updates[0].message.from_user.first_name == "Alice"


async def test_offset_confirms_and_unconfirmed_updates_are_redelivered(
    emu: BotApiEmulator, bot: PtbBot
) -> None:
    first = emu.send_message(USER, USER, "one")
    second = emu.send_message(USER, USER, "two")
    assert second["update_id"] > first["update_id"]
    assert second["message"]["message_id"] == first["message"]["message_id"] + 1

    crashed = await bot.get_updates()  # processed, but the next poll never confirms
    again = await bot.get_updates()
    assert [u.update_id for u in again] == [u.update_id for u in crashed]
    assert len(again) == 2

    assert await bot.get_updates(offset=second["update_id"] + 1) == ()
    assert emu.pending_updates() == 0

    for text in ("a", "b", "c"):
        emu.send_message(USER, USER, text)
    latest = await bot.get_updates(offset=-1)
    assert [u.message.text for u in latest] == ["c"]
    assert emu.pending_updates() == 1


async def test_overlapping_pollers_conflict(emu: BotApiEmulator, bot: PtbBot) -> None:
    older = asyncio.create_task(bot.get_updates(timeout=5))
    await emu.wait_for(lambda e: e.waiting_pollers == 1)
    async with make_bot(emu) as second_instance:
        assert await second_instance.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await asyncio.wait_for(older, 3)


@asynccontextmanager
async def webhook_receiver(statuses: list[int]) -> AsyncIterator[tuple[str, list[Any]]]:
    """A tiny bot-side webhook server answering the given statuses in turn."""
    received: list[Any] = []

    async def handle(request: web.Request) -> web.Response:
        received.append((request.headers.get(SECRET_HEADER), await request.json()))
        return web.Response(status=statuses[min(len(received), len(statuses)) - 1])

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}/hook", received
    finally:
        await runner.cleanup()


async def test_webhook_delivery_with_secret_and_retry(emu: BotApiEmulator, bot: PtbBot) -> None:
    async with webhook_receiver([500, 200]) as (url, received):
        assert await bot.set_webhook(url, secret_token="s3cret-token")
        update = emu.send_message(USER, USER, "via hook")
        await emu.wait_for(lambda e: (update["update_id"], 200) in e.webhook_attempts)
        assert emu.webhook_attempts == [(update["update_id"], 500), (update["update_id"], 200)]
        assert [secret for secret, _ in received] == ["s3cret-token", "s3cret-token"]
        assert Update.de_json(received[-1][1], bot).message.text == "via hook"

        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
        info = await bot.get_webhook_info()
        assert (info.url, info.pending_update_count) == (url, 0)
        assert (
            info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
        )

        assert await bot.delete_webhook()
        assert await bot.get_updates() == ()


# --- text limits, parse modes, keyboards -------------------------------------------------


async def test_html_length_is_counted_after_parsing(emu: BotApiEmulator, bot: PtbBot) -> None:
    sent = await bot.send_message(USER, "&lt;" * 4096, parse_mode="HTML")
    assert sent.text == "<" * 4096
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "&lt;" * 4097, parse_mode="HTML")
    # UTF-16 code units, not code points: 2049 emoji are 4098 units.
    await bot.send_message(USER, "😀" * 2048)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "😀" * 2049)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER, "<b> </b>", parse_mode="HTML")
    assert len(emu.messages(USER)) == 2


async def test_html_parse_errors(emu: BotApiEmulator, bot: PtbBot) -> None:
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(USER, "<b>bold</i>", parse_mode="HTML")
    assert last_description(emu) == (
        "Bad Request: can't parse entities: Unmatched end tag at byte offset 7, "
        'expected "</b>", found "</i>"'
    )
    with pytest.raises(BadRequest):
        await bot.send_message(USER, "x <foo>", parse_mode="HTML")
    assert last_description(emu) == (
        'Bad Request: can\'t parse entities: Unsupported start tag "foo" at byte offset 2'
    )
    with pytest.raises(BadRequest):
        await bot.send_message(USER, "a < b", parse_mode="HTML")
    with pytest.raises(BadRequest):
        await bot.send_message(USER, "<i>open", parse_mode="HTML")
    assert last_description(emu) == (
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"i\""
    )
    sent = await bot.send_message(
        USER,
        '<a href="https://example.org/x">link</a> <tg-spoiler>s</tg-spoiler>',
        parse_mode="HTML",
    )
    assert [(e.type, e.offset, e.length, e.url) for e in sent.entities] == [
        ("text_link", 0, 4, "https://example.org/x"),
        ("spoiler", 5, 1, None),
    ]
    assert emu.messages(USER)[-1].raw_text.startswith("<a href=")


async def test_markdown_v2_reserved_characters(emu: BotApiEmulator, bot: PtbBot) -> None:
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(USER, "Done. *Great*", parse_mode="MarkdownV2")
    assert last_description(emu) == (
        "Bad Request: can't parse entities: Character '.' is reserved and must be escaped "
        "with the preceding '\\'"
    )
    with pytest.raises(BadRequest):
        await bot.send_message(USER, "a _open", parse_mode="MarkdownV2")
    assert last_description(emu) == (
        "Bad Request: can't parse entities: Can't find end of Italic entity at byte offset 2"
    )
    sent = await bot.send_message(USER, "Done\\. *Great*", parse_mode="MarkdownV2")
    assert sent.text == "Done. Great"
    assert sent.entities[0].offset == 6


async def test_edits_not_modified_and_history(emu: BotApiEmulator, bot: PtbBot) -> None:
    sent = await bot.send_message(USER, "<b>hi</b>", parse_mode="HTML", reply_markup=keyboard("a"))
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "<b>hi</b>", USER, sent.message_id, parse_mode="HTML", reply_markup=keyboard("a")
        )
    # The same text without reply_markup is a change: it removes the keyboard.
    edited = await bot.edit_message_text("<b>hi</b>", USER, sent.message_id, parse_mode="HTML")
    assert edited.reply_markup is None
    await bot.edit_message_text("hello", USER, sent.message_id)
    stored = emu.messages(USER)[0]
    assert (stored.text, stored.edits, stored.edit_date is not None) == (
        "hello",
        ["hi", "hi"],
        True,
    )
    assert stored.history[0]["reply_markup"] == keyboard("a").to_dict()

    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", USER, 999)
    photo = await bot.send_photo(USER, png(8, 8))
    with pytest.raises(BadRequest, match="There is no text in the message to edit"):
        await bot.edit_message_text("x", USER, photo.message_id)
    captioned = await bot.edit_message_caption(USER, photo.message_id, caption="new")
    assert captioned.caption == "new"

    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(USER, 999)
    assert await bot.delete_message(USER, sent.message_id)
    assert emu.messages(USER)[0].deleted


async def test_inline_keyboard_limits(emu: BotApiEmulator, bot: PtbBot) -> None:
    await bot.send_message(USER, "ok", reply_markup=keyboard("é" * 32))  # 64 bytes
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(USER, "too long", reply_markup=keyboard("a" * 65))
    assert last_description(emu) == "Bad Request: BUTTON_DATA_INVALID"
    many = InlineKeyboardMarkup(
        [[InlineKeyboardButton(str(i), callback_data=str(i)) for i in range(101)]]
    )
    with pytest.raises(BadRequest, match="Reply markup is too long"):
        await bot.send_message(USER, "many", reply_markup=many)
    assert [m.text for m in emu.messages(USER)] == ["ok"]


async def test_replies_and_unknown_chats(emu: BotApiEmulator, bot: PtbBot) -> None:
    question = emu.send_message(USER, USER, "question")["message"]
    answer = await bot.send_message(
        USER, "answer", reply_parameters=ReplyParameters(question["message_id"])
    )
    assert answer.reply_to_message.text == "question"
    assert emu.messages(USER)[-1].reply_to_message_id == question["message_id"]
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(USER, "x", reply_to_message_id=999)
    lenient = await bot.send_message(
        USER, "x", reply_parameters=ReplyParameters(999, allow_sending_without_reply=True)
    )
    assert lenient.reply_to_message is None
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "nobody")


# --- media ------------------------------------------------------------------------------


async def test_caption_limit(emu: BotApiEmulator, bot: PtbBot) -> None:
    await bot.send_photo(USER, png(4, 4), caption="c" * 1024)
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(USER, png(4, 4), caption="c" * 1025)
    assert [len(m.caption or "") for m in emu.messages(USER)] == [1024]


async def test_send_photo_and_video_are_stored(emu: BotApiEmulator, bot: PtbBot) -> None:
    image = png(640, 480)
    sent = await bot.send_photo(USER, image, caption="<i>look</i>", parse_mode="HTML")
    sizes = [(p.width, p.height, p.file_size) for p in sent.photo]
    assert len(sizes) == 3
    assert sizes == sorted(sizes) and len(set(sizes)) == 3
    assert sizes[-1] == (640, 480, len(image))
    assert sent.caption == "look"
    stored = emu.messages(USER)[-1]
    assert (stored.kind, stored.file_bytes()) == ("photo", image)
    assert emu.calls[-1].params["photo"]["size"] == len(image)

    clip = b"\x00\x00\x00\x18ftypmp42" + bytes(200)
    video = await bot.send_video(
        USER,
        clip,
        filename="clip.mp4",
        width=640,
        height=360,
        duration=12,
        supports_streaming=True,
        thumbnail=png(320, 180),
    )
    assert (video.video.width, video.video.height) == (640, 360)
    assert emu.calls[-1].result["video"]["duration"] == 12
    assert video.video.thumbnail.width == 320
    assert video.video.file_name == "clip.mp4"
    stored = emu.messages(USER)[-1]
    assert (stored.kind, stored.supports_streaming, stored.has_thumbnail) == ("video", True, True)
    assert stored.file_bytes() == clip

    again = await bot.send_video(USER, video.video.file_id)
    assert again.video.file_id == video.video.file_id
    assert emu.messages(USER)[-1].file_bytes() == clip


async def test_send_media_group_of_three_photos(emu: BotApiEmulator, bot: PtbBot) -> None:
    images = [png(10 + i, 10) for i in range(3)]
    media = [InputMediaPhoto(img, caption=f"#{i}") for i, img in enumerate(images)]
    sent = await bot.send_media_group(USER, media)
    assert len({m.media_group_id for m in sent}) == 1 and sent[0].media_group_id
    ids = [m.message_id for m in sent]
    assert ids == list(range(ids[0], ids[0] + 3))
    stored = emu.messages(USER)
    assert [m.caption for m in stored] == ["#0", "#1", "#2"]
    assert [m.file_bytes() for m in stored] == images


async def test_upload_over_the_limit_is_413() -> None:
    async with running_emulator(EmulatorOptions(max_upload_bytes=1024)) as emu:
        emu.private_chat(USER)
        async with make_bot(emu) as bot:
            await bot.send_document(USER, bytes(1024), filename="fits.bin")
            with pytest.raises(NetworkError, match="Request Entity Too Large") as caught:
                await bot.send_document(USER, bytes(1025), filename="big.bin")
        assert not isinstance(caught.value, BadRequest)
        assert emu.calls[-1].status == 413
        assert [m.file.file_name for m in emu.messages(USER)] == ["fits.bin"]


async def test_get_file_download_and_size_limit(
    emu: BotApiEmulator, bot: PtbBot, tmp_path: Path
) -> None:
    small = emu.send_message(USER, USER, document=("notes.txt", "text/plain", b"hello file"))
    document = small["message"]["document"]
    assert (document["file_name"], document["file_size"]) == ("notes.txt", 10)
    file = await bot.get_file(document["file_id"])
    target = await file.download_to_drive(tmp_path / "notes.txt")
    assert target.read_bytes() == b"hello file"

    big = emu.send_message(USER, USER, document_size=25 * 1024 * 1024)
    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(big["message"]["document"]["file_id"])


async def test_local_mode_serves_big_files_from_disk(tmp_path: Path) -> None:
    async with running_emulator(EmulatorOptions(local_mode=True)) as emu:
        emu.private_chat(USER)
        big = emu.send_message(USER, USER, document_size=21 * 1024 * 1024)
        async with make_bot(emu) as bot:
            file = await bot.get_file(big["message"]["document"]["file_id"])
            assert Path(file.file_path).is_absolute()
            target = await file.download_to_drive(tmp_path / "big.bin")
        assert target.stat().st_size == 21 * 1024 * 1024
        assert emu.options.max_upload_bytes == 2000 * 1024 * 1024


# --- callbacks, drafts, commands ---------------------------------------------------------


async def test_answer_callback_query_once(emu: BotApiEmulator, bot: PtbBot) -> None:
    sent = await bot.send_message(USER, "pick", reply_markup=keyboard("yes", "no"))
    emu.press_button(USER, USER, sent.message_id, "yes")
    (update,) = await bot.get_updates()
    query = update.callback_query
    assert (query.data, query.message.message_id, query.from_user.id) == (
        "yes",
        sent.message_id,
        USER,
    )
    assert await bot.answer_callback_query(query.id, text="noted", show_alert=True)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query.id)
    answer = emu.callback_answers[0]
    assert (answer.text, answer.show_alert, answer.delay >= 0) == ("noted", True, True)
    with pytest.raises(ValueError, match="no button"):
        emu.press_button(USER, USER, sent.message_id, "maybe")


async def test_callback_query_expires() -> None:
    async with running_emulator(EmulatorOptions(callback_answer_timeout=0.0)) as emu:
        emu.private_chat(USER)
        async with make_bot(emu) as bot:
            sent = await bot.send_message(USER, "pick", reply_markup=keyboard("x"))
            query = emu.press_button(USER, USER, sent.message_id, "x")["callback_query"]
            with pytest.raises(BadRequest, match="Query is too old"):
                await bot.answer_callback_query(query["id"])
        assert emu.callback_answers == []


async def test_send_message_draft(emu: BotApiEmulator, bot: PtbBot) -> None:
    assert await bot.send_message_draft(USER, 7, "<b>Thinking</b>", parse_mode="HTML")
    assert await bot.send_message_draft(USER, 7, "Thinking more")
    assert emu.drafts(USER) == [(7, "Thinking"), (7, "Thinking more")]
    assert emu.messages(USER) == []
    with pytest.raises(BadRequest, match="Method is available only for private chats"):
        await bot.send_message_draft(GROUP, 7, "nope")
    assert emu.calls[-1].params["draft_id"] == "7"
    with pytest.raises(BadRequest, match=r"(?i)draft_id must be non-zero"):
        await bot.send_message_draft(USER, 0, "no id")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message_draft(USER, 7, "x" * 4097)
    assert await bot.send_message_draft(USER, 7, "😀" * 2048)  # 4096 UTF-16 units fit
    assert len(emu.drafts(USER)) == 3


async def test_a_draft_lapses_unless_sent_again(emu: BotApiEmulator, bot: PtbBot) -> None:
    """Drafts show for draft_ttl_seconds (30 s) after each send; the records say when."""
    assert await bot.send_message_draft(USER, 7, "Thinking")
    assert await bot.send_message_draft(USER, 7, "Thinking")
    first, second = emu.draft_records(USER)
    assert emu.draft_visible(USER, first.at) and emu.draft_visible(USER, second.at + 29.9)
    assert not emu.draft_visible(USER, second.at + 30.0)
    assert not emu.draft_visible(USER, first.at - 0.1)
    assert emu.draft_gaps(USER, until=second.at + 10) == []
    assert emu.draft_gaps(USER, until=second.at + 45) == [(second.at + 30, second.at + 45)]
    assert not emu.draft_visible(GROUP, second.at)


async def test_commands_per_language(emu: BotApiEmulator, bot: PtbBot) -> None:
    assert await bot.set_my_commands([BotCommand("start", "Start")])
    assert await bot.set_my_commands(
        [BotCommand("start", "开始"), BotCommand("help", "帮助")], language_code="zh"
    )
    chinese = await bot.get_my_commands(language_code="zh")
    assert [(c.command, c.description) for c in chinese] == [("start", "开始"), ("help", "帮助")]
    fallback = await bot.get_my_commands(language_code="fr")
    assert [c.description for c in fallback] == ["Start"]
    assert emu.commands == {"": [("start", "Start")], "zh": [("start", "开始"), ("help", "帮助")]}
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])


async def test_chat_actions_are_recorded_and_validated(emu: BotApiEmulator, bot: PtbBot) -> None:
    assert await bot.send_chat_action(USER, "typing")
    with pytest.raises(BadRequest, match="Wrong parameter action"):
        await bot.send_chat_action(USER, "dancing")
    assert [action for action, _ in emu.chat_actions(USER)] == ["typing"]


# --- flood control and fault injection ---------------------------------------------------


async def test_rate_rules_raise_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    options = EmulatorOptions(per_chat_interval=30.0, group_per_minute=2, retry_after=3)
    async with running_emulator(options) as emu:
        emu.private_chat(USER)
        emu.group_chat(GROUP)
        async with make_bot(emu) as bot:
            await bot.send_message(USER, "first")
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(USER, "second")
            assert caught.value.retry_after == dtm.timedelta(seconds=3)
            assert await bot.send_chat_action(USER, "typing")  # exempt
            assert await bot.send_message_draft(USER, 1, "drafts are exempt")

            await bot.send_message(GROUP, "g1")
            with pytest.raises(RetryAfter):
                await bot.send_media_group(GROUP, [InputMediaPhoto(png(2, 2))] * 2)
            await bot.send_message(GROUP, "g2")
            with pytest.raises(RetryAfter):
                await bot.send_message(GROUP, "g3")
        assert [(hit.method, hit.chat_id) for hit in emu.rate_limited] == [
            ("sendMessage", USER),
            ("sendMediaGroup", GROUP),
            ("sendMessage", GROUP),
        ]
        assert emu.calls_to("sendMessage")[1].description == "Too Many Requests: retry after 3"


async def test_the_bot_wide_rate_counts_every_chat() -> None:
    options = EmulatorOptions(bot_per_second=3, per_chat_interval=1.0, group_per_minute=20)
    async with running_emulator(options) as emu:
        users = [USER + n for n in range(4)]
        for user in users:
            emu.private_chat(user)
        emu.group_chat(GROUP)
        async with make_bot(emu) as bot:
            await bot.send_message(users[0], "one")
            await bot.send_media_group(GROUP, [InputMediaPhoto(png(2, 2))] * 2)  # two more
            with pytest.raises(RetryAfter):
                await bot.send_message(users[1], "a fourth in the same second")
            assert await bot.send_chat_action(users[2], "typing")  # exempt
        assert [(hit.chat_id, hit.rule) for hit in emu.rate_limited] == [(users[1], "bot")]


async def test_fail_next_injects_errors(
    emu: BotApiEmulator, bot: PtbBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    emu.fail_next("sendMessage", retry_after=5)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "a")
    assert caught.value.retry_after == dtm.timedelta(seconds=5)

    emu.fail_next(
        "sendMessage",
        times=2,
        error_code=400,
        description="Bad Request: can't parse entities: boom",
    )
    for _ in range(2):
        with pytest.raises(BadRequest, match="Can't parse entities: boom"):
            await bot.send_message(USER, "b")
    await bot.send_message(USER, "c")
    assert [m.text for m in emu.messages(USER)] == ["c"]


# --- the whole PTB stack ------------------------------------------------------------------


async def test_application_polls_and_replies(emu: BotApiEmulator) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"hi {update.effective_user.first_name}")

    app: Application = (
        ApplicationBuilder()
        .token(emu.token)
        .base_url(f"{emu.url}/bot")
        .base_file_url(f"{emu.url}/file/bot")
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=5)
        emu.send_message(USER, USER, "/start")
        reply = await emu.wait_for_message(USER, lambda m: m.text == "hi Alice")
        await app.updater.stop()
        await app.stop()
    assert reply.reply_to_message_id is None
    assert emu.pending_updates() == 0  # PTB's shutdown poll confirmed the update


async def test_wait_for_times_out_with_recent_calls(emu: BotApiEmulator, bot: PtbBot) -> None:
    await bot.send_message(USER, "only this")
    with pytest.raises(TimeoutError, match="sendMessage"):
        await emu.wait_for(lambda e: len(e.messages(USER)) > 1, timeout=0.05)


async def test_user_photo_has_three_sizes_and_is_downloadable(
    emu: BotApiEmulator, bot: PtbBot
) -> None:
    image = png(800, 600)
    update = emu.send_message(USER, USER, caption="pic", photo=image)
    sizes = update["message"]["photo"]
    assert [(s["width"], s["height"]) for s in sizes] == [(90, 68), (320, 240), (800, 600)]
    assert len({s["file_id"] for s in sizes}) == 3
    assert sizes[0]["file_size"] < sizes[1]["file_size"] < sizes[2]["file_size"] == len(image)
    assert update["message"]["caption"] == "pic"
    file = await bot.get_file(sizes[-1]["file_id"])
    assert bytes(await file.download_as_bytearray()) == image


async def test_button_press_carries_the_message_as_it_is_now(
    emu: BotApiEmulator, bot: PtbBot
) -> None:
    sent = await bot.send_message(USER, "v1", reply_markup=keyboard("go"))
    await bot.edit_message_text("v2", USER, sent.message_id, reply_markup=keyboard("go"))
    update = emu.press_button(USER, USER, sent.message_id, "go")
    assert update["callback_query"]["message"]["text"] == "v2"
    assert "edit_date" in update["callback_query"]["message"]


async def test_privacy_mode_filtering_is_opt_in() -> None:
    async with running_emulator(EmulatorOptions(enforce_privacy_mode=True)) as emu:
        emu.group_chat(GROUP)
        emu.send_message(GROUP, USER, "just chatting")
        emu.send_message(GROUP, USER, "/start@other_bot")
        emu.send_message(GROUP, USER, "/start@nemo_test_bot")
        emu.send_message(GROUP, USER, "hey @nemo_test_bot")
        async with make_bot(emu) as bot:
            updates = await bot.get_updates()
        assert [u.message.text for u in updates] == ["/start@nemo_test_bot", "hey @nemo_test_bot"]
        assert len(emu.user_messages(GROUP)) == 4
