"""HTTP to addresses the customers choose (their webhook endpoints, their ATS's API): one way
out, so that every such call gets the same protections.

- `session()`: requests-hardened's session (Saleor's SSRF filter: the host resolved once,
  private, loopback and link-local addresses refused, the connection made to the address
  checked) unless `allow_private`; redirects never followed (credentials or signed bodies
  would go along); nothing from the worker's environment (proxies, ~/.netrc); a fresh one
  per call, so no cookie jar is shared between organizations.
- `within()`: a deadline for a whole call. requests' timeouts bound each read only, so a
  server trickling a byte every few seconds could hold the caller (and its transaction) as
  long as it liked: the call runs in a thread of its own, abandoned at the deadline (it ends
  at its next read timeout or when the server stops).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from requests_hardened import Config, HTTPSession

T = TypeVar("T")


class TooSlow(Exception):
    pass


def session(*, allow_private: bool, timeout: tuple[float, float], user_agent: str) -> HTTPSession:
    http = HTTPSession(
        Config(
            ip_filter_enable=not allow_private,
            ip_filter_allow_loopback_ips=False,
            never_redirect=True,
            default_timeout=timeout,
            user_agent_override=user_agent,
        )
    )
    http.trust_env = False
    return http


def within(deadline: float, call: Callable[[], T], *, name: str) -> T:
    """`call()`'s result, or TooSlow if it has none after `deadline` seconds; whatever it
    raises is raised here."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["answer"] = call()
        except BaseException as exc:  # handed to the caller's thread
            result["error"] = exc

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    thread.join(deadline)
    if thread.is_alive():
        raise TooSlow(f"TooSlow: no complete answer within {deadline:g} seconds.")
    if "error" in result:
        raise result["error"]
    return result["answer"]
