-- An operator signs in with a password, lists their tickets, opens one from the list, adds
-- internal notes (typed, and from a visual selection) and sees the server's refusals.
local H = dofile(os.getenv("SPORTELLO_TEST_HELPERS"))

H.run("operator.lua", function()
  H.capture_notify()
  local sportello = require("sportello")
  sportello.setup({ socket = H.env("SPORTELLO_TEST_SOCKET"), trace = H.trace() })
  local ticket = H.env("SPORTELLO_TEST_TICKET")
  local number = "#" .. ticket

  -- :Sportello login EMAIL asks the password with inputsecret().
  local asked
  vim.fn.inputsecret = function(prompt)
    asked = prompt
    return H.env("SPORTELLO_TEST_PASSWORD")
  end
  vim.cmd("Sportello login " .. H.env("SPORTELLO_TEST_OPERATOR"))
  H.check(asked and asked:find(H.env("SPORTELLO_TEST_OPERATOR"), 1, true), "the password prompt names the email")
  H.wait_notify("signed in as staff " .. H.env("SPORTELLO_TEST_OPERATOR_ID") .. " (operator)")

  -- :SportelloMine: one line per assigned ticket, the other ticket not there.
  vim.cmd("SportelloMine")
  local list = vim.api.nvim_get_current_buf()
  H.check(vim.api.nvim_buf_get_name(list) == "sportello://mine", "the list buffer's name: " .. vim.api.nvim_buf_get_name(list))
  H.wait_for("the list to show " .. number, function()
    return H.find(list, number .. " ") ~= nil
  end)
  local line, row = H.find(list, number .. " ")
  for _, want in ipairs({ "assigned", "P2", "ACME", H.env("SPORTELLO_TEST_SUBJECT"), "[SLA running, resolution due 20" }) do
    H.check(line:find(want, 1, true), "the list line shows " .. want .. ": " .. line)
  end
  H.check(not H.find(list, H.env("SPORTELLO_TEST_OTHER_SUBJECT")), "the list shows a ticket not assigned to me\n" .. H.dump(list))
  H.check(vim.bo[list].modifiable == false, "the list buffer is read-only")

  -- <CR> on the line opens the ticket.
  vim.api.nvim_win_set_cursor(0, { row, 0 })
  H.press("<CR>")
  local name = "sportello://ticket/" .. ticket
  H.wait_for("the ticket buffer", function()
    return vim.api.nvim_buf_get_name(0) == name and H.find(0, "Status:") ~= nil
  end)
  local buf = vim.api.nvim_get_current_buf()
  H.check(H.find(buf, number .. "  " .. H.env("SPORTELLO_TEST_SUBJECT")), "the header names the ticket\n" .. H.dump(buf))
  H.check(H.find(buf, "Status:         assigned"), "the status\n" .. H.dump(buf))
  H.check(H.find(buf, "Classification: bug"), "the classification\n" .. H.dump(buf))
  H.check(H.find(buf, "Customer:       ACME — Acme S.p.A."), "the customer\n" .. H.dump(buf))
  H.check(H.find(buf, "Assignee:       Luca Verdi"), "the assignee\n" .. H.dump(buf))
  H.check(H.find(buf, H.env("SPORTELLO_TEST_BODY")), "the request\n" .. H.dump(buf))
  H.check(H.find(buf, "Mario Rossi (contact)"), "the request's author\n" .. H.dump(buf))
  local version = tonumber(H.find(buf, "Version:"):match("(%d+)"))
  H.check(version and version >= 2, "the version")

  -- :SportelloNote TEXT adds an internal note, shown below the request.
  vim.cmd("SportelloNote Controllati i log: l'errore viene dal proxy.")
  H.wait_for("the note in the buffer", function()
    return H.find(buf, "Controllati i log: l'errore viene dal proxy.") ~= nil
  end)
  local _, head_row = H.find(buf, "[internal note]")
  local _, note_row = H.find(buf, "Controllati i log")
  local _, request_row = H.find(buf, H.env("SPORTELLO_TEST_BODY"))
  H.check(head_row and head_row == note_row - 1, "the note is marked internal\n" .. H.dump(buf))
  H.check(request_row < note_row, "messages in order\n" .. H.dump(buf))
  H.check(H.find(buf, "Luca Verdi (staff)  [internal note]"), "the note's author\n" .. H.dump(buf))
  H.check(H.find(buf, "Version:        " .. (version + 1)), "the new version shown\n" .. H.dump(buf))

  -- A visual selection in another buffer becomes a note on the last ticket opened.
  vim.cmd("enew")
  vim.api.nvim_buf_set_lines(0, 0, -1, false, { "502 Bad Gateway at 10:42", "upstream: portal-2", "unrelated" })
  H.press("ggVj:SportelloNote<CR>") -- the command line starts as :'<,'>
  H.wait_for("the selection as a note", function()
    local _, a = H.find(buf, "502 Bad Gateway at 10:42")
    local _, b = H.find(buf, "upstream: portal-2")
    return a ~= nil and b == a + 1
  end)
  H.check(not H.find(buf, "unrelated"), "only the selected lines are sent\n" .. H.dump(buf))

  -- A blank note typed at the prompt: the server's refusal, with its field and reason.
  vim.fn.input = function()
    return "   "
  end
  vim.api.nvim_set_current_buf(buf)
  vim.cmd("SportelloNote")
  H.wait_notify("ticket.addMessage")
  H.wait_notify("field params.body")

  -- An operator may not take charge: the server says so, and the buffer is unchanged.
  local before = H.lines(buf)
  vim.cmd("SportelloTake bug 1 " .. H.env("SPORTELLO_TEST_OPERATOR_ID"))
  H.wait_notify("ticket.takeCharge: ")
  H.wait_notify("(-32002)")
  H.check(vim.deep_equal(before, H.lines(buf)), "a refused take charge changes the buffer")

  -- :edit of the buffer reloads it from the server (the other client's message appears).
  H.other_client("ticket.addMessage", { ticket = tonumber(ticket), body = "Il proxy è stato riavviato." })
  vim.cmd("edit")
  H.wait_for("the reloaded ticket", function()
    return H.find(buf, "Il proxy è stato riavviato.") ~= nil
  end)
  H.check(H.find(buf, "── ") and select(2, H.find(buf, "Il proxy")) > select(2, H.find(buf, "upstream: portal-2")), "messages in order\n" .. H.dump(buf))

  -- :bdelete closes the ticket's buffer for good; opening it again makes a new one.
  vim.cmd("bdelete " .. buf)
  H.wait_for("the buffer wiped", function()
    return not vim.api.nvim_buf_is_valid(buf)
  end)
  vim.cmd("SportelloOpen " .. ticket)
  H.check(vim.api.nvim_get_current_buf() ~= buf and vim.api.nvim_buf_get_name(0) == name, "a new buffer " .. name)
  H.wait_for("the ticket again", function()
    return H.find(0, "Il proxy è stato riavviato.") ~= nil
  end)

  -- The connection is lost: the next command connects again and resumes the session first.
  local first = sportello._state.conn
  first:close()
  H.notes = {}
  vim.cmd("bwipeout! " .. list)
  vim.cmd("SportelloMine")
  H.wait_for("the list on a new connection", function()
    return H.find(0, number .. " ") ~= nil
  end)
  H.check(sportello._state.conn ~= first, "a new connection")
  vim.cmd("Sportello whoami") -- (as the server's user, a connection not signed in is the system)
  H.wait_notify("Sportello: staff " .. H.env("SPORTELLO_TEST_OPERATOR_ID") .. " (operator), session until ")
  for _, n in ipairs(H.notes) do
    H.check(n.level ~= vim.log.levels.ERROR, "no error on the new connection: " .. n.msg)
  end
end)
