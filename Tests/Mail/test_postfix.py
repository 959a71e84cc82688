"""Notifications through the real mail system: a Sportello server with its default transport
(`/usr/sbin/sendmail -t -oi`) hands them to Postfix, which delivers them to a local mailbox; the
test reads that mailbox with Python's `email` package, as a customer's mail client would.

`make test` installs Postfix (local only) and runs this as root; it starts Postfix if it is not
running and creates the local user `sportello-cliente`, whose mailbox receives the mail.
"""

import email.policy
import mailbox
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "clients", "python"))

from sportello_client import Client  # noqa: E402

BIN = os.path.abspath(os.environ.get("SPORTELLO_BIN") or os.path.join(REPO, ".build", "debug", "sportello"))
USER = "sportello-cliente"
MBOX = "/var/mail/" + USER


def postfix_ready():
    """Why Postfix cannot be used here, or None."""
    if os.geteuid() != 0:
        return "needs root (to start Postfix and create the local user)"
    if not shutil.which("postfix") or not os.path.exists("/usr/sbin/sendmail"):
        return "Postfix is not installed (make deps installs it)"
    return None


@unittest.skipIf(postfix_ready(), postfix_ready() or "")
class PostfixDeliveryTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if subprocess.run(["postfix", "status"], capture_output=True).returncode != 0:
            subprocess.run(["postfix", "start"], check=True, capture_output=True)
        try:
            pwd.getpwnam(USER)
        except KeyError:
            subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", USER], check=True)
        if os.path.exists(MBOX):
            open(MBOX, "w").close()
        cls.tmp = tempfile.TemporaryDirectory()
        cls.sock = os.path.join(cls.tmp.name, "s.sock")
        env = dict(os.environ)
        env.pop("SPORTELLO_MAILDIR", None)  # the configured transport: sendmail
        cls.server = subprocess.Popen(
            [BIN, "serve", "--socket", cls.sock, "--database", os.path.join(cls.tmp.name, "db")],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while not os.path.exists(cls.sock):
            if time.monotonic() > deadline or cls.server.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        cls.client = Client.connect(cls.sock)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.server.terminate()
        cls.server.wait(10)
        cls.tmp.cleanup()

    def messages(self, count, timeout=30):
        """The mailbox's messages, once there are `count`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.exists(MBOX):
                box = mailbox.mbox(MBOX, factory=lambda f: email.message_from_binary_file(f, policy=email.policy.default))
                found = list(box)
                box.close()
                if len(found) >= count:
                    return found
            time.sleep(0.2)
        queue = subprocess.run(["mailq"], capture_output=True, text=True).stdout
        self.fail("%d message(s) expected in %s within %d s; mail queue:\n%s" % (count, MBOX, timeout, queue))

    def test_receipt_and_closure_reach_the_mailbox_in_one_thread(self):
        c = self.client
        c.call("customer.create", code="ACME", name="Acme S.p.A.", language="it", email="it@acme.example")
        c.call("customer.addSubscription", customer="ACME", product="zenshare-suite", mode="subscription")
        c.call("contact.create", customer="ACME", name="Nicolò Bianchi", email=USER + "@localhost.localdomain")
        c.call("staff.create", name="Luca Ferri", email="luca@interzen.example", role="operator")
        subject = "Perché l'esportazione in € non funziona più?"
        t = c.call("ticket.open", contact=1, product="zenshare-suite", subject=subject, channel="email",
                   body="Buongiorno, da ieri l'esportazione delle fatture si interrompe. Grazie.")
        receipt = self.messages(1)[0]
        self.assertEqual(receipt["Subject"], "[Sportello #%d] Ricevuta la sua richiesta: %s" % (t["id"], subject))
        self.assertEqual(receipt["From"].addresses[0].addr_spec, "support@interzen.it")
        self.assertEqual(receipt["From"].addresses[0].display_name, "Servizio Clienti Interzen")
        self.assertEqual(receipt["To"].addresses[0].addr_spec, USER + "@localhost.localdomain")
        self.assertEqual(receipt["Auto-Submitted"], "auto-replied")
        self.assertEqual(receipt["X-Loop"], "support@interzen.it")
        self.assertEqual(receipt.get_content_type(), "text/plain")
        self.assertEqual(receipt.get_content_charset(), "utf-8")
        self.assertEqual(receipt["Content-Transfer-Encoding"], "quoted-printable")
        body = receipt.get_content()
        self.assertIn("Gentile Nicolò Bianchi", body)
        self.assertIn("[Sportello #%d]" % t["id"], body)
        listed = c.call("notification.list", ticket=t["id"])["items"]
        self.assertEqual(receipt["Message-ID"], "<%s>" % listed[0]["messageID"])

        c.call("ticket.takeCharge", ticket=t["id"], classification="bug", priority=3, assignee=1)
        c.call("ticket.close", ticket=t["id"], text="Abbiamo corretto l'esportazione: ora funziona.")
        closure = self.messages(2)[1]
        self.assertTrue(closure["Subject"].startswith("[Sportello #%d] " % t["id"]), closure["Subject"])
        self.assertEqual(closure["In-Reply-To"], receipt["Message-ID"])
        self.assertEqual(closure["References"], receipt["Message-ID"])
        self.assertEqual(closure["Auto-Submitted"], "auto-generated")
        self.assertIn("Abbiamo corretto l'esportazione", closure.get_content())


if __name__ == "__main__":
    unittest.main()
