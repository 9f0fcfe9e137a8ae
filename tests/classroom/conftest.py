"""The classroom's tests run `minimod serve` as a teacher does: a child process on a free localhost port."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from benchmarks.serve import ServerProcess


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """start_server(*options, data_dir=...) -> a running server; every one started is stopped at the end.

    All share the suite's numba cache (NUMBA_CACHE_DIR), as a class shares one."""
    started: list[ServerProcess] = []

    def start(*options: str, data_dir: Path | None = None) -> ServerProcess:
        cache = os.environ.get("NUMBA_CACHE_DIR")
        server = ServerProcess(data_dir or tmp_path / "class", *options,
                               numba_cache=Path(cache) if cache else None)
        started.append(server)
        server.wait_ready()
        return server

    yield start
    for server in started:
        server.stop()
