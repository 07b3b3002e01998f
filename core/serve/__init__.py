"""One trained classifier over HTTP: ``python -m core.serve ADAPTER_FOLDER --port 8000``.

``POST /predict`` with ``{"texts": ["a text", ...]}`` (header ``Content-Type:
application/json``) answers ``{"predictions": [{"label", "score", "probabilities"}, ...]}``,
one per text in order, as :class:`core.analysis.predict.Predictor` gives them. ``GET /health``
tells the method, the labels and the caps; ``/docs`` and ``/openapi.json`` describe both. Any
other path is 404.

Requests that arrive together are combined into one forward pass by the predictor's worker
(:mod:`core.analysis.batcher`, as in the app), so many small callers cost little more than one
large one.

Safety: the server binds 127.0.0.1 unless told otherwise. On a loopback address it answers only
requests addressed to a loopback name (``Host``), so a web page cannot reach it through a
rebound DNS name; the JSON content type it requires makes a browser ask first (CORS preflight),
which it never grants, so other sites' pages cannot post to it either. Any other ``--host``
needs ``--token`` (or ``PTUNE_SERVE_TOKEN``): every request must then carry
``Authorization: Bearer TOKEN``, since anyone on the network could otherwise use the machine.
These checks come before every path, the docs and the schema included.

Modules: :mod:`~core.serve.checks` (what a request must be), :mod:`~core.serve.models` (the
bodies, for the schema), :mod:`~core.serve.app` (the FastAPI app), :mod:`~core.serve.server`
(uvicorn around it) and :mod:`~core.serve.cli` (the command line, which nothing else imports).
"""

from core.serve.app import create_app
from core.serve.checks import DEFAULT_PORT, MAX_CHARS, MAX_TEXTS, TOKEN_ENV, BadRequest
from core.serve.server import PredictServer, make_server

__all__ = [
    "DEFAULT_PORT",
    "MAX_CHARS",
    "MAX_TEXTS",
    "TOKEN_ENV",
    "BadRequest",
    "PredictServer",
    "create_app",
    "make_server",
]
