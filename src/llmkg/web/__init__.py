"""``llmkg serve``: the SPARQL 1.1 endpoint, canned queries, Linked Data pages and the web page.

* :mod:`.server` binds the socket and runs the ASGI app under uvicorn;
* :mod:`.app` is the app: routing, the SPARQL protocol, content negotiation, caching,
  CORS, the hot swap of store versions;
* :mod:`.pool` runs every query in a worker process (:mod:`.worker`) that is killed when
  it overruns the time limit;
* :mod:`.scan` tokenizes SPARQL for the checks made before a query runs (SERVICE, form);
* :mod:`.linked` and :mod:`.pages` make the entity pages and the HTML.

See docs/architecture-web.md.
"""

from .config import ServerConfig

__all__ = ["ServerConfig", "serve"]


def serve(config: ServerConfig, ready=None) -> None:
    from .server import serve as _serve

    _serve(config, ready=ready)
