"""Starting and stopping a sandbox server, in-process (tests) or from the CLI."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .core import Sandbox
from .http import make_server
from .settings import SandboxSettings


@dataclass
class SandboxHandle:
    """A running sandbox: `url`, `info` (the start-up JSON), `sandbox` (live object), `stop()`."""

    url: str
    info: dict[str, Any]
    sandbox: Sandbox
    _server: Any = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    def stop(self) -> None:
        self.sandbox.webhooks.stop()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self.sandbox.persist()


def start(
    host: str = "127.0.0.1",
    port: int = 0,
    seed: int = 0,
    settings: SandboxSettings | None = None,
    data: str | Path | None = None,
    counts: dict[str, int] | None = None,
) -> SandboxHandle:
    """Serve a sandbox on a background thread; port 0 picks a free port.

    With `data`, state is loaded from that JSON file if it exists (else seeded) and written back
    after every change and on stop.
    """
    data_path = Path(data) if data else None
    sandbox = Sandbox(settings, data_path)
    if data_path is None or not sandbox.store.load(data_path):
        sandbox.reset(seed, counts)
    server = make_server(host, port, sandbox.handle, sandbox.settings.read_timeout_seconds)
    bound_host, bound_port = str(server.server_address[0]), int(server.server_address[1])
    sandbox.base_url = f"http://{bound_host}:{bound_port}"
    thread = threading.Thread(target=server.serve_forever, name="xero-sandbox", daemon=True)
    thread.start()
    sandbox.webhooks.start()
    return SandboxHandle(sandbox.base_url, sandbox.info(), sandbox, server, thread)
