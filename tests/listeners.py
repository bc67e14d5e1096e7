"""Sockets on 127.0.0.1 that are not Dask schedulers, for the tests of a scheduler address that
never answers or answers garbage: a real listening socket that accepts every
connection and then stays silent, or sends bytes that are no Dask message."""

import socket
import threading

GARBAGE = b"\xff\xfe\xfd\xfc\x7f" * 4096  # read as a message: a frame length of exabytes


class Listener:
    """Accepts every connection on a free loopback port; sends ``reply`` (nothing: stays silent)
    and keeps the connection open until ``close``. ``address``: 'tcp://127.0.0.1:PORT'."""

    def __init__(self, reply=b""):
        self.reply, self.connections = reply, []
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.address = f"tcp://127.0.0.1:{self.socket.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:  # closed
                return
            self.connections.append(connection)
            if self.reply:
                try:
                    connection.sendall(self.reply)
                except OSError:  # the client hung up first
                    pass

    def close(self):
        self.socket.close()
        for connection in self.connections:
            connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
