"""The Neovim plugin (clients/nvim) driven headless against the REAL server binary.

Each test starts `sportello serve --socket` on a fresh database, seeds it over the socket as
the system principal (a customer, a contact, an operator and a care manager with passwords,
a ticket assigned to the operator and one nobody has taken charge of), then runs one Lua
script of this folder in `nvim --headless --clean`. The script drives the plugin's commands as
a user would and exits non-zero (`cquit`) on the first failed check; nvim is killed after
NVIM_TIMEOUT seconds, so a hang fails too.

Run from the repository root (make test-editor does):

    SPORTELLO_BIN=.build/debug/sportello python3 -m unittest discover -s clients/nvim/tests -v

Needs Neovim 0.7 or later (Debian: apt-get install neovim).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PLUGIN = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(PLUGIN))
sys.path.insert(0, os.path.join(REPO, "clients", "python"))

# Skips the whole module, with the reason, when the server binary is not built.
from test_clients import BIN, ServerTestCase  # noqa: E402
from sportello_client import Client  # noqa: E402

NVIM = shutil.which("nvim")
NVIM_TIMEOUT = float(os.environ.get("SPORTELLO_NVIM_TIMEOUT", "90"))
PY_CLIENT = os.path.join(REPO, "clients", "python", "sportello_client.py")
REPLY_LOG = os.environ.get("SPORTELLO_REPLY_LOG")

PASSWORD = "correct horse battery"
OPERATOR = "luca.verdi@example.com"
MANAGER = "giulia.bianchi@example.com"
SUBJECT = "Errore 500 sul portale"
BODY = "Buongiorno, non riusciamo ad accedere al portale."
OTHER_SUBJECT = "Richiesta di un report mensile"


def nvim_version():
    out = subprocess.run([NVIM, "--version"], capture_output=True, text=True, timeout=30).stdout
    first = out.splitlines()[0] if out else ""
    parts = first.replace("NVIM v", "").split("-")[0].split(".")
    try:
        return tuple(int(p) for p in parts[:2]), first
    except ValueError:
        return (0, 0), first


def check_nvim(test):
    # Not a skip: the plugin is part of what `make test` checks, and deps installs nvim.
    if NVIM is None:
        test.fail("nvim is not on PATH: install Neovim 0.7 or later (apt-get install neovim)")
    version, line = nvim_version()
    test.assertGreaterEqual(version, (0, 7), "Neovim 0.7 or later is needed, found %r" % line)


def run_nvim(test, script, cwd, env):
    """Runs a Lua script of this folder in headless nvim with the plugin on 'runtimepath';
    fails the test unless the script printed its PASS line and nvim exited 0."""
    environ = dict(os.environ)
    environ["SPORTELLO_TEST_HELPERS"] = os.path.join(HERE, "helpers.lua")
    environ.update(env)
    # No user config, no shada, no plugins but this one; a script that returns without
    # quitting (it failed to load) ends at the last -c with status 3.
    argv = [NVIM, "--headless", "--clean", "-u", "NONE", "-i", "NONE", "-n",
            "-c", "set rtp^=" + PLUGIN, "-c", "runtime! plugin/sportello.lua",
            "-c", "luafile " + os.path.join(HERE, script), "-c", "cquit 3"]
    try:
        proc = subprocess.run(argv, cwd=cwd, env=environ, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=NVIM_TIMEOUT)
    except subprocess.TimeoutExpired as e:
        test.fail("nvim did not finish %s within %ss:\n%s%s" % (
            script, NVIM_TIMEOUT, e.stdout or "", e.stderr or ""))
    output = proc.stdout + proc.stderr
    test.assertEqual(proc.returncode, 0, "%s failed (exit %d):\n%s" % (
        script, proc.returncode, output))
    test.assertIn("PASS " + script, output)


class NvimConnectionTests(unittest.TestCase):
    """The plugin's JSON-RPC reader alone (no server)."""

    def test_replies_notifications_and_chunks(self):
        check_nvim(self)
        with tempfile.TemporaryDirectory(prefix="sportello-nvim-") as tmp:
            run_nvim(self, "framing.lua", tmp,
                     {"SPORTELLO_TEST_NO_SOCKET": os.path.join(tmp, "nobody.sock")})


class NvimPluginTests(ServerTestCase):

    def setUp(self):
        super().setUp()
        check_nvim(self)
        self.start_socket_server()
        self.seed()

    def seed(self):
        with Client.connect(self.sock, timeout=30) as c:
            self.assertEqual(c.call("server.info")["principal"]["kind"], "system",
                             "the tests must run as the server's own user")
            c.call("customer.create", code="ACME", name="Acme S.p.A.", language="it",
                   email="it@acme.example")
            c.call("customer.addSubscription", customer="ACME", product="zenshare-suite",
                   mode="cloudSaas")
            contact = c.call("contact.create", customer="ACME", name="Mario Rossi",
                             email="mario@acme.example")
            self.operator = c.call("staff.create", name="Luca Verdi", email=OPERATOR,
                                   role="operator", password=PASSWORD)
            self.manager = c.call("staff.create", name="Giulia Bianchi", email=MANAGER,
                                  role="careManager", password=PASSWORD)
            ticket = c.call("ticket.open", contact=contact["id"], product="zenshare-suite",
                            channel="email", subject=SUBJECT, body=BODY)
            self.ticket = c.call("ticket.takeCharge", ticket=ticket["id"], classification="bug",
                                 priority=2, assignee=self.operator["id"])
            self.other = c.call("ticket.open", contact=contact["id"], product="zenshare-suite",
                                channel="email", subject=OTHER_SUBJECT,
                                body="Ci servirebbe un report mensile delle spedizioni.")
            methods = {m["name"] for m in c.call("rpc.discover")["methods"]}
        self.has_events = "events.subscribe" in methods

    def run_nvim(self, script, **env):
        trace = os.path.join(self.tmp, "trace.jsonl")
        environ = {
            "SPORTELLO_TEST_SOCKET": self.sock,
            "SPORTELLO_TEST_BIN": BIN,
            "SPORTELLO_TEST_DB": self.db,
            "SPORTELLO_TEST_PYCLIENT": PY_CLIENT,
            "SPORTELLO_TEST_PASSWORD": PASSWORD,
            "SPORTELLO_TEST_OPERATOR": OPERATOR,
            "SPORTELLO_TEST_OPERATOR_ID": str(self.operator["id"]),
            "SPORTELLO_TEST_TICKET": str(self.ticket["id"]),
            "SPORTELLO_TEST_SUBJECT": SUBJECT,
            "SPORTELLO_TEST_BODY": BODY,
            "SPORTELLO_TEST_OTHER": str(self.other["id"]),
            "SPORTELLO_TEST_OTHER_SUBJECT": OTHER_SUBJECT,
            "SPORTELLO_TEST_TRACE": trace,
            "SPORTELLO_TEST_HAS_EVENTS": "1" if self.has_events else "0",
        }
        environ.update(env)
        try:
            run_nvim(self, script, self.tmp, environ)
        except AssertionError as e:
            raise AssertionError("%s\nserver log:\n%s" % (e, self.server_log())) from None
        return self.read_trace(trace)

    def read_trace(self, path):
        """What the plugin sent and received: [(method, params, reply)] by request id, and the
        notifications it received. Results go to the reply log that `make test` checks
        against the schema, like the other client suites'."""
        calls, notifications, by_id = [], [], {}
        with open(path, encoding="utf-8") as f:
            for line in f:
                direction, text = line[0], line[2:]
                msg = json.loads(text)
                if direction == ">":
                    self.assertFalse(msg["id"] in by_id, "request id %s sent twice" % msg["id"])
                    call = {"method": msg["method"], "params": msg.get("params"), "reply": None}
                    by_id[msg["id"]] = call
                    calls.append(call)
                elif "id" in msg and msg["id"] in by_id:
                    by_id[msg["id"]]["reply"] = msg
                else:
                    notifications.append(msg)
        if REPLY_LOG:
            with open(REPLY_LOG, "a", encoding="utf-8") as log:
                for call in calls:
                    if call["reply"] and "result" in call["reply"]:
                        log.write(json.dumps({"method": call["method"],
                                              "result": call["reply"]["result"]}) + "\n")
        return calls, notifications

    def test_operator_lists_opens_and_notes(self):
        calls, _ = self.run_nvim("operator.lua")
        lists = [c for c in calls if c["method"] == "ticket.list"]
        self.assertTrue(lists, "the plugin never called ticket.list")
        for c in lists:
            self.assertEqual(c["params"].get("assignee"), self.operator["id"],
                             "ticket.list must filter on the signed-in staff member: %r" % c)
        notes = [c for c in calls if c["method"] == "ticket.addMessage"]
        self.assertTrue(notes and all(c["params"].get("internal") is True for c in notes),
                        "notes must be sent as internal messages: %r" % notes)

    def test_care_manager_takes_charge_with_a_token(self):
        with Client.connect(self.sock, timeout=30) as c:
            token = c.call("session.login", email=MANAGER, password=PASSWORD)["token"]
        calls, _ = self.run_nvim("care_manager.lua", SPORTELLO_TEST_TOKEN=token,
                                 SPORTELLO_TEST_MANAGER_ID=str(self.manager["id"]))
        takes = [c for c in calls if c["method"] == "ticket.takeCharge"]
        self.assertTrue(takes, "the plugin never called ticket.takeCharge")
        self.assertEqual(takes[0]["params"].get("expectedVersion"), self.other["version"],
                         "take charge must pass the version shown")

    def test_spawned_stdio_server(self):
        self.run_nvim("stdio.lua")

    def test_live_updates(self):
        if not self.has_events:
            self.skipTest("the server does not serve events.subscribe yet (rpc.discover)")
        calls, notifications = self.run_nvim("live.lua")
        subscribes = [c for c in calls if c["method"] == "events.subscribe"]
        self.assertGreaterEqual(len(subscribes), 2, "no subscription again after the overflow")
        self.assertIn("since", subscribes[-1]["params"],
                      "resubscribing must ask for what came after the last event seen")
        # The server still serves the subscription the test said was overflowed: the one
        # change made after subscribing again comes twice, and is read once.
        after = calls[calls.index(subscribes[-1]):]
        self.assertEqual(len([c for c in after if c["method"] == "ticket.get"]), 1,
                         "events of a subscription given up must be ignored")
        self.assertTrue(any(c["method"] == "events.unsubscribe" for c in calls),
                        "closing the last buffer must unsubscribe")
        self.assertTrue(any(n.get("method") == "events.ticketChanged" for n in notifications))


if __name__ == "__main__":
    unittest.main()
