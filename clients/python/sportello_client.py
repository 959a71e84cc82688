#!/usr/bin/env python3
"""A small JSON-RPC 2.0 client for the Sportello server (Python 3.9+, standard library only).

Two ways to reach a server:

* ``Client.connect(socket_path)`` -- a running ``sportello serve --socket PATH`` (or the
  systemd-activated socket, ``/run/sportello/sportello.sock``);
* ``Client.spawn(argv)`` -- start ``sportello serve --stdio ...`` and talk over its pipes.

Two framings, chosen per connection (docs/product.md §10):

* ``"ndjson"`` (default) -- one JSON text per line, replies one per line;
* ``"content-length"`` -- LSP-style ``Content-Length: N\\r\\n\\r\\n<N bytes>`` both ways.

Example, on the socket ``make run`` serves, once ``sportello seed-demo`` has filled the
database (it creates ticket 42)::

    from sportello_client import Client, RPCError

    with Client.connect("var/sportello.sock") as c:
        print(c.call("server.ping"))                   # {'pong': True, 'time': '...'}
        c.call("ticket.get", ticket=42)                 # params by name
        c.call("calendar.get", {"calendar": "interzen-support"})  # or as a dict
        c.notify("server.ping")                         # no reply expected
        for r in c.batch([("server.ping", {}), ("no.such", {})]):
            print(r)                                    # a dict, then an RPCError

A command line interface is included, see ``python3 sportello_client.py --help``.
"""

import argparse
import itertools
import json
import os
import select
import shlex
import socket
import subprocess
import sys
import threading
import time

__all__ = ["Client", "RPCError", "ProtocolError", "FRAMINGS"]

FRAMINGS = ("ndjson", "content-length")
_MISSING = object()


class RPCError(Exception):
    """A JSON-RPC error object returned by the server.

    Attributes: ``code`` (int, e.g. -32601), ``message`` (str) and ``data`` (any JSON value,
    or None when the server sent none).
    """

    def __init__(self, code, message, data=None):
        super().__init__(code, message, data)
        self.code = code
        self.message = message
        self.data = data

    @classmethod
    def from_error(cls, error):
        """Build an RPCError from a decoded ``error`` member."""
        if not isinstance(error, dict):
            return cls(-32603, "malformed error object: %r" % (error,))
        return cls(error.get("code"), error.get("message"), error.get("data"))

    def __str__(self):
        s = "error %s: %s" % (self.code, self.message)
        if self.data is not None:
            s += " " + json.dumps(self.data, ensure_ascii=False)
        return s

    def __repr__(self):
        return "RPCError(%r, %r, %r)" % (self.code, self.message, self.data)


class ProtocolError(ConnectionError):
    """The connection broke, timed out, or the server sent something that is not JSON-RPC."""


class _SocketTransport:
    def __init__(self, sock):
        self._sock = sock

    def fileno(self):
        return self._sock.fileno()

    def send(self, data):
        self._sock.sendall(data)

    def recv(self):
        return self._sock.recv(65536)

    def close(self):
        try:
            self._sock.close()
        except OSError:
            pass


class _ProcessTransport:
    def __init__(self, proc):
        self.proc = proc
        self._out = proc.stdout.fileno()

    def fileno(self):
        return self._out

    def send(self, data):
        stdin = self.proc.stdin
        view = memoryview(data)
        while view:
            n = stdin.write(view)
            if n is None:  # non-blocking pipe that is full; should not happen
                time.sleep(0.001)
                continue
            view = view[n:]
        stdin.flush()

    def recv(self):
        return os.read(self._out, 65536)

    def close(self, wait=10.0):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        finally:
            self.proc.stdout.close()


class Client:
    """One JSON-RPC 2.0 connection to a Sportello server.

    Use ``Client.connect`` or ``Client.spawn`` rather than the constructor. Calls are
    serialised by a lock, so a client may be shared by threads, but requests are not
    pipelined: each call waits for its own reply. Messages that do not answer the current
    request (server notifications, replies with an unknown id) are kept in ``stray``.
    """

    def __init__(self, transport, framing="ndjson", timeout=None):
        if framing not in FRAMINGS:
            raise ValueError("framing must be one of %s, not %r" % (", ".join(FRAMINGS), framing))
        self._t = transport
        self.framing = framing
        self.timeout = timeout
        self._buf = bytearray()
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self._closed = False
        self._eof = False
        self.stray = []
        self.returncode = None

    # -- construction ----------------------------------------------------------------------

    @classmethod
    def connect(cls, socket_path, framing="ndjson", timeout=30.0):
        """Connect to a server listening on the Unix socket ``socket_path``.

        ``timeout`` (seconds, None = forever) bounds the connect and each wait for a reply.
        Raises ``ConnectionError``/``OSError`` (e.g. FileNotFoundError,
        ConnectionRefusedError) when nobody listens there.
        """
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(os.fspath(socket_path))
            sock.settimeout(None)  # waits are done with select()
        except BaseException:
            sock.close()
            raise
        return cls(_SocketTransport(sock), framing, timeout)

    @classmethod
    def spawn(cls, argv, framing="ndjson", timeout=30.0, env=None, cwd=None, stderr=None):
        """Start ``argv`` (e.g. ``["sportello", "serve", "--stdio", "--database", db]``) and
        talk to it over its stdin/stdout.

        ``stderr`` is passed to ``subprocess.Popen`` (default: inherited). ``close()`` closes
        the server's stdin, waits for it to exit and stores its exit status in
        ``returncode``.
        """
        proc = subprocess.Popen(
            list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
            env=env, cwd=cwd, bufsize=0)
        return cls(_ProcessTransport(proc), framing, timeout)

    @property
    def process(self):
        """The ``subprocess.Popen`` of a spawned server, else None."""
        return getattr(self._t, "proc", None)

    # -- public API ------------------------------------------------------------------------

    def call(self, method, params=None, /, **kwargs):
        """Call ``method`` and return its result.

        Params go by name: ``call("ticket.get", ticket=42)``; a dict may be given instead (or
        as well) for names that are not Python identifiers. Raises ``RPCError`` on a JSON-RPC
        error and ``ProtocolError`` if the connection fails.
        """
        params = self._params(params, kwargs)
        with self._lock:
            req_id = next(self._ids)
            self._send({"jsonrpc": "2.0", "id": req_id, "method": method, "params": params})
            while True:
                msg = self._read_message()
                if isinstance(msg, dict) and msg.get("id") == req_id:
                    return self._outcome(msg, raise_error=True)
                if isinstance(msg, dict) and msg.get("id", _MISSING) is None and "error" in msg:
                    # The server could not even read our request (parse error etc.).
                    raise RPCError.from_error(msg["error"])
                self.stray.append(msg)

    def notify(self, method, params=None, /, **kwargs):
        """Send a notification (a request without id): the server sends no reply."""
        params = self._params(params, kwargs)
        with self._lock:
            self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def batch(self, calls):
        """Send several calls as one JSON-RPC batch.

        ``calls`` is a sequence of ``(method, params)`` pairs (params a dict or None).
        Returns a list in the same order: each item is the result, or an ``RPCError``
        instance (not raised). Replies are matched by id, whatever order the server uses.
        An empty ``calls`` returns ``[]`` without talking to the server.
        """
        calls = list(calls)
        if not calls:
            return []
        with self._lock:
            ids, reqs = [], []
            for method, params in calls:
                req_id = next(self._ids)
                ids.append(req_id)
                reqs.append({"jsonrpc": "2.0", "id": req_id, "method": method,
                             "params": self._params(params, {})})
            self._send(reqs)
            wanted = set(ids)
            while True:
                msg = self._read_message()
                if isinstance(msg, list):
                    by_id = {}
                    for item in msg:
                        if isinstance(item, dict) and item.get("id") in wanted:
                            by_id[item["id"]] = self._outcome(item, raise_error=False)
                        else:
                            self.stray.append(item)
                    if not by_id:
                        self.stray.append(msg)
                        continue
                    return [by_id.get(i, RPCError(-32603, "no reply for id %d in batch" % i))
                            for i in ids]
                if isinstance(msg, dict) and "error" in msg and msg.get("id") is None:
                    # The whole batch was rejected (e.g. invalid request).
                    raise RPCError.from_error(msg["error"])
                self.stray.append(msg)

    def next_notification(self, timeout=_MISSING):
        """The next notification the server sent on this connection (a dict with ``method``
        and ``params``, such as ``events.ticketChanged`` after ``events.subscribe``): one kept
        in ``stray`` while waiting for a reply, else the next to arrive. ``timeout`` (seconds;
        default: the client's) bounds the wait; returns None when it passes."""
        def is_notification(msg):
            return isinstance(msg, dict) and "method" in msg and "id" not in msg
        with self._lock:
            for index, msg in enumerate(self.stray):
                if is_notification(msg):
                    return self.stray.pop(index)
            saved = self.timeout
            if timeout is not _MISSING:
                self.timeout = timeout
            try:
                while True:
                    try:
                        msg = self._read_message()
                    except ProtocolError as e:
                        if str(e).startswith("timed out"):
                            return None
                        raise
                    if is_notification(msg):
                        return msg
                    self.stray.append(msg)
            finally:
                self.timeout = saved

    def close(self):
        """Close the connection (for a spawned server: close its stdin and wait for it)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._t.close()
            proc = getattr(self._t, "proc", None)
            if proc is not None:
                self.returncode = proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # -- internals -------------------------------------------------------------------------

    @staticmethod
    def _params(params, kwargs):
        if params is None:
            params = {}
        elif not isinstance(params, (dict, list)):
            raise TypeError("params must be a dict (or list), not %s" % type(params).__name__)
        if kwargs:
            if not isinstance(params, dict):
                raise TypeError("cannot mix positional list params with keyword params")
            params = dict(params, **kwargs)
        return params

    @staticmethod
    def _outcome(msg, raise_error):
        if "error" in msg:
            err = RPCError.from_error(msg["error"])
            if raise_error:
                raise err
            return err
        if "result" in msg:
            return msg["result"]
        raise ProtocolError("reply has neither result nor error: %r" % (msg,))

    def _send(self, obj):
        if self._closed:
            raise ProtocolError("client is closed")
        body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if self.framing == "ndjson":
            data = body + b"\n"
        else:
            data = b"Content-Length: %d\r\n\r\n" % len(body) + body
        try:
            self._t.send(data)
        except OSError as e:
            raise ProtocolError("cannot send to server: %s" % e) from e

    def _fill(self, deadline):
        """Read more bytes into the buffer; raise ProtocolError at EOF or timeout."""
        if self._eof:
            raise ProtocolError("connection closed by server")
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self._t.fileno()], [], [], wait)
            if ready:
                break
            if deadline is not None and time.monotonic() >= deadline:
                raise ProtocolError("timed out after %ss waiting for the server" % self.timeout)
        try:
            chunk = self._t.recv()
        except OSError as e:
            raise ProtocolError("cannot read from server: %s" % e) from e
        if not chunk:
            self._eof = True
            raise ProtocolError("connection closed by server"
                                + (" (partial message: %r)" % bytes(self._buf[:200])
                                   if self._buf.strip() else ""))
        self._buf += chunk

    def _read_message(self):
        """Return the next decoded JSON message from the server (normally a dict or list)."""
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        if self.framing == "ndjson":
            while True:
                nl = self._buf.find(b"\n")
                if nl < 0:
                    self._fill(deadline)
                    continue
                line = bytes(self._buf[:nl])
                del self._buf[:nl + 1]
                if line.strip():
                    return self._decode(line)
        while True:
            end = self._buf.find(b"\r\n\r\n")
            if end < 0:
                self._fill(deadline)
                continue
            length = None
            for header in bytes(self._buf[:end]).split(b"\r\n"):
                name, sep, value = header.partition(b":")
                if not sep:
                    raise ProtocolError("bad header line from server: %r" % header)
                if name.strip().lower() == b"content-length":
                    try:
                        length = int(value.strip())
                    except ValueError:
                        raise ProtocolError("bad Content-Length: %r" % value) from None
            if length is None:
                raise ProtocolError("no Content-Length header in %r" % bytes(self._buf[:end]))
            while len(self._buf) < end + 4 + length:
                self._fill(deadline)
            body = bytes(self._buf[end + 4:end + 4 + length])
            del self._buf[:end + 4 + length]
            return self._decode(body)

    @staticmethod
    def _decode(data):
        try:
            msg = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise ProtocolError("server sent invalid JSON (%s): %r" % (e, data[:200])) from e
        # Anything else (e.g. a bare `null`) is not a JSON-RPC message; the callers put it
        # in `stray` instead of failing the call.
        return msg


# -- command line ------------------------------------------------------------------------------

_USAGE = """\
usage: sportello_client.py [--socket PATH | --spawn CMD... --] [--framing F] [--timeout S]
                           METHOD [JSON]

Call one JSON-RPC method on a Sportello server and print the result as JSON.

  --socket PATH     Unix socket of a running server (default: $SPORTELLO_SOCKET,
                    else ./var/sportello.sock)
  --spawn CMD... -- start CMD (e.g. sportello serve --stdio --database x.db) and talk over
                    its stdin/stdout; the command ends at "--". Without "--", the single
                    argument after --spawn is split like a shell command line.
  --framing F       ndjson (default) or content-length
  --timeout S       seconds to wait for the reply (default 60)
  --compact         print the result on one line (default: indented)

Exit status: 0 result printed; 1 JSON-RPC error (on stderr); 2 connection failure;
64 usage error.
"""


def _parse_cli(argv):
    """Parse the CLI arguments: (opts, method, params), or None for --help."""
    opts = {"socket": None, "spawn": None, "framing": "ndjson", "timeout": 60.0,
            "compact": False}
    rest = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            return None
        if a == "--spawn":
            if "--" in argv[i + 1:]:
                j = argv.index("--", i + 1)
                opts["spawn"] = argv[i + 1:j]
                i = j + 1
            elif i + 1 < len(argv):
                opts["spawn"] = shlex.split(argv[i + 1])
                i += 2
            else:
                raise ValueError("--spawn needs a command")
            if not opts["spawn"]:
                raise ValueError("--spawn needs a command")
            continue
        if a in ("--socket", "--framing", "--timeout"):
            if i + 1 >= len(argv):
                raise ValueError("%s needs a value" % a)
            opts[a[2:]] = argv[i + 1]
            i += 2
            continue
        if a.startswith(("--socket=", "--framing=", "--timeout=")):
            k, _, v = a[2:].partition("=")
            opts[k] = v
            i += 1
            continue
        if a == "--compact":
            opts["compact"] = True
            i += 1
            continue
        if a == "--":
            rest.extend(argv[i + 1:])
            break
        if a.startswith("-") and len(a) > 1:
            raise ValueError("unknown option: %s" % a)
        rest.append(a)
        i += 1
    if opts["socket"] is not None and opts["spawn"] is not None:
        raise ValueError("give --socket or --spawn, not both")
    if opts["framing"] not in FRAMINGS:
        raise ValueError("--framing must be ndjson or content-length")
    try:
        opts["timeout"] = float(opts["timeout"])
    except ValueError:
        raise ValueError("--timeout must be a number of seconds") from None
    if not 1 <= len(rest) <= 2:
        raise ValueError("expected METHOD and optional JSON params")
    method = rest[0]
    try:
        params = json.loads(rest[1]) if len(rest) == 2 else {}
    except ValueError as e:
        raise ValueError("params are not valid JSON: %s" % e) from None
    if not isinstance(params, (dict, list)):
        raise ValueError("params must be a JSON object")
    return opts, method, params


def main(argv=None):
    """Command line entry point; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        parsed = _parse_cli(argv)
    except ValueError as e:
        sys.stderr.write("sportello_client.py: %s\nTry --help.\n" % e)
        return 64
    if parsed is None:
        sys.stdout.write(_USAGE)
        return 0
    opts, method, params = parsed
    timeout = opts["timeout"] if opts["timeout"] > 0 else None
    try:
        if opts["spawn"] is not None:
            client = Client.spawn(opts["spawn"], framing=opts["framing"], timeout=timeout)
        else:
            path = opts["socket"] or os.environ.get("SPORTELLO_SOCKET") or "var/sportello.sock"
            client = Client.connect(path, framing=opts["framing"], timeout=timeout)
    except OSError as e:
        target = " ".join(opts["spawn"]) if opts["spawn"] else path
        sys.stderr.write("sportello_client.py: cannot connect to %s: %s\n" % (target, e))
        return 2
    try:
        with client:
            result = client.call(method, params)
    except RPCError as e:
        sys.stderr.write("error %s: %s\n" % (e.code, e.message))
        if e.data is not None:
            sys.stderr.write(json.dumps(e.data, ensure_ascii=False) + "\n")
        return 1
    except (ProtocolError, OSError) as e:
        sys.stderr.write("sportello_client.py: %s\n" % e)
        return 2
    if opts["compact"]:
        print(json.dumps(result, ensure_ascii=False, separators=(",", ":")))
    else:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
