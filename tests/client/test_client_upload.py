"""Uploads: several files in one request, URLs, and the checks made before any byte is sent."""

from __future__ import annotations

from pathlib import Path

import pytest
from client_support import Env, EnvFactory, options, run_turn, write_image

from bot.nemo import Auth
from bot.nemo.errors import FileTooLarge, UnsupportedFile
from bot.nemo.files import MAX_UPLOAD_BYTES, check_upload

UPLOAD = "/api/upload-video/"


def fake_png(path: Path) -> Path:
    """A Windows executable (MZ/PE header) under a .png name."""
    path.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200)
    return path


async def test_upload_several_files_in_one_request(
    env: Env, login: tuple[Auth, str], tmp_path: Path
) -> None:
    """Two PNGs and a JPEG go up in one multipart request and land on the timeline."""
    auth, sid = login
    files = [
        (write_image(tmp_path / "one.png", (64, 48)), "one.png"),
        (write_image(tmp_path / "two.png", (32, 32)), "Two Cats.png"),
        (write_image(tmp_path / "three.jpg", (40, 30)), "three.jpg"),
    ]
    result = await env.client.upload_files(auth, sid, files)

    assert len(env.requests(UPLOAD)) == 1
    assert result.state_applied
    assert [f.filename for f in result.files] == ["one.png", "Two Cats.png", "three.jpg"]
    assert [(f.width, f.height) for f in result.files] == [(64, 48), (32, 32), (40, 30)]
    assert {f.file_type for f in result.files} == {"image"}
    assert all(f.cdn_url and f.cdn_url.startswith(env.running.url) for f in result.files)
    _, _, headers = env.requests(UPLOAD)[0]
    assert headers["Content-Type"].startswith("multipart/form-data")
    state = await env.client.state(auth, sid)
    video = state.draft["t"][0]
    assert [s["m"]["name"] for s in video["sg"]] == ["one.png", "Two Cats.png", "three.jpg"]


async def test_renamed_executable_is_refused_before_any_request(
    env: Env, login: tuple[Auth, str], tmp_path: Path
) -> None:
    """A .exe renamed .png fails the content check; nothing of the batch is sent."""
    auth, sid = login
    evil = fake_png(tmp_path / "holiday.png")
    with pytest.raises(UnsupportedFile, match="exe"):
        check_upload(evil)
    good = write_image(tmp_path / "good.png")
    with pytest.raises(UnsupportedFile):
        await env.client.upload_files(auth, sid, [(good, "good.png"), (evil, "holiday.png")])
    assert env.requests(UPLOAD) == []


async def test_unaccepted_extension_is_refused_before_any_request(
    env: Env, login: tuple[Auth, str], tmp_path: Path
) -> None:
    """The display name decides the extension: a real PNG called .bmp is refused."""
    auth, sid = login
    image = write_image(tmp_path / "pic.png")
    with pytest.raises(UnsupportedFile, match=r"\.bmp"):
        await env.client.upload_files(auth, sid, [(image, "pic.bmp")])
    with pytest.raises(UnsupportedFile):
        await env.client.upload_urls(auth, sid, ["https://example.com/setup.exe"])
    with pytest.raises(UnsupportedFile):
        await env.client.upload_urls(auth, sid, ["https://example.com/no-extension"])
    assert env.requests(UPLOAD) == []


async def test_file_over_200_mb_is_refused_by_size_alone(
    env: Env, login: tuple[Auth, str], tmp_path: Path
) -> None:
    """A sparse 201 MB .png of zeros: FileTooLarge (not a content error), nothing sent."""
    auth, sid = login
    big = tmp_path / "huge.png"
    with big.open("wb") as handle:
        handle.truncate(201 * 1024 * 1024)
    assert big.stat().st_size > MAX_UPLOAD_BYTES
    # Zeros are no PNG: getting FileTooLarge proves the size is checked before any reading.
    with pytest.raises(FileTooLarge):
        check_upload(big)
    with pytest.raises(FileTooLarge):
        await env.client.upload_files(auth, sid, [(big, "huge.png")])
    assert env.requests(UPLOAD) == []


async def test_upload_by_url(env: Env, login: tuple[Auth, str], tmp_path: Path) -> None:
    """The backend fetches a URL (here its own CDN copy of an upload) and adds it."""
    auth, sid = login
    first = await env.client.upload_files(
        auth, sid, [(write_image(tmp_path / "p.png", (50, 20)), "p.png")]
    )
    url = first.files[0].cdn_url
    assert url is not None
    result = await env.client.upload_urls(auth, sid, [url])

    assert len(result.files) == 1
    fetched = result.files[0]
    assert (fetched.file_type, fetched.width, fetched.height) == ("image", 50, 20)
    assert fetched.filename.endswith("p.png")
    _, _, headers = env.requests(UPLOAD)[-1]
    assert headers["Content-Type"].startswith("application/json")
    state = await env.client.state(auth, sid)
    assert len(state.draft["t"][0]["sg"]) == 2


async def test_server_side_size_limit_maps_to_file_too_large(
    make_env: EnvFactory, tmp_path: Path
) -> None:
    """Under the client's 200 MB but over the backend's limit: 4002 → FileTooLarge."""
    async with make_env(options(max_upload_bytes=4096)) as env:
        auth, sid = await env.login()
        noisy = write_image(tmp_path / "noisy.png", (64, 64), noise=True)
        assert noisy.stat().st_size > 4096
        check_upload(noisy)  # fine by the client's own rules
        with pytest.raises(FileTooLarge) as caught:
            await env.client.upload_files(auth, sid, [(noisy, "noisy.png")])
        assert (caught.value.status, caught.value.code) == (413, 4002)

        await run_turn(env, auth, sid, "generate an image of a big mountain")
        generated = (await env.client.state(auth, sid)).generated_media[0].url
        with pytest.raises(FileTooLarge) as by_url:
            await env.client.upload_urls(auth, sid, [generated])
        assert by_url.value.code == 4002
        assert len(env.requests(UPLOAD)) == 2
