"""``llmkg serve``: the SPARQL 1.1 endpoint, canned queries, Linked Data pages and the web page.

* :mod:`.server` binds the socket, forks the HTTP worker processes and replaces those that
  exit (prefork); each runs the ASGI app under uvicorn (:mod:`.protocol`);
* :mod:`.app` is the app: routing, the SPARQL protocol, content negotiation, caching,
  CORS, the hot swap of store versions;
* :mod:`.runner` runs each job (:mod:`.jobs`: queries, entity pages, updates) in the
  worker's own thread under a time limit: on overrun the worker answers 503 and exits;
* :mod:`.scan` (:mod:`llmkg.query.scan`) tokenizes SPARQL for the checks made before a
  query runs (SERVICE, form, dataset);
* :mod:`.linked` and :mod:`.pages` make the entity pages and the HTML.

See docs/architecture-web.md.
"""

from .config import ServerConfig

__all__ = ["ServerConfig", "serve"]


def serve(config: ServerConfig, ready=None) -> None:
    from .server import serve as _serve

    _serve(config, ready=ready)
