"""The second layer for the grader's Jupyter server: what its pages may do if something slipped through.

The first layer is the inert autograded notebook (peninsula.grader.sanitize). On the server that
runs the Formgrader (deploy/hub/grader_jupyter_server_config.py, and `make lab` on a laptop):

- a Content-Security-Policy on every page: scripts, styles, pictures, fonts, connections and frames
  only from the server itself, no plugins, no `<base>`, forms posting only to the server. The
  Formgrader's own pages use inline scripts and `onclick`, and JupyterLab evaluates code, so the
  policy cannot forbid inline script: it stops a script from calling anywhere else (the loopback
  listener of the browser test, an attacker's host), not from acting within the server's origin.
  No page of the server may be framed (`frame-ancestors 'none'`, as JupyterHub sets when nothing
  else does): the Formgrader opens in its own tab, as on the hub already;
- nbconvert's HTML sanitizer on the Formgrader's submission pages (`HTMLExporter.sanitize_html`);
- files that a browser would run (HTML, SVG, XML, JavaScript) served under /files/ as downloads,
  never as pages (jupyter_server already confines them to a sandboxed origin).
"""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from jupyter_server.base.handlers import AuthenticatedFileHandler

SERVER_CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'",  # the Formgrader's inline scripts, JupyterLab's eval
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "frame-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",  # JupyterHub's own default, which this policy replaces (see deploy/README)
])
ACTIVE_SUFFIXES = {".html", ".htm", ".xhtml", ".svg", ".xml", ".xsl", ".js", ".mjs", ".shtml"}


class DownloadActiveFiles(AuthenticatedFileHandler):
    """jupyter_server's /files/ handler, sending a file a browser would run as a download."""

    def get(self, path: str, **kwargs: Any) -> Awaitable[None]:  # type: ignore[override]
        if Path(path).suffix.lower() in ACTIVE_SUFFIXES:
            self.set_attachment_header(Path(path).name)
        return super().get(path, **kwargs)


def configure_server(c) -> None:
    """Apply the layer to a Jupyter server config (`c = get_config()`)."""
    settings = dict(c.ServerApp.get("tornado_settings", {}))
    settings["headers"] = {**settings.get("headers", {}), "Content-Security-Policy": SERVER_CSP}
    c.ServerApp.tornado_settings = settings
    c.HTMLExporter.sanitize_html = True
    c.FileContentsManager.files_handler_class = f"{__name__}.DownloadActiveFiles"
