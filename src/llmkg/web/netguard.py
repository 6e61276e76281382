"""The second barrier against a query reaching another host: a worker process that cannot
open a network socket.

The endpoint refuses ``SERVICE`` to other hosts by reading the query's text
(:func:`llmkg.query.scan.scan`), which gives a clear 403. That reading is a second parser
beside Oxigraph's, and two parsers can disagree on a crafted text. So the HTTP worker
processes, where every query and update is evaluated, also install a seccomp filter at
start (Linux): ``socket()`` succeeds only for ``AF_UNIX``, ``io_uring_setup()`` (which could
open sockets outside ``socket()``) fails, and so does every system call made through a
foreign ABI (32-bit compat, x32). The workers only ever accept connections on the
listening socket the supervisor bound before forking them (``accept4`` is not filtered),
so nothing they need is lost; whatever Oxigraph would connect to — ``SERVICE``,
``LOAD <http://…>`` — fails with ``EACCES`` before a packet leaves.

The filter is a dozen classic-BPF instructions, installed with ``prctl``/``seccomp`` through
:mod:`ctypes`; no library is needed. Elsewhere than Linux on x86-64 or AArch64,
:func:`install` returns False and the text check is the only barrier (``/health`` says so).
"""

from __future__ import annotations

import ctypes
import errno
import platform
import sys

# <linux/audit.h>, <linux/seccomp.h>, <asm/unistd.h>
_ARCHES = {
    # machine: (AUDIT_ARCH_*, socket, io_uring_setup, seccomp, x32 bit to refuse)
    "x86_64": (0xC000003E, 41, 425, 317, 0x40000000),
    "aarch64": (0xC00000B7, 198, 425, 277, None),
}
_PR_SET_NO_NEW_PRIVS = 38
_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_FILTER_FLAG_TSYNC = 1
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_AF_UNIX = 1

# classic BPF opcodes
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_RET_K = 0x06

installed = False   # whether this process runs under the filter


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def program(machine: str | None = None) -> list[tuple[int, int, int, int]]:
    """The filter as (code, jt, jf, k) instructions, for ``machine`` (default: this one)."""
    arch, nr_socket, nr_uring, _nr_seccomp, x32 = _ARCHES[machine or platform.machine()]
    deny = _RET_ERRNO | errno.EACCES
    # seccomp_data: nr at 0, arch at 4, instruction pointer at 8, args[i] at 16 + 8 i
    # (the low 32 bits of args[0] are at 16 on these little-endian machines)
    body = [(_LD_W_ABS, 0, 0, 0)]                                  # A = nr
    if x32 is not None:
        body.append((_JGE_K, "deny", 0, x32))                        # x32 ABI: refused
    body += [
        (_JEQ_K, 0, "uring", nr_socket),                              # socket(domain, ...)?
        (_LD_W_ABS, 0, 0, 16),                                      # A = domain
        (_JEQ_K, "allow", "deny", _AF_UNIX),
        ("uring", None, None, None),
        (_JEQ_K, "deny", "allow", nr_uring),
        ("allow", None, None, None),
        (_RET_K, 0, 0, _RET_ALLOW),
        ("deny", None, None, None),
        (_RET_K, 0, 0, deny),
    ]
    prog = [(_LD_W_ABS, 0, 0, 4), (_JEQ_K, 0, "deny", arch)] + body   # a foreign ABI: refused
    # resolve the labels into relative jumps
    labels, out = {}, []
    for ins in prog:
        if isinstance(ins[0], str):
            labels[ins[0]] = len(out)
        else:
            out.append(ins)
    resolved = []
    for i, (code, jt, jf, k) in enumerate(out):
        jt = labels[jt] - i - 1 if isinstance(jt, str) else jt
        jf = labels[jf] - i - 1 if isinstance(jf, str) else jf
        resolved.append((code, jt, jf, k))
    return resolved


def install() -> bool:
    """Install the filter in this process (all its threads). True once it is in force;
    False where it cannot be (not Linux, another processor, a kernel without seccomp)."""
    global installed
    if installed:
        return True
    if not sys.platform.startswith("linux") or platform.machine() not in _ARCHES:
        return False
    nr_seccomp = _ARCHES[platform.machine()][3]
    ins = program()
    arr = (_SockFilter * len(ins))(*[_SockFilter(*i) for i in ins])
    prog = _SockFprog(len(ins), arr)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover
        return False
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:  # pragma: no cover
        return False
    libc.syscall.restype = ctypes.c_long
    rc = libc.syscall(ctypes.c_long(nr_seccomp), ctypes.c_long(_SECCOMP_SET_MODE_FILTER),
                      ctypes.c_long(_SECCOMP_FILTER_FLAG_TSYNC), ctypes.byref(prog))
    if rc != 0:  # pragma: no cover - a kernel without seccomp filters
        return False
    installed = True
    return True


__all__ = ["install", "installed", "program"]
