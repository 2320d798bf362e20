"""A local NemoVideo-compatible server for offline development and tests."""

from __future__ import annotations

from .faults import Faults
from .options import SandboxOptions
from .server import RunningSandbox, create_app, run_sandbox, serve
from .state import Sandbox

__all__ = [
    "Faults",
    "RunningSandbox",
    "Sandbox",
    "SandboxOptions",
    "create_app",
    "run_sandbox",
    "serve",
]
