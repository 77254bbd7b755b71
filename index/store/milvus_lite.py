"""A milvus-lite server on a TCP port, for several processes on one machine (tests, benches).

A milvus-lite *file* (MILVUS_URI=./data/milvus.db) is opened by one process at a time: milvus-lite
locks it, so a second process (a shard worker beside another, a build beside a running bot) cannot
open it. The same engine serves a port when started with an address, and every process then reaches
it as a server (MILVUS_URI=http://127.0.0.1:<port>), as it would reach Milvus Standalone.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import time
from pathlib import Path

from index.store.milvus import MilvusStore, MilvusUnavailable


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LiteServer:
    """`milvus <file> 127.0.0.1:<port>`, the binary the milvus-lite wheel ships; stopped with SIGTERM."""

    def __init__(self, data_file: Path, port: int | None = None) -> None:
        # Found, not imported: importing it only warns of pkg_resources's removal.
        spec = importlib.util.find_spec("milvus_lite")
        if spec is None or spec.origin is None:
            raise MilvusUnavailable("milvus-lite is not installed: pip install 'citebot[milvus]'")
        self.data_file = data_file.resolve()
        self.port = port or free_port()
        self.lib = Path(spec.origin).resolve().parent / "lib"
        self.process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> LiteServer:
        self.data_file.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "LD_LIBRARY_PATH": f"{self.lib}:{os.environ.get('LD_LIBRARY_PATH', '')}"}
        self.process = subprocess.Popen(
            [str(self.lib / "milvus"), str(self.data_file), f"127.0.0.1:{self.port}", "ERROR"],
            cwd=self.data_file.parent,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()  # a server that never became ready is not left running
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        probe = MilvusStore(self.uri, "probe")
        while True:
            if self.process.poll() is not None:
                raise MilvusUnavailable(f"milvus-lite exited at start (code {self.process.returncode})")
            try:
                # The port can accept a connection before the server answers calls (a server restarted
                # under load refused the first one): ready means answering one.
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    probe.exists("probe_live")
                return
            except (OSError, MilvusUnavailable):
                if time.monotonic() > deadline:
                    raise MilvusUnavailable(
                        f"milvus-lite did not answer on port {self.port} in {timeout:.0f} s"
                    ) from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def __enter__(self) -> LiteServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
