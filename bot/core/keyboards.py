"""The buttons the bot puts under its messages, encoded with `bot.core.codec`."""

from __future__ import annotations

from bot.core import codec
from bot.core.outbox import Button, Keyboard
from bot.core.texts import t

__all__ = [
    "answer_buttons",
    "button",
    "cancel_buttons",
    "delivered_buttons",
    "inline_answer_buttons",
    "inline_image_buttons",
    "resend_buttons",
    "retry_buttons",
    "send_again_buttons",
]


def button(action: str, label_key: str, user_id: int, session_id: str, lang: str) -> Button:
    """One button for `action` on this user's session."""
    return Button(t(label_key, lang), codec.encode(action, user_id, session_id))


def answer_buttons(user_id: int, session_id: str, lang: str) -> Keyboard:
    """Under an answer: Export · Status / Credits · New session."""
    return (
        (
            button("export", "btn_export", user_id, session_id, lang),
            button("status", "btn_status", user_id, session_id, lang),
        ),
        (
            button("credits", "btn_credits", user_id, session_id, lang),
            button("new", "btn_new", user_id, session_id, lang),
        ),
    )


def retry_buttons(user_id: int, session_id: str, lang: str) -> Keyboard:
    """Under a failed render."""
    return ((button("retry", "btn_retry", user_id, session_id, lang),),)


def resend_buttons(user_id: int, session_id: str, lang: str) -> Keyboard:
    """Under a video that may not have arrived."""
    return ((button("resend", "btn_resend", user_id, session_id, lang),),)


def delivered_buttons(user_id: int, session_id: str, lang: str) -> Keyboard:
    """Under a delivered video: keep refining it in the web editor."""
    return ((button("web", "btn_web", user_id, session_id, lang),),)


def send_again_buttons(user_id: int, item_id: int, lang: str) -> Keyboard:
    """Under the report of a message that may or may not have reached the agent."""
    payload = codec.encode("sendagain", user_id, "", ref=item_id)
    return ((Button(t("btn_send_again", lang), payload),),)


def cancel_buttons(user_id: int, lang: str) -> Keyboard:
    """Under an inline message while its turn runs (and under the result that posts it)."""
    return ((button("cancel", "btn_cancel", user_id, "", lang),),)


def inline_answer_buttons(user_id: int, session_id: str, lang: str) -> Keyboard:
    """Under an inline message's text answer: only what makes sense where others read it."""
    return ((button("export", "btn_export", user_id, session_id, lang),),)


def inline_image_buttons(user_id: int, session_id: str, image_id: int, lang: str) -> Keyboard:
    """Under an image in an inline message: 🔁 Again · ✨ Variation, then Export."""
    return (
        (
            Button(t("btn_again", lang), codec.encode("again", user_id, session_id, image_id)),
            Button(
                t("btn_variation", lang), codec.encode("variation", user_id, session_id, image_id)
            ),
        ),
        inline_answer_buttons(user_id, session_id, lang)[0],
    )
