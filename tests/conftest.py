"""Fixtures every test folder may use, and the session's network ban (tests/README.md)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.netban import guard
from tests.netban import session as netban_session
from tests.postgres import postgres_server

__all__ = ["postgres_server"]


def pytest_configure(config: pytest.Config) -> None:
    netban_session.start()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # What a module or session fixture's teardown tried, after the last test's check.
    refused = netban_session.check()
    if not refused:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    for line in refused if reporter is not None else ():
        reporter.write_line(line, red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    netban_session.stop()


def _opted_out(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("allow_network")
    if marker is None:
        return False
    # Narrow on purpose: one test function at a time, never a class or module, with a reason.
    if marker not in request.node.own_markers or not marker.kwargs.get("reason"):
        pytest.fail(
            "allow_network goes on the test function itself, with reason='…'", pytrace=False
        )
    return True


@pytest.fixture(autouse=True)
def _network_ban(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail a test that tried to leave loopback, even when the code under test hid the error."""
    if _opted_out(request):
        guard.set_lifted(True)
        monkeypatch.setenv(guard.ON, "0")
    try:
        yield
    finally:
        guard.set_lifted(False)
    refused = netban_session.check()
    if refused:
        pytest.fail("\n".join(refused), pytrace=False)
