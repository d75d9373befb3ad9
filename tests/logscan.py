"""Every log line of the test session, searched for secrets when the session ends.

``tests/conftest.py`` starts the capture: a handler on the root logger writes every record at info
(the production level) and above, tracebacks included, to one file. When the session ends the file
is searched for the passwords the suite's sources use, bearer and case tokens, phone numbers, email
addresses and GPS coordinates; a hit fails the run and prints the lines. Not covered: the test's own
HTTP client (it logs the URLs it requests: the caller's log, not the service's) and servers the
suite starts in other processes. ``tests/meiji/test_logs.py`` also checks debug.

When the suite runs in several pytest-xdist workers (``scripts/test`` does), each worker writes its
own file into the directory the controller made, and the controller searches them all at the end.
"""

from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path

import pytest

LOG_DIR = pytest.StashKey[Path]()
HANDLER = pytest.StashKey[logging.Handler]()
WORKER_KEY = "meiji_log_dir"  # in an xdist worker's ``workerinput``: where the controller reads the files

CLIENT_LOGGERS = ("httpx", "httpx2", "httpcore")

PATTERNS: dict[str, re.Pattern[str]] = {
    # token_urlsafe(32): 43 characters of the URL-safe alphabet (sign-in tokens, case tokens).
    "token": re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])|[Bb]earer\s+\S{8,}"),
    "password field": re.compile(r"""password['"]?\s*[:=]\s*['"][^'"]+"""),
    "phone number": re.compile(r"(?<![\d.])(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?![\d.])"),
    "email address": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}"),
    "GPS coordinate": re.compile(r"GPS(?:Info|Latitude|Longitude)|\(\s*\d{1,3}\.\d+,\s*\d{1,2}\.\d+,\s*\d{1,2}\.\d+"
                                 r"|-?\d{1,3}\.\d{4,},\s*-?\d{1,3}\.\d{4,}"),
}

_PASSWORD_LITERAL = re.compile(r"""(?:["']password["']\s*:\s*|PASSWORD\s*=\s*)["']([^"'{}]{8,})["']""")


def suite_passwords(root: Path) -> set[str]:
    """The passwords written in the suite's sources (and the demo's), long enough to mean something."""
    found: set[str] = set()
    for source in [*root.glob("tests/**/*.py"), root / "content" / "demo.py"]:
        if source.exists():
            found.update(_PASSWORD_LITERAL.findall(source.read_text(encoding="utf-8")))
    return found


class _ServiceOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.name.startswith(CLIENT_LOGGERS)


def _worker(config: pytest.Config) -> str | None:
    """The xdist worker id (``gw0``...) when ``config`` is a worker's, else None."""
    workerinput: dict[str, str] | None = getattr(config, "workerinput", None)
    return workerinput["workerid"] if workerinput is not None else None


def start(config: pytest.Config) -> None:
    worker = _worker(config)
    if worker is None:
        directory = Path(tempfile.mkdtemp(prefix="meiji-test-logs-"))
    else:
        directory = Path(config.workerinput[WORKER_KEY])  # type: ignore[attr-defined]
    path = directory / f"{worker or 'session'}.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.addFilter(_ServiceOnly())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    if root.getEffectiveLevel() > logging.INFO:
        root.setLevel(logging.INFO)
    config.stash[LOG_DIR] = directory
    config.stash[HANDLER] = handler


def hand_to_worker(config: pytest.Config, workerinput: dict[str, str]) -> None:
    """Tell a starting xdist worker where to write its log file."""
    workerinput[WORKER_KEY] = str(config.stash[LOG_DIR])


def findings(text: str, passwords: set[str]) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        kinds = [kind for kind, pattern in PATTERNS.items() if pattern.search(line)]
        kinds += ["password"] if any(p in line for p in passwords) else []
        if kinds:
            found.append(f"line {number} ({', '.join(kinds)}): {line[:300]}")
    return found


def finish(session: pytest.Session) -> None:
    config = session.config
    if LOG_DIR not in config.stash:
        return
    handler = config.stash[HANDLER]
    logging.getLogger().removeHandler(handler)
    handler.close()
    if _worker(config) is not None:
        return  # the controller searches every worker's file once they have all finished
    directory = config.stash[LOG_DIR]
    files = sorted(directory.glob("*.log"))
    text = "".join(path.read_text(encoding="utf-8", errors="replace") for path in files)
    found = findings(text, suite_passwords(config.rootpath))
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if found:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_sep("=", f"secrets in the service's logs ({directory})", red=True)
            for line in found[:50]:
                reporter.write_line(line)
    else:
        for path in files:
            path.unlink()
        directory.rmdir()
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(f"the service's logs ({text.count(chr(10))} lines at info and above, "
                                f"{len(files)} file(s)) hold no secret")
