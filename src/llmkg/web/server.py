"""Run the app under uvicorn on a socket we bind ourselves (so ``--port 0`` works and the
actual address can be printed before the first request)."""

from __future__ import annotations

import logging
import socket
import sys

from .app import create_app
from .config import ServerConfig


def _loop_and_http() -> tuple[str, str]:
    try:
        import uvloop  # noqa: F401
        loop = "uvloop"
    except ImportError:  # pragma: no cover - Windows, or not installed
        loop = "asyncio"
    try:
        import httptools  # noqa: F401
        http = "httptools"
    except ImportError:  # pragma: no cover
        http = "h11"
    return loop, http


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def serve(cfg: ServerConfig, ready=None) -> None:
    """Serve until SIGINT/SIGTERM. ``ready(url)`` is called once the socket listens and the
    query workers are started."""
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="llmkg serve: %(message)s", stream=sys.stderr)
    sock = bind(cfg.host, cfg.port)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}"
    app = create_app(cfg)
    loop, http = _loop_and_http()
    config = uvicorn.Config(app, loop=loop, http=http, lifespan="on", log_level="warning",
                            access_log=False, server_header=False, proxy_headers=False,
                            timeout_keep_alive=5, timeout_graceful_shutdown=5,
                            h11_max_incomplete_event_size=cfg.max_request_bytes)
    server = uvicorn.Server(config)
    app.on_ready = (lambda: ready(url)) if ready is not None else None
    server.run(sockets=[sock])
