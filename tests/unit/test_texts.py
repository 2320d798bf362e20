"""User-facing texts: complete in both languages, placeholders that fill."""

from __future__ import annotations

import string

import pytest

from bot.core import texts
from bot.core.texts import LANGUAGES, language_of, t

KEYS = sorted(texts._TEXTS)


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_languages() -> None:
    """English and Chinese."""
    assert LANGUAGES == ("en", "zh")


@pytest.mark.parametrize("key", KEYS)
def test_every_key_has_english_and_chinese(key: str) -> None:
    """Both texts exist and say something."""
    english, chinese = texts._TEXTS[key]
    assert english.strip()
    assert chinese.strip()


@pytest.mark.parametrize("key", KEYS)
def test_both_languages_use_the_same_placeholders(key: str) -> None:
    """A caller filling one language fills the other."""
    english, chinese = texts._TEXTS[key]
    assert _fields(english) == _fields(chinese)


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_t_fills_every_placeholder(key: str, lang: str) -> None:
    """Every template formats, and each value lands in the text."""
    template = texts._TEXTS[key][LANGUAGES.index(lang)]
    values = {name: f"<{name}>" for name in _fields(template)}
    result = t(key, lang, **values)
    assert "{" not in result.replace("{{", "")
    for value in values.values():
        assert value in result


def test_t_picks_the_language() -> None:
    """zh and its regional variants get Chinese; everything else gets English."""
    english, chinese = texts._TEXTS["btn_export"]
    assert t("btn_export", "en") == english
    assert t("btn_export", "zh") == chinese
    assert t("btn_export", "zh-CN") == chinese
    assert t("btn_export", "zh-hans") == chinese


@pytest.mark.parametrize("lang", ["fr", "de", "", "ja", "EN"])
def test_unknown_language_falls_back_to_english(lang: str) -> None:
    """Languages we do not speak get English."""
    assert t("welcome", lang) == texts._TEXTS["welcome"][0]


def test_t_defaults_to_english() -> None:
    """No language given means English."""
    assert t("help") == texts._TEXTS["help"][0]


def test_t_example() -> None:
    """A concrete fill in both languages."""
    assert t("queued", "en", position=3).startswith("⏳ Got it — you're #3 in line.")
    assert "第 3 位" in t("queued", "zh", position=3)


def test_unknown_key_raises() -> None:
    """A typo in a key is a bug, not a silent empty message."""
    with pytest.raises(KeyError):
        t("no_such_key")


@pytest.mark.parametrize(
    ("text", "fallback", "expected"),
    [
        ("hello", "en", "en"),
        ("generate a cat", "zh", "zh"),
        ("你好", "en", "zh"),
        ("生成一只猫 please", "en", "zh"),
        ("export 导出", "en", "zh"),
        ("", "en", "en"),
        ("12345 !?", "en", "en"),
        ("Привет", "en", "en"),
    ],
)
def test_language_of(text: str, fallback: str, expected: str) -> None:
    """Chinese characters mean zh; otherwise the fallback."""
    assert language_of(text, fallback) == expected


def test_language_of_default_fallback() -> None:
    """The default fallback is English."""
    assert language_of("bonjour") == "en"


def test_counts_read_as_people_write_them() -> None:
    """One file, two files, no "(s)"; Chinese has no plural to choose."""
    from bot.core.texts import t_count

    assert t_count("upload_done", "en", 1) == "📎 Added 1 file to your project."
    assert t_count("upload_done", "en", 3) == "📎 Added 3 files to your project."
    assert t_count("upload_done", "zh", 1) == "📎 已将 1 个文件加入项目。"
    assert t_count("change_images", "en", 1) == "1 new image"
    assert t_count("change_images", "en", 2) == "2 new images"
    assert t_count("cancelled", "en", 0) == "🛑 Stopped."
    assert t_count("cancelled", "en", 1) == "🛑 Stopped. 1 queued message dropped."
    assert not [english for english, _ in texts._TEXTS.values() if "(s)" in english]
