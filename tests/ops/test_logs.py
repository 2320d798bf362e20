"""Log lines: one per event, key=value or JSON, tokens masked, people named only by a hash."""

from __future__ import annotations

import json
import logging
import shlex
from pathlib import Path

import pytest

from bot import logs
from bot.config import Settings
from bot.logs import JsonFormatter, KeyValueFormatter, RedactingFilter, pseudonym
from sandbox import RunningSandbox
from tests.console.cli_support import nemobot

TOKEN = "123456789:" + "A" * 35


def record(message: str, *args: object, level: int = logging.INFO) -> logging.LogRecord:
    made = logging.LogRecord("bot.core.engine", level, __file__, 1, message, args, None)
    RedactingFilter([TOKEN]).filter(made)
    return made


def test_key_value_lines_quote_what_needs_it_and_never_break() -> None:
    line = KeyValueFormatter().format(record('went "wrong"\nsecond line for %s', "x"))
    assert "\n" not in line
    pairs = shlex.split(line)
    fields = dict(pair.split("=", 1) for pair in pairs)
    assert fields["level"] == "info"
    assert fields["logger"] == "bot.core.engine"
    assert fields["time"].endswith("Z")
    assert json.loads(line.split("msg=", 1)[1]) == 'went "wrong"\nsecond line for x'


def test_a_plain_value_stays_bare() -> None:
    line = KeyValueFormatter().format(record("ready"))
    assert line.endswith(" msg=ready")


def test_json_lines_parse_and_carry_the_same_fields() -> None:
    line = JsonFormatter().format(record("could not reach %s", "Telegram", level=logging.WARNING))
    fields = json.loads(line)
    assert fields["level"] == "warning" and fields["msg"] == "could not reach Telegram"
    assert set(fields) == {"time", "level", "logger", "msg"}


@pytest.mark.parametrize("formatter", [KeyValueFormatter(), JsonFormatter()])
def test_tokens_are_masked_in_both_formats(formatter: logging.Formatter) -> None:
    line = formatter.format(record("calling https://api.telegram.org/bot%s/getMe", TOKEN))
    assert TOKEN not in line and "[redacted]" in line


def test_pseudonyms_are_stable_short_and_keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    name = pseudonym(5551234567)
    assert name == pseudonym("5551234567") and name.startswith("u-") and len(name) == 12
    assert "5551234567" not in name and pseudonym(5551234568) != name
    monkeypatch.setattr(logs, "_pseudonym_key", b"another installation")
    assert pseudonym(5551234567) != name


def test_the_format_is_a_setting() -> None:
    assert Settings.from_env({}).log_format == "kv"
    assert Settings.from_env({"NEMOBOT_LOG_FORMAT": "JSON"}).log_format == "json"
    with pytest.raises(ValueError, match="NEMOBOT_LOG_FORMAT"):
        Settings.from_env({"NEMOBOT_LOG_FORMAT": "xml"})


async def test_a_json_logged_chat_keeps_words_and_names_out_of_the_log(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    words = "generate an image of a periwinkle zeppelin"
    sandbox.sandbox.faults.cut_stream_once = True  # something worth a warning line
    run = await nemobot(
        tmp_path,
        f"{words}\n".encode(),
        "chat",
        "--user",
        "alice-48151623",
        NEMO_API_BASE=sandbox.url,
        NEMOBOT_RETRY_AFTER_SECONDS="0",
        NEMOBOT_LOG_FORMAT="json",
        NEMOBOT_METRICS_PORT="0",
    )
    assert run.code == 0, run.err
    lines = [json.loads(line) for line in run.err.splitlines() if line.strip()]
    messages = [line["msg"] for line in lines]
    assert any("health and metrics on http://127.0.0.1:" in m for m in messages)
    assert any("ended early" in m for m in messages)  # the cut stream, with a pseudonym
    assert "periwinkle" not in run.err and "zeppelin" not in run.err
    assert "alice-48151623" not in run.err
