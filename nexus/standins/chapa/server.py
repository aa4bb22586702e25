"""The Chapa sandbox's HTTP side: one router, request parsing, and ``main()``.

This is ``nexus.standins.chapa`` (the stand-in for api.chapa.co), run by the ``chapa`` service
wrapper (:mod:`nexus.services.chapa`, ``nexus up``) as
``python -m nexus.standins.chapa --port P --state-dir .nexus/chapa``; the sample project's own
client, ``payments/chapa.py``, only ever talks to it over HTTP. Besides Chapa's v1 endpoints it has
a few under ``/_sandbox/`` for the course: settings (webhook URL, retry interval), paying or
cancelling without a browser, replaying a delivered webhook, and listing delivery attempts.
The rules are in :mod:`.api`, the page in :mod:`.checkout`, the sending in :mod:`.deliveries`.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import urllib.parse
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from nexus.standins.chapa import config
from nexus.standins.chapa.api import BANKS, ApiError, Gateway, success
from nexus.standins.chapa.checkout import NOT_FOUND, checkout_page
from nexus.standins.chapa.deliveries import Dispatcher
from nexus.standins.chapa.store import Store


# --- request bodies --------------------------------------------------------------------------
def unflatten(flat: dict[str, str]) -> dict[str, Any]:
    """``{"customization[title]": "x"}`` → ``{"customization": {"title": "x"}}``."""
    result: dict[str, Any] = {}
    for key, value in flat.items():
        match = re.fullmatch(r"([^\[\]]+)\[([^\[\]]*)\]", key)
        if match:
            result.setdefault(match.group(1), {})
            if isinstance(result[match.group(1)], dict):
                result[match.group(1)][match.group(2)] = value
        else:
            result[key] = value
    return result


def parse_body(content_type: str, raw: bytes) -> dict[str, Any]:
    """JSON or form-encoded, nested objects nested or as bracket keys: all three as one dict."""
    if "application/x-www-form-urlencoded" in content_type:
        pairs = urllib.parse.parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
        return unflatten(dict(pairs))
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise ApiError(400, "Invalid JSON payload") from None
    if not isinstance(data, dict):
        raise ApiError(400, "Invalid JSON payload")
    flat = {k: v for k, v in data.items() if "[" in k}
    nested = {k: v for k, v in data.items() if "[" not in k}
    for key, value in unflatten(flat).items():
        if isinstance(value, dict) and isinstance(nested.get(key), dict):
            nested[key] = nested[key] | value
        else:
            nested.setdefault(key, value)
    return nested


# --- the router ----------------------------------------------------------------------------------
class Handler(BaseHTTPRequestHandler):
    """Answers each request with the route its method and path match, else Chapa's 404."""

    gateway: Gateway
    server_version = "ChapaSandbox/1.0"
    query: dict[str, str]

    def log_message(self, format: str, *args: object) -> None:
        print(f"{self.address_string()} {format % args}", flush=True)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        url = urllib.parse.urlsplit(self.path)
        self.query = dict(urllib.parse.parse_qsl(url.query))
        path = url.path.rstrip("/") or "/"
        try:
            # (methods, path pattern, handler): the path's named groups are the handler's arguments
            for methods, pattern, handler in self.ROUTES:
                match = pattern.fullmatch(path)
                if match and method in methods:
                    return handler(self, **{name: urllib.parse.unquote(value)
                                            for name, value in match.groupdict().items()})
            raise ApiError(404, "Not found")
        except ApiError as error:
            self._json(error.status, error.envelope())

    # --- request and response ------------------------------------------------------------------
    def _body(self, content_type: str | None = None) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return parse_body(content_type or self.headers.get("Content-Type", ""), raw)

    def _form(self, content_type: str | None = None) -> dict[str, str]:
        return {key: str(value) for key, value in self._body(content_type).items()}

    def _mode(self) -> str:
        return self.gateway.mode_of(self.headers.get("Authorization"))

    def _send(self, status: int, headers: dict[str, str], data: bytes = b"") -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, {"Content-Type": "application/json"}, json.dumps(payload).encode())

    def _html(self, status: int, page: str) -> None:
        self._send(status, {"Content-Type": "text/html; charset=utf-8"}, page.encode())

    # --- Chapa's v1 API --------------------------------------------------------------------------
    def initialize(self) -> None:
        mode = self._mode()
        self._json(200, success("Hosted Link", self.gateway.initialize(mode, self._body())))

    def verify(self, tx_ref: str) -> None:
        mode = self._mode()
        self._json(200, success("Payment details", self.gateway.verify(mode, tx_ref)))

    def banks(self) -> None:
        self._mode()
        self._json(200, success("Banks retrieved", BANKS))

    # --- the hosted checkout page ----------------------------------------------------------------
    def checkout(self, token: str) -> None:
        row = self.gateway.checkout(token)
        if row is None:
            return self._html(404, NOT_FOUND)
        if self.command == "GET":
            return self._html(200, checkout_page(row))
        # The page's own forms: read as form-encoded whatever the request says
        row = self.gateway.settle(token, self._form("application/x-www-form-urlencoded"))
        if row["return_url"]:
            return self._send(HTTPStatus.SEE_OTHER, {"Location": row["return_url"]})
        return self._html(200, checkout_page(row))

    # --- the course's own endpoints --------------------------------------------------------------
    def health(self) -> None:
        self._json(200, {"status": "ok"})

    def settings(self) -> None:
        self._json(200, self.gateway.settings(self._body() if self.command == "POST" else None))

    def pay(self, tx_ref: str) -> None:
        self._json(200, {"tx_ref": tx_ref, "status": self.gateway.pay(tx_ref, self._form())})

    def replay(self, tx_ref: str) -> None:
        self._json(200, self.gateway.replay(tx_ref))

    def deliveries(self) -> None:
        self._json(200, self.gateway.deliveries(self.query.get("tx_ref")))

    ROUTES = [(methods, re.compile(pattern), handler) for methods, pattern, handler in [
        ({"POST"}, r"/v1/transaction/initialize", initialize),
        ({"GET"}, r"/v1/transaction/verify/(?P<tx_ref>.+)", verify),
        ({"GET"}, r"/v1/banks", banks),
        ({"GET", "POST"}, r"/checkout/payment/(?P<token>.+)", checkout),
        ({"GET", "POST"}, r"/_sandbox/health", health),
        ({"GET", "POST"}, r"/_sandbox/settings", settings),
        ({"POST"}, r"/_sandbox/transactions/(?P<tx_ref>[^/]+)/pay", pay),
        ({"POST"}, r"/_sandbox/transactions/(?P<tx_ref>[^/]+)/replay", replay),
        ({"GET"}, r"/_sandbox/deliveries", deliveries),
    ]]


def main() -> None:
    """Serve until killed; deliveries are sent from a background thread."""
    parser = argparse.ArgumentParser(description="Chapa v1 API sandbox (test mode)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--retry-interval", type=float, default=config.DEFAULT_RETRY_INTERVAL)
    args = parser.parse_args()
    store = Store(args.state_dir / "sandbox.sqlite3")
    Handler.gateway = Gateway(store, f"http://{args.host}:{args.port}", args.retry_interval)
    stop = threading.Event()
    threading.Thread(target=Dispatcher(store).run, args=(stop,), daemon=True).start()
    # The default listen backlog (5) drops bursts of new connections, which clients then retry
    # a second later: an async client making 20 calls at once would see 1 s stalls.
    ThreadingHTTPServer.request_queue_size = 128
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        stop.set()
