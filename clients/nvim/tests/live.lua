-- Live updates: another client changes a ticket the operator has open, and the buffers follow
-- (events.subscribe); after an overflow the plugin subscribes again from the last event seen;
-- closing the last buffer unsubscribes.
local H = dofile(os.getenv("SPORTELLO_TEST_HELPERS"))

H.run("live.lua", function()
  H.capture_notify()
  local sportello = require("sportello")
  sportello.setup({ socket = H.env("SPORTELLO_TEST_SOCKET"), trace = H.trace() })
  local state = sportello._state
  local ticket = tonumber(H.env("SPORTELLO_TEST_TICKET"))
  local number = "#" .. ticket

  vim.fn.inputsecret = function()
    return H.env("SPORTELLO_TEST_PASSWORD")
  end
  vim.cmd("Sportello login " .. H.env("SPORTELLO_TEST_OPERATOR"))
  H.wait_notify("signed in as staff")

  vim.cmd("SportelloMine")
  local list = vim.api.nvim_get_current_buf()
  H.wait_for("the list", function()
    local line = H.find(list, number .. " ")
    return line and line:find("P2", 1, true)
  end)
  vim.cmd("SportelloOpen " .. ticket)
  local buf = vim.api.nvim_get_current_buf()
  H.wait_for("the ticket", function()
    return H.find(buf, "Status:") ~= nil
  end)
  H.wait_for("the subscription", function()
    return state.subscription ~= nil
  end)

  -- Another client writes on the ticket: the buffer shows it with no command typed.
  H.other_client("ticket.addMessage", { ticket = ticket, body = "Aggiornamento da un altro client." })
  H.wait_for("the other client's message, live", function()
    return H.find(buf, "Aggiornamento da un altro client.") ~= nil
  end)

  -- A priority change reaches the ticket buffer and the list.
  H.other_client("ticket.setPriority", { ticket = ticket, priority = 1 })
  H.wait_for("the new priority in the ticket", function()
    return H.find(buf, "Priority:       1 Blocking") ~= nil
  end)
  H.wait_for("the new priority in the list", function()
    local line = H.find(list, number .. " ")
    return line and line:find("P1", 1, true)
  end)

  -- A care manager assigns a new ticket to me: it appears in the list.
  local new = H.other_client("ticket.open", {
    customer = "ACME", product = "zenshare-suite", channel = "phone",
    subject = "Stampa delle fatture bloccata", body = "Telefonata: la stampa si blocca al 50%.",
  })
  H.other_client("ticket.takeCharge", {
    ticket = new.id, classification = "bug", priority = 3,
    assignee = tonumber(H.env("SPORTELLO_TEST_OPERATOR_ID")),
  })
  H.wait_for("the newly assigned ticket in the list", function()
    local line = H.find(list, "#" .. new.id .. " ")
    return line and line:find("Stampa delle fatture bloccata", 1, true)
  end)

  -- The server gives the subscription up (events.overflow): the plugin subscribes again,
  -- from the last sequence it saw, and ignores what still comes for the old one.
  local old, seen = state.subscription, state.sequence
  H.check(type(seen) == "number", "the last sequence seen is kept: " .. tostring(seen))
  state.conn.opts.on_notification("events.overflow", { subscription = old, reason = "test" })
  H.wait_for("a new subscription", function()
    return state.subscription ~= nil and state.subscription ~= old
  end)
  H.other_client("ticket.addMessage", { ticket = ticket, body = "Scritto dopo la nuova iscrizione." })
  H.wait_for("a change after subscribing again", function()
    return H.find(buf, "Scritto dopo la nuova iscrizione.") ~= nil
  end)
  H.check(state.sequence > seen, "the sequence moves on")

  -- Closing the last Sportello buffer ends the subscription.
  vim.cmd("bwipeout! " .. buf)
  vim.cmd("bwipeout! " .. list)
  H.check(state.subscription == nil, "the subscription is given up")
  H.wait_for("the unsubscribe reply", function()
    return next(state.conn.pending) == nil
  end)
end)
