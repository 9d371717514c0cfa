"""``python -m services ...`` as real processes: the five services, SIGTERM, CLI errors."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.__main__ import build_parser, main
from tests.services.svc_support import Response, request

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str, timeout: float = 10) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class Service:
    """One ``python -m services`` process on 127.0.0.1:<free port>."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services", *args, "--host", "127.0.0.1", "--port", "0"],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stderr is not None
        self.lines: list[str] = []
        for line in self.proc.stderr:
            self.lines.append(line)
            match = re.search(r"listening on (http://127\.0\.0\.1:\d+/)$", line.strip())
            if match:
                break
        else:
            raise AssertionError(f"no listening line: {self.lines!r}")
        self.url = match.group(1)
        # keep draining stderr so the process never blocks on a full pipe
        self.reader = threading.Thread(target=self.lines.extend, args=(self.proc.stderr,))
        self.reader.start()

    def terminate(self) -> tuple[int, str]:
        """SIGTERM; return the exit code and everything written to stderr."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=10)
        self.reader.join(10)
        return code, "".join(self.lines)


@pytest.fixture
def spawn() -> Iterator[type[Service]]:
    started: list[Service] = []

    class Tracked(Service):
        def __init__(self, *args: str) -> None:
            super().__init__(*args)
            started.append(self)

    yield Tracked
    for service in started:
        if service.proc.poll() is None:
            service.proc.kill()
            service.proc.wait(5)


def test_five_processes_answer_the_labs_transcripts(spawn: type[Service]) -> None:
    operands = {name: spawn(name, "--quiet") for name in ("sum", "sub", "mul", "div")}
    urls = [arg for name, s in operands.items() for arg in (f"--{name}", s.url)]
    calculator = spawn("calculator", *urls, "--timeout", "10")
    assert request(operands["sum"].url, "5 6").body == b"11\r\n"
    assert request(operands["sub"].url, "5 6").body == b"-1\r\n"
    assert request(operands["mul"].url, "5 6").body == b"30\r\n"
    assert request(operands["div"].url, "5 6").body == b"0.8333333333333334\r\n"
    assert request(calculator.url, "(5+6)*2").body == b"result = 22\r\n"
    assert request(calculator.url, "(5+").status == 400
    everything = [("calculator", calculator), *operands.items()]
    for _, service in everything:
        service.proc.send_signal(signal.SIGTERM)
    logs = {}
    for name, service in everything:
        code, logs[name] = service.terminate()
        assert code == 0
        assert logs[name].rstrip().endswith(f"{name}: stopped")
    # the calculator logs its wiring and, without --quiet, its requests; --quiet ones do not
    assert f"calculator: sum -> {operands['sum'].url}" in logs["calculator"]
    assert 'calculator: 127.0.0.1 "POST / HTTP/1.1" 200' in logs["calculator"]
    assert "POST" not in logs["sum"]


def test_sigterm_lets_the_in_flight_request_finish(spawn: type[Service]) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        silent.settimeout(10)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        calculator = spawn("calculator", "--sum", url, "--timeout", "1", "--quiet")
        replies: list[Response] = []
        client = threading.Thread(target=lambda: replies.append(request(calculator.url, "1+1")))
        client.start()
        conn, _ = silent.accept()  # the calculator is now waiting on the sum service
        with conn:
            code, err = calculator.terminate()
        client.join(10)
    assert code == 0
    assert [(r.status, r.text) for r in replies] == [(502, "sum service: timed out after 1 s\r\n")]
    assert "stopped" in err


def test_help() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for name in ("sum", "sub", "mul", "div"):
        assert f"run the {name} operand service" in result.stdout
    assert "run the calculator" in result.stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "required: SERVICE"),
        (["pow"], "invalid choice: 'pow'"),
        (["calculator", "--sum", "ftp://example.org/"], "not an http:// URL"),
        (["sum", "--port", "70000"], "not a TCP port"),
        (["sum", "--timeout", "1"], "unrecognized arguments"),  # only the calculator has one
        (["calculator", "--timeout", "0"], "not a positive number"),
    ],
)
def test_usage_errors_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


def test_port_in_use_exits_1_with_a_message() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run_cli("sum", "--host", "127.0.0.1", "--port", str(port))
    assert result.returncode == 1
    assert f"sum: cannot listen on 127.0.0.1:{port}" in result.stderr


def test_defaults_ports_and_url_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    parser = build_parser()
    assert parser.parse_args(["sum"]).port == 50001
    assert parser.parse_args(["div"]).port == 50004
    args = parser.parse_args(["calculator"])
    assert (args.port, args.host, args.timeout) == (50005, "0.0.0.0", 5.0)
    assert args.sum == ["http://127.0.0.1:50001/"]
    assert args.div == ["http://127.0.0.1:50004/"]
    monkeypatch.setenv("CLOUDLAB_MUL_URL", "http://192.168.18.13:50003")
    args = build_parser().parse_args(["calculator", "--sum", "http://10.0.0.1:1/"])
    assert args.mul == ["http://192.168.18.13:50003"]
    assert args.sum == ["http://10.0.0.1:1/"]
