"""Length-prefixed pickles over a socket: how the server talks to its worker processes.

Only the server and the workers it started are on either end (a socketpair), so pickle is
safe here; nothing from the network is unpickled.
"""

from __future__ import annotations

import pickle
import socket
import struct

HEADER = struct.Struct("!Q")


def encode(obj) -> bytes:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


def recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            raise EOFError
        buf += chunk
    return bytes(buf)


def recv(sock: socket.socket):
    (n,) = HEADER.unpack(recv_exact(sock, HEADER.size))
    return pickle.loads(recv_exact(sock, n))


def send(sock: socket.socket, obj) -> None:
    sock.sendall(encode(obj))
