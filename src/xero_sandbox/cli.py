"""The command line: `ledgerbridge sandbox` / `python -m xero_sandbox` start a sandbox server."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading

from .server import start
from .settings import SandboxSettings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ledgerbridge sandbox", description="Run a Xero-compatible sandbox server."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=1, help="derives credentials and IDs")
    parser.add_argument("--data", default=None, help="JSON file that keeps state across restarts")
    parser.add_argument(
        "--time-scale", type=float, default=1.0, help="sandbox seconds per real second"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Start the server, print ONE line of JSON (url, credentials, tenants), then log."""
    args = build_parser().parse_args(argv)
    if args.time_scale <= 0:
        print("--time-scale must be positive", file=sys.stderr)
        return 2
    settings = SandboxSettings(time_scale=args.time_scale)
    try:
        handle = start(args.host, args.port, args.seed, settings, args.data)
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(handle.info), flush=True)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(name)s %(message)s"
    )
    stopped = threading.Event()
    # SIGTERM (how `make demo` stops it) ends cleanly, writing --data one last time.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stopped.set())
    try:
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()
    return 0
