"""What a refused file really is, in words, from the type its first bytes show."""

from __future__ import annotations

import filetype

from bot.core.texts import t

__all__ = ["describe_content"]

_PROGRAMS = frozenset({"exe", "elf", "wasm", "crx", "deb", "rpm", "nes", "swf"})
_DOCUMENTS = frozenset({"pdf", "rtf", "epub", "ps"})


def _groups() -> dict[str, str]:
    """The sniffer's extensions by the words for their family (archives, fonts…)."""
    groups: dict[str, str] = {}
    for key, matchers in (
        ("kind_image", filetype.image_matchers),
        ("kind_video", filetype.video_matchers),
        ("kind_audio", filetype.audio_matchers),
        ("kind_font", filetype.font_matchers),
        ("kind_document", filetype.document_matchers),
        ("kind_archive", filetype.archive_matchers),
    ):
        for matcher in matchers:
            groups.setdefault(str(matcher.extension), key)
    return groups


_GROUPS = _groups()


def describe_content(found: str, lang: str) -> str:
    """The sniffed type `found` for people: "a ZIP archive", "a HEIC image"."""
    if found in _PROGRAMS:
        key = "kind_program"
    elif found in _DOCUMENTS:
        key = "kind_document"
    else:
        key = _GROUPS.get(found, "kind_file")
    what = t(key, lang, ext=found.upper())
    return t("kind_an" if what[:1] in "AEIOU" else "kind_a", lang, what=what)
