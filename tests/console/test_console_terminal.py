"""The console as a person sees it: the prompt after the answer, no log lines in the chat,
every file kept, buttons pressed by typing their word."""

from __future__ import annotations

import re
from pathlib import Path

from tests.console.cli_support import nemobot
from tests.console.terminal import terminal


async def test_the_prompt_follows_the_answer_and_logs_stay_out(tmp_path: Path) -> None:
    async with terminal(tmp_path, "--out", "out") as screen:
        await screen.wait_for(lambda s: s.endswith("you> "))
        screen.type("credits")
        shown = await screen.wait_for(lambda s: re.search(r"Credits:.*\n.*you> $", s) is not None)
        after_enter = shown.split("credits\r\n", 1)[1]
        assert after_enter.startswith("bot> 💳 Credits:")  # not "you> bot> …"
        screen.type("/attach missing.png")
        shown = await screen.wait_for(lambda s: "couldn't read missing.png" in s)
        await screen.wait_for(lambda s: s.endswith("you> "))
    assert "(the log goes to out/nemobot.log)" in shown
    assert "could not fetch" not in shown and "WARNING" not in shown
    log = (tmp_path / "out" / "nemobot.log").read_text()
    assert "could not fetch an attachment (.png): OutboxError" in log
    assert "missing" not in log  # the file's name stays out of the log


async def test_every_image_is_kept_and_buttons_are_typed(tmp_path: Path) -> None:
    lines = b"generate an image of a red fox\nagain\nvariation\n/help\n"
    run = await nemobot(tmp_path, lines, "chat", "--out", "out")
    assert run.code == 0, run.err
    assert "[🔁 Again] [✨ Variation]" in run.out
    saved = re.findall(r"\[image\] (\S+)", run.out)
    assert len(saved) == 3 and len(set(saved)) == 3, run.out
    files = sorted(p.name for p in (tmp_path / "out").glob("img_*.png"))
    assert len(files) == 3, files
    assert all(re.fullmatch(r"img_\d{8}-\d{6}_[\w-]*red-fox[\w-]*(-\d)?\.png", f) for f in files)
    assert "type the word to press one — again, variation" in run.out
