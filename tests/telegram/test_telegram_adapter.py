"""The Telegram adapter end to end: real PTB against the Bot API emulator and the sandbox."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import httpx
import pytest
from PIL import Image

from adapters.tg.outbox import TelegramOutbox
from adapters.tg.receiving import SECRET_HEADER, webhook_secret
from bot.core.messages import ChatRef
from bot.core.root_router import build_registry
from bot.logs import RedactingFilter
from sandbox import RunningSandbox
from tests.engine.harness import fast_sandbox
from tests.extra_command import STYLE_EN, STYLE_ZH, with_style
from tests.telegram.emulator import BotApiEmulator, EmulatorOptions, running_emulator
from tests.telegram.emulator.models import BotMessage
from tests.telegram.harness import telegram_bot

ALICE = 1001
BOB = 1002
GROUP = -100555


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with fast_sandbox() as running:
        yield running


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with running_emulator() as emulator:
        emulator.private_chat(ALICE, first_name="Alice")
        emulator.private_chat(BOB, first_name="Bob", language_code="zh-hans")
        emulator.group_chat(GROUP, title="Studio")
        yield emulator


def _photo(colour: str = "teal") -> bytes:
    """A photo as Telegram stores it: re-encoded as JPEG."""
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def _button(message: BotMessage, label: str) -> str:
    return next(b["callback_data"] for b in message.buttons if b["text"].startswith(label))


async def test_private_chat_from_start_to_the_mp4(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox):
        emu.send_message(ALICE, ALICE, "/start")
        await emu.wait_for_message(ALICE, lambda m: (m.text or "").startswith("👋 Hi!"))
        emu.send_message(ALICE, ALICE, "generate an image of a lighthouse at dusk")
        photo = await emu.wait_for_message(ALICE, lambda m: m.kind == "photo", timeout=20)
        assert "lighthouse" in (photo.caption or "")
        assert [b["text"] for b in photo.buttons] == ["🔁 Again", "✨ Variation"]
        assert emu.drafts(ALICE), "the answer streamed as a native draft"
        answer = await emu.wait_for_message(ALICE, lambda m: "lighthouse" in (m.text or ""))
        assert answer.buttons and answer.reply_to_message_id is None  # no replies in private
        emu.send_message(ALICE, ALICE, "export")
        video = await emu.wait_for_message(ALICE, lambda m: m.kind == "video", timeout=60)
        assert (video.width, video.height) == (1920, 1080)
        assert video.duration and video.duration >= 1
        assert video.supports_streaming and video.has_thumbnail
        assert video.file_bytes()[4:8] == b"ftyp"  # an MP4
        assert [b["text"] for b in video.buttons] == ["🌐 Open in editor"]
        actions = {action for action, _ in emu.chat_actions(ALICE)}
        assert {"typing", "upload_photo", "upload_video"} <= actions


async def test_groups_only_see_what_is_addressed_to_the_bot(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox):
        emu.send_message(GROUP, ALICE, "generate an image of a cat, says nobody to the bot")
        emu.send_message(GROUP, ALICE, '@nemo_test_bot add a title "Team photo"')
        answer = await emu.wait_for_message(GROUP, lambda m: "Team photo" in (m.body or ""))
        mention = emu.user_messages(GROUP)[1]
        assert answer.reply_to_message_id == mention.message_id
        assert sandbox.sandbox.sse_calls == 1  # the unaddressed message never reached the agent
        emu.send_message(GROUP, BOB, 'add a title "Reply"', reply_to_message_id=answer.message_id)
        await emu.wait_for_message(GROUP, lambda m: "Reply" in (m.body or ""))
        emu.send_message(GROUP, ALICE, "/credits@nemo_test_bot")
        await emu.wait_for_message(GROUP, lambda m: (m.text or "").startswith("💳 Credits"))
        emu.send_message(GROUP, ALICE, "/credits@some_other_bot")
        emu.send_message(GROUP, ALICE, "/help@nemo_test_bot")
        await emu.wait_for_message(GROUP, lambda m: (m.text or "").startswith("What I understand"))
        credits = [m for m in emu.messages(GROUP) if (m.text or "").startswith("💳")]
        assert len(credits) == 1
        assert not emu.drafts(GROUP)  # drafts are for private chats only


async def test_a_photo_with_a_caption_is_uploaded_and_used(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox):
        emu.send_message(ALICE, ALICE, photo=_photo(), caption='add a title "Holiday"')
        await emu.wait_for_message(ALICE, lambda m: (m.text or "").startswith("📎 Added 1 file"))
        await emu.wait_for_message(ALICE, lambda m: "Holiday" in (m.text or ""))
        uploads = [p for m, p, _ in sandbox.sandbox.requests if p.startswith("/api/upload-video")]
        assert len(uploads) == 1
        assert emu.calls_to("getFile")


async def test_an_album_is_one_turn(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox):
        for n, colour in enumerate(("red", "green", "blue")):
            caption = 'add a title "Trip"' if n == 0 else None
            emu.send_message(
                ALICE, ALICE, photo=_photo(colour), caption=caption, media_group_id="a1"
            )
        await emu.wait_for_message(ALICE, lambda m: (m.text or "").startswith("📎 Added 3 file"))
        await emu.wait_for_message(ALICE, lambda m: "Trip" in (m.text or ""))
        assert sandbox.sandbox.sse_calls == 1
        assert not any("in line" in (m.text or "") for m in emu.messages(ALICE))


async def test_a_25_mb_file_is_refused_with_the_self_hosted_hint(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox):
        emu.send_message(
            ALICE, ALICE, document=("clip.mp4", "video/mp4", b""), document_size=25 * 2**20
        )
        refusal = await emu.wait_for_message(ALICE, lambda m: "25.0 MB" in (m.text or ""))
        assert "up to 20 MB" in (refusal.text or "")
        assert "self-hosted Telegram Bot API server" in (refusal.text or "")
        assert not emu.downloads  # nothing was fetched


async def test_buttons_are_answered_at_once_and_work_after_a_restart(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox):
        emu.send_message(ALICE, ALICE, "generate an image of a red kite")
        answer = await emu.wait_for_message(ALICE, lambda m: bool(m.buttons) and m.kind == "text")
        data = _button(answer, "Credits")
        assert len(data.encode()) <= 64
        emu.press_button(ALICE, ALICE, answer.message_id, data)
        await emu.wait_for_message(ALICE, lambda m: (m.text or "").startswith("💳 Credits"))
        assert emu.callback_answers and emu.callback_answers[0].delay < 3.0
    async with telegram_bot(tmp_path, emu, sandbox):  # a new process, same database
        emu.press_button(ALICE, ALICE, answer.message_id, _button(answer, "Status"))
        status = await emu.wait_for_message(
            ALICE, lambda m: m.kind == "photo" and (m.caption or "").startswith("Timeline")
        )
        assert "red kite" in (status.caption or "")
        assert len(emu.callback_answers) == 2


async def test_someone_elses_button_in_a_group(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox):
        emu.send_message(GROUP, ALICE, "@nemo_test_bot generate an image of a canoe")
        answer = await emu.wait_for_message(GROUP, lambda m: bool(m.buttons) and m.kind == "text")
        await emu.wait_for_message(GROUP, lambda m: m.kind == "photo")  # Alice's turn is over
        shown = len(emu.messages(GROUP))
        emu.press_button(GROUP, BOB, answer.message_id, _button(answer, "Export"))
        await emu.wait_for(lambda e: bool(e.calls_to("answerCallbackQuery")))
        (toast,) = emu.calls_to("answerCallbackQuery")  # Bob writes Chinese (zh-hans)
        assert "属于别人的项目" in toast.params["text"]
        assert len(emu.messages(GROUP)) == shown  # a toast for Bob, nothing in the group
        assert sandbox.sandbox.render_submissions == {}


async def test_a_long_reply_full_of_markup_is_split_and_all_delivered(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    lines = [f"Line {n}: <b>not a tag</b> & **bold** 5 > 3, `code` {'x' * 40}" for n in range(100)]
    long_text = "\n".join(lines)
    assert len(long_text) > 6000
    sandbox.sandbox.faults.reply_text_once = long_text
    async with telegram_bot(tmp_path, emu, sandbox):
        emu.send_message(ALICE, ALICE, "tell me a long story")
        await emu.wait_for_message(ALICE, lambda m: "Line 99" in (m.text or ""), timeout=20)
        texts = [m.text or "" for m in emu.messages(ALICE) if m.kind == "text" and not m.deleted]
        shown = "\n".join(texts)
        for n in (0, 42, 99):
            assert f"Line {n}: <b>not a tag</b> & bold 5 > 3, code" in shown
        assert all(len(t) <= 4096 for t in texts) and len(texts) >= 2
        assert not [c for c in emu.calls if c.status >= 400 and c.method != "getUpdates"]


async def test_edits_meeting_429_keep_the_final_text(
    tmp_path: Path, sandbox: RunningSandbox
) -> None:
    options = EmulatorOptions(group_per_minute=6, retry_after=1)
    async with running_emulator(options) as emu:
        emu.private_chat(ALICE)
        emu.group_chat(GROUP)
        sandbox.sandbox.options.chunk_delay_seconds = 0.05
        async with telegram_bot(tmp_path, emu, sandbox):
            emu.fail_next("editMessageText", times=2, retry_after=1)
            emu.send_message(GROUP, ALICE, "@nemo_test_bot what can you do for me?")
            final = await emu.wait_for_message(
                GROUP, lambda m: bool(m.buttons) and m.kind == "text", timeout=30
            )
            assert "generate images" in (final.text or "")
            assert final.edits or emu.rate_limited  # it went through edits meeting 429s


async def test_a_redelivered_update_is_processed_once_even_across_a_restart(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox):
        update = emu.send_message(ALICE, ALICE, 'add a title "Once"')
        await emu.wait_for_message(ALICE, lambda m: "Once" in (m.text or ""))
        emu.deliver(update)
        emu.send_message(ALICE, ALICE, "/help")
        await emu.wait_for_message(ALICE, lambda m: (m.text or "").startswith("What I understand"))
    async with telegram_bot(tmp_path, emu, sandbox):
        emu.deliver(update)
        emu.send_message(ALICE, ALICE, "/credits")
        await emu.wait_for_message(ALICE, lambda m: (m.text or "").startswith("💳"))
    assert sandbox.sandbox.sse_calls == 1


async def test_commands_are_published_in_english_and_chinese(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox):
        await emu.wait_for(lambda e: "zh" in e.commands)
        listed = [(spec.name, spec.description("en")) for spec in build_registry().menu]
        assert emu.commands[""] == listed  # the registry's commands, in its order
        chinese = dict(emu.commands["zh"])
        assert list(chinese) == [name for name, _ in listed]
        assert chinese["export"] == "把项目渲染成 1080p MP4"
        emu.send_message(BOB, BOB, "/start")
        await emu.wait_for_message(BOB, lambda m: (m.text or "").startswith("👋 你好"))


async def test_a_new_command_is_on_the_menu_in_help_and_answered(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/style, added as one handler and one line of strings, reaches every place."""
    async with telegram_bot(tmp_path, emu, sandbox, registry=with_style(monkeypatch)):
        await emu.wait_for(lambda e: "zh" in e.commands)
        assert ("style", STYLE_EN) in emu.commands[""]
        assert ("style", STYLE_ZH) in emu.commands["zh"]
        emu.send_message(ALICE, ALICE, "/help")
        await emu.wait_for_message(ALICE, lambda m: f"• /style — {STYLE_EN}" in (m.text or ""))
        emu.send_message(ALICE, ALICE, "/style watercolour")
        await emu.wait_for_message(ALICE, lambda m: m.text == "style: watercolour")


async def test_login_is_private_only_and_its_message_is_deleted(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox):
        emu.send_message(GROUP, ALICE, "/login@nemo_test_bot nmv_usr_secret_in_a_group")
        await emu.wait_for_message(GROUP, lambda m: "private chat" in (m.text or ""))
        leaked = emu.user_messages(GROUP)[-1]
        assert leaked.deleted
        everything = " ".join(m.text or "" for m in emu.messages(GROUP))
        assert "nmv_usr_secret" not in everything


async def test_only_allowed_users_are_served(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox, NEMOBOT_ALLOWED_USERS=f"telegram:{ALICE}"):
        emu.send_message(BOB, BOB, "generate an image of a dragon")
        await emu.wait_for_message(BOB, lambda m: "私有机器人" in (m.text or ""))
        emu.send_message(ALICE, ALICE, "/credits")
        await emu.wait_for_message(ALICE, lambda m: (m.text or "").startswith("💳"))
        assert sandbox.sandbox.sse_calls == 0


async def test_webhook_mode_stores_before_answering_200(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox, unused_tcp_port: int
) -> None:
    url = f"http://127.0.0.1:{unused_tcp_port}/telegram/hook"
    env = {"TELEGRAM_WEBHOOK_URL": url, "TELEGRAM_WEBHOOK_LISTEN": f"127.0.0.1:{unused_tcp_port}"}
    async with telegram_bot(tmp_path, emu, sandbox, ready="setWebhook", **env) as bot:
        emu.send_message(ALICE, ALICE, "/credits")
        await emu.wait_for_message(ALICE, lambda m: (m.text or "").startswith("💳"))
        assert emu.webhook_attempts and all(status == 200 for _, status in emu.webhook_attempts)
        assert bot.settings.telegram_webhook_secret is None  # derived from the token
        async with (
            aiohttp.ClientSession() as http,
            http.post(url, json={"update_id": 1}) as response,
        ):
            assert response.status == 401  # no secret, no entry
        assert not emu.calls_to("getUpdates")


async def test_the_webhook_answers_while_the_serving_loop_is_held(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox, unused_tcp_port: int
) -> None:
    """Acceptance runs on its own loop and connections (`bot.core.acceptance`): a serving
    loop held by a crowd's turns does not hold Telegram's webhook call; the message is
    stored, and served once the loop runs again."""
    url = f"http://127.0.0.1:{unused_tcp_port}/telegram/hook"
    env = {"TELEGRAM_WEBHOOK_URL": url, "TELEGRAM_WEBHOOK_LISTEN": f"127.0.0.1:{unused_tcp_port}"}
    async with telegram_bot(tmp_path, emu, sandbox, ready="setWebhook", **env):
        headers = {SECRET_HEADER: webhook_secret(emu.token, None)}
        answered = threading.Event()
        statuses: list[int] = []

        def telegram_calls() -> None:
            reply = httpx.post(url, json=_credits_update(90001), headers=headers, timeout=10)
            statuses.append(reply.status_code)
            answered.set()

        caller = threading.Thread(target=telegram_calls)
        caller.start()
        held = answered.wait(timeout=15)  # blocks the serving loop (this test's) meanwhile
        caller.join()
        assert held and statuses == [200]
        await emu.wait_for_message(ALICE, lambda m: (m.text or "").startswith("💳"))


def _credits_update(update_id: int) -> dict[str, object]:
    """Alice's "/credits" as Telegram sends it to a webhook."""
    person = {"id": ALICE, "is_bot": False, "first_name": "Alice"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 7001,
            "date": int(time.time()),
            "chat": {"id": ALICE, "type": "private", "first_name": "Alice"},
            "from": person,
            "text": "/credits",
            "entities": [{"type": "bot_command", "offset": 0, "length": 8}],
        },
    }


async def test_the_bot_token_is_masked_in_logs_and_never_handed_on(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """PTB logs its URLs (with the token) at DEBUG: the bot's log filter masks them."""
    caplog.handler.addFilter(RedactingFilter([emu.token]))
    caplog.set_level("DEBUG")
    async with telegram_bot(tmp_path, emu, sandbox):
        emu.send_message(ALICE, ALICE, photo=_photo(), caption="")
        await emu.wait_for_message(ALICE, lambda m: (m.text or "").startswith("📎 Added 1 file"))
    secret_part = emu.token.split(":", 1)[1]
    assert "[redacted]" in caplog.text
    assert secret_part not in caplog.text
    sent_on = [str(h) for _, p, h in sandbox.sandbox.requests]
    assert sent_on and all(secret_part not in h for h in sent_on)


async def test_text_telegram_cannot_parse_is_sent_again_plain(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox):
        emu.fail_next(
            "sendMessage",
            error_code=400,
            description='Bad Request: can\'t parse entities: Unsupported start tag "x"',
        )
        emu.send_message(ALICE, ALICE, "/help")
        helped = await emu.wait_for_message(ALICE, lambda m: "What I understand" in (m.text or ""))
        assert helped.parse_mode is None  # the retry went out as plain text


async def test_several_images_come_as_one_album_with_their_buttons_below(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox):
        emu.send_message(ALICE, ALICE, "generate 3 images of a lantern festival")
        below = await emu.wait_for_message(ALICE, lambda m: "Want another take?" in (m.text or ""))
        photos = [m for m in emu.messages(ALICE) if m.kind == "photo"]
        assert len(photos) == 3 and len({m.media_group_id for m in photos}) == 1
        assert [b["text"] for b in below.buttons][:2] == ["🔁 Again #1", "✨ Variation #1"]


async def test_a_local_bot_api_server_lifts_the_download_limit(
    tmp_path: Path, sandbox: RunningSandbox
) -> None:
    async with running_emulator(EmulatorOptions(local_mode=True)) as emu:
        emu.private_chat(ALICE)
        async with telegram_bot(tmp_path, emu, sandbox, TELEGRAM_LOCAL_MODE="1"):
            emu.send_message(ALICE, ALICE, photo=_photo(), caption="")
            await emu.wait_for_message(ALICE, lambda m: (m.text or "").startswith("📎 Added 1"))
            bot_limits = TelegramOutbox(None, local_mode=True).limits(ChatRef("telegram", "1"))  # type: ignore[arg-type]
            assert bot_limits.max_download is None and bot_limits.max_upload == 2000 * 2**20
