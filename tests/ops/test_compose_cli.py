"""compose.yaml read by a real Compose, from `.env.example` as shipped, for every profile.

Compose interpolates the whole file before it applies profiles (docker/compose#11977): one
`${VAR:?…}` in a profile's service stops a plain `docker compose up`. `config` runs the
same loading and interpolation as `up`, and needs no daemon. Debian's `docker-compose`
package (Compose 1.29, installed by .ci/run) is enough for that; it predates the top-level
`name:` key, so it is handed a copy without that one line. A Compose v2 (`docker compose`,
or a v2 `docker-compose`) reads the file unchanged and also filters services by profile.

No Compose here: the tests skip with the reason; with `CI=true` or
`NEMOBOT_REQUIRE_COMPOSE=1` that is a failure instead.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCALE_PASSWORD = "0123456789abcdef0123456789abcdef"
LOCAL_BOT_API = """
TELEGRAM_API_ID=1234567
TELEGRAM_API_HASH=0123456789abcdef0123456789abcdef
TELEGRAM_API_BASE_URL=http://telegram-bot-api:8081
TELEGRAM_LOCAL_MODE=1
TMPDIR=/var/lib/telegram-bot-api
COMPOSE_PROFILES=local-bot-api
"""


@dataclass(frozen=True)
class Compose:
    argv: tuple[str, ...]
    major: int


def _version(argv: list[str]) -> int | None:
    """The major version of this Compose, if it runs and has profiles (1.28 and later)."""
    try:
        result = subprocess.run(
            [*argv, "version", "--short"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.match(r"v?(\d+)\.(\d+)", result.stdout.strip())
    if result.returncode != 0 or not found:
        return None
    major, minor = int(found[1]), int(found[2])
    return major if (major, minor) >= (1, 28) else None


def _required() -> bool:
    flag = os.environ.get("NEMOBOT_REQUIRE_COMPOSE", "") not in ("", "0")
    return flag or os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="module")
def compose() -> Compose:
    for argv in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(argv[0]) and (major := _version(argv)) is not None:
            return Compose(tuple(argv), major)
    reason = "no Docker Compose here (Debian: apt-get install docker-compose)"
    if _required():
        pytest.fail(f"CI=true or NEMOBOT_REQUIRE_COMPOSE=1, but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def project(tmp_path: Path, compose: Compose) -> Iterator[Path]:
    """A copy of the project's compose files with `.env` copied from `.env.example`."""
    text = (ROOT / "compose.yaml").read_text()
    if compose.major < 2:
        text = re.sub(r"(?m)^name: .*\n", "", text, count=1)
    (tmp_path / "compose.yaml").write_text(text)
    shutil.copy(ROOT / "Dockerfile", tmp_path / "Dockerfile")
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    yield tmp_path


def _config(compose: Compose, project: Path, *args: str) -> dict[str, Any]:
    """`compose [args] config`, as `up` would load it; fails the test on a non-zero exit."""
    # Only what any shell has: nothing from this environment may fill a variable in.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(project)}
    result = subprocess.run(
        [*compose.argv, *args, "config"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, f"{' '.join(args)} config: {result.stderr.strip()}"
    loaded = yaml.safe_load(result.stdout)
    assert isinstance(loaded, dict)
    return loaded


@pytest.mark.parametrize(
    ("profile", "services"),
    [
        ((), {"bot"}),
        (("--profile", "local-bot-api"), {"bot", "telegram-bot-api"}),
        (("--profile", "scale"), {"bot", "postgres", "worker-1", "worker-2", "worker-3"}),
    ],
    ids=["no-profile", "local-bot-api", "scale"],
)
def test_every_profile_loads_from_env_example_as_shipped(
    compose: Compose, project: Path, profile: tuple[str, ...], services: set[str]
) -> None:
    config = _config(compose, project, *profile)
    bot = config["services"]["bot"]["environment"]
    assert bot["NEMOBOT_DB"] == "/data/nemobot.db"
    assert str(bot["NEMOBOT_METRICS_PORT"]) == "9464"  # empty in .env.example: the default
    if compose.major >= 2:  # Compose 1 lists every service whatever the profile
        assert set(config["services"]) == services


def test_the_readme_s_local_bot_api_settings_load(compose: Compose, project: Path) -> None:
    with (project / ".env").open("a") as env:
        env.write(LOCAL_BOT_API)
    config = _config(compose, project)  # COMPOSE_PROFILES in .env picks the profile
    server = config["services"]["telegram-bot-api"]["environment"]
    assert str(server["TELEGRAM_API_ID"]) == "1234567"
    if compose.major >= 2:
        assert set(config["services"]) == {"bot", "telegram-bot-api"}


def test_the_scale_profile_takes_its_password_from_env(compose: Compose, project: Path) -> None:
    with (project / ".env").open("a") as env:
        env.write(f"NEMOBOT_POSTGRES_PASSWORD={SCALE_PASSWORD}\n")
    services = _config(compose, project, "--profile", "scale")["services"]
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == SCALE_PASSWORD
    for worker in ("worker-1", "worker-2", "worker-3"):
        url = services[worker]["environment"]["NEMOBOT_DB"]
        assert url == f"postgresql://nemobot:{SCALE_PASSWORD}@postgres:5432/nemobot"


def _postgres_start(compose: Compose, project: Path, tmp_path: Path, password: str) -> str:
    """Run the postgres service's entrypoint as Compose resolved it, with the image's own
    entrypoint replaced by a script that says how it was called; its stdout and stderr."""
    service = _config(compose, project, "--profile", "scale")["services"]["postgres"]
    # `config` prints a literal `$` escaped as `$$`, as it must be written in the file.
    argv = [part.replace("$$", "$") for part in service["entrypoint"]]
    image_bin = tmp_path / "image-bin"
    image_bin.mkdir(parents=True)
    fake = image_bin / "docker-entrypoint.sh"
    fake.write_text('#!/bin/sh\necho "postgres starts: $*"\n')
    fake.chmod(0o755)
    env = {"PATH": f"{image_bin}:/usr/bin:/bin", "POSTGRES_PASSWORD": password}
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=env)
    return f"exit {result.returncode}: {result.stdout}{result.stderr}"


def test_the_scale_profile_insists_on_its_password_when_postgres_starts(
    compose: Compose, project: Path, tmp_path: Path
) -> None:
    refused = _postgres_start(compose, project, tmp_path / "a", "")
    assert refused.startswith("exit 1: ")
    assert "needs NEMOBOT_POSTGRES_PASSWORD in .env" in refused
    assert "postgres starts" not in refused
    started = _postgres_start(compose, project, tmp_path / "b", SCALE_PASSWORD)
    assert started == "exit 0: postgres starts: postgres\n"
