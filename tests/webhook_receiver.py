"""A webhook receiver for the tests: a real HTTP server on 127.0.0.1 in a thread, which keeps
every request it gets and answers what the test asks for. It is what a customer's endpoint
is to Recovery; it does as docs/webhooks.md tells receivers to: check the signature, then
process each event id once (`processed`), acknowledging a repeat without processing it again.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from webhooks import signing


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    secret: str = ""
    # Answers in turn (status, body); the last one repeats.
    answers: list[tuple[int, str]] = field(default_factory=lambda: [(200, "ok")])
    # Hold the Nth request (1-based) until `release` is set: a slow endpoint, mid-request.
    hold: int = 0
    release: threading.Event = field(default_factory=threading.Event)
    held: threading.Event = field(default_factory=threading.Event)
    received: list[Received] = field(default_factory=list)
    processed: list[str] = field(default_factory=list)
    bad_signatures: int = 0
    cookie: str = ""  # a Set-Cookie header to send with every answer

    def __post_init__(self) -> None:
        receiver = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with lock:
                    receiver.received.append(Received(self.path, dict(self.headers), body))
                    number = len(receiver.received)
                    status, text = receiver.answers[min(number, len(receiver.answers)) - 1]
                if number == receiver.hold:
                    receiver.held.set()
                    receiver.release.wait(60)
                if 200 <= status < 300 and receiver.secret:
                    try:
                        signing.verify(receiver.secret, self.headers[signing.HEADER], body)
                    except (signing.BadSignature, KeyError):
                        with lock:
                            receiver.bad_signatures += 1
                        status, text = 400, "bad signature"
                    else:
                        event_id = self.headers["Recovery-Delivery"]
                        with lock:
                            if event_id not in receiver.processed:
                                receiver.processed.append(event_id)
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                if receiver.cookie:
                    self.send_header("Set-Cookie", f"{receiver.cookie}; Path=/")
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(text.encode())

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/recovery"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class RawServer:
    """An endpoint that answers any request with these bytes, then closes; with `trickle`,
    it then sends those bytes every second, forever (an endpoint that never finishes)."""

    def __init__(self, answer: bytes, trickle: bytes = b""):
        self.answer, self.trickle = answer, trickle
        self.stop = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hooks"
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            conn.settimeout(2)
            conn.recv(65536)
            conn.sendall(self.answer)
            while self.trickle and not self.stop.wait(1):
                conn.sendall(self.trickle)

    def __enter__(self) -> RawServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(2)
        self.sock.close()
