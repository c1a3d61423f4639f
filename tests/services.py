"""A throwaway Redis and PostgreSQL on loopback, for the lock-store tests and the scale-out test.

Both are installed from Debian's packages when missing (``apt-get``, as root), run from a
temporary folder on free loopback ports, and are stopped and deleted afterwards. PostgreSQL
refuses to run as root, so as root it runs as the ``postgres`` user the package creates.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List

from tests.servers import free_port

START_TIMEOUT_SECONDS = 60


class ServiceError(RuntimeError):
    """A service could not be installed or started; the message says why."""


def _apt_install(package: str) -> None:
    if os.geteuid() != 0:
        raise ServiceError(f"{package} is not installed; install it (apt-get install {package})")
    print(f"installing {package} with apt-get", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", package]):
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise ServiceError(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")


def redis_server() -> str:
    """The ``redis-server`` binary, installed when missing."""
    if not shutil.which("redis-server"):
        _apt_install("redis-server")
    path = shutil.which("redis-server")
    if not path:
        raise ServiceError("redis-server is still missing after apt-get install")
    return path


def postgres_bin() -> Path:
    """The folder with PostgreSQL's server programs, installed when missing."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        _apt_install("postgresql")
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise ServiceError("PostgreSQL's initdb is still missing after apt-get install")
    return Path(found[-1]).parent


def _wait(check: subprocess.Popen[bytes], ready: List[str], log: Path, name: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if check.poll() is not None:
            raise ServiceError(f"{name} exited:\n{log.read_text(errors='replace')[-2000:]}")
        if subprocess.run(ready, capture_output=True).returncode == 0:
            return
        time.sleep(0.3)
    raise ServiceError(f"{name} did not start:\n{log.read_text(errors='replace')[-2000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@contextmanager
def redis(tmp: Path) -> Iterator[int]:
    """Runs Redis on a free loopback port without persistence; yields the port."""
    binary = redis_server()
    port = free_port()
    log = tmp / "redis.log"
    command = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
               "--appendonly", "no", "--dir", str(tmp), "--protected-mode", "yes"]  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        cli = shutil.which("redis-cli")
        ready = [cli, "-h", "127.0.0.1", "-p", str(port), "ping"] if cli else ["true"]
        _wait(process, ready, log, "redis-server")
        yield port
    finally:
        _stop(process)


@contextmanager
def postgresql(tmp: Path, database: str = "rasa", user: str = "rasa") -> Iterator[str]:
    """Runs PostgreSQL on a free loopback port; yields the SQLAlchemy URL of an empty database.

    Authentication is ``trust`` on loopback only: the cluster lives for one test run.
    """
    bindir = postgres_bin()
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    home = tmp / "postgresql"  # the cluster, its socket and its log, owned by its user
    data, sockets, log = home / "data", home / "socket", home / "postgres.log"
    for folder in (home, data, sockets):
        folder.mkdir()
        if as_postgres:
            shutil.chown(folder, "postgres", "postgres")
    if as_postgres:
        os.chmod(tmp, 0o755)  # postgres must reach its folder inside the temporary folder
    init = subprocess.run(
        [*as_postgres, str(bindir / "initdb"), "-D", str(data), "-U", user, "-A", "trust",
         "--no-sync", "-E", "UTF8"],
        capture_output=True, text=True,
    )  # fmt: skip
    if init.returncode != 0:
        raise ServiceError(f"initdb failed:\n{init.stderr[-2000:]}")
    port = free_port()
    options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={sockets}"
    pg_ctl = [*as_postgres, str(bindir / "pg_ctl"), "-D", str(data)]
    started = subprocess.run(
        [*pg_ctl, "-l", str(log), "-o", options, "-w", "-t", str(START_TIMEOUT_SECONDS), "start"],
        capture_output=True, text=True,
    )  # fmt: skip
    if started.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else started.stderr
        raise ServiceError(f"postgres did not start:\n{tail}")
    try:
        created = subprocess.run(
            [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", user, database],
            capture_output=True, text=True,
        )  # fmt: skip
        if created.returncode != 0:
            raise ServiceError(f"createdb failed:\n{created.stderr[-2000:]}")
        yield f"postgresql://{user}@127.0.0.1:{port}/{database}"
    finally:
        subprocess.run([*pg_ctl, "-m", "fast", "-w", "stop"], capture_output=True)
