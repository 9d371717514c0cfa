"""``python -m classroom serve``'s page in a real headless browser (Debian's Chromium): the
class's table filled by the page's own script, and refreshed in place as the board's rounds
change it. The board is fed rows directly (no engine); the driver's row collection is what
the engine tests' status covers. Needs Chromium (the project's apt step ``chromium`` installs
it when run as root); without it the test fails."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from classroom.serve import Board, make_server
from cloudlab_tools.pulumi_cli import REPO


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        argv = [str(REPO / "scripts" / "apt-install.sh"), "--step", "chromium"]
        res = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            check=False,
        )
        found = shutil.which("chromium")
        if found is None:
            pytest.fail(f"no chromium, and the apt step chromium failed: {res.stderr[-2000:]}")
    return found


class Table(HTMLParser):
    """The rows of ``#groups tbody`` and the text of the elements with an id."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.ids: dict[str, str] = {}
        self._in_body = False
        self._cell: list[str] | None = None
        self._id: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append([])
        elif tag == "td" and self._in_body:
            self._cell = []
        if a.get("id"):
            self._id = a["id"]
            self.ids[self._id] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._in_body = False
        elif tag == "td" and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None
        self._id = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._id:
            self.ids[self._id] += data


class RoundPerFetch(Board):
    """A board whose rounds follow the page's fetches: each ``/status.json`` starts a new
    round. Chromium's virtual time runs as fast as the page lets it, so a board on a real-time
    interval can be overtaken by a page on a loaded machine (all fetches in one round); tied to
    the fetches, what the page must show does not depend on the machine's speed."""

    def snapshot(self) -> dict[str, object]:
        self.refresh()
        return super().snapshot()


@pytest.fixture
def page() -> Iterator[tuple[str, Board]]:
    rounds = 0

    def collect() -> list[dict[str, str]]:
        nonlocal rounds
        rounds += 1
        answer = "yes (result = 22)" if rounds >= 3 else "not asked: no route"
        return [
            {
                "group": g,
                "stack": f"group-{g}",
                "last update": "update succeeded",
                "at": f"round {rounds}",
                "calculator URL": f"http://172.24.4.{i}:50005",
                "answers now": answer,
            }
            for i, g in enumerate(("g01", "g02", "g03"), start=10)
        ]

    board = RoundPerFetch(collect, interval=3600)  # never started: the fetches drive it
    server = make_server(board, 0, "Class test", poll_ms=400)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        yield f"http://{host}:{port}/", board
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_the_page_fills_and_refreshes_its_table_in_place(
    page: tuple[str, Board], tmp_path: Path
) -> None:
    url, board = page
    res = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=4000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    table = Table()
    table.feed(res.stdout)
    assert [row[0] for row in table.rows] == ["g01", "g02", "g03"]
    assert table.rows[0][1] == "group-g01"
    assert table.rows[2][4] == "http://172.24.4.12:50005"
    fetches = int(table.ids["fetches"])
    assert fetches >= 3, "the page did not keep refreshing its table"
    # The table shows the last round the page fetched, not the first: refreshed in place.
    assert int(table.ids["generation"]) == fetches <= board.generation
    assert all(row[3] == f"round {fetches}" for row in table.rows)
    assert all(row[5] == "yes (result = 22)" for row in table.rows)


def test_only_get_is_served(page: tuple[str, Board]) -> None:
    import urllib.error
    import urllib.request

    url, _ = page
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(url, data=b"x", method="POST"), timeout=5)
    assert refused.value.code == 501
    with urllib.request.urlopen(url + "status.json", timeout=5) as reply:
        assert reply.headers["Content-Type"] == "application/json"
