"""Background render jobs: a semaphore, ffmpeg as a subprocess, progress, cancellation."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import time
from pathlib import Path

from .images import title_overlay
from .options import SandboxOptions
from .probe import ffmpeg_exe
from .render_plan import RenderFailed, RenderPlan, ffmpeg_args, plan_render
from .state import RenderJob, Sandbox


async def run_render(sandbox: Sandbox, job: RenderJob) -> None:
    """Render one job to `<render_dir>/<id>.mp4`, recording status and progress."""
    loop = asyncio.get_running_loop()
    submitted = loop.time()
    work = sandbox.work_dir / job.id
    try:
        async with sandbox.render_slots:
            job.status = "processing"
            if job.fail_message:
                raise RenderFailed(job.fail_message)
            if job.fail:
                raise RenderFailed("render failed: encoder crashed on node (simulated)")
            plan = plan_render(job.draft, sandbox.media_dir, sandbox.options.render_fps)
            work.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(_draw_titles, plan, work)
            partial = work / "out.mp4"
            options = sandbox.options
            args = ffmpeg_args(
                ffmpeg_exe(), plan, partial, options.crossfade_seconds, options.render_preset
            )
            # With a progress curve the backend's reported progress is the curve alone.
            timed = options.render_progress in ("steady", "lumpy")
            await _ffmpeg(args, job, 0.0 if timed else plan.total)
            await _take_time(job, options, submitted)
            final = sandbox.render_dir / f"{job.id}.mp4"
            partial.replace(final)
            job.output, job.progress, job.status = final, 100, "completed"
            job.completed_at = time.time()
    except RenderFailed as exc:
        job.status, job.error = "failed", str(exc)
    except asyncio.CancelledError:
        job.status, job.error = "failed", job.error or "render cancelled"
        raise
    finally:
        await asyncio.to_thread(_remove_tree, work)


def render_seconds(options: SandboxOptions, render_id: str) -> float:
    """How long this render takes: the minimum, or its own time up to the maximum."""
    low, high = options.render_min_seconds, options.render_max_seconds
    if high <= low:
        return low
    share = int(hashlib.sha256(render_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return low + share * (high - low)


def curve(shape: str, done: float) -> int:
    """Progress (0-99) at `done` (0-1) of a render's time, as the backend reports it."""
    if shape == "lumpy":  # stalls, then jumps: what a queue and a slow encoder look like
        steps = ((0.25, 2), (0.45, 30), (0.7, 35), (0.9, 80))
        return next((p for until, p in steps if done < until), 95)
    return min(99, int(done * 100))


async def _take_time(job: RenderJob, options: SandboxOptions, submitted: float) -> None:
    """Wait out the render's time, moving its progress along its curve."""
    loop = asyncio.get_running_loop()
    total = render_seconds(options, job.id)
    while (left := total - (loop.time() - submitted)) > 0:
        if options.render_progress in ("steady", "lumpy"):
            job.progress = max(job.progress, curve(options.render_progress, 1 - left / total))
        await asyncio.sleep(min(left, 0.1))


def _draw_titles(plan: RenderPlan, work: Path) -> None:
    for k, title in enumerate(plan.titles):
        title.overlay = work / f"title_{k}.png"
        title_overlay(title.text, plan.width, plan.height, title.overlay)


def _remove_tree(path: Path) -> None:
    if path.is_dir():
        for child in path.iterdir():
            child.unlink(missing_ok=True)
        path.rmdir()


async def _ffmpeg(args: list[str], job: RenderJob, total: float) -> None:
    process = await asyncio.create_subprocess_exec(
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    errors: collections.deque[str] = collections.deque(maxlen=8)
    try:
        await asyncio.gather(_progress(process, job, total), _collect(process, errors))
        code = await process.wait()
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
    if code != 0:
        detail = " | ".join(errors) or f"exit code {code}"
        raise RenderFailed(f"render failed: ffmpeg: {detail}"[:500])


async def _progress(process: asyncio.subprocess.Process, job: RenderJob, total: float) -> None:
    assert process.stdout is not None
    async for raw in process.stdout:
        key, _, value = raw.decode(errors="replace").strip().partition("=")
        if key == "out_time_us" and value.isdigit() and total > 0:
            job.progress = max(job.progress, min(99, int(int(value) / 1e6 / total * 100)))


async def _collect(process: asyncio.subprocess.Process, errors: collections.deque[str]) -> None:
    assert process.stderr is not None
    async for raw in process.stderr:
        line = raw.decode(errors="replace").strip()
        if line:
            errors.append(line)
