"""The layers stay apart: the core knows no platform, the client knows no chat."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(folder: str) -> set[tuple[str, str]]:
    found = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {(path.name, alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add((path.name, node.module))
    return found


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("bot/core", ("discord", "telegram", "adapters", "sandbox", "httpx", "aiohttp")),
        ("bot/nemo", ("bot.core", "adapters", "storage", "discord", "telegram", "sandbox")),
        ("storage", ("bot", "adapters", "sandbox")),
        ("adapters", ("bot.nemo", "storage", "sandbox")),
        ("sandbox", ("bot", "adapters", "storage")),
    ],
)
def test_layer_does_not_import(folder: str, forbidden: tuple[str, ...]) -> None:
    bad = {
        (name, module)
        for name, module in _imports(folder)
        if any(module == f or module.startswith(f + ".") for f in forbidden)
    }
    assert not bad, f"{folder} imports {sorted(bad)}"
