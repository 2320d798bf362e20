"""What may be uploaded, checked on real small files."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest
from PIL import Image

from bot.nemo.errors import FileTooLarge, UnsupportedFile
from bot.nemo.files import ACCEPTED_EXTENSIONS, MAX_UPLOAD_BYTES, check_upload, name_for_content

PIL_FORMATS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "webp": "WEBP", "gif": "GIF"}


def _image(tmp_path: Path, fmt: str, name: str) -> Path:
    path = tmp_path / name
    Image.new("RGB", (8, 8), (200, 30, 30)).save(path, format=PIL_FORMATS[fmt])
    return path


def _wav(path: Path) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * 800)
    return path


@pytest.mark.parametrize("fmt", ["png", "jpg", "jpeg", "webp", "gif"])
def test_images_are_accepted(tmp_path: Path, fmt: str) -> None:
    """Each accepted image type, made by Pillow, passes with its own extension."""
    path = _image(tmp_path, fmt, f"picture.{fmt}")
    assert check_upload(path) == fmt


def test_uppercase_extension(tmp_path: Path) -> None:
    """Extensions are compared case-insensitively."""
    path = _image(tmp_path, "png", "PHOTO.PNG")
    assert check_upload(path) == "png"


def test_wav(tmp_path: Path) -> None:
    """A real WAV header is recognised."""
    assert check_upload(_wav(tmp_path / "voice.wav")) == "wav"


def test_png_named_jpg_is_a_content_mismatch(tmp_path: Path) -> None:
    """The name says JPEG, the bytes say PNG."""
    path = _image(tmp_path, "png", "photo.jpg")
    with pytest.raises(UnsupportedFile, match="png"):
        check_upload(path)


def test_jpeg_named_jpeg_or_jpg_is_fine(tmp_path: Path) -> None:
    """jpg and jpeg are one family."""
    path = _image(tmp_path, "jpg", "photo.jpeg")
    assert check_upload(path) == "jpeg"
    assert check_upload(path, "photo.jpg") == "jpg"


def test_name_argument_overrides_the_path(tmp_path: Path) -> None:
    """Downloads land under temporary names; the user's name decides the extension."""
    path = _image(tmp_path, "png", "download.tmp")
    assert check_upload(path, "cat.png") == "png"
    with pytest.raises(UnsupportedFile):
        check_upload(path)


def test_exe_is_rejected(tmp_path: Path) -> None:
    """Programs are not media."""
    path = tmp_path / "setup.exe"
    path.write_bytes(b"MZ\x90\x00" + b"\x00" * 200)
    with pytest.raises(UnsupportedFile, match=r"\.exe"):
        check_upload(path)


def test_no_extension_is_rejected(tmp_path: Path) -> None:
    """A name without an extension is not accepted."""
    path = _image(tmp_path, "png", "picture")
    with pytest.raises(UnsupportedFile):
        check_upload(path)


def test_non_media_content_with_a_media_name_is_rejected(tmp_path: Path) -> None:
    """Text renamed to .png is refused."""
    path = tmp_path / "notes.png"
    path.write_text("just some text, not an image\n" * 10)
    with pytest.raises(UnsupportedFile, match="not a recognised"):
        check_upload(path)


def test_a_file_renamed_mp3_is_refused(tmp_path: Path) -> None:
    """Audio is checked by content too: a name is not enough (it used to be)."""
    for name in ("song.mp3", "song.aac", "song.m4a"):
        path = tmp_path / name
        path.write_bytes(bytes(range(256)) * 4)
        with pytest.raises(UnsupportedFile, match="not a recognised media file"):
            check_upload(path)


@pytest.mark.parametrize(
    ("name", "head"),
    [
        ("tagged.mp3", b"ID3\x04\x00\x00\x00\x00\x00\x00"),
        ("mpeg1.mp3", b"\xff\xfb\x90\x64"),
        ("mpeg1_crc.mp3", b"\xff\xfa\x90\x64"),
        ("mpeg2.mp3", b"\xff\xf3\x90\x64"),
        ("adts.aac", b"\xff\xf1\x50\x80"),
        ("adts_crc.aac", b"\xff\xf0\x50\x80"),
        ("apple.m4a", b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00"),
    ],
)
def test_real_audio_streams_are_recognised(tmp_path: Path, name: str, head: bytes) -> None:
    """ID3 tags, bare MPEG and ADTS frames, and MP4 audio pass the content check."""
    path = tmp_path / name
    path.write_bytes(head + b"\x00" * 512)
    assert check_upload(path) == name.rsplit(".", 1)[1]


def test_over_limit_is_rejected_before_the_content_is_looked_at(tmp_path: Path) -> None:
    """Size comes first: even an unacceptable file is reported as too large."""
    path = tmp_path / "big.exe"
    path.write_bytes(b"\x00" * 101)
    with pytest.raises(FileTooLarge, match="101"):
        check_upload(path, limit=100)


def test_over_limit_image(tmp_path: Path) -> None:
    """A valid image over the limit is refused; at the limit it passes."""
    path = _image(tmp_path, "png", "cat.png")
    size = path.stat().st_size
    with pytest.raises(FileTooLarge):
        check_upload(path, limit=size - 1)
    assert check_upload(path, limit=size) == "png"


def test_accepted_extensions_and_limit() -> None:
    """The backend's published list and 200 MB limit."""
    assert {"mp4", "mov", "jpg", "png", "gif", "webp", "mp3", "wav"} <= ACCEPTED_EXTENSIONS
    assert "exe" not in ACCEPTED_EXTENSIONS
    assert MAX_UPLOAD_BYTES == 200 * 1024 * 1024


@pytest.mark.parametrize(
    ("name", "found", "expected"),
    [
        ("photo.jpg", "png", "photo.png"),  # the bytes decide
        ("PHOTO.JPG", "jpg", "PHOTO.JPG"),  # already right: left alone
        ("photo.jpeg", "jpg", "photo.jpeg"),
        ("clip.mp4", "mov", "clip.mp4"),  # one container family
        ("song.m4a", "mp4", "song.m4a"),
        ("file_ABC", "webp", "file_ABC.webp"),  # no extension: one is added
        ("holiday.zip", "jpg", "holiday.jpg"),
        ("anim.png", "apng", "anim.png"),
        ("phone.3gp", "3gp", "phone.mp4"),
        ("archive.jpg", "zip", None),  # not media: refused
        ("scan.jpg", "heic", None),
    ],
)
def test_name_for_content(name: str, found: str, expected: str | None) -> None:
    """The name an upload goes under follows its content."""
    assert name_for_content(name, found) == expected
