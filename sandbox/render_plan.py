"""Turn a draft into an ffmpeg command line for an H.264 slideshow."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .draft import AUDIO, TEXT, VIDEO

MIN_CLIP = 0.1


class RenderFailed(Exception):
    """A render that cannot be produced; the message becomes the job's error."""


@dataclass
class Clip:
    """One picture on the video track (path None: black filler)."""

    path: Path | None
    kind: str
    seconds: float


@dataclass
class Title:
    """Text shown over a time range."""

    text: str
    start: float
    end: float
    overlay: Path | None = None


@dataclass
class Tone:
    """An audio segment: a file, or a sine tone when there is none."""

    start: float
    seconds: float
    volume: float
    path: Path | None


@dataclass
class RenderPlan:
    """Everything ffmpeg needs, in seconds and pixels."""

    width: int
    height: int
    fps: int
    clips: list[Clip] = field(default_factory=list)
    titles: list[Title] = field(default_factory=list)
    tones: list[Tone] = field(default_factory=list)

    @property
    def total(self) -> float:
        """Length of the output in seconds."""
        return sum(c.seconds for c in self.clips)


def plan_render(draft: Any, media_dir: Path, fps: int) -> RenderPlan:
    """Read the tracks of a draft, resolving media paths inside media_dir."""
    meta = draft.get("m") if isinstance(draft.get("m"), dict) else {}
    portrait = _num(meta.get("height"), 0) > _num(meta.get("width"), 0)
    plan = RenderPlan(1080 if portrait else 1920, 1920 if portrait else 1080, fps)
    tracks = [t for t in draft.get("t", []) if isinstance(t, dict)]
    segments = {
        kind: [s for t in tracks if t.get("tt") == kind for s in _segments(t)]
        for kind in (VIDEO, AUDIO, TEXT)
    }
    cursor = 0.0
    for seg in sorted(segments[VIDEO], key=lambda s: _num(s.get("st"), 0)):
        start, seconds = _num(seg.get("st"), 0) / 1000, max(_num(seg.get("d"), 0) / 1000, MIN_CLIP)
        if start > cursor + 0.001:
            plan.clips.append(Clip(None, "black", start - cursor))
        seg_meta = seg.get("m") if isinstance(seg.get("m"), dict) else {}
        kind = "video" if seg_meta.get("type") == "video" else "image"
        plan.clips.append(Clip(_resolve(seg_meta, media_dir), kind, seconds))
        cursor = max(cursor, start) + seconds
    ends = [
        (_num(s.get("st"), 0) + _num(s.get("d"), 0)) / 1000
        for s in segments[AUDIO] + segments[TEXT]
    ]
    if not plan.clips:
        plan.clips.append(Clip(None, "black", max([MIN_CLIP, *ends])))
    total = plan.total
    for seg in segments[TEXT]:
        start = _num(seg.get("st"), 0) / 1000
        text = str((seg.get("m") or {}).get("text", "")).strip()
        if text and start < total:
            plan.titles.append(Title(text, start, min(total, start + _num(seg.get("d"), 0) / 1000)))
    for seg in segments[AUDIO]:
        start = _num(seg.get("st"), 0) / 1000
        meta = seg.get("m") if isinstance(seg.get("m"), dict) else {}
        seconds = min(_num(seg.get("d"), 0) / 1000, total - start) or total - start
        path = _resolve(meta, media_dir) if (meta.get("src") or meta.get("url")) else None
        if seconds > 0:
            plan.tones.append(Tone(start, seconds, _num(meta.get("volume"), 1.0), path))
    return plan


def _segments(track: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in track.get("sg") or [] if isinstance(s, dict)]


def _num(value: Any, default: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return float(value)


def _resolve(meta: dict[str, Any], media_dir: Path) -> Path:
    ref = str(meta.get("src") or meta.get("url") or "")
    name = ref.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    path = media_dir / name
    if not name or name.startswith(".") or not path.is_file():
        raise RenderFailed(f"media not found: {meta.get('name') or ref or '?'}")
    return path


def ffmpeg_args(
    exe: str, plan: RenderPlan, output: Path, crossfade: float, preset: str
) -> list[str]:
    """The full ffmpeg command for a plan whose title overlays are already drawn."""
    fade = _crossfade(plan, crossfade)
    args = [exe, "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    filters: list[str] = []
    _clip_inputs(plan, fade, args, filters)
    video = _join_clips(plan, fade, filters)
    video, index = _overlay_titles(plan, video, args, filters)
    filters.append(f"[{video}]format=yuv420p[vout]")
    audio = _audio(plan, args, filters, index)
    args += ["-filter_complex", ";".join(filters), "-map", "[vout]"]
    if audio:
        args += ["-map", f"[{audio}]", "-c:a", "aac", "-b:a", "128k"]
    return args + _encoding(plan, preset, output)


def _crossfade(plan: RenderPlan, crossfade: float) -> float:
    """The fade between clips: at most a third of the shortest clip, none under two frames."""
    if len(plan.clips) < 2:
        return 0.0
    fade = min(crossfade, min(c.seconds for c in plan.clips) / 3)
    return fade if fade >= 2 / plan.fps else 0.0


def _clip_inputs(plan: RenderPlan, fade: float, args: list[str], filters: list[str]) -> None:
    """One input and one filter chain (labelled v0, v1, …) per clip of the video track."""
    w, h, fps = plan.width, plan.height, plan.fps
    fit = (
        f"scale={w}:{h}:force_original_aspect_ratio=decrease,"
        f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1"
    )
    last = len(plan.clips) - 1
    for i, clip in enumerate(plan.clips):
        length = clip.seconds + (fade if i < last else 0.0)
        if clip.path is None:
            args += ["-f", "lavfi", "-t", f"{length:.3f}", "-i", f"color=c=black:s={w}x{h}:r={fps}"]
            filters.append(f"[{i}:v]setsar=1,format=yuv420p,settb=1/{fps}[v{i}]")
        elif clip.kind == "image":
            # Decode and scale the still once, then repeat the finished frame.
            frames = max(1, round(length * fps))
            args += ["-i", str(clip.path)]
            filters.append(
                f"[{i}:v]{fit},format=yuv420p,loop=loop={frames - 1}:size=1:start=0,"
                f"setpts=N/({fps}*TB),settb=1/{fps}[v{i}]"
            )
        else:
            args += ["-t", f"{length:.3f}", "-i", str(clip.path)]
            filters.append(
                f"[{i}:v]{fit},fps={fps},tpad=stop_mode=clone:stop_duration={length:.3f},"
                f"trim=duration={length:.3f},setpts=PTS-STARTPTS,format=yuv420p,settb=1/{fps}[v{i}]"
            )


def _overlay_titles(
    plan: RenderPlan, video: str, args: list[str], filters: list[str]
) -> tuple[str, int]:
    """Lay each title's picture over its time range; the last label and the next input index."""
    index = len(plan.clips)
    for k, title in enumerate(plan.titles):
        args += ["-i", str(title.overlay)]
        enable = f"between(t,{title.start:.3f},{title.end:.3f})"
        filters.append(f"[{video}][{index}:v]overlay=0:0:enable='{enable}'[t{k}]")
        video, index = f"t{k}", index + 1
    return video, index


def _encoding(plan: RenderPlan, preset: str, output: Path) -> list[str]:
    """H.264 in an MP4 that starts playing before it is fully downloaded; progress on stdout."""
    return [
        *("-c:v", "libx264", "-preset", preset, "-crf", "23"),
        *("-pix_fmt", "yuv420p", "-r", str(plan.fps)),
        *("-movflags", "+faststart", "-t", f"{plan.total:.3f}"),
        *("-progress", "pipe:1", "-nostats"),
        *("-f", "mp4", str(output)),
    ]


def _join_clips(plan: RenderPlan, fade: float, filters: list[str]) -> str:
    if len(plan.clips) == 1:
        return "v0"
    if fade <= 0:
        inputs = "".join(f"[v{i}]" for i in range(len(plan.clips)))
        filters.append(f"{inputs}concat=n={len(plan.clips)}:v=1:a=0[vcat]")
        return "vcat"
    current, offset = "v0", 0.0
    for i in range(1, len(plan.clips)):
        offset += plan.clips[i - 1].seconds
        filters.append(
            f"[{current}][v{i}]xfade=transition=fade:duration={fade:.3f}:offset={offset:.3f}[x{i}]"
        )
        current = f"x{i}"
    return current


def _audio(plan: RenderPlan, args: list[str], filters: list[str], index: int) -> str | None:
    labels = []
    for k, tone in enumerate(plan.tones):
        if tone.path is None:
            args += [
                "-f",
                "lavfi",
                "-i",
                f"sine=frequency=440:sample_rate=44100:duration={tone.seconds:.3f}",
            ]
        else:
            args += ["-stream_loop", "-1", "-i", str(tone.path)]
        delay = round(tone.start * 1000)
        filters.append(
            f"[{index}:a]atrim=duration={tone.seconds:.3f},asetpts=PTS-STARTPTS,"
            f"aresample=44100,volume={tone.volume:.3f},adelay={delay}:all=1[a{k}]"
        )
        labels.append(f"[a{k}]")
        index += 1
    if not labels:
        return None
    mixed = labels[0]
    if len(labels) > 1:
        filters.append(f"{''.join(labels)}amix=inputs={len(labels)}:normalize=0[amixed]")
        mixed = "[amixed]"
    filters.append(f"{mixed}apad[aout]")
    return "aout"
