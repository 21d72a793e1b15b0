"""Real processes for the tests that need them: a private Redis server a test may kill, and
the app served by gunicorn (as docker-compose.yml serves it) against this test run's database.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


# What the served app signs and derives secrets with (tests that make a secret for it).
SERVED_SECRET_KEY = "served-under-test"


def database_url() -> str:
    """This test run's database (its name is only known once the test database exists)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition: Callable[[], bool], timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"{message} (after {timeout}s)")


class RedisServer:
    """A redis-server of the test's own on a free port, so that killing it touches nothing
    else on the machine."""

    def __init__(self, workdir: Path):
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [
                *(binary, "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(workdir)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.answers, 10, "redis-server did not start")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL: the way a crashed or OOM-killed Redis goes, with no goodbye."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.kill()


def compose_web_command(port: int, workers: int, threads: int) -> list[str]:
    """docker-compose.yml's `web` command (its config file, worker class, preload, limits,
    access log), bound to 127.0.0.1:`port`, with `workers` x `threads` for its size."""
    text = (BASE_DIR / "docker-compose.yml").read_text()
    web = re.search(r"^  web:\n(.*?)(?=^  \S)", text, re.S | re.M).group(1)
    lines = re.search(r"^    command:\n((?:^      - .*\n)+)", web, re.M).group(1)
    args = [line.strip()[2:] for line in lines.splitlines()]
    sizes = {"WEB_WORKERS": str(workers), "WEB_THREADS": str(threads)}
    args = [re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: sizes.get(*m.groups()), a) for a in args]
    args = [f"--bind=127.0.0.1:{port}" if a.startswith("--bind=") else a for a in args]
    assert args[0] == "gunicorn" and "$" not in " ".join(args), args
    return [sys.executable, "-m", *args]


class Gunicorn:
    """The app in gunicorn on a free port, with `env` on top of this run's database; with
    `compose`, started by docker-compose.yml's own command (2 workers x 2 threads)."""

    def __init__(self, log: Path, env: dict[str, str], *, compose: bool = False):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        environment = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "SECRET_KEY": SERVED_SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1",
            **env,
        }
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                compose_web_command(self.port, workers=2, threads=2)
                if compose
                else [
                    *(sys.executable, "-m", "gunicorn", "recovery.wsgi", "--timeout", "60"),
                    *("--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--threads", "4"),
                ],
                cwd=BASE_DIR,
                env=environment,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(self._up, 60, f"gunicorn did not start:\n{self.output()}")

    def _up(self) -> bool:
        try:
            urllib.request.urlopen(self.base + "/livez", timeout=2)  # noqa: S310 (loopback)
        except OSError:
            return False
        return True

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A member's browser over plain HTTP: cookies, CSRF tokens, no redirects followed."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)  # noqa: S310
        if data is not None:
            request.add_header("Referer", self.base + path)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def form_token(self, html: str) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    def log_in(self, username: str, password: str) -> int:
        _, html = self.request("/accounts/login/")
        token = self.form_token(html)
        form = {"csrfmiddlewaretoken": token, "username": username, "password": password}
        status, _ = self.request("/accounts/login/", form)
        return status
