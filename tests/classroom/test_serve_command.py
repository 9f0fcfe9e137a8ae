"""`minimod serve`'s options: mistakes are one line, and the start-up text says who can connect."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from inspector.classroom.server import Classroom, ClassroomServer
from minimod import cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("arguments, message", [
    (["--port", "0"], "argument --port: expected a whole number from 1 to 65535, got '0'"),
    (["--max-sessions", "none"], "argument --max-sessions: expected a whole number 1 or more"),
    (["--idle-timeout", "-1"], "argument --idle-timeout: expected minutes, 0 or more (0: never)"),
    (["--lessons", "--inspect", "mlp"], "argument --inspect: not allowed with argument --lessons"),
    (["--input-shape", "1,784"], "--input-shape only goes with --inspect TARGET"),
    (["--inspect", "no_such_model"], "unknown TARGET 'no_such_model'"),
])
def test_a_mistake_on_the_command_line_is_one_line(arguments, message, capsys, tmp_path):
    assert cli.main(["serve", "--data-dir", str(tmp_path), *arguments]) == 1
    error = capsys.readouterr().err
    assert error.startswith("minimod: error: ") and message in error and error.count("\n") == 1


def test_a_port_in_use_is_one_line_naming_the_way_out(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "minimod", "serve", "--port", str(port), "--data-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=60, cwd=ROOT,
        )
    assert result.returncode == 1
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith(f"minimod: error: cannot listen on 127.0.0.1 port {port}")
    assert "choose another with --port" in result.stderr and "Traceback" not in result.stderr


def _start_up(tmp_path: Path, host: str) -> str:
    server = ClassroomServer(Classroom(["lessons"], "the lessons", tmp_path, host=host))
    return "\n".join(server.startup_lines())


def test_serving_beyond_this_machine_is_said_to_be_the_teachers_choice(tmp_path):
    local = _start_up(tmp_path, "127.0.0.1")
    assert "serving the lessons at http://127.0.0.1:8000/" in local
    assert "Only this machine can connect" in local
    everyone = _start_up(tmp_path, "0.0.0.0")
    assert "Listening on 0.0.0.0, as you asked with --host" in everyone
    assert "anyone who can reach this machine on port 8000 can open a session" in everyone
    assert "run the Python students write" in everyone
    for text in (local, everyone):
        assert "/sessions?key=" in text
        assert "At most 30 sessions at once; idle sessions close after 30m00s" in text


def test_a_file_target_is_made_absolute_for_sessions_that_run_in_students_folders(tmp_path, monkeypatch):
    model = tmp_path / "mymodel.py"
    model.write_text("import minimod.nn as nn\n\nclass Tiny(nn.Module):\n"
                     "    def __init__(self):\n"
                     "        super().__init__()\n"
                     "        self.fc = nn.Linear(2, 2)\n\n"
                     "    def forward(self, x):\n"
                     "        return self.fc(x)\n")
    monkeypatch.chdir(tmp_path)
    from inspector.commands.serve_command import classroom_from

    args = cli.build_parser("serve").parse_args(
        ["serve", "--inspect", "mymodel.py:Tiny", "--input-shape", "1,2", "--data-dir", str(tmp_path / "c")]
    )
    classroom = classroom_from(args)
    assert classroom.app_arguments == ["inspect", f"{model}:Tiny", "--input-shape", "1,2"]
    assert classroom.what == "the inspector on mymodel.py:Tiny"
    command = ClassroomServer(classroom).session_command(classroom.data_dir / "students" / "ana")
    assert command.startswith(f"cd {classroom.data_dir / 'students' / 'ana'} && exec env MINIMOD_DATA_DIR=")
    assert f" -P -m minimod inspect {model}:Tiny --input-shape 1,2" in command
    python_path = next(part for part in command.split() if part.startswith("PYTHONPATH="))
    assert str(tmp_path) in python_path.split("=", 1)[1].split(os.pathsep)
    assert "" not in python_path.split("=", 1)[1].split(os.pathsep)  # an empty entry: the student's folder


def test_a_session_still_starting_is_not_idle():
    """Idle time counts from the first frame: a class arriving at once on a busy server is not closed
    while its apps start (with a 3 s timeout, a session that took longer to paint was closed unseen)."""
    from inspector.classroom.server import StudentSession

    session = object.__new__(StudentSession)  # its fields only: no process, no websocket
    session.started, session.last_input, session.first_paint = 100.0, 100.0, None
    assert session.idle_for(200.0) == 0.0  # 100 s and still no frame: starting, not idle
    session.first_paint = 30.0  # painted at 130
    assert session.idle_for(200.0) == 70.0
    session.last_input = 190.0  # a key at 190
    assert session.idle_for(200.0) == 10.0
