"""Export: submission checks, polling, faults and real ffmpeg renders."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from sandbox.probe import ffmpeg_exe


async def draft_with(api, *messages: str) -> dict:
    """Log in, run the messages as turns and return the resulting draft."""
    await api.login()
    for message in messages:
        assert (await api.turn(message)).status == 200
    return (await api.state())["draft"]


async def test_export_requires_attribution_headers(api):
    draft = await draft_with(api, "generate a harbour")
    async with httpx.AsyncClient(base_url=api.running.url) as bare:
        bare.headers["Authorization"] = f"Bearer {api.token}"
        bare.headers["X-Skill-Source"] = "ai-image-free"
        body = {"id": "render_1", "sessionId": api.sid, "draft": draft}
        response = await bare.post("/api/render/proxy/lambda", json=body)
    assert response.status_code == 402
    assert response.json() == {
        "success": False,
        "error": "export requires attribution headers",
        "code": 402,
    }
    assert api.sandbox.render_submissions == {"render_1": 1}
    assert "render_1" not in api.sandbox.renders


async def test_full_render_of_three_images(api, tmp_path, video_facts):
    draft = await draft_with(
        api, "generate 3 images of mountains", 'add a title "Alps"', "add music"
    )
    assert draft["d"] == 3000
    response = await api.submit("render_100", draft, headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "data": {"id": "render_100", "status": "pending", "progress": 0},
    }
    again = await api.submit("render_100", draft)
    assert again.status_code == 409
    assert again.json() == {"success": False, "error": "render id already exists"}
    assert api.sandbox.render_submissions["render_100"] == 2
    data = await api.wait_render("render_100")
    assert data["status"] == "completed", data
    assert data["progress"] == 100
    url = data["output"]["url"]
    assert url == f"{api.running.url}/renders/render_100.mp4"
    async with httpx.AsyncClient() as anonymous:
        video = await anonymous.get(url)
    assert video.status_code == 200
    path = tmp_path / "out.mp4"
    path.write_bytes(video.content)
    facts = await video_facts(path)
    assert (facts.codec, facts.width, facts.height, facts.pix_fmt) == (
        "h264",
        1920,
        1080,
        "yuv420p",
    )
    assert facts.duration == pytest.approx(3.0, abs=0.1)
    assert facts.audio == "aac"
    assert video.content[4:8] == b"ftyp"
    assert video.content.find(b"moov") < video.content.find(b"mdat"), "faststart"
    download = await api.client.get("/api/render/proxy/render_100/download")
    assert download.status_code == 200 and download.content == video.content
    assert len(api.sandbox.renders) == 1


async def test_submission_checks(api):
    draft = await draft_with(api)
    response = await api.submit("render_empty", draft)
    assert response.status_code == 400
    assert response.json() == {"success": False, "error": "draft has no content"}
    response = await api.client.post("/api/render/proxy/lambda", json={"sessionId": api.sid})
    assert response.status_code == 400 and response.json()["success"] is False
    response = await api.client.get("/api/render/proxy/lambda/render_unknown")
    assert response.status_code == 404
    assert response.json() == {"success": False, "error": "render not found"}
    assert (await api.client.get("/renders/render_unknown.mp4")).status_code == 404


async def test_poll_errors_then_success(api):
    draft = await draft_with(api, "generate a meadow")
    assert (await api.submit("render_poll", draft)).status_code == 200
    api.sandbox.faults.poll_error_count = 2
    statuses = [
        (await api.client.get("/api/render/proxy/lambda/render_poll")).status_code for _ in range(3)
    ]
    assert statuses == [503, 503, 200]
    assert (await api.wait_render("render_poll"))["status"] == "completed"
    assert api.sandbox.render_submissions["render_poll"] == 1


async def test_render_fail_once_then_retry_under_new_id(api):
    draft = await draft_with(api, "generate a glacier")
    api.sandbox.faults.render_fail_once = True
    assert (await api.submit("render_a", draft)).status_code == 200
    failed = await api.wait_render("render_a")
    assert failed["status"] == "failed" and failed["error"]
    assert "output" not in failed
    assert (await api.submit("render_b", draft)).status_code == 200
    assert (await api.wait_render("render_b"))["status"] == "completed"


async def test_cancel(make_api):
    async with make_api(render_min_seconds=30) as api:
        draft = await draft_with(api, "generate a canyon")
        assert (await api.submit("render_c", draft)).status_code == 200
        response = await api.client.post("/api/render/proxy/lambda/render_c/cancel")
        assert response.status_code == 200
        assert response.json()["data"]["status"] == "failed"
        data = await api.wait_render("render_c", timeout=5)
        assert data["status"] == "failed" and "cancel" in data["error"]


async def test_missing_media_fails_the_render(api):
    draft = await draft_with(api, "generate a pier")
    draft["t"][0]["sg"][0]["m"]["src"] = "/mnt/userdata/x/none.png"
    draft["t"][0]["sg"][0]["m"]["url"] = "http://127.0.0.1/media/none.png"
    assert (await api.submit("render_missing", draft)).status_code == 200
    data = await api.wait_render("render_missing")
    assert data["status"] == "failed" and "media not found" in data["error"]


async def test_at_most_two_renders_and_min_seconds(make_api):
    async with make_api(render_min_seconds=0.6) as api:
        draft = await draft_with(api, "generate a comet")
        loop = asyncio.get_running_loop()
        started = loop.time()
        for n in range(3):
            assert (await api.submit(f"render_{n}", draft)).status_code == 200
        most = 0
        seen_pending = False
        async with asyncio.timeout(30):
            while True:
                statuses = [job.status for job in api.sandbox.renders.values()]
                most = max(most, statuses.count("processing"))
                seen_pending = seen_pending or "pending" in statuses
                if all(s == "completed" for s in statuses):
                    break
                await asyncio.sleep(0.05)
        assert most <= 2 and seen_pending
        assert loop.time() - started >= 0.6


async def test_portrait_render_with_uploaded_video(api, tmp_path, video_facts):
    clip = tmp_path / "clip.mp4"
    process = await asyncio.create_subprocess_exec(
        ffmpeg_exe(),
        "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=30:duration=0.8",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(clip),
    )  # fmt: skip
    assert await process.wait() == 0
    await draft_with(api, "make a portrait of a robot")
    response = await api.client.post(
        f"/api/upload-video/nemo_agent/me/{api.sid}",
        files=[("files", ("clip.mp4", clip.read_bytes(), "video/mp4"))],
    )
    assert response.status_code == 200
    draft = (await api.state())["draft"]
    assert draft["d"] == pytest.approx(1800, abs=50)
    assert (await api.submit("render_portrait", draft)).status_code == 200
    data = await api.wait_render("render_portrait")
    assert data["status"] == "completed", data
    path = tmp_path / "portrait.mp4"
    path.write_bytes((await api.client.get(data["output"]["url"])).content)
    facts = await video_facts(path)
    assert (facts.codec, facts.width, facts.height) == ("h264", 1080, 1920)
    assert facts.duration == pytest.approx(draft["d"] / 1000, abs=0.1)
    assert facts.audio is None
