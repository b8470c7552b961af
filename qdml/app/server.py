"""Start the web app on 127.0.0.1: check the port and the model first, warm the caches, then serve.

Streamlit runs in this process (not a child) so that the bundle loaded while checking it is the
one the first visitor gets: the first page then answers at once instead of after a cold load.
"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path

from qdml.exceptions import QdmlError

HOST = "127.0.0.1"
DEFAULT_PORT = 8501
ENTRY = Path(__file__).parent / "scripts" / "qdml_app.py"


def streamlit_flags(port: int) -> dict[str, object]:
    """Config for a local, private app: loopback only, no usage statistics, no file watching."""
    return {
        "server.address": HOST,
        "server.port": port,
        "server.headless": True,
        "server.fileWatcherType": "none",
        "server.runOnSave": False,
        "server.maxUploadSize": 20,
        "browser.serverAddress": HOST,
        "browser.serverPort": port,
        "browser.gatherUsageStats": False,
        "client.toolbarMode": "minimal",
        "client.showErrorDetails": "type",
        "global.developmentMode": False,
    }


def check_port(port: int) -> None:
    """Refuse a port out of range or already taken on 127.0.0.1 (one line, before anything starts)."""
    if not 1 <= int(port) <= 65535:
        raise QdmlError(f"--port {port}: must be between 1 and 65535")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, int(port)))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                why = "is in use" if exc.errno == errno.EADDRINUSE else "needs privileges"
                raise QdmlError(f"port {port} on {HOST} {why}; choose another with --port N") from None
            raise QdmlError(f"cannot listen on {HOST}:{port} ({exc.strerror})") from None


def warm(model: str | None) -> str:
    """Resolve and load the bundle (a bad --model fails here), fill the caches, predict once."""
    import pandas as pd

    from qdml.app import state
    from qdml.learn.bundle import resolve_bundle_dir
    from qdml.workflows.prediction import predict

    path = str(resolve_bundle_dir(model).resolve())
    os.environ[state.MODEL_ENV] = path
    bundle = state.bundle(path)
    state.dataset()
    predict(pd.DataFrame([{"ligand": "SCN-", "qd": "CsPbBr3"}]), bundle)
    return path


def serve(port: int = DEFAULT_PORT, model: str | None = None) -> int:
    """Serve the app on ``127.0.0.1:port`` until interrupted; returns the exit status."""
    check_port(port)
    try:
        import streamlit  # noqa: F401
    except ImportError:
        raise QdmlError("the web app needs Streamlit: pip install 'qdml[app]'") from None
    import logging

    # Caches filled before the server runs log "no runtime" warnings that mean nothing here.
    for name in ("streamlit.runtime.caching.cache_data_api", "streamlit.runtime.scriptrunner_utils.script_run_context",
                 "streamlit.runtime.state.session_state_proxy"):
        logging.getLogger(name).setLevel(logging.ERROR)
    print(f"qdml app: loading the model ({model or 'default'})...", flush=True)
    path = warm(model)
    print(f"qdml app: model {path}; serving on http://{HOST}:{port} (Ctrl-C stops it)", flush=True)
    from streamlit.web import cli as stcli

    args = ["run", str(ENTRY)] + [f"--{k}={v}" for k, v in streamlit_flags(port).items()]
    try:
        stcli.main(args=args, prog_name="qdml app", standalone_mode=False)
    except KeyboardInterrupt:
        pass
    return 0
