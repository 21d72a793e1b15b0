"""gunicorn as docker-compose.yml's `web` service runs it, a Redis server of the benchmark's
own (to stop it), and members logged in through the login page like a browser."""

from __future__ import annotations

import html.parser
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.common import PYTHON, ROOT, VENV_BIN, say

PORT = int(os.environ.get("BENCH_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"


def compose_web_command() -> list[str]:
    """The `web` service's command in docker-compose.yml, with its defaults filled in and the
    bind address moved to 127.0.0.1:PORT."""
    text = (ROOT / "docker-compose.yml").read_text()
    block = re.search(r"^  web:\n(.*?)(?=^  \S)", text, re.S | re.M)
    if not block:
        raise SystemExit("docker-compose.yml has no web service")
    command = re.search(r"^    command:\n((?:^      - .*\n)+)", block.group(1), re.M)
    if not command:
        raise SystemExit("docker-compose.yml's web service has no command list")
    args = [line.strip()[2:] for line in command.group(1).splitlines()]

    def fill(match: re.Match) -> str:
        return os.environ.get(match.group(1), match.group(2))

    args = [re.sub(r"\$\{(\w+):-([^}]*)\}", fill, a) for a in args]
    args = [f"--bind=127.0.0.1:{PORT}" if a.startswith("--bind") else a for a in args]
    return [str(VENV_BIN / args[0]), *args[1:]]


class Server:
    """gunicorn on the environment given (a bench database, Redis or not)."""

    def __init__(self, env: dict[str, str], label: str) -> None:
        self.env = env
        self.process: subprocess.Popen | None = None
        self.log = Path(tempfile.gettempdir()) / f"recovery-bench-gunicorn-{PORT}-{label}.log"

    def __enter__(self) -> Server:
        subprocess.run(
            [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=self.env,
            check=True,
        )
        command = compose_web_command()
        say("Starting: " + " ".join([Path(command[0]).name, *command[1:]]))
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{BASE}/livez", timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        self.__exit__()
        raise SystemExit(f"gunicorn did not answer; see {self.log}")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


class OwnRedis:
    """A redis-server of the benchmark's own on a free port (nothing saved to disk), so that
    stopping it stops no one else's."""

    def __init__(self, first_port: int = 6390) -> None:
        self.port = next(p for p in range(first_port, first_port + 20) if _port_free(p))
        self.dir = Path(tempfile.mkdtemp(prefix="recovery-bench-redis-"))
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def __enter__(self) -> OwnRedis:
        subprocess.run(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
                "--daemonize",
                "yes",
                "--pidfile",
                str(self.dir / "redis.pid"),
                "--logfile",
                str(self.dir / "redis.log"),
            ],
            check=True,
        )
        for _ in range(50):
            if self.running():
                return self
            time.sleep(0.1)
        raise SystemExit(f"redis-server on port {self.port} did not start")

    def running(self) -> bool:
        result = subprocess.run(
            ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True
        )
        return result.stdout.strip() == "PONG"

    def stop(self) -> None:
        if self.running():
            subprocess.run(
                ["redis-cli", "-p", str(self.port), "shutdown", "nosave"],
                capture_output=True,
            )
        for _ in range(50):
            if not self.running():
                return
            time.sleep(0.1)
        raise SystemExit(f"redis-server on port {self.port} did not stop")

    def __exit__(self, *exc) -> None:
        self.stop()


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


# --- Members ------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Member:
    username: str
    cookie: str  # the Cookie header: session and CSRF cookies
    csrf_token: str = ""  # from a rendered form
    # "event" and "note": the form's action and its fields (name, value, options)
    forms: dict[str, tuple[str, list[tuple[str, str, list[str]]]]] = field(default_factory=dict)


def login(username: str, password: str) -> Member:
    """Log in through the login page like a browser (its form, its CSRF token)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{BASE}/accounts/login/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    opener.open(f"{BASE}/accounts/login/", data=data, timeout=30)
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        raise SystemExit(f"Could not log in as {username}")
    return Member(username, "; ".join(f"{k}={v}" for k, v in cookies.items()))


def fetch(
    path: str, cookie: str = "", data: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    """One request, redirects not followed: (status, headers, body)."""
    headers = {"Cookie": cookie} if cookie else {}
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(BASE + path, data=body, headers=headers)  # noqa: S310
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=60) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode(errors="replace")


class FormParser(html.parser.HTMLParser):
    """The page's forms as rendered: per form action, its fields in order as
    (name, value, options), where a select's options are its values and a field's value is
    what the page filled in (a select's selected option)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, list[tuple[str, str, list[str]]]] = {}
        self._form: list | None = None
        self._select: list | None = None
        self._textarea: list | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self._form = self.forms.setdefault(a.get("action", ""), [])
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self._form.append((a["name"], a.get("value", ""), []))
        elif tag == "select" and a.get("name"):
            self._select = [a["name"], "", []]
            self._form.append(self._select)
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select[2].append(value)
            if "selected" in a:
                self._select[1] = value
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], "", []]
            self._form.append(self._textarea)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_of(body: str) -> dict[str, list[tuple[str, str, list[str]]]]:
    parser = FormParser()
    parser.feed(body)
    return {action: [tuple(f) for f in fields] for action, fields in parser.forms.items()}
