"""Background render jobs: a semaphore, ffmpeg as a subprocess, progress, cancellation."""

from __future__ import annotations

import asyncio
import collections
import contextlib
from pathlib import Path

from .images import title_overlay
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
            await _ffmpeg(args, job, plan.total)
            wait = sandbox.options.render_min_seconds - (loop.time() - submitted)
            if wait > 0:
                await asyncio.sleep(wait)
            final = sandbox.render_dir / f"{job.id}.mp4"
            partial.replace(final)
            job.output, job.progress, job.status = final, 100, "completed"
    except RenderFailed as exc:
        job.status, job.error = "failed", str(exc)
    except asyncio.CancelledError:
        job.status, job.error = "failed", job.error or "render cancelled"
        raise
    finally:
        await asyncio.to_thread(_remove_tree, work)


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
