"""``python -m classroom serve``: a read-only page of the class, bound to 127.0.0.1.

One row per group: its stack's last update (result and time), its calculator URL, and whether
the calculator answers now. A background thread collects the rows every ``interval`` seconds
(:class:`Board`); the page fetches ``/status.json`` and rewrites its table in place, never
reloading. Only ``GET`` is served; nothing on the page changes anything.
"""

from __future__ import annotations

import html
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Row = dict[str, str]
Collect = Callable[[], list[Row]]
COLUMNS = ("group", "stack", "last update", "at", "calculator URL", "answers now")


class Board:
    """The latest rows, refreshed by a thread of its own."""

    def __init__(self, collect: Collect, interval: float) -> None:
        self._collect = collect
        self._interval = interval
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.rows: list[Row] = []
        self.generation = 0
        self.collected_at = ""
        self.error = ""
        self._thread = threading.Thread(target=self._loop, name="board", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def refresh(self) -> None:
        try:
            rows, error = self._collect(), ""
        except Exception as failure:  # shown on the page; the next round tries again
            rows, error = self.rows, f"{type(failure).__name__}: {failure}"
        with self._lock:
            self.rows, self.error = rows, error
            self.generation += 1
            self.collected_at = time.strftime("%Y-%m-%d %H:%M:%S")

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.refresh()
            self._stop.wait(self._interval)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "columns": list(COLUMNS),
                "rows": [dict(r) for r in self.rows],
                "generation": self.generation,
                "collectedAt": self.collected_at,
                "error": self.error,
            }


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #999; padding: .3em .8em; text-align: left; }}
td.ok {{ color: #070; }} td.bad {{ color: #b00; }}
</style></head>
<body>
<h1>{title}</h1>
<p>Collected at <span id="collected">-</span> (round <span id="generation">0</span>);
page refreshed <span id="fetches">0</span> times, every {poll_ms} ms, in place.
<span id="error"></span></p>
<table id="groups"><thead><tr>{head}</tr></thead><tbody></tbody></table>
<script>
let fetches = 0;
const KEYS = {keys};
async function refresh() {{
  try {{
    const reply = await fetch("/status.json", {{cache: "no-store"}});
    const data = await reply.json();
    const body = document.querySelector("#groups tbody");
    body.replaceChildren(...data.rows.map(row => {{
      const tr = document.createElement("tr");
      tr.dataset.group = row["group"];
      for (const key of KEYS) {{
        const td = document.createElement("td");
        td.textContent = row[key] || "-";
        if (key === "answers now") td.className = row[key].startsWith("yes") ? "ok" : "bad";
        tr.appendChild(td);
      }}
      return tr;
    }}));
    document.getElementById("collected").textContent = data.collectedAt || "-";
    document.getElementById("generation").textContent = data.generation;
    document.getElementById("error").textContent = data.error;
    fetches += 1;
    document.getElementById("fetches").textContent = fetches;
  }} catch (e) {{
    document.getElementById("error").textContent = "the server does not answer: " + e;
  }}
}}
refresh();
setInterval(refresh, {poll_ms});
</script>
</body></html>
"""


def page(title: str, poll_ms: int) -> bytes:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
    return PAGE.format(
        title=html.escape(title), head=head, keys=json.dumps(list(COLUMNS)), poll_ms=poll_ms
    ).encode()


def make_server(board: Board, port: int, title: str, poll_ms: int) -> ThreadingHTTPServer:
    """The page's server on 127.0.0.1:``port`` (0: any free port)."""
    body = page(title, poll_ms)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/":
                self._send(200, "text/html; charset=utf-8", body)
            elif self.path == "/status.json":
                data = json.dumps(board.snapshot()).encode()
                self._send(200, "application/json", data)
            else:
                self._send(404, "text/plain", b"not found\n")

        def _send(self, status: int, kind: str, data: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            return

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)
