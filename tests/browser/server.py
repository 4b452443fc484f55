"""A real `clinic serve` process on a free port and a demo database, restartable."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from server.config import PROJECT_ROOT

CLINIC = str(Path(sys.executable).with_name("clinic"))
SECRET = "browser-test-secret-key-0123456789abcdef"


def free_port() -> int:
    """Ask the OS for a port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServerProcess:
    """`clinic serve` on a seeded demo clinic in `folder`; stop and start it again at will."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "server.log"
        self.database = folder / "clinic.sqlite3"
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite+aiosqlite:///{self.database}",
            "SECRET_KEY": SECRET,
            "CLINIC_PUBLIC_URL": self.url,
            "CLINIC_PORT": str(self.port),
        }
        self.env.pop("REDIS_URL", None)  # the embedded mode: one process, no Redis
        self.process: subprocess.Popen[bytes] | None = None

    def seed(self) -> None:
        """Migrate the database and create the demo clinic in it."""
        for command in (["db", "upgrade"], ["demo", "seed"]):
            subprocess.run(
                [CLINIC, *command], env=self.env, cwd=PROJECT_ROOT, check=True, capture_output=True
            )

    def copy_database(self, seeded: Path) -> None:
        """Start from a copy of an already seeded database (seeding takes seconds)."""
        for suffix in ("", "-wal", "-shm"):
            source = seeded.with_name(seeded.name + suffix)
            if source.exists():
                shutil.copyfile(source, self.database.with_name(self.database.name + suffix))

    # Generous: on the shared 2-core machine a busy hour makes start-up alone take over a minute.
    def start(self, timeout: float = 180.0) -> None:
        """Start serving and wait until the health check answers."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [CLINIC, "serve", "--port", str(self.port)],
                env=self.env,
                cwd=PROJECT_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: see {self.log}\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()  # a late server would otherwise outlive the test and load the machine
        raise RuntimeError(f"the server did not answer within {timeout} s: see {self.log}")

    def diagnose(self) -> str:
        """Have the server dump its threads' and tasks' stacks; return the end of its log."""
        if self.process is not None and self.process.poll() is None:
            for dump in (signal.SIGUSR1, signal.SIGUSR2):
                self.process.send_signal(dump)
            time.sleep(1)
        lines = self.log.read_text(errors="replace").splitlines()
        return "\n".join([f"--- the last lines of {self.log} ---", *lines[-400:]])

    def stop(self) -> None:
        """Stop the server the way a deploy or a crash would (SIGTERM, then SIGKILL)."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
