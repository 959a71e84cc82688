"""Mail in through the real mail system: Postfix receives mail for the support address over SMTP
and hands it, through its pipe(8) transport, to `clients/sh/sportello-mailgate`, running as a
user of the Unix group `sportello-mail` (the mail gateway principal), which calls mail.ingest.
Sportello's receipt goes back out through Postfix's sendmail to the customer's local mailbox,
and the customer's reply to it is threaded onto the same ticket. With the server stopped,
Postfix keeps the mail queued (the gateway exits 75) and delivers it once the server is back.

`make test` runs this as root, with Postfix installed local-only; the test configures the pipe
transport itself (a `sportello` service in master.cf and a transport map for the support
address) and creates the users it needs.
"""

import base64
import email
import email.policy
import grp
import mailbox
import os
import pwd
import shutil
import smtplib
import subprocess
import sys
import tempfile
import time
import unittest
from email.message import EmailMessage
from email.utils import make_msgid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "clients", "python"))

from sportello_client import Client, RPCError  # noqa: E402

BIN = os.path.abspath(os.environ.get("SPORTELLO_BIN") or os.path.join(REPO, ".build", "debug", "sportello"))
MAILGATE = os.path.join(REPO, "clients", "sh", "sportello-mailgate")
RPC = os.path.join(REPO, "clients", "sh", "sportello-rpc")
GROUP = "sportello-mail"
GATE_USER = "sportello-gateway"
CUSTOMER = "sportello-utente"
DOMAIN = "localhost.localdomain"
SUPPORT = "assistenza@" + DOMAIN
MBOX = "/var/mail/" + CUSTOMER


def ready():
    if os.geteuid() != 0:
        return "needs root (to configure Postfix and create users)"
    if not shutil.which("postfix") or not shutil.which("socat"):
        return "Postfix or socat is not installed (make deps installs them)"
    return None


def sh(*argv, check=True):
    return subprocess.run(argv, check=check, capture_output=True, text=True)


def ensure_user(name, group=None):
    try:
        pwd.getpwnam(name)
    except KeyError:
        argv = ["useradd", "-M", "-s", "/usr/sbin/nologin"]
        if group:
            argv += ["-g", group]
        sh(*argv, name)


@unittest.skipIf(ready(), ready() or "")
class MailGatewayTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        try:
            grp.getgrnam(GROUP)
        except KeyError:
            sh("groupadd", "--system", GROUP)
        ensure_user(GATE_USER, GROUP)
        ensure_user(CUSTOMER)
        if os.path.exists(MBOX):
            open(MBOX, "w").close()

        cls.tmp = tempfile.TemporaryDirectory()
        os.chmod(cls.tmp.name, 0o755)  # the gateway user must reach the socket inside
        cls.sock = os.path.join(cls.tmp.name, "sportello.sock")
        cls.db = os.path.join(cls.tmp.name, "db.sqlite")

        # The pipe transport: the gateway runs as GATE_USER (group sportello-mail); flags=R adds
        # Return-Path, q quotes the address; the support address alone is routed to it.
        master = "/etc/postfix/master.cf"
        with open(master) as f:
            text = f.read()
        entry = ("sportello unix - n n - - pipe\n"
                 "  flags=Rq user=%s:%s argv=%s --socket %s --timeout 30\n" % (GATE_USER, GROUP, MAILGATE, cls.sock))
        start = text.find("sportello unix")
        if start >= 0:
            text = text[:start]
        with open(master, "w") as f:
            f.write(text.rstrip("\n") + "\n" + entry)
        with open("/etc/postfix/sportello_transport", "w") as f:
            f.write("%s sportello:\n" % SUPPORT)
        sh("postmap", "/etc/postfix/sportello_transport")
        sh("postconf", "-e", "transport_maps=hash:/etc/postfix/sportello_transport",
           # The support address is no Unix user: the transport map makes it a known recipient.
           "local_recipient_maps=proxy:unix:passwd.byname $alias_maps hash:/etc/postfix/sportello_transport",
           "message_size_limit=40000000", "sportello_destination_recipient_limit=1",
           # A queued message is tried again soon (the test waits for it, not five minutes).
           "minimal_backoff_time=2s", "maximal_backoff_time=4s", "queue_run_delay=2s")
        if sh("postfix", "status", check=False).returncode != 0:
            sh("postfix", "start")
        else:
            sh("postfix", "reload")
        cls.server = None
        cls.start_server()
        c = cls.client
        c.call("mail.settings.set", supportAddress=SUPPORT, displayName="Assistenza Sportello")
        c.call("customer.create", code="UTENTE", name="Utente S.r.l.", language="it")
        c.call("contact.create", customer="UTENTE", name="Nicolò Verdi", email="%s@%s" % (CUSTOMER, DOMAIN))

    @classmethod
    def start_server(cls):
        env = dict(os.environ)
        env.pop("SPORTELLO_MAILDIR", None)  # notifications leave through Postfix's sendmail
        cls.server = subprocess.Popen(
            [BIN, "serve", "--socket", cls.sock, "--database", cls.db, "--sweep-interval", "0"],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while not os.path.exists(cls.sock):
            if time.monotonic() > deadline or cls.server.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        # The socket is created 0660 root:root; the gateway reaches it through its group, as a
        # systemd socket unit would give it (SocketGroup=).
        os.chown(cls.sock, 0, grp.getgrnam(GROUP).gr_gid)
        cls.client = Client.connect(cls.sock)

    @classmethod
    def stop_server(cls):
        cls.client.close()
        cls.server.terminate()
        cls.server.wait(10)

    @classmethod
    def tearDownClass(cls):
        cls.stop_server()
        sh("postconf", "-X", "transport_maps", "local_recipient_maps", check=False)
        sh("postfix", "reload", check=False)
        cls.tmp.cleanup()

    def send(self, subject, body, **headers):
        message = EmailMessage()
        message["From"] = "Nicolò Verdi <%s@%s>" % (CUSTOMER, DOMAIN)
        message["To"] = SUPPORT
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain="utente.example")
        for name, value in headers.items():
            message[name.replace("_", "-")] = value
        message.set_content(body)
        with smtplib.SMTP("127.0.0.1", 25, timeout=30) as smtp:
            smtp.send_message(message)
        return message

    def wait_for(self, predicate, what, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = predicate()
            if found:
                return found
            time.sleep(0.3)
        queue = sh("mailq", check=False).stdout
        self.fail("%s did not happen within %d s; mail queue:\n%s" % (what, timeout, queue))

    def tickets(self):
        return self.client.call("ticket.list", limit=100)["items"]

    def mailbox(self):
        if not os.path.exists(MBOX):
            return []
        box = mailbox.mbox(MBOX, factory=lambda f: email.message_from_binary_file(f, policy=email.policy.default))
        found = list(box)
        box.close()
        return found

    def test_1_a_mail_opens_a_ticket_its_receipt_comes_back_and_the_reply_joins_it(self):
        before = len(self.tickets())
        self.send("Esportazione in € interrotta", "Buongiorno,\nl'esportazione delle fatture si ferma al 50%.\nGrazie")
        opened = self.wait_for(lambda: [t for t in self.tickets() if t["subject"] == "Esportazione in € interrotta"],
                               "the ticket opening")[0]
        self.assertEqual(len(self.tickets()), before + 1)
        self.assertEqual(opened["channel"], "email")
        self.assertEqual(opened["contact"]["name"], "Nicolò Verdi")
        ticket = self.client.call("ticket.get", ticket=opened["id"])
        self.assertEqual(ticket["messages"][0]["text"], "Buongiorno,\nl'esportazione delle fatture si ferma al 50%.\nGrazie")

        receipt = self.wait_for(lambda: [m for m in self.mailbox() if "#%d]" % opened["id"] in (m["Subject"] or "")],
                                "the receipt's delivery")[0]
        self.assertEqual(receipt["From"].addresses[0].addr_spec, SUPPORT)
        self.assertEqual(receipt["Auto-Submitted"], "auto-replied")

        # The customer answers the receipt from their mail client: Re:, In-Reply-To, quoting it.
        quoted = "\n".join("> " + line for line in receipt.get_content().splitlines())
        self.send("Re: " + str(receipt["Subject"]), "Aggiungo: succede solo con più di 1.000 fatture.\n\n" + quoted,
                  In_Reply_To=receipt["Message-ID"], References=receipt["Message-ID"])
        ticket = self.wait_for(
            lambda: (lambda t: t if len(t["messages"]) == 2 else None)(self.client.call("ticket.get", ticket=opened["id"])),
            "the reply's threading")
        self.assertEqual(ticket["messages"][1]["text"], "Aggiungo: succede solo con più di 1.000 fatture.")
        self.assertEqual(ticket["messages"][1]["author"]["name"], "Nicolò Verdi")
        self.assertEqual(len(self.tickets()), before + 1, "the reply opened no new ticket")

    def test_2_with_the_server_stopped_the_mail_waits_in_the_queue_and_arrives_later(self):
        self.stop_server()
        try:
            self.send("Richiesta mentre il server era fermo", "Questa richiesta non deve andare persa.")
            # The gateway cannot reach the server: it exits 75 and Postfix defers the message.
            self.wait_for(lambda: "Richiesta" in sh("postqueue", "-j", check=False).stdout
                          or sh("mailq", check=False).stdout.count("@") > 0, "the message's deferral", timeout=30)
            deferred = sh("postqueue", "-j", check=False).stdout
            self.assertIn(SUPPORT, deferred)
        finally:
            self.start_server()
        sh("postqueue", "-f", check=False)
        self.wait_for(lambda: [t for t in self.tickets() if t["subject"] == "Richiesta mentre il server era fermo"],
                      "the queued message's delivery once the server is back", timeout=90)

    def test_4_a_mail_with_a_3_mib_attachment_arrives_in_pieces_byte_for_byte(self):
        # 3 MiB attached are about 4.1 MB of base64 in the mail and 5.5 MB over the socket: the
        # gateway hands it in as 11 mail.upload pieces of 512 KiB and one mail.ingest {parts}.
        payload = bytes((i * 131 + i // 7) % 256 for i in range(3 * 1024 * 1024))
        message = EmailMessage()
        message["From"] = "Nicolò Verdi <%s@%s>" % (CUSTOMER, DOMAIN)
        message["To"] = SUPPORT
        message["Subject"] = "Log del server allegati"
        message["Message-ID"] = make_msgid(domain="utente.example")
        message.set_content("In allegato i log di stanotte.")
        message.add_attachment(payload, maintype="application", subtype="octet-stream", filename="server.log.gz")
        with smtplib.SMTP("127.0.0.1", 25, timeout=30) as smtp:
            smtp.send_message(message)
        opened = self.wait_for(lambda: [t for t in self.tickets() if t["subject"] == "Log del server allegati"],
                               "the ticket opening")[0]
        ticket = self.client.call("ticket.get", ticket=opened["id"])
        self.assertEqual(ticket["messages"][0]["text"], "In allegato i log di stanotte.")
        listed = ticket["messages"][0]["attachments"]
        self.assertEqual([(a["filename"], a["size"]) for a in listed], [("server.log.gz", len(payload))])
        served = self.client.call("attachment.get", attachment=listed[0]["id"])
        self.assertEqual(base64.b64decode(served["content"]), payload)

    def test_3_the_gateway_may_call_only_mail_ingest_and_server_methods(self):
        def as_gateway(method, params="{}"):
            return subprocess.run(["runuser", "-u", GATE_USER, "--", RPC, "--socket", self.sock, method, params],
                                  capture_output=True, text=True)
        self.assertEqual(as_gateway("server.ping").returncode, 0)
        refused = as_gateway("ticket.list")
        self.assertEqual(refused.returncode, 1, refused)
        self.assertIn("error -32002", refused.stderr)
        self.assertIn("mail.ingest, mail.upload and server.*", refused.stderr)
        refused = as_gateway("session.login", '{"email": "x@example.com", "password": "0123456789"}')
        self.assertIn("error -32002", refused.stderr)


if __name__ == "__main__":
    unittest.main()
