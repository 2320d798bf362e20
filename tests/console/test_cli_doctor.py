"""`nemobot doctor` says what works, one line each, and fails when something does not."""

from __future__ import annotations

from pathlib import Path

from sandbox import SandboxOptions, run_sandbox
from tests.console.cli_support import nemobot


async def test_doctor_with_nothing_configured_points_at_the_sandbox(tmp_path: Path) -> None:
    run = await nemobot(tmp_path, b"", "doctor")
    assert run.code == 0, run.out + run.err
    assert "built-in sandbox" in run.out
    assert "FAIL" not in run.out


async def test_doctor_checks_the_token_against_the_backend(tmp_path: Path) -> None:
    async with run_sandbox(SandboxOptions()) as running:
        token = running.sandbox.create_user_token(credits=7)
        good = await nemobot(tmp_path, b"", "doctor", NEMO_API_BASE=running.url, NEMO_TOKEN=token)
        bad = await nemobot(
            tmp_path, b"", "doctor", NEMO_API_BASE=running.url, NEMO_TOKEN="nmv_usr_wrong"
        )
    assert good.code == 0 and "token ok, 7 credits" in good.out
    assert bad.code == 1 and "FAIL  backend" in bad.out
    assert token not in good.out + good.err
    assert "nmv_usr_wrong" not in bad.out + bad.err


async def test_doctor_spends_nothing_unless_told_live_and_then_says_so_first(
    tmp_path: Path,
) -> None:
    async with run_sandbox(SandboxOptions()) as running:
        plain = await nemobot(tmp_path, b"", "doctor", NEMO_API_BASE=running.url)
        minted_by_plain = running.sandbox.tokens_issued
        live = await nemobot(tmp_path, b"", "doctor", "--live", NEMO_API_BASE=running.url)
        minted_by_live = running.sandbox.tokens_issued
    assert plain.code == 0, plain.out + plain.err
    assert minted_by_plain == 0 and "doctor --live: asks" not in plain.out
    assert live.code == 0, live.out + live.err
    assert live.out.splitlines()[0].startswith("doctor --live: asks ")
    assert minted_by_live == 1
