"""/run_sse: ADK events, the rule-based agent, credits and stream faults."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json

import httpx
import pytest
from PIL import Image

from sandbox import SandboxOptions, run_sandbox


async def test_generate_turn_events(make_api):
    async with make_api(generation_delay_seconds=0.3) as api:
        await api.login()
        turn = await api.turn("Generate an image of a sunset over a mountain lake")
    assert turn.status == 200
    assert turn.content_type.startswith("text/event-stream")
    assert turn.comments and all(c == ": ping" for c in turn.comments)
    assert {} in turn.events, "empty data events are keep-alives too"
    assert not turn.malformed
    calls = turn.parts("functionCall")
    results = turn.parts("functionResponse")
    assert [c["name"] for c in calls] == ["generate_image"]
    assert calls[0]["args"] == {"prompt": "a sunset over a mountain lake", "aspect_ratio": "1:1"}
    assert results[0]["id"] == calls[0]["id"] and results[0]["name"] == "generate_image"
    image = results[0]["response"]["images"][0]
    assert (image["width"], image["height"]) == (1024, 1024)
    chunks = turn.parts("text", partial=True)
    assert len(chunks) >= 2
    assert "".join(chunks) == turn.final_text
    assert turn.final_text.startswith("Here is your image of a sunset over a mountain lake.")
    last = turn.adk[-1]
    assert last["turnComplete"] is True and last["partial"] is False
    assert all(e["author"] == "nemo_agent" for e in turn.adk)
    assert len({e["invocationId"] for e in turn.adk}) == 1
    assert all(e["content"]["role"] == "model" for e in turn.adk if "content" in e)
    call_at = turn.order.index("event")
    response_at = turn.order.index("event", call_at + 1)
    waiting = turn.order[call_at:response_at]
    assert "comment" in waiting and "empty" in waiting, "keep-alives while the image is generated"


async def test_generated_image_lands_in_state(api):
    await api.login()
    await api.turn("draw a red fox")
    state = await api.state()
    media = state["generated_media"]
    assert len(media) == 1
    assert media[0]["type"] == "image" and media[0]["prompt"] == "a red fox"
    assert set(media[0]) >= {"id", "url", "prompt", "width", "height", "created_at"}
    video = state["draft"]["t"][0]
    assert video["tt"] == 0 and video["m"] == {"name": "Video"}
    segment = video["sg"][0]
    assert segment["st"] == 0 and segment["d"] == 1000
    assert segment["m"]["type"] == "image" and segment["m"]["url"] == media[0]["url"]
    assert segment["m"]["src"].startswith(f"/mnt/userdata/{api.sid}/")
    assert state["draft"]["d"] == 1000
    response = await api.client.get(media[0]["url"], headers={"Authorization": ""})
    assert response.status_code == 200
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG" and image.size == (1024, 1024)
    again = await api.turn("draw a red fox")
    assert again.status == 200
    second = (await api.state())["generated_media"][1]["url"]
    same = (await api.client.get(second)).content
    assert Image.open(io.BytesIO(same)).tobytes() == image.tobytes(), "deterministic"


@pytest.mark.parametrize(
    ("message", "size", "canvas"),
    [
        ("create a wide 16:9 city skyline", (1344, 768), (1920, 1080)),
        ("make a portrait of a robot", (768, 1344), (1080, 1920)),
        ("画一只竖屏的猫", (768, 1344), (1080, 1920)),
    ],
)
async def test_aspect_ratios(api, message, size, canvas):
    await api.login()
    await api.turn(message)
    state = await api.state()
    media = state["generated_media"][0]
    assert (media["width"], media["height"]) == size
    assert (state["draft"]["m"]["width"], state["draft"]["m"]["height"]) == canvas


async def test_slideshow_reply_is_gui_style(api):
    await api.login()
    turn = await api.turn("generate 3 images of dogs and export them as a video slideshow")
    assert turn.final_text.endswith("Click Export to download your video.")
    assert len((await api.state())["generated_media"]) == 3
    assert await api.credits() == 85


async def test_title_music_and_timeline(api):
    await api.login()
    await api.turn("generate a city at night")
    await api.turn("generate a beach")
    title = await api.turn('add a title "Urban Dreams"')
    assert title.final_text == (
        'Added the title "Urban Dreams". Open the timeline to preview it, '
        "then click Export to download."
    )
    music = await api.turn("add background music")
    assert music.status == 200
    assert music.parts("text") == [], "the music edit answers with no text at all"
    assert [c["name"] for c in music.parts("functionCall")] == ["add_audio"]
    assert music.adk[-1]["turnComplete"] is True
    draft = (await api.state())["draft"]
    assert [t["tt"] for t in draft["t"]] == [0, 1, 7]
    assert draft["t"][1]["sg"][0]["m"] == {"name": "Lo-fi", "volume": 0.35}
    assert (draft["t"][1]["sg"][0]["st"], draft["t"][1]["sg"][0]["d"]) == (0, 2000)
    assert draft["t"][2]["sg"][0]["m"] == {"text": "Urban Dreams"}
    assert (draft["t"][2]["sg"][0]["st"], draft["t"][2]["sg"][0]["d"]) == (0, 3000)
    assert draft["m"]["title"] == "Urban Dreams"
    timeline = await api.turn("show timeline")
    assert timeline.final_text == (
        "Timeline (3 tracks): 1. Video: a city at night (0-1s), a beach (1-2s) "
        '2. BGM: Lo-fi (0-2s, 35%) 3. Title: "Urban Dreams" (0-3s)'
    )
    await api.turn("generate a forest")
    draft = (await api.state())["draft"]
    assert draft["d"] == 3000 and draft["t"][1]["sg"][0]["d"] == 3000, "music follows the video"
    assert await api.credits() == 85


async def test_chat_answers_in_english_and_chinese(api):
    await api.login()
    hello = await api.turn("hello")
    assert hello.final_text.startswith("Hi!") and not hello.parts("functionCall")
    other = await api.turn("what is the weather")
    assert "generate" in other.final_text
    chinese = await api.turn("你好")
    assert "你好" in chinese.final_text
    assert "".join(chinese.parts("text", partial=True)) == chinese.final_text
    title = await api.turn("标题 城市之梦")
    assert "城市之梦" in title.final_text
    assert await api.credits() == 100


async def test_credits_run_out(make_api):
    async with make_api(initial_credits=10) as api:
        await api.login()
        assert (await api.turn("generate a boat")).status == 200
        assert (await api.turn("generate a plane")).status == 200
        assert await api.credits() == 0
        turn = await api.turn("generate a train")
        assert turn.status == 403
        assert turn.body == {"code": 2001, "message": "insufficient credits"}
        assert (await api.turn("hello")).status == 200, "text turns are free"
        assert len((await api.state())["generated_media"]) == 2


async def test_cut_stream_raises_and_edit_still_applies(api):
    await api.login()
    api.sandbox.faults.cut_stream_once = True
    lines = []
    with pytest.raises(httpx.RemoteProtocolError):
        async with api.client.stream("POST", "/run_sse", json=api.turn_body("draw a tree")) as r:
            async for line in r.aiter_lines():
                lines.append(line)
    partial_texts = [json.loads(x[5:]) for x in lines if x.startswith('data: {"author')]
    assert any(e.get("partial") for e in partial_texts)
    assert not any(e.get("turnComplete") for e in partial_texts)
    assert len((await api.state())["generated_media"]) == 1
    assert (await api.turn("hello")).final_text, "one-shot"


async def test_flat_events(api):
    await api.login()
    api.sandbox.faults.flat_events_once = True
    turn = await api.turn("generate a mountain")
    types = [e.get("type") for e in turn.events]
    assert "tool_call" in types and "tool_result" in types and "text" in types
    call = next(e for e in turn.events if e.get("type") == "tool_call")
    assert call["name"] == "generate_image" and call["args"]["prompt"] == "a mountain"
    text = next(e for e in turn.events if e.get("type") == "text")
    assert text["content"].startswith("Here is your image of a mountain")
    assert not turn.adk
    assert (await api.turn("hello")).adk, "back to ADK"


async def test_stream_error_event(api):
    await api.login()
    api.sandbox.faults.stream_error_once = "GPU node crashed"
    turn = await api.turn("generate a river")
    assert turn.status == 200
    assert turn.events[-1] == {"error": "GPU node crashed", "code": 5000}
    assert len(turn.parts("text", partial=True)) == 1
    assert (await api.state())["generated_media"] == []
    assert api.sandbox.faults.stream_error_once is None


async def test_malformed_line(api):
    await api.login()
    api.sandbox.faults.malformed_line_once = True
    turn = await api.turn("hello")
    assert turn.malformed == ["{not json"]
    assert turn.final_text.startswith("Hi!")
    assert not (await api.turn("hello")).malformed


async def test_silent_stream_sends_only_pings_first(api):
    await api.login()
    api.sandbox.faults.silent_stream_seconds = 0.3
    turn = await api.turn("hello")
    assert turn.order[: turn.order.index("event")].count("comment") >= 3
    assert turn.final_text.startswith("Hi!")
    assert api.sandbox.faults.silent_stream_seconds == 0


async def test_hang_stream_until_client_leaves(api):
    await api.login()
    api.sandbox.faults.hang_stream_once = True
    seen: list[str] = []
    async with (
        asyncio.timeout(10),
        api.client.stream("POST", "/run_sse", json=api.turn_body("generate a cloud")) as r,
    ):
        async for line in r.aiter_lines():
            if line:
                seen.append(line)
            if len(seen) >= 10:
                break
    assert all(x in (": ping", "data: {}") for x in seen)
    assert (await api.turn("hello")).final_text.startswith("Hi!")
    assert (await api.state())["generated_media"] == []


async def test_no_text_once(api):
    await api.login()
    api.sandbox.faults.no_text_once = True
    turn = await api.turn("generate a volcano")
    assert turn.parts("text") == []
    assert turn.parts("functionResponse")
    assert len((await api.state())["generated_media"]) == 1


async def test_run_sse_requires_token_and_session(api):
    response = await api.client.post("/run_sse", json=api.turn_body("hi", sid="1" * 19))
    assert response.status_code == 401 and response.json()["code"] == 1001
    await api.login()
    turn = await api.turn("hi", sid="1" * 19)
    assert turn.status == 404 and turn.body["code"] == 1002
    assert api.sandbox.sse_calls == 2


async def test_shutdown_ends_hanging_stream():
    options = SandboxOptions(keepalive_seconds=0.05)
    async with httpx.AsyncClient(timeout=30) as client:
        async with run_sandbox(options) as running:
            token = await client.post(
                f"{running.url}/api/auth/anonymous-token", headers={"X-Client-Id": "c"}
            )
            client.headers["Authorization"] = f"Bearer {token.json()['data']['token']}"
            session = await client.post(f"{running.url}/api/tasks/me/with-session/nemo_agent")
            body = {
                "session_id": session.json()["data"]["session_id"],
                "new_message": {"parts": [{"text": "hi"}]},
            }
            running.sandbox.faults.hang_stream_once = True
            started = asyncio.Event()

            async def listen() -> None:
                async with client.stream("POST", f"{running.url}/run_sse", json=body) as r:
                    async for _ in r.aiter_lines():
                        started.set()

            listener = asyncio.create_task(listen())
            async with asyncio.timeout(5):
                await started.wait()
            stopping = asyncio.get_running_loop().time()
        assert asyncio.get_running_loop().time() - stopping < 1.5, "streams do not hold shutdown"
        with contextlib.suppress(httpx.HTTPError):
            async with asyncio.timeout(5):
                await listener
