"""Puts the test session's network ban on a Python child the tests start.

The tests put this folder on a child's `PYTHONPATH`; Python imports `sitecustomize` at
start-up, before the child's own code. It loads `tests/netban/guard.py` by path (a child
running in a temporary folder cannot import `tests`), installs the ban when the environment
asks for it, then runs the `sitecustomize` this one hides, if there is one.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent


def _load(name: str, spec: importlib.machinery.ModuleSpec | None) -> ModuleType | None:
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _ban() -> None:
    name = "nemobot_netban"
    guard = _load(name, importlib.util.spec_from_file_location(name, HERE.parent / "guard.py"))
    if guard is not None and os.environ.get(guard.ON) == "1":
        allow = os.environ.get(guard.ALLOW, "").split(",")
        guard.install(log=os.environ.get(guard.LOG) or None, allow=filter(None, allow))


def _chain() -> None:
    others = [p for p in sys.path if Path(p or ".").resolve() != HERE]
    _load("sitecustomize", importlib.machinery.PathFinder.find_spec("sitecustomize", others))


_ban()
_chain()
