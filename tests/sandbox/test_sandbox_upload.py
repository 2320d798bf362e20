"""Uploads: multipart files, URLs, type and size checks."""

from __future__ import annotations

import asyncio
import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from sandbox.probe import ffmpeg_exe


def png_bytes(size: tuple[int, int] = (640, 480), colour: str = "orange") -> bytes:
    """A small PNG."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


async def test_multipart_png(api):
    await api.login()
    data = png_bytes()
    response = await api.client.post(
        f"/api/upload-video/nemo_agent/me/{api.sid}",
        files=[("files", ("photo.png", data, "image/png"))],
    )
    assert response.status_code == 200, response.text
    body = response.json()["data"]
    assert body["session_state_applied"] is True
    info = body["files"][0]
    assert info["filename"] == "photo.png" and info["file_type"] == "image"
    assert (info["width"], info["height"]) == (640, 480)
    assert info["duration"] == 1.0
    assert info["hash"] == hashlib.sha256(data).hexdigest()
    assert set(info) == {
        "filename",
        "file_type",
        "cdn_url",
        "duration",
        "width",
        "height",
        "fps",
        "hash",
    }
    assert (await api.client.get(info["cdn_url"])).content == data
    state = await api.state()
    assert state["video_infos"][0]["filename"] == "photo.png"
    segment = state["draft"]["t"][0]["sg"][0]
    assert segment["m"]["name"] == "photo.png" and segment["m"]["type"] == "image"
    assert state["draft"]["d"] == 1000


async def test_several_files_in_one_request(api):
    await api.login()
    files = [
        ("files", ("a.jpg", _jpeg(), "image/jpeg")),
        ("files", ("b.png", png_bytes((300, 200)), "image/png")),
    ]
    response = await api.client.post(f"/api/upload-video/nemo_agent/me/{api.sid}", files=files)
    assert [f["filename"] for f in response.json()["data"]["files"]] == ["a.jpg", "b.png"]
    segments = (await api.state())["draft"]["t"][0]["sg"]
    assert [(s["st"], s["d"]) for s in segments] == [(0, 1000), (1000, 1000)]


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (100, 80), "blue").save(buffer, "JPEG")
    return buffer.getvalue()


async def test_unsupported_type(api):
    await api.login()
    response = await api.client.post(
        f"/api/upload-video/nemo_agent/me/{api.sid}",
        files=[("files", ("tool.exe", b"MZ\x90\x00", "application/octet-stream"))],
    )
    assert response.status_code == 400
    assert response.json()["code"] == 4001
    assert (await api.state())["draft"]["t"] == []


async def test_too_large(make_api):
    async with make_api(max_upload_bytes=1000) as api:
        await api.login()
        small = await api.client.post(
            f"/api/upload-video/nemo_agent/me/{api.sid}",
            files=[("files", ("ok.mp3", b"\x00" * 1000, "audio/mpeg"))],
        )
        assert small.status_code == 200
        response = await api.client.post(
            f"/api/upload-video/nemo_agent/me/{api.sid}",
            files=[("files", ("big.png", b"\x00" * 50_000, "image/png"))],
        )
        assert response.status_code == 413
        assert response.json()["code"] == 4002
        leftovers = [p.name for p in api.sandbox.media_dir.iterdir() if "big.png" in p.name]
        assert leftovers == []


async def test_upload_by_url(api):
    await api.login()
    await api.turn("generate a desert")
    url = (await api.state())["generated_media"][0]["url"]
    response = await api.client.post(
        f"/api/upload-video/nemo_agent/me/{api.sid}", json={"urls": [url], "source_type": "url"}
    )
    assert response.status_code == 200, response.text
    info = response.json()["data"]["files"][0]
    assert (info["width"], info["height"]) == (1024, 1024)
    assert len((await api.state())["draft"]["t"][0]["sg"]) == 2
    bad = await api.client.post(
        f"/api/upload-video/nemo_agent/me/{api.sid}",
        json={"urls": [f"{api.running.url}/media/x.exe"], "source_type": "url"},
    )
    assert bad.status_code == 400 and bad.json()["code"] == 4001


async def test_upload_needs_files_token_and_session(api):
    response = await api.client.post("/api/upload-video/nemo_agent/me/123", json={"urls": []})
    assert response.status_code == 401
    await api.login()
    response = await api.client.post(
        f"/api/upload-video/nemo_agent/me/{api.sid}", json={"urls": []}
    )
    assert response.status_code == 400 and response.json()["code"] == 400
    response = await api.client.post(
        "/api/upload-video/nemo_agent/me/999",
        files=[("files", ("a.png", png_bytes(), "image/png"))],
    )
    assert response.status_code == 404 and response.json()["code"] == 1002


async def test_video_upload_is_probed(api, tmp_path: Path):
    clip = tmp_path / "clip.mp4"
    process = await asyncio.create_subprocess_exec(
        ffmpeg_exe(),
        "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=1.5",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(clip),
    )  # fmt: skip
    assert await process.wait() == 0
    await api.login()
    response = await api.client.post(
        f"/api/upload-video/nemo_agent/me/{api.sid}",
        files=[("files", ("clip.mp4", clip.read_bytes(), "video/mp4"))],
    )
    info = response.json()["data"]["files"][0]
    assert info["file_type"] == "video"
    assert (info["width"], info["height"], info["fps"]) == (320, 240, 25.0)
    assert info["duration"] == pytest.approx(1.5, abs=0.05)
    segment = (await api.state())["draft"]["t"][0]["sg"][0]
    assert segment["d"] == round(info["duration"] * 1000) and segment["m"]["type"] == "video"
