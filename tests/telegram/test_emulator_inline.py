"""The Bot API emulator's inline mode, driven by the real python-telegram-bot client."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web
from PIL import Image
from telegram import Bot as PtbBot
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultPhoto,
    InputMediaPhoto,
    InputTextMessageContent,
    Update,
)
from telegram.error import BadRequest, Forbidden

from tests.telegram.emulator import BotApiEmulator, EmulatorOptions, running_emulator

USER = 1001
STRANGER = 1002
GROUP = -100777


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    options = EmulatorOptions(inline_mode=True, inline_feedback=True, inline_answer_timeout=1.0)
    async with running_emulator(options) as emulator:
        emulator.private_chat(USER, first_name="Alice")
        emulator.group_chat(GROUP, title="Team")
        yield emulator


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[PtbBot]:
    bot = PtbBot(emu.token, base_url=f"{emu.url}/bot", base_file_url=f"{emu.url}/file/bot")
    async with bot:
        yield bot


@asynccontextmanager
async def image_server() -> AsyncIterator[str]:
    """A loopback server with one PNG at <url>/cat.png (what Telegram would fetch)."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(buffer, format="PNG")

    async def handle(request: web.Request) -> web.Response:
        return web.Response(body=buffer.getvalue(), content_type="image/png")

    app = web.Application()
    app.router.add_get("/cat.png", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


def article(result_id: str, text: str, *data: str) -> InlineQueryResultArticle:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d) for d in data]])
    return InlineQueryResultArticle(
        result_id, "Title", InputTextMessageContent(text), reply_markup=markup if data else None
    )


async def next_update(bot: PtbBot, offset: int = 0) -> Update:
    (update,) = await bot.get_updates(offset=offset, timeout=5)
    return update


async def test_a_query_is_answered_once_within_its_deadline(
    emu: BotApiEmulator, bot: PtbBot
) -> None:
    me = await bot.get_me()
    assert me.supports_inline_queries
    query_id = emu.inline_query(USER, "a cat")
    update = await next_update(bot)
    assert update.inline_query is not None and update.inline_query.query == "a cat"
    assert await bot.answer_inline_query(
        query_id, [article("a", "hello")], cache_time=5, is_personal=True
    )
    answer = emu.inline_answer(query_id)
    assert (answer.cache_time, answer.is_personal) == (5, True)
    assert answer.result("a")["input_message_content"]["message_text"] == "hello"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_inline_query(query_id, [article("a", "again")])


async def test_an_answer_after_the_deadline_is_refused(emu: BotApiEmulator, bot: PtbBot) -> None:
    query_id = emu.inline_query(USER, "late")
    emu.inline_queries[query_id].created -= 2.0  # the deadline (1 s here) has passed
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_inline_query(query_id, [article("a", "too late")])
    assert emu.inline_queries[query_id].answer is None


@pytest.mark.parametrize(
    ("results", "error"),
    [
        ([article("x" * 65, "long id")], "RESULT_ID_INVALID"),
        ([article("same", "1"), article("same", "2")], "RESULT_ID_DUPLICATE"),
        ([article(str(n), "many") for n in range(51)], "RESULTS_TOO_MUCH"),
        ([article("empty", "")], "message text is empty"),
        ([InlineQueryResultPhoto("p", "http://127.0.0.1:9/x.jpg", "")], "thumbnail_url"),
    ],
)
async def test_results_are_checked_as_documented(
    emu: BotApiEmulator, bot: PtbBot, results: list[object], error: str
) -> None:
    query_id = emu.inline_query(USER, "x")
    with pytest.raises(BadRequest, match=r"(?i)" + error):
        await bot.answer_inline_query(query_id, results)  # type: ignore[arg-type]
    assert emu.inline_queries[query_id].answer is None


async def test_a_result_with_a_keyboard_becomes_an_editable_inline_message(
    emu: BotApiEmulator, bot: PtbBot
) -> None:
    query_id = emu.inline_query(USER, "a cat")
    await bot.answer_inline_query(query_id, [article("a", "working…", "stop"), article("b", "hi")])
    plain = await emu.choose_inline_result(query_id, "b", GROUP)
    assert plain.inline_message_id is None and plain.message.text == "hi"
    assert (
        plain.update is not None and "inline_message_id" not in plain.update["chosen_inline_result"]
    )
    choice = await emu.choose_inline_result(query_id, "a", GROUP)
    assert choice.inline_message_id is not None and choice.update is not None
    chosen = choice.update["chosen_inline_result"]
    assert (chosen["result_id"], chosen["query"]) == ("a", "a cat")
    assert chosen["inline_message_id"] == choice.inline_message_id
    inline = choice.inline_message_id
    assert await bot.edit_message_text("done", inline_message_id=inline) is True
    assert choice.message.text == "done" and choice.message.reply_markup is None
    with pytest.raises(BadRequest, match=r"(?i)MESSAGE_ID_INVALID"):
        await bot.edit_message_text("nope", inline_message_id="AgAAAnot-a-message")


async def test_inline_media_takes_a_url_never_an_upload(emu: BotApiEmulator, bot: PtbBot) -> None:
    query_id = emu.inline_query(USER, "a cat")
    await bot.answer_inline_query(query_id, [article("a", "working…", "stop")])
    choice = await emu.choose_inline_result(query_id, "a", GROUP)
    inline = choice.inline_message_id
    assert inline is not None
    with pytest.raises(BadRequest, match=r"(?i)can.t be uploaded"):
        await bot.edit_message_media(InputMediaPhoto(b"\x89PNG"), inline_message_id=inline)
    async with image_server() as root:
        media = InputMediaPhoto(f"{root}/cat.png", caption="🖼 a cat")
        assert await bot.edit_message_media(media, inline_message_id=inline) is True
    message = choice.message
    assert (message.kind, message.caption, message.text) == ("photo", "🖼 a cat", None)
    assert message.media[-1]["width"] == 64
    with pytest.raises(BadRequest, match=r"(?i)no text in the message"):
        await bot.edit_message_text("text again", inline_message_id=inline)
    assert await bot.edit_message_caption(inline_message_id=inline, caption="new") is True
    assert message.caption == "new"


async def test_a_press_on_an_inline_message_names_it(emu: BotApiEmulator, bot: PtbBot) -> None:
    query_id = emu.inline_query(USER, "a cat")
    await bot.answer_inline_query(query_id, [article("a", "working…", "stop")])
    choice = await emu.choose_inline_result(query_id, "a", GROUP)
    assert choice.inline_message_id is not None
    emu.press_inline_button(choice.inline_message_id, STRANGER, "stop")
    updates = await bot.get_updates(timeout=5)
    press = updates[-1].callback_query
    assert press is not None and press.message is None
    assert (press.inline_message_id, press.data) == (choice.inline_message_id, "stop")
    assert press.from_user.id == STRANGER
    assert await bot.answer_callback_query(press.id, text="not yours")
    assert emu.callback_answers[-1].text == "not yours"


async def test_a_user_who_never_started_the_bot_cannot_be_written_to(
    emu: BotApiEmulator, bot: PtbBot
) -> None:
    emu.inline_query(STRANGER, "hello")  # known to Telegram, no private chat with the bot
    with pytest.raises(Forbidden, match=r"(?i)can.t initiate conversation"):
        await bot.send_message(STRANGER, "hi")
    emu.private_chat(STRANGER)  # they press Start
    assert (await bot.send_message(STRANGER, "hi")).text == "hi"


async def test_inline_mode_off_delivers_no_queries() -> None:
    async with running_emulator() as emu:
        with pytest.raises(ValueError, match="inline mode is off"):
            emu.inline_query(USER, "a cat")
