"""Tests of the Sportello clients (sportello_client.py and clients/sh/sportello-rpc) against
the REAL server binary.

Run from the repository root:

    SPORTELLO_BIN=.build/debug/sportello python3 -m unittest discover -s clients/python -v

The binary is $SPORTELLO_BIN, else .build/debug/sportello under the repository root (found
from this file's location). Every test is skipped, with the reason, when it does not exist.
Each test gets its own temporary directory for the database and the socket.
"""

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

from sportello_client import Client, ProtocolError, RPCError  # noqa: E402

BIN = os.path.abspath(os.path.join(
    REPO, os.environ.get("SPORTELLO_BIN") or os.path.join(".build", "debug", "sportello")))
SH_CLIENT = os.path.join(REPO, "clients", "sh", "sportello-rpc")
PY_CLIENT = os.path.join(HERE, "sportello_client.py")
# Run the sh client under dash when there is one: it must be POSIX sh, not bash.
SHELL = shutil.which("dash") or "/bin/sh"
STARTUP_TIMEOUT = float(os.environ.get("SPORTELLO_TEST_STARTUP_TIMEOUT", "30"))
METHOD_NOT_FOUND = -32601

REPLY_LOG = os.environ.get("SPORTELLO_REPLY_LOG")
if REPLY_LOG:
    # Every result the client tests receive goes to the log that Tests/Contract/test_replies.py
    # checks against each method's result schema (`make test` sets the path).
    _client_call = Client.call

    def _recording_call(self, method, params=None, /, **kwargs):
        result = _client_call(self, method, params, **kwargs)
        with open(REPLY_LOG, "a", encoding="utf-8") as log:
            log.write(json.dumps({"method": method, "result": result}) + "\n")
        return result

    Client.call = _recording_call

if not (os.path.isfile(BIN) and os.access(BIN, os.X_OK)):
    raise unittest.SkipTest(
        "server binary %s not found: build it (swift build) or set SPORTELLO_BIN" % BIN)


def server_env():
    """The environment for a server under test: nothing that could pick another database
    or make it think it was socket-activated."""
    env = dict(os.environ)
    for k in ("SPORTELLO_DATABASE", "STATE_DIRECTORY", "LISTEN_FDS", "LISTEN_PID",
              "LISTEN_FDNAMES", "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
        env.pop(k, None)
    # Notifications go to a Maildir of the tests', never to the machine's mail system.
    env.setdefault("SPORTELLO_MAILDIR", os.path.join(tempfile.gettempdir(), "sportello-test-mail"))
    return env


class ServerTestCase(unittest.TestCase):
    """Gives each test a temp dir with `db` and `sock` paths, and helpers to start servers."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sportello-test-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.db = os.path.join(self.tmp, "sportello.db")
        # A fresh subdirectory: `serve --socket` must create the parent directory.
        self.sock = os.path.join(self.tmp, "run", "sportello.sock")
        self.server = None

    def start_socket_server(self, *extra):
        """Start `serve --socket` and wait until the socket accepts a connection."""
        log = open(os.path.join(self.tmp, "server.log"), "wb")
        self.addCleanup(log.close)
        proc = subprocess.Popen(
            [BIN, "serve", "--socket", self.sock, "--database", self.db] + list(extra),
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=server_env())
        self.addCleanup(self._stop, proc)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if proc.poll() is not None:
                self.fail("server exited with status %s before accepting connections:\n%s"
                          % (proc.returncode, self.server_log()))
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(self.sock)
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.fail("socket %s not accepting after %ss:\n%s"
                              % (self.sock, STARTUP_TIMEOUT, self.server_log()))
                time.sleep(0.05)
            finally:
                s.close()
        self.server = proc
        return proc

    def server_log(self):
        try:
            with open(os.path.join(self.tmp, "server.log"), "rb") as f:
                return f.read().decode("utf-8", "replace")[-4000:]
        except OSError:
            return ""

    @staticmethod
    def _stop(proc):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def spawn(self, framing="ndjson"):
        """A Client talking to `serve --stdio` over its pipes."""
        errlog = open(os.path.join(self.tmp, "stdio.log"), "wb")
        self.addCleanup(errlog.close)
        c = Client.spawn([BIN, "serve", "--stdio", "--database", self.db],
                         framing=framing, timeout=30, env=server_env(), stderr=errlog)
        self.addCleanup(c.close)
        return c

    def three_clients(self):
        """(label, Client) for socket/ndjson, socket/content-length and stdio/ndjson."""
        return [("socket ndjson", self.connect("ndjson")),
                ("socket content-length", self.connect("content-length")),
                ("stdio ndjson", self.spawn("ndjson"))]

    def connect(self, framing="ndjson"):
        c = Client.connect(self.sock, framing=framing, timeout=30)
        self.addCleanup(c.close)
        return c

    def assertPong(self, result):
        self.assertIsInstance(result, dict)
        self.assertIs(result.get("pong"), True, result)
        self.assertIsInstance(result.get("time"), str, result)
        self.assertRegex(result["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


class PythonClientTests(ServerTestCase):
    """sportello_client.Client against `serve --socket` and `serve --stdio`."""

    def test_ping_socket_ndjson(self):
        self.start_socket_server()
        self.assertPong(self.connect("ndjson").call("server.ping"))

    def test_ping_socket_content_length(self):
        self.start_socket_server()
        self.assertPong(self.connect("content-length").call("server.ping"))

    def test_ping_stdio_ndjson(self):
        c = self.spawn("ndjson")
        self.assertPong(c.call("server.ping"))
        c.close()
        self.assertEqual(c.returncode, 0, "serve --stdio must exit 0 at EOF")

    def test_ping_stdio_content_length(self):
        c = self.spawn("content-length")
        self.assertPong(c.call("server.ping"))
        c.close()
        self.assertEqual(c.returncode, 0, "serve --stdio must exit 0 at EOF")

    def test_several_calls_on_one_connection(self):
        self.start_socket_server()
        for framing in ("ndjson", "content-length"):
            with self.subTest(framing=framing):
                c = self.connect(framing)
                for _ in range(5):
                    self.assertPong(c.call("server.ping"))

    def test_notify_gets_no_reply_and_next_call_works(self):
        self.start_socket_server()
        for name, c in self.three_clients():
            with self.subTest(client=name):
                c.notify("server.ping")
                c.notify("no.such.method")  # no reply, not even an error
                self.assertPong(c.call("server.ping"))
                self.assertEqual(c.stray, [], "the server sent something for a notification")

    def test_batch_mixed(self):
        self.start_socket_server()
        for name, c in self.three_clients():
            with self.subTest(client=name):
                out = c.batch([("server.ping", {}), ("no.such.method", {"x": 1}),
                               ("server.ping", None)])
                self.assertEqual(len(out), 3, out)
                self.assertPong(out[0])
                self.assertIsInstance(out[1], RPCError)
                self.assertEqual(out[1].code, METHOD_NOT_FOUND)
                self.assertPong(out[2])
                # The connection is still usable after the batch.
                self.assertPong(c.call("server.ping"))

    def test_rpc_error_fields_unknown_method(self):
        self.start_socket_server()
        c = self.connect()
        with self.assertRaises(RPCError) as cm:
            c.call("no.such.method", a=1)
        e = cm.exception
        self.assertEqual(e.code, METHOD_NOT_FOUND)
        self.assertIsInstance(e.message, str)
        self.assertTrue(e.message)
        self.assertIn(str(METHOD_NOT_FOUND), str(e))
        # Still usable afterwards.
        self.assertPong(c.call("server.ping"))

    def test_rpc_error_over_stdio(self):
        c = self.spawn()
        with self.assertRaises(RPCError) as cm:
            c.call("no.such.method")
        self.assertEqual(cm.exception.code, METHOD_NOT_FOUND)

    def test_server_info_and_discover(self):
        self.start_socket_server()
        c = self.connect()
        info = c.call("server.info")
        for key in ("name", "version", "schemaVersion", "database", "transport", "principal"):
            self.assertIn(key, info)
        doc = c.call("rpc.discover")
        self.assertIn("openrpc", doc)
        self.assertIn("methods", doc)

    def test_connect_missing_socket_raises(self):
        with self.assertRaises(OSError):
            Client.connect(os.path.join(self.tmp, "nothing.sock"), timeout=2)

    def test_socket_mode_0660(self):
        self.start_socket_server()
        mode = stat.S_IMODE(os.stat(self.sock).st_mode)
        self.assertEqual(mode, 0o660, "socket mode is %o" % mode)

    def test_socket_never_more_open_than_0660(self):
        # The socket must be 0660 from the moment it appears, whatever the umask: a socket
        # that is bound with the process umask and chmod-ed afterwards is briefly
        # connectable by anyone (0777 under umask 0). The window is short, so look a few
        # times, polling the mode as fast as possible from the moment the file exists.
        seen = set()
        for attempt in range(5):
            sock = os.path.join(self.tmp, "race%d" % attempt, "s.sock")
            proc = subprocess.Popen(
                [BIN, "serve", "--socket", sock, "--database", self.db],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                env=server_env(), preexec_fn=lambda: os.umask(0))
            try:
                deadline = time.monotonic() + STARTUP_TIMEOUT
                while time.monotonic() < deadline and proc.poll() is None:
                    try:
                        mode = stat.S_IMODE(os.stat(sock).st_mode)
                    except FileNotFoundError:
                        continue
                    seen.add(mode)
                    if mode == 0o660:
                        break
            finally:
                self._stop(proc)
        self.assertEqual(seen, {0o660}, "modes seen while the socket was being created: %s"
                         % ", ".join(sorted("%o" % m for m in seen)))

    def test_sigterm_exits_zero(self):
        proc = self.start_socket_server()
        self.connect().call("server.ping")
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.fail("server did not exit within 15s of SIGTERM")
        self.assertEqual(rc, 0, self.server_log())

    def test_stdio_answers_everything_before_exit(self):
        reqs = "".join(json.dumps({"jsonrpc": "2.0", "id": i, "method": "server.ping",
                                   "params": {}}) + "\n" for i in range(1, 21))
        p = subprocess.run([BIN, "serve", "--stdio", "--database", self.db], input=reqs.encode(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                           env=server_env())
        self.assertEqual(p.returncode, 0, p.stderr.decode(errors="replace"))
        lines = [json.loads(x) for x in p.stdout.decode().splitlines() if x.strip()]
        self.assertEqual(sorted(m["id"] for m in lines), list(range(1, 21)))

    def test_python_cli(self):
        self.start_socket_server()
        p = subprocess.run([sys.executable, PY_CLIENT, "--socket", self.sock, "--compact",
                            "server.ping"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertPong(json.loads(p.stdout))
        p = subprocess.run([sys.executable, PY_CLIENT, "--spawn", BIN, "serve", "--stdio",
                            "--database", self.db, "--", "no.such.method"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                           env=server_env())
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(b"error -32601", p.stderr)


class ShellClientTests(ServerTestCase):
    """clients/sh/sportello-rpc against `serve --socket`."""

    def run_sh(self, *args, path=None, env=None):
        e = dict(os.environ)
        e.pop("SPORTELLO_SOCKET", None)
        if path is not None:
            e["PATH"] = path
        if env:
            e.update(env)
        return subprocess.run([SHELL, SH_CLIENT] + list(args), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=e, timeout=60)

    def test_syntax(self):
        for sh in {SHELL, "/bin/sh"}:
            p = subprocess.run([sh, "-n", SH_CLIENT], stderr=subprocess.PIPE)
            self.assertEqual(p.returncode, 0, p.stderr)

    def test_help(self):
        p = self.run_sh("--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn(b"usage: sportello-rpc", p.stdout)

    def test_ping_prints_result(self):
        self.start_socket_server()
        p = self.run_sh("--socket", self.sock, "server.ping")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, b"")
        self.assertEqual(p.stdout.count(b"\n"), 1, p.stdout)
        self.assertPong(json.loads(p.stdout))

    def test_socket_from_environment(self):
        self.start_socket_server()
        p = self.run_sh("server.ping", env={"SPORTELLO_SOCKET": self.sock})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertPong(json.loads(p.stdout))

    def test_params_and_multiline_params(self):
        self.start_socket_server()
        # server.info takes {}: an empty object spread over lines must still be one request.
        p = self.run_sh("--socket", self.sock, "server.info", "{\n}\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("schemaVersion", json.loads(p.stdout))

    def test_result_matches_python_client(self):
        self.start_socket_server()
        p = self.run_sh("--socket", self.sock, "rpc.discover")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout), self.connect().call("rpc.discover"))

    def test_unknown_method_exits_1(self):
        self.start_socket_server()
        p = self.run_sh("--socket", self.sock, "no.such.method")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(p.stdout, b"")
        self.assertRegex(p.stderr.decode(), r"^error -32601: \S")

    def test_missing_socket_exits_2(self):
        p = self.run_sh("--socket", os.path.join(self.tmp, "nothing", "here.sock"),
                        "server.ping")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn(b"cannot connect", p.stderr)

    def test_refused_socket_exits_2(self):
        # A socket file nobody listens on (e.g. left by a crashed server).
        path = os.path.join(self.tmp, "stale.sock")
        s = socket.socket(socket.AF_UNIX)
        s.bind(path)
        s.close()
        p = self.run_sh("--socket", path, "server.ping")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn(b"cannot connect", p.stderr)

    def test_usage_error(self):
        p = self.run_sh()
        self.assertEqual(p.returncode, 64)

    def test_nc_fallback(self):
        nc = shutil.which("nc")
        if not nc:
            self.skipTest("no nc installed (apt-get install netcat-openbsd)")
        h = subprocess.run([nc, "-h"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if b"-U" not in h.stdout:
            self.skipTest("%s does not support -U (Unix sockets)" % nc)
        # A PATH holding only what the script needs, without socat.
        bindir = os.path.join(self.tmp, "bin")
        os.mkdir(bindir)
        for tool in ("sh", "awk", "sed", "tr", "grep", "cat", "rm", "mktemp", "mkfifo",
                     "nc", "kill", "sleep"):
            real = shutil.which(tool)
            if real:
                os.symlink(real, os.path.join(bindir, tool))
        self.assertFalse(os.path.exists(os.path.join(bindir, "socat")))
        self.start_socket_server()
        p = self.run_sh("--socket", self.sock, "server.ping", path=bindir)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertPong(json.loads(p.stdout))
        p = self.run_sh("--socket", self.sock, "no.such.method", path=bindir)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertRegex(p.stderr.decode(), r"^error -32601: ")
        p = self.run_sh("--socket", os.path.join(self.tmp, "x.sock"), "server.ping",
                        path=bindir)
        self.assertEqual(p.returncode, 2, p.stderr)


if __name__ == "__main__":
    unittest.main()
