"""Network faults in front of real services: a TCP relay that can hang or refuse.

Used by the outage tests and by bench/hostile/run.py.

Tests of outages put one of these between the app and the real PostgreSQL or Redis.
``hang()`` keeps every connection open and accepts new ones but passes no byte
either way — what a stopped server (SIGSTOP), a stuck primary or a partition look
like from the client. ``refuse()`` closes everything and refuses connections, as a
killed server does. ``restore()`` relays again.
"""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class TcpRelay:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._state = "relay"  # relay | hang | refuse
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def hang(self) -> None:
        self._state = "hang"

    def refuse(self) -> None:
        self._state = "refuse"
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for sock in pair:
                _close(sock)

    def restore(self) -> None:
        self._state = "relay"

    def close(self) -> None:
        self._stop.set()
        self.refuse()
        _close(self._listener)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._state == "refuse":
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        peers = {client: upstream, upstream: client}
        try:
            while not self._stop.is_set():
                if self._state == "hang":
                    self._stop.wait(0.05)  # hold the bytes: nothing passes either way
                    continue
                readable, _, _ = select.select(list(peers), [], [], 0.05)
                for sock in readable:
                    if self._state != "relay":
                        break
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except (OSError, ValueError):  # closed under us by refuse()
            return
        finally:
            _close(client)
            _close(upstream)


def _close(sock: socket.socket) -> None:
    try:
        sock.close()
    except OSError:
        pass


@contextmanager
def relay(host: str, port: int) -> Iterator[TcpRelay]:
    proxy = TcpRelay(host, port)
    try:
        yield proxy
    finally:
        proxy.close()
