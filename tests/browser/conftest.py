"""A real server (the same launcher `make run` uses) on a free port, with a fresh demo database."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root in CI
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",  # the machine has no network: no calls home
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class Server:
    """A running app: its address and the database it serves."""

    url: str
    database_url: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve_many(database_url: str, data_dirs: list[Path], ports: list[int] | None = None) -> Iterator[Callable[[], list[str]]]:
    """Start one app per data folder with `make run`'s launcher, each on a free port (or `ports`), all against `database_url`.

    The servers start at once; the caller may do other work while they come up, then call the yielded
    function, which waits until every server answers and returns their addresses. All stop on exit.
    """
    procs: list[tuple[subprocess.Popen, str, Path]] = []
    logs = []
    try:
        for index, data_dir in enumerate(data_dirs):
            env = {**os.environ, "DATABASE_URL": database_url, "DATA_DIR": str(data_dir)}
            port = ports[index] if ports else _free_port()
            log = open(data_dir / "server.log", "a")  # noqa: SIM115 - closed after the server stops
            logs.append(log)
            proc = subprocess.Popen(
                [sys.executable, "-m", "ui.serve", "--server.port", str(port), "--server.address", "127.0.0.1"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
            procs.append((proc, f"http://127.0.0.1:{port}", data_dir))
        yield lambda: [_wait_until_up(url, data_dir) for _, url, data_dir in procs]
    finally:
        for proc, _, _ in procs:
            proc.terminate()
        for proc, _, _ in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in logs:
            log.close()


def _wait_until_up(url: str, data_dir: Path) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return url
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the app did not start: {(data_dir / 'server.log').read_text()}")


@contextmanager
def serve(database_url: str, data_dir: Path, port: int | None = None) -> Iterator[str]:
    """Run the app with `make run`'s launcher on a free port (or `port`) against `database_url`; yield its address.

    A server restarted on the same port is what a lost connection comes back to.
    """
    with serve_many(database_url, [data_dir], [port] if port else None) as started:
        yield started()[0]


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Seed the demo dataset into a new SQLite file, serve it, stop the server at the end."""
    data_dir = tmp_path_factory.mktemp("server-data")
    database_url = f"sqlite:///{data_dir / 'demo.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": database_url, "DATA_DIR": str(data_dir)}
    subprocess.run([sys.executable, "-m", "seed", "demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    with serve(database_url, data_dir) as url:
        yield Server(url=url, database_url=database_url)


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[object]:
    """Debian's Chromium, headless, driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def settle(page, timeout: float = 30_000) -> None:  # noqa: ANN001
    """Wait until the app's script run is over: until then the page may still show the last run's widgets,
    and a field typed into then is replaced (emptied) when the run's new form arrives."""
    page.locator('[data-testid=stApp][data-test-script-state="notRunning"]').wait_for(timeout=timeout)


def shot(page, name: str) -> None:  # noqa: ANN001
    """Save a screenshot as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
