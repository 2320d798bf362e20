"""Serialized messages survive the durable inbox unchanged."""

from __future__ import annotations

import json

from bot.core.messages import Attachment, ChatRef, IncomingMessage, User


def _message(**overrides: object) -> IncomingMessage:
    fields: dict[str, object] = {
        "update_id": "telegram:42",
        "user": User("telegram", "1001", "Zoë 张伟", "zh-hans"),
        "chat": ChatRef("telegram", "-100123", "7", private=False),
        "text": "生成一张猫的图片 🐱 — “quoted”",
        "attachments": (
            Attachment("image", "猫.png", "file-ref-1", 2048, "image/png"),
            Attachment("audio", "song.mp3", "file-ref-2"),
        ),
        "message_id": "555",
    }
    fields.update(overrides)
    return IncomingMessage(**fields)  # type: ignore[arg-type]


def test_incoming_message_round_trip() -> None:
    """from_json(to_json(m)) == m, attachments and unicode included."""
    message = _message()
    assert IncomingMessage.from_json(message.to_json()) == message


def test_incoming_message_minimal_round_trip() -> None:
    """Defaults survive too."""
    message = IncomingMessage("console:1", User("console", "me"), ChatRef("console", "me"))
    restored = IncomingMessage.from_json(message.to_json())
    assert restored == message
    assert restored.attachments == ()
    assert restored.message_id is None


def test_attachments_come_back_as_a_tuple_of_attachments() -> None:
    """The inbox gives back the same types, not dicts and lists."""
    restored = IncomingMessage.from_json(_message().to_json())
    assert isinstance(restored.attachments, tuple)
    assert all(isinstance(a, Attachment) for a in restored.attachments)
    assert isinstance(restored.user, User)
    assert isinstance(restored.chat, ChatRef)


def test_the_answer_context_survives_the_inbox() -> None:
    """What the answer needs (reply-to, interaction handle, expiry, album) is kept."""
    chat = ChatRef(
        "discord",
        "123",
        private=False,
        reply_to="555",
        interaction="app:tok",
        interaction_expires=1_700_000_900.5,
        mention="77",
    )
    message = _message(chat=chat, group="album-9")
    restored = IncomingMessage.from_json(message.to_json())
    assert restored == message
    assert restored.chat.reply_to == "555" and restored.chat.interaction_expires == 1_700_000_900.5
    assert restored.group == "album-9"


def test_rows_of_other_versions_still_load() -> None:
    """Unknown fields (a newer writer) are ignored; missing ones get their defaults."""
    data = json.loads(_message().to_json())
    data["chat"]["future_field"] = 1
    data.pop("group")
    assert IncomingMessage.from_json(json.dumps(data)) == _message()


def test_the_chat_key_ignores_what_the_answer_hangs_on() -> None:
    """Pacing is per chat: two replies in one chat share a key."""
    a = ChatRef("telegram", "-1", "5", private=False, reply_to="1")
    b = ChatRef("telegram", "-1", "5", private=False, reply_to="2")
    assert a.key == b.key


def test_chat_ref_round_trip() -> None:
    """Chats with and without a thread, private or not."""
    for chat in (
        ChatRef("telegram", "42"),
        ChatRef("discord", "123456789012345678", "987654321098765432", private=False),
        ChatRef("console", "本地"),
    ):
        assert ChatRef.from_json(chat.to_json()) == chat


def test_chat_ref_json_is_stable() -> None:
    """Equal chats serialize to the same string (it is used as a stored key)."""
    a = ChatRef("telegram", "42", "1", private=False)
    b = ChatRef(private=False, thread_id="1", chat_id="42", platform="telegram")
    assert a.to_json() == b.to_json()


def test_an_inline_message_round_trips_and_is_a_chat_of_its_own() -> None:
    """A chosen inline result survives the inbox; pacing keys it apart from the user's
    private chat, where what it cannot hold goes."""
    chat = ChatRef("telegram", "1001", private=False, inline="AgAAAx-1")
    message = _message(chat=chat, text="a cat", chosen=True)
    restored = IncomingMessage.from_json(message.to_json())
    assert restored == message and restored.chosen and restored.chat.inline == "AgAAAx-1"
    assert chat.key == ("telegram", "inline:AgAAAx-1", None)
    assert chat.private_chat() == ChatRef("telegram", "1001")
    assert chat.private_chat().key != chat.key


def test_rows_written_before_inline_mode_still_read() -> None:
    """An inbox row without `chosen` or `inline` (an older version's) reads as before."""
    data = json.loads(_message().to_json())
    del data["chosen"], data["chat"]["inline"]
    restored = IncomingMessage.from_json(json.dumps(data))
    assert restored == _message() and not restored.chosen and restored.chat.inline is None
