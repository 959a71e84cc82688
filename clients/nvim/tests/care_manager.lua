-- A care manager resumes a session by token, opens a new ticket and takes charge of it.
local H = dofile(os.getenv("SPORTELLO_TEST_HELPERS"))

H.run("care_manager.lua", function()
  H.capture_notify()
  require("sportello").setup({ socket = H.env("SPORTELLO_TEST_SOCKET"), trace = H.trace(), live = false })
  local other = H.env("SPORTELLO_TEST_OTHER")

  vim.cmd("Sportello token " .. H.env("SPORTELLO_TEST_TOKEN"))
  H.wait_notify("signed in as staff " .. H.env("SPORTELLO_TEST_MANAGER_ID") .. " (careManager)")

  vim.cmd("SportelloOpen " .. other)
  local buf = vim.api.nvim_get_current_buf()
  H.check(vim.api.nvim_buf_get_name(buf) == "sportello://ticket/" .. other, "the buffer's name")
  H.wait_for("the new ticket", function()
    return H.find(buf, "Status:         new") ~= nil
  end)
  H.check(H.find(buf, "Classification: -"), "not classified yet\n" .. H.dump(buf))
  H.check(H.find(buf, "Actions:") and H.find(buf, "takeCharge"), "take charge is allowed\n" .. H.dump(buf))

  -- Without an assignee, a bug asks for one among the active staff (vim.ui.select).
  local offered
  vim.ui.select = function(items, opts, on_choice)
    offered = vim.tbl_map(opts.format_item, items)
    for _, item in ipairs(items) do
      if item.role == "operator" then
        return on_choice(item)
      end
    end
    on_choice(nil)
  end
  vim.cmd("SportelloTake bug 2")
  H.wait_for("the ticket taken in charge", function()
    return H.find(buf, "Status:         assigned") ~= nil
  end)
  H.check(offered and table.concat(offered, "|"):find("Luca Verdi (operator, " .. H.env("SPORTELLO_TEST_OPERATOR_ID") .. ")", 1, true),
    "the operators offered: " .. vim.inspect(offered))
  H.check(H.find(buf, "Classification: bug"), "classified\n" .. H.dump(buf))
  H.check(H.find(buf, "Priority:       2 High"), "the priority\n" .. H.dump(buf))
  H.check(H.find(buf, "Assignee:       Luca Verdi (" .. H.env("SPORTELLO_TEST_OPERATOR_ID") .. ")"), "the assignee\n" .. H.dump(buf))
  H.wait_notify("took charge of #" .. other .. ": assigned")

  -- Taking charge again: the transition is refused, with the status and allowed actions.
  vim.cmd("SportelloTake helpDesk 3")
  H.wait_notify("(-32005)")
  H.wait_notify('"status":"assigned"')

  -- :edit sportello://ticket/N shows any ticket by its name.
  vim.cmd("edit sportello://ticket/" .. H.env("SPORTELLO_TEST_TICKET"))
  H.wait_for("the ticket opened by :edit", function()
    return H.find(0, H.env("SPORTELLO_TEST_SUBJECT")) ~= nil and H.find(0, "Status:") ~= nil
  end)
  H.check(vim.bo.buftype == "nofile" and vim.bo.modifiable == false, "a read-only scratch buffer")

  -- An operator's view is another command: a care manager's list is of their own tickets.
  vim.cmd("SportelloMine")
  H.wait_for("the empty list", function()
    return H.find(0, "(no tickets)") ~= nil
  end)
end)
