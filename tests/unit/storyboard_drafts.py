"""Session states of every documented draft shape, shared by the storyboard's tests."""

from __future__ import annotations

from typing import Any

from PIL import Image, ImageDraw

from bot.nemo import GeneratedMedia, SessionState

CDN = "https://cdn.example/media"


def _image_seg(n: int, start: int, duration: int | None = 3000) -> dict[str, Any]:
    seg: dict[str, Any] = {
        "id": f"img{n}",
        "st": start,
        "m": {"name": f"picture {n}", "src": f"/mnt/userdata/s1/pic{n}.png", "type": "image"},
    }
    if duration is not None:
        seg["d"] = duration
    return seg


def _generated(count: int) -> tuple[GeneratedMedia, ...]:
    return tuple(
        GeneratedMedia(f"g{n}", "image", f"{CDN}/pic{n}.png?sig=abc", f"picture {n}")
        for n in range(count)
    )


def one_track() -> SessionState:
    """Three generated images on one video track (media found through `generated_media`)."""
    video = {"tt": 0, "m": {"name": "Video"}, "sg": [_image_seg(n, n * 3000) for n in range(3)]}
    return SessionState({"t": [video], "d": 9000, "m": {"title": "Harbour"}}, _generated(3))


def many_tracks() -> SessionState:
    """Video, music, a title and an uploaded clip (media through `video_infos`)."""
    clip = {"id": "clip1", "st": 6000, "d": 4000, "m": {"name": "waves.mp4", "type": "video"}}
    video = {"tt": 0, "m": {"name": "Video"}, "sg": [_image_seg(0, 0), _image_seg(1, 3000), clip]}
    music = {"tt": 1, "m": {"name": "BGM"}, "sg": [_audio("Lo-fi", 0, 10000, 0.35)]}
    title = {"tt": 7, "m": {"name": "Title"}, "sg": [_text("Urban Dreams", 0, 3000)]}
    infos = ({"segment_id": "clip1", "cdn_url": f"{CDN}/waves.mp4", "file_type": "video"},)
    draft = {"t": [video, music, title], "d": 10000, "m": {"title": "City at night"}}
    return SessionState(draft, _generated(2), infos)


def missing_durations() -> SessionState:
    """Segments without `d` (and a draft without `d`): drawn at their start, length unknown."""
    video = {"tt": 0, "sg": [_image_seg(0, 0), _image_seg(1, 3000, None)]}
    title = {"tt": 7, "sg": [{"id": "t1", "st": 1000, "m": {"text": "Hello"}}]}
    return SessionState({"t": [video, title]}, _generated(2))


def unknown_and_bare() -> SessionState:
    """A track type nobody documents, and segments with no media anywhere."""
    stickers = {"tt": 42, "m": {"name": "Stickers"}, "sg": [{"id": "x", "st": 2000, "d": 2000}]}
    bare = {
        "id": "b",
        "st": 0,
        "d": 4000,
        "m": {"name": "lost.png", "src": "/mnt/userdata/lost.png"},
    }
    video = {"tt": 0, "sg": [bare]}
    return SessionState({"t": [video, stickers], "d": 4000})


def chinese() -> SessionState:
    """Chinese words everywhere: the title, a prompt, the text overlay."""
    video = {"tt": 0, "sg": [{"id": "v", "st": 0, "d": 3000, "m": {"prompt": "一只猫 cat"}}]}
    title = {"tt": 7, "sg": [_text("城市之梦", 0, 3000)]}
    return SessionState({"t": [video, title], "d": 3000, "m": {"title": "我的旅行"}})


def twenty_segments() -> SessionState:
    """The benchmark's size: twenty images, music over them, a title."""
    video = {"tt": 0, "m": {"name": "Video"}, "sg": [_image_seg(n, n * 3000) for n in range(20)]}
    music = {"tt": 1, "sg": [_audio("Lo-fi", 0, 60000, 0.35)]}
    title = {"tt": 7, "sg": [_text("Twenty pictures", 0, 3000)]}
    draft = {"t": [video, music, title], "d": 60000, "m": {"title": "Twenty"}}
    return SessionState(draft, _generated(20))


def _audio(name: str, start: int, duration: int, volume: float) -> dict[str, Any]:
    return {"id": f"a-{name}", "st": start, "d": duration, "m": {"name": name, "volume": volume}}


def _text(words: str, start: int, duration: int) -> dict[str, Any]:
    return {"id": f"t-{words}", "st": start, "d": duration, "m": {"text": words}}


def swatch(n: int, size: tuple[int, int] = (114, 64)) -> Image.Image:
    """A thumbnail that looks different for each `n` (a colour and a diagonal band)."""
    hue = (n * 47) % 256
    image = Image.new("RGB", size, (hue, 255 - hue, (n * 91) % 256))
    pen = ImageDraw.Draw(image)
    pen.polygon([(0, size[1]), (size[0] // 2, 0), (size[0], 0), (size[0] // 2, size[1])], "white")
    return image
