"""Tunable behaviour of the local NemoVideo sandbox."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class SandboxOptions:
    """Settings of one sandbox instance (costs, limits, timings, storage)."""

    initial_credits: int = 100
    generation_cost: int = 5
    token_ttl_seconds: float = 7 * 24 * 3600
    max_upload_bytes: int = 200 * 1024 * 1024
    render_min_seconds: float = 0.0
    # With a maximum above the minimum, each render takes its own time in between (drawn
    # from its id), and its progress moves with the time: "steady" (a straight line) or
    # "lumpy" (long stalls, then jumps); "ffmpeg" reports the encoder's own progress.
    render_max_seconds: float = 0.0
    render_progress: str = "ffmpeg"
    image_seconds: float = 3.0
    max_tokens_per_ip: int | None = None
    keepalive_seconds: float = 1.0
    chunk_delay_seconds: float = 0.02
    generation_delay_seconds: float = 0.0
    data_dir: Path | None = None
    max_concurrent_renders: int = 2
    render_fps: int = 25
    render_preset: str = "veryfast"
    crossfade_seconds: float = 0.5
    # How this backend reports generated images: "standard" (generated_media entries with
    # ids), "no_id" (entries without an id), "url_id" (the id is the URL), or "tool_only"
    # (only `image_url` in the tool's result, nothing in generated_media).
    media_shape: str = "standard"
    # How render polls answer: "standard" ({"success", "data": {...}}) or "flat" (status,
    # progress, output and a failure's `message` at the top level). The "refused_*" shapes
    # answer a failed render with `{"success": false, …}` at HTTP 200, its reason in `error`
    # ("refused"), `message`, `msg`, `detail`, `error.message` ("refused_object"), or the
    # failed job under `data` ("refused_data").
    render_shape: str = "standard"
