"""Where ``fleetplan serve`` listens: its address checked, and bound, before anything starts.

A host that does not resolve, or is no address of this machine, is refused naming the host's option;
a port taken or not allowed, naming the port's. One line, exit status 2 (see :func:`api.cli.main`).
"""

from __future__ import annotations

import errno
import logging
import socket
from typing import Any

from fleetplan.errors import InvalidValueError

LISTEN_BACKLOG = 2048  # uvicorn's default backlog
STARTUP_FAILURE = 3  # uvicorn's exit status when the app did not start


def listening_sockets(host: str, port: int, port_option: str, host_option: str) -> list[socket.socket]:
    """Sockets bound to every address of ``host`` at ``port``, and listening, as uvicorn would open
    them (asyncio's ``create_server``: ``localhost`` is 127.0.0.1 and ::1, an empty host every
    interface). The caller closes them.

    Raises
    ------
    InvalidValueError
        Naming ``host_option`` when ``host`` does not resolve or is no address of this machine, and
        ``port_option`` when the port is taken or not allowed (below 1024 without the right).
    """
    opened: list[socket.socket] = []
    try:
        for family, address in _addresses(host, port, host_option):
            try:
                sock = socket.socket(family, socket.SOCK_STREAM)
            except OSError:  # a family this machine does not have (IPv6 switched off): asyncio skips it too
                continue
            opened.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:  # '::' takes IPv6 only, as asyncio binds it; 0.0.0.0 is IPv4's
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
                sock.listen(LISTEN_BACKLOG)
            except OSError as error:
                option = host_option if error.errno == errno.EADDRNOTAVAIL else port_option
                raise InvalidValueError(option, f"cannot listen on {host}:{port} ({error.strerror or error})") from None
        if not opened:
            raise InvalidValueError(host_option, f"cannot listen on {host}:{port} (no address of it can be opened)")
    except BaseException:
        for sock in opened:
            sock.close()
        raise
    return opened


def serve_on(app: Any, sockets: list[socket.socket], **config: Any) -> int:
    """Serve ``app`` on ``sockets`` (from :func:`listening_sockets`) until stopped, as ``uvicorn.run``
    serves (``config`` as its keywords): 0 once stopped (Ctrl-C too), 3 when the app did not start.

    The sockets were bound and listening from the address check on, so no other process can take the
    port in between; a connection made while the app starts waits in the backlog until it is served.
    """
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:  # uvicorn says where it runs only for the address it bound itself
                for sock in sockets or []:
                    logging.getLogger("uvicorn.error").info("Uvicorn running on %s (Press CTRL+C to quit)", url(sock))

    server = Server(uvicorn.Config(app, **config))
    try:
        server.run(sockets=sockets)
    except KeyboardInterrupt:  # as uvicorn.run: Ctrl-C is how the service is stopped
        pass
    finally:
        for sock in sockets:
            sock.close()
    return 0 if server.started else STARTUP_FAILURE


def url(sock: socket.socket) -> str:
    """``http://127.0.0.1:8000``, ``http://[::1]:8000``: where ``sock`` listens."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if sock.family == socket.AF_INET6 else f"http://{host}:{port}"


def check_listenable(host: str, port: int, option: str, host_option: str = "--host") -> None:
    """Refuse at once, naming ``option`` (or ``host_option`` for the host), an address a listener
    started later could not take, rather than failing inside the running service."""
    for sock in listening_sockets(host, port, option, host_option):
        sock.close()


def _addresses(host: str, port: int, host_option: str) -> list[tuple[socket.AddressFamily, tuple]]:
    """(family, address) of each address to bind, once each, in the resolver's order."""
    try:
        found = socket.getaddrinfo(host or None, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
    except (OSError, UnicodeError) as error:  # the resolver's gaierror; an empty or too long label (idna)
        reason = getattr(error, "strerror", None) or error
        raise InvalidValueError(
            host_option, f"cannot listen on {host}:{port}: {host!r} does not resolve ({reason})"
        ) from None
    return list(dict.fromkeys((family, address) for family, _, _, _, address in found))
