"""The "What limits each figure" section of RESULTS.md, written from the measured numbers.

The reasoning comes from how the figures were taken apart (see bench/README.md: the relay's
store-call split, the bot's own CPU and loop lag, the bot's logged warnings, the CPU other
processes used meanwhile); the numbers come from this run, and a few comparisons with the
run before the fixes were shipped (commit bf1dfdc's bench/RESULTS.md) are stated as such.
"""

from __future__ import annotations

from collections.abc import Sequence

from bench.common import Metric

__all__ = ["limits"]


class _Found:
    def __init__(self, metrics: Sequence[Metric]) -> None:
        self._metrics = metrics

    def get(self, bench: str, name: str) -> Metric | None:
        """The metric of the benchmark named exactly `bench` (or starting with it + ' ')."""
        for m in self._metrics:
            if m.name == name and (m.bench == bench or m.bench.startswith(bench + " ")):
                return m
        return None

    def v(self, bench: str, name: str, unit: bool = True) -> str:
        m = self.get(bench, name)
        if m is None:
            return "?"
        value = f"{m.value:g}"
        return f"{value} {m.unit}".strip() if unit else value

    def note(self, bench: str, name: str) -> str:
        m = self.get(bench, name)
        return m.note if m is not None else "?"

    def has(self, bench: str) -> bool:
        return any(m.bench == bench or m.bench.startswith(bench + " ") for m in self._metrics)


def _crowd_names(found: _Found) -> tuple[str, str]:
    """The conversation crowd (≤ 5,000 users) and the large one, as named in the table."""
    small = big = ""
    for m in found._metrics:
        if m.bench.startswith("crowd ") and m.name == "users":
            if m.value <= 5000:
                small = small or m.bench
            else:
                big = big or m.bench
    return small, big


def _other_cpu(other: dict[str, float] | None, took: dict[str, float] | None, name: str) -> str:
    if not other or not took or name not in other or name not in took:
        return ""
    return (
        f"; other processes on the machine used {other[name]:.0f} CPU-s meanwhile "
        f"({other[name] / (2 * took[name]):.0%} of 2 cores)"
    )


def _image_relay(f: _Found) -> str:
    ratio = f.get("relay", "image turn, bot/bare at p50")
    if ratio is None:
        return ""
    if ratio.passed:
        return "Image turns pass (their 0.2 s generation dilutes the same ~2 ms)."
    return (
        f"Image turns missed in this run ({ratio.value:g}×: {ratio.note}): the part after the "
        "agent call is posting the image, whose time moves with the machine (the run before, "
        "on bf1dfdc: 1.013×, 2.8 ms after)."
    )


def limits(
    metrics: Sequence[Metric],
    took: dict[str, float] | None = None,
    other: dict[str, float] | None = None,
) -> list[str]:
    """Paragraphs for RESULTS.md, one per benchmark that ran (`took` and `other`: seconds per
    benchmark and the CPU seconds other processes used meanwhile, when known)."""
    f = _Found(metrics)
    out: list[str] = []
    if f.has("relay"):
        bare = f.get("relay", "text turn, bare client, p50")
        budget = f"{bare.value * 0.02:.1f} ms" if bare else "?"
        out.append(
            "**relay.** A sandbox text turn lasts "
            f"{f.v('relay', 'text turn, bare client, p50')} (0.02 s between chunks), so the "
            f"1.02 target leaves the bot {budget}. Measured: "
            f"{f.note('relay', 'text turn, bot/bare at p50')}. Before `/run_sse` leaves, "
            f"the bot makes {f.v('relay', 'text turn, store calls before the agent call')} "
            "sequential store calls on the serving side, each a round trip to one of "
            "aiosqlite's threads and back — "
            f"{f.note('relay', 'text turn, store calls before the agent call')}: "
            "`claim_next` in `Lines._drain` (bot/core/lines.py), `get_user` in "
            "`Engine._unpack`, `credentials` and `get_session` in `Accounts` "
            "(bot/core/accounts.py), and `mark_sending` just before streaming. The message "
            "itself is stored before that on the accepting thread (`bot/core/acceptance.py`): "
            "a hop there, a batch on a worker thread, and a hop back to the serving loop. "
            "Those hops are what this target lost when acceptance moved apart (1.024× the "
            "run before, on one loop, 2.0 ms before the agent call with 7 store calls); "
            "they are what keeps a crowd's acknowledgements under 50 ms (arrival, crowds), "
            "a trade made knowingly. What could still go: the second `get_user` (`submit` "
            "holds the `UserRecord`; hand it to the line with the wake-up), and "
            "`credentials` + `get_session` as one read; `claim_next` and `mark_sending` "
            "must stay apart (the mark says the turn may have been charged, so it is "
            "written only once nothing before the agent call can fail). "
            f"{_image_relay(f)} "
            "Against the real API, whose turns take seconds, these milliseconds are < 0.1 %."
        )
    if f.has("arrival"):
        out.append(_arrival(f, other, took))
    crowd, big = _crowd_names(f)
    if crowd:
        out.append(
            f"**{crowd}.** {f.v(crowd, 'lost replies')} lost, "
            f"{f.v(crowd, 'duplicated replies')} duplicated, "
            f"{f.v(crowd, 'error or stray texts')} error texts, "
            f"{f.v(crowd, 'bot warnings logged')} warnings: every turn waits its turn in "
            "`CappedTransport` (bot/nemo/transport.py: 150 agent turns and 50 other "
            "requests in flight), never in httpcore's pool, so nothing times out (the run "
            "before the cap lost 673 answers to the pool's 30 s timeout). Throughput "
            f"{f.v(crowd, 'throughput')}, turn p95 {f.v(crowd, 'turn latency p95')}, peak "
            f"RSS {f.v(crowd, 'peak RSS of the bot process')}. CPU: "
            f"{f.note(crowd, 'bot CPU per answer')}{_other_cpu(other, took, 'crowd')}. The "
            "2 cores are the limit: most of it is the sandbox (Pillow draws each 1024² "
            "PNG in ~35 ms, ffmpeg renders the exports) — work NemoVideo does on its own "
            f"machines in production; the bot itself costs {f.v(crowd, 'bot CPU per answer')} "
            "per answer (httpx + SSE parsing, SQLite hops, the ingress). Turn latency is "
            "queueing: 1,000 users offer ~300 turns/s in the first seconds, far above "
            "that. The bot's CPU per answer was 22.1 ms in the run before this one: half "
            "of it was httpcore's connection pool walking its 200 connections (and, for "
            "each idle one, all of them again) on every hand-over (bench/PROFILE.md); in "
            "pools of 16 it is 16.6-18.8 ms over four runs, and the GIL it frees shortens "
            "every other thread's waits. Rarer full garbage collections (bot/app_tuning.py) "
            "cost memory: peak RSS 113-114 MB in the runs before them, "
            f"{f.v(crowd, 'peak RSS of the bot process')} here. "
            "Memory grows with turns in flight "
            "(connections, SSE buffers, tasks), not with users."
        )
    if big:
        out.append(
            f"**{big}.** {f.v(big, 'lost replies')} lost, peak RSS "
            f"{f.v(big, 'peak RSS of the bot process')} "
            f"({f.note(big, 'peak RSS of the bot process')}), bot CPU "
            f"{f.v(big, 'bot CPU per answer')} per answer ({f.note(big, 'bot CPU per answer')}"
            f"{_other_cpu(other, took, 'crowd_big')}), throughput {f.v(big, 'throughput')}, "
            f"turn p50 {f.v(big, 'turn latency p50')}, p95 {f.v(big, 'turn latency p95')}. A "
            "user served and gone costs a few kB (rows in SQLite, the engine's user-id "
            "cache, the conversation's state cache capped at 2,048 sessions): memory grows "
            "with turns in flight, not with users. The bot's one event loop is the limit: "
            "80 arrivals a second at ~10-12 ms of CPU per first turn is 80-100 % of one "
            "core, so this run sits on the knee and its latency tail depends on what else "
            "the machine runs: the previous run (quieter, cap 100) had 9.3 ms per answer "
            "and p95 306 ms. Once the bot falls behind the arrivals, the backlog is served "
            "in order and p95 jumps to seconds while p50 stays low. 4,000-user runs at "
            "80/s while preparing this one: cap 100 from the old benchmark 9.9 ms per "
            "answer and p95 0.25 s (quiet machine), 18.7 ms and 37 s (heavy other load); "
            "as shipped 12.7 and 15.7 ms, p95 2.2 and 11 s (light other load) — the "
            "machine's load matters most (the pool's own cost is gone since: see the "
            "1,000-user crowd). Acknowledgements no longer wait for that loop: at the edge "
            f"p99 {f.v(big, 'acknowledgement at the edge p99')} "
            f"({f.note(big, 'acknowledgement at the edge p99')}); before acceptance had its "
            "own thread (commit 5f9811d), engine.submit p99 2,535 ms and the generator saw "
            "p99 14,984 ms, which would have capped a webhook bot at ~3 updates a second; "
            "with the thread alone, 182 ms; with the changes the arrival paragraph lists "
            "(the GIL handed over every 0.1 ms, rare full collections, checkpoints apart, "
            "one write per new user), under 50 ms. The bot's CPU per answer (19.9-24.8 ms "
            "in the runs before the connection pools, "
            f"{f.v(big, 'bot CPU per answer')} here) is what sets the "
            "throughput and so the backlog and turn p95: 46-58 answers a second then, "
            f"{f.v(big, 'throughput')} now. Where the serving thread's CPU goes, by "
            "profile: bench/PROFILE.md."
        )
    if f.has("telegram"):
        out.append(
            "**telegram.** End-to-end p50 "
            f"{f.v('telegram', 'end-to-end latency p50')}, p95 "
            f"{f.v('telegram', 'end-to-end latency p95')}, "
            f"{f.v('telegram', 'lost / duplicated answers')} lost or duplicated. The adapter "
            "keeps Telegram's limits: one message a second per chat (an image turn sends the "
            "answer, the photo and the buttons under it, so it takes ≥ 2 s) and 30 a second "
            f"for the bot ({f.note('telegram', 'throughput')}). Pacing, not CPU, sets these "
            f"numbers ({f.note('telegram', 'CPU')}); the tail is users whose sends wait for "
            "the bot-wide 30/s while 100 chats talk at once. Long polling adds at most one "
            "getUpdates round trip per batch."
        )
    if f.has("render"):
        out.append(
            "**render.** The backend's ffmpeg is "
            f"{f.v('render', 'of which backend render (ffmpeg)')} of "
            f"{f.v('render', '3-image 1080p export, submit → video delivered')}; the bot's "
            f"part ({f.v('render', 'of which bot delivery')}) is at most one poll interval "
            "plus download, probe and thumbnail."
        )
    if f.has("export relay"):
        up = next(
            (m for m in metrics if m.bench == "export relay" and "TelegramOutbox" in m.name), None
        )
        size = up.name.split(", ")[1].split(" MP4")[0] if up else "?"
        sent = f"{up.value:g} MB of RSS growth for a {size} MP4" if up else "?"
        out.append(
            "**export relay.** `NemoClient.download` streams to a file in chunks, so a "
            "150 MB MP4 grows RSS by "
            f"{f.v('export relay', 'peak RSS growth, 150 MB MP4 download')} (target met). The "
            "platform half: Telegram's cloud API takes ≤ 50 MB, and `TelegramOutbox._upload` "
            "now hands PTB an open file (`InputFile(handle, read_file_handle=False)`), which "
            f"httpx streams from disk — measured: {sent} (127.5 MB when the file was read "
            "whole with `path.read_bytes()`, the run before). Over 50 MB a video is sent as "
            "a link (cloud) or as a path (local Bot API server), so it never enters memory "
            "either way."
        )
    if f.has("scale"):
        out.append(_scale(f))
    if f.has("storyboard"):
        out.append(_storyboard(f))
    return out


def _storyboard(f: _Found) -> str:
    drawn = "20-segment storyboard drawn (thumbnails kept), p95"
    return (
        f"**storyboard.** A 20-segment draft draws in {f.v('storyboard', drawn)} at p95 "
        f"({f.note('storyboard', drawn)}): Pillow pastes twenty kept thumbnails, writes some "
        "forty labels and encodes the PNG (zlib at level 6: over half the time, by "
        "profile). Its size is the thumbnails': "
        f"{f.v('storyboard', '20-segment storyboard PNG, placeholder art')} with the "
        "sandbox's art, "
        f"{f.v('storyboard', '20-segment storyboard PNG, noise thumbnails (worst case)')} "
        "with noise, which PNG cannot compress. A session's first /status also fetches the "
        "thumbnails ("
        f"{f.v('storyboard', 'first /status of a session: 20 thumbnails fetched, then drawn')}"
        " on loopback); against a CDN that wait is the network's, capped at 15 s."
    )


def _scale(f: _Found) -> str:
    """What bounds the scale figures: the 2 cores everything shares, not PostgreSQL."""
    runs = [m.bench for m in f._metrics if m.bench.startswith("scale ") and m.name == "turn p95"]

    def cost(run: str) -> float:
        parts = ("worker", "database", "sandbox")
        found = [f.get(run, f"{part} CPU per answer") for part in parts]
        return sum(m.value for m in found if m is not None)

    figures = "; ".join(
        f"{run.removeprefix('scale ')}: {f.v(run, 'answers per second')}, p95 "
        f"{f.v(run, 'turn p95')}, {f.v(run, 'worker CPU per answer')} of worker CPU + "
        f"{f.v(run, 'database CPU per answer')} of PostgreSQL + "
        f"{f.v(run, 'sandbox CPU per answer')} of sandbox per answer, so 2 cores could give "
        f"at most ~{2000 / cost(run):.0f}/s"
        for run in runs
        if cost(run)
    )
    wrong = sum(
        m.value for m in f._metrics if m.bench.startswith("scale ") and m.name.startswith("lost")
    )
    busiest = max(
        (
            sandbox.value * rate.value / 1000
            for run in runs
            if (sandbox := f.get(run, "sandbox CPU per answer"))
            and (rate := f.get(run, "answers per second"))
        ),
        default=0.0,
    )
    one = next((r for r in runs if r.endswith("PostgreSQL ×1")), "")
    worker = f.get(one, "worker CPU per answer") if one else None
    database = f.get(one, "database CPU per answer") if one else None
    projection = ""
    if worker is not None and database is not None and worker.value and database.value:
        projection = (
            f" On a bigger host with NemoVideo elsewhere (the sandbox's share gone), a worker "
            f"at {worker.value:g} ms per answer serves ~{1000 / worker.value:.0f} answers a "
            "second per core it gets, and N workers on N cores scale nearly linearly (each "
            "extra worker adds the fan-out cost above, a few ms per answer at 4) until "
            f"PostgreSQL's {database.value:g} ms per answer fills its cores, ~"
            f"{1000 / database.value:.0f} answers a second per database core (more with "
            "fewer store trips per turn, see relay). Against the real agent, whose turns "
            "take seconds, users then wait on the agent, not on the bot."
        )
    return (
        f"**scale.** {figures}. Lost, doubled or timed out: {wrong:g} in all runs. Every "
        "part shares the same 2 cores (the shares are in the table), so each figure is "
        "about 2 cores divided by the CPU an answer costs, and a second or fourth worker "
        "adds no core: it adds cost. Each worker has its own event loop, HTTP pool, database "
        "connections and scout, and every stored message is announced to every worker "
        "(NOTIFY), each of which tries a claim (SKIP LOCKED lets all but one step aside at "
        "once, but each try is a transaction): worker and database CPU per answer grow with "
        "the number of workers, and throughput falls once that is more than the idle CPU "
        f"left. The sandbox is one process whose loop ran at up to {busiest:.1f} of a core, "
        "near its own ceiling of one. PostgreSQL against SQLite with one worker moves the store's "
        "work out of the bot's process into the server's (plus a round trip and a commit "
        "flushed to disk per write), at about the same total; SQLite cannot be shared by "
        "processes at all. Turn p95 is queueing: 400 users arriving within 5 s offer their "
        "first turns faster than any of these rates. Between runs these figures move by up "
        "to ~15 % with the machine (the run before this one, commit b5c12ef, same load: "
        "SQLite ×1 51.8/s, PostgreSQL ×1 51.4, ×2 51.4, ×4 42.8); four workers were the "
        f"slowest in both.{projection}"
    )


def _arrival(f: _Found, other: dict[str, float] | None, took: dict[str, float] | None) -> str:
    edge = "acknowledgement at the edge p99"
    seen = "acknowledgement p99, seen by the generator"
    return (
        f"**arrival (acknowledgement p99).** At the edge {f.v('arrival', edge)} "
        f"({f.note('arrival', edge)}), store.accept p99 "
        f"{f.v('arrival', 'store.accept p99 (in the bot)')}, seen by the generator "
        f"{f.v('arrival', seen)}, serving loop lag p99 "
        f"{f.v('arrival', 'bot event loop lag p99')}; {f.note('arrival', 'CPU')}"
        f"{_other_cpu(other, took, 'arrival')}. Before acceptance had its own thread "
        "(commit 5f9811d): engine.submit p99 1,333 ms and the generator's p99 1,377 ms, "
        "because one event loop both accepted and ran every first turn (~13 ms of CPU "
        "each), so each await in `submit` waited for the loop to come round, and the "
        "write queued on the one aiosqlite thread behind every turn's store trips. Now "
        "(`bot/core/acceptance.py`) the front door, `Reception` and a twin of the store "
        "run on a thread with their own loop, so no turn's CPU stands between a request "
        "and its answer. What was left was the write's wait for the file, and that wait "
        "was the GIL's: SQLite has one writer, so a twin's write waits in turn "
        "(`TurnLock`) for the serving writer's transaction in progress, and a twin "
        "gathers its writes (`storage/_sqlite_batch.py`: whatever waits when the file's "
        "turn comes runs in it, one transaction with a savepoint per write, on a worker "
        "thread). Timing each write's steps showed where the last 100 ms went: (1) a "
        "store's thread gives up the GIL inside every sqlite3 call and must win it back "
        "from the busy serving thread, ~20 times per message, at Python's 5 ms (0.5 ms "
        "as tuned before) each: now 0.1 ms (`bot/app_tuning.py`); (2) a full garbage "
        "collection stops every thread for 20-80 ms: what was loaded at start is frozen "
        "out of it and full collections are ten times rarer; (3) a COMMIT that passes "
        "1,000 pages of log copies it back with an fsync, 80-95 ms holding the turn: "
        "checkpoints now run on a connection of their own (`storage/_sqlite_checkpoint.py`); "
        "(4) a new user cost two writes in a row (`upsert_user`, then `accept`): the row "
        "is now made in the message's own write (`Newcomer`). And the NemoVideo "
        "connection pool no longer eats half of the serving CPU (see the crowds), which "
        "leaves the GIL free more often. Three runs of this benchmark with all four: "
        "p99 34.5, 40.7 and 39.9 ms. Tried before (arrival, generator's p99): the twin "
        "on aiosqlite threads left to SQLite's busy handler (1,654 ms), the same in turn "
        "(173-473 ms), every write on the accepting loop itself (the loop stalled behind "
        "the serving writer: 143-1,694 ms), each write handed to a worker thread (the "
        "10,000-user crowd fell to 10 answers a second), gathered (131-149 ms). For a "
        "fleet on PostgreSQL, the ingress role as a process of its own takes the GIL out "
        "of the picture altogether."
    )
