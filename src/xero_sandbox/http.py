"""HTTP plumbing: Request and Response values and the threaded stdlib server carrying them."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import wire, xmlbody

log = logging.getLogger("xero_sandbox")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""

    def q(self, name: str) -> str | None:
        """A query parameter, matched case-insensitively as Xero does."""
        lname = name.lower()
        for key, values in self.query.items():
            if key.lower() == lname and values:
                return values[-1]
        return None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None

    def data(self) -> Any:
        """The body as JSON data, read from JSON or (Content-Type: application/xml or text/xml)
        from Xero's XML. ValueError (or UnicodeDecodeError) if it cannot be read."""
        if not self.body:
            return None
        if xmlbody.is_xml(self.header("content-type")):
            return xmlbody.parse(self.body)
        return self.json()

    def form(self) -> dict[str, str]:
        parsed = urllib.parse.parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        return {k: v[-1] for k, v in parsed.items()}


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    # Fault injection: close the socket instead of answering, after `delay` real seconds.
    drop: bool = False
    delay: float = 0.0


def json_response(status: int, payload: object, headers: dict[str, str] | None = None) -> Response:
    return Response(status, wire.dumps(payload), headers=dict(headers or {}))


def text_response(status: int, text: str) -> Response:
    return Response(status, text.encode(), "text/plain; charset=utf-8")


def html_response(status: int, html: str) -> Response:
    return Response(status, html.encode(), "text/html; charset=utf-8")


def redirect(location: str) -> Response:
    return Response(302, b"", None, {"Location": location})


Handler = Callable[[Request], Response]
# Bodies above this are refused unread (the Accounting API's own limit, 3.5 MB, is a setting
# checked later); it keeps a forged Content-Length from making the server allocate gigabytes.
MAX_READ_BYTES = 64 * 1024 * 1024


def make_server(
    host: str, port: int, handle: Handler, read_timeout: float = 30.0
) -> ThreadingHTTPServer:
    """A threaded HTTP/1.1 server that turns each request into `handle(Request)`.

    Every read from a client is bounded by `read_timeout` seconds: a request whose body never
    arrives is answered 400 and its connection closed; an idle connection is closed.
    """

    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True
        wbufsize = 65536  # headers and body leave in one write; flushed per request
        server_version = "XeroSandbox/1.0"
        timeout = read_timeout  # applied to the socket by StreamRequestHandler.setup()

        def _refuse(self, message: str, status: int = 400) -> None:
            """400 for a request whose framing cannot be trusted; the connection is closed."""
            body = message.encode()
            self.close_connection = True
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def _read_body(self) -> bytes | None:
            declared = self.headers.get("Content-Length")
            text = "0" if declared is None else declared.strip()
            if not text.isdigit():
                self._refuse("Content-Length must be a whole number of bytes")
                return None
            length = int(text)
            if length > MAX_READ_BYTES:
                self._refuse("The request was too large", 413)
                return None
            try:
                body = self.rfile.read(length) if length else b""
            except TimeoutError:
                body = b""
            if len(body) != length:
                self._refuse("The request body is shorter than its Content-Length")
                return None
            return body

        def _serve(self) -> None:
            parsed = urllib.parse.urlsplit(self.path)
            body = self._read_body()
            if body is None:
                return
            request = Request(
                method=self.command,
                path=urllib.parse.unquote(parsed.path),
                query=urllib.parse.parse_qs(parsed.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            try:
                response = handle(request)
            except Exception:
                log.exception("unhandled error on %s %s", self.command, self.path)
                response = json_response(
                    500,
                    {
                        "ErrorNumber": 500,
                        "Type": "UnknownErrorException",
                        "Message": "An error occurred in Xero. Check the API Status page "
                        "http://status.developer.xero.com for current service status.",
                    },
                )
            if response.delay:
                time.sleep(response.delay)
            if response.drop:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.send_response(response.status)
            if response.content_type:
                self.send_header("Content-Type", response.content_type)
            for key, value in response.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:
            log.info("%s %s", self.address_string(), format % args)

    server = ThreadingHTTPServer((host, port), _Handler)
    server.daemon_threads = True
    return server
