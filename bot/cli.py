"""The `nemobot` command: run, chat, sandbox, doctor, stats, backup, migrate-db."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from dataclasses import replace
from pathlib import Path

from bot.app_tuning import tune_interpreter
from bot.config import ConfigError, Settings, load_settings
from bot.logs import setup_logging
from storage import StoreOpenError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nemobot", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser("run", help="run the configured platforms (console when none)")
    chat = commands.add_parser("chat", help="chat with the bot in this terminal")
    run.add_argument(
        "--role",
        choices=("all", "ingress", "worker"),
        help="with several workers: receive and answer (all, the default), only receive and "
        "store (ingress), or only answer (worker); overrides NEMOBOT_ROLE",
    )
    for sub in (run, chat):
        sub.add_argument("--user", default=_os_user(), help="console user id (default: you)")
        sub.add_argument(
            "--out",
            type=Path,
            default=Path("nemobot-out"),
            help="folder for images and videos the bot sends",
        )
    sandbox = commands.add_parser("sandbox", help="serve the local NemoVideo sandbox")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8765)
    check = commands.add_parser("doctor", help="check the configuration and the backend")
    check.add_argument(
        "--live",
        action="store_true",
        help="also mint one anonymous NemoVideo token (said before it is done)",
    )
    commands.add_parser("stats", help="print the figures /stats shows (beside a running bot)")
    backup = commands.add_parser(
        "backup", help="copy the database while the bot runs (SQLite's online backup)"
    )
    backup.add_argument("path", type=Path, help="file (or folder) to write the copy to")
    move = commands.add_parser(
        "migrate-db", help="copy a SQLite database into an empty PostgreSQL one (bot stopped)"
    )
    move.add_argument("source", help="the SQLite file, e.g. nemobot.db")
    move.add_argument("target", help="postgresql://user:password@host/database")
    return parser


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "console"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `nemobot` script."""
    args = _parser().parse_args(argv)
    command = args.command or "run"
    if command == "sandbox":
        from sandbox import serve

        serve(args.host, args.port)
        return 0
    try:
        settings = _prepare(args)
    except ConfigError as exc:
        print(f"nemobot: {exc}", file=sys.stderr)
        return 2
    if command == "doctor":
        from bot.doctor import doctor

        return asyncio.run(doctor(settings, live=args.live))
    try:
        return _run(command, args, settings)
    except StoreOpenError as exc:
        print(f"nemobot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _prepare(args: argparse.Namespace) -> Settings:
    """The settings with the command line's overrides; logging and the interpreter set up."""
    settings = load_settings()
    if getattr(args, "role", None):
        settings = replace(settings, role=args.role)
    setup_logging(settings.log_level, settings.secrets(), settings.log_format)
    tune_interpreter()
    return settings


def _run(command: str, args: argparse.Namespace, settings: Settings) -> int:
    """The commands that open the store: the tools, the platforms, or the console."""
    if command == "stats":
        from bot.ops.tools import print_stats

        return asyncio.run(print_stats(settings))
    if command == "backup":
        from bot.ops.tools import backup

        return backup(settings, args.path)
    if command == "migrate-db":
        from bot.ops.tools import migrate_db

        return asyncio.run(migrate_db(args.source, args.target))
    if command == "run" and settings.platforms:
        from bot.app import run_platforms

        return asyncio.run(run_platforms(settings))
    from bot.app import run_console

    user = getattr(args, "user", None) or _os_user()
    out = getattr(args, "out", None) or Path("nemobot-out")
    return asyncio.run(run_console(settings, user, out))


if __name__ == "__main__":
    sys.exit(main())
