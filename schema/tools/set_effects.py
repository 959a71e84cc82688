#!/usr/bin/env python3
"""Sets `x-effect` on every method of schema/sportello.openrpc.json from the table below.

    python3 schema/tools/set_effects.py          # rewrite the document (idempotent)
    python3 schema/tools/set_effects.py --check  # exit 1 if the document differs from the table

`x-effect` says what calling a method does to the desk's data, for clients that need to know
before calling (the MCP tools' readOnlyHint and destructiveHint, see README "MCP"):
- "read": changes nothing a person would call data (a read may still be audited, or slide a
  session's expiry);
- "write": adds or moves work forward (a ticket, a message, an account, an order) and takes
  nothing away;
- "destructive": deletes, closes, cancels, replaces or overwrites something, or ends access.

A method missing from the table is an error (the script names it): decide its effect here and
run the script again. The rest of the document is written back exactly as it was read.
"""
import json
import os
import sys

DOCUMENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sportello.openrpc.json")
EFFECTS = ("read", "write", "destructive")

READ = """
rpc.discover server.ping server.info server.metrics
calendar.list calendar.get calendar.addWorkingTime calendar.workingTimeBetween calendar.explain calendar.holidays
sla.policies sla.status sla.preview sla.ladder sla.report
customer.get customer.list customer.domains staff.list session.whoami session.list
ticket.get ticket.list ticket.history notification.list
priceList.get quote.get quote.list package.get package.list task.get task.list task.worklogs billing.statement
mail.settings.get mail.get attachment.get maintenance.list availability.outages availability.report
account.pending audit.list
events.subscribe events.unsubscribe
"""

WRITE = """
calendar.addClosure calendar.addHoliday
customer.create customer.addSubscription contact.create staff.create
session.login session.resume
ticket.open ticket.takeCharge ticket.requestClarification ticket.addMessage
quote.create quote.send package.order task.logWork notification.retry
maintenance.schedule availability.recordOutage availability.endOutage sla.sweep
account.register account.confirm account.approve account.enable account.requestPasswordReset
account.enableTotp account.confirmTotp
mail.ingest mail.upload
"""

# Overwrites (priority, assignee, rates, settings, domains, ladder, password, a ticket's
# company), removals, closures, cancellations, irreversible answers on a quote, and ends of access.
DESTRUCTIVE = """
calendar.removeClosure calendar.removeHoliday
session.logout session.revoke
ticket.setPriority ticket.assign ticket.close ticket.setContact
quote.update quote.accept quote.reject
priceList.set customer.setContractRate customer.setDomains mail.settings.set sla.setLadder
maintenance.reschedule maintenance.cancel
account.reject account.changePassword account.resetPassword account.disable
"""


def table():
    effects = {}
    for effect, names in (("read", READ), ("write", WRITE), ("destructive", DESTRUCTIVE)):
        for name in names.split():
            if name in effects:
                sys.exit(f"set_effects.py: {name} is in the table twice")
            effects[name] = effect
    return effects


def with_effect(method, effect):
    """The method object with x-effect set, placed right after x-access (else after name)."""
    anchor = "x-access" if "x-access" in method else "name"
    result = {}
    for key, value in method.items():
        if key == "x-effect":
            continue
        result[key] = value
        if key == anchor:
            result["x-effect"] = effect
    return result


def main(arguments):
    check = "--check" in arguments
    with open(DOCUMENT, encoding="utf-8") as f:
        original = f.read()
    document = json.loads(original)
    effects = table()
    missing = [m["name"] for m in document["methods"] if m["name"] not in effects]
    if missing:
        sys.exit("set_effects.py: no effect decided for " + ", ".join(missing) + " (add them to the table)")
    document["methods"] = [with_effect(m, effects[m["name"]]) for m in document["methods"]]
    updated = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if check:
        if updated != original:
            sys.exit("set_effects.py: the document's x-effect values differ from the table; run schema/tools/set_effects.py")
        return
    if updated != original:
        with open(DOCUMENT, "w", encoding="utf-8") as f:
            f.write(updated)


if __name__ == "__main__":
    main(sys.argv[1:])
