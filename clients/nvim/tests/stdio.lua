-- The plugin spawns `sportello serve --stdio` on the database instead of using a socket.
local H = dofile(os.getenv("SPORTELLO_TEST_HELPERS"))

H.run("stdio.lua", function()
  H.capture_notify()
  require("sportello").setup({
    cmd = { H.env("SPORTELLO_TEST_BIN"), "serve", "--stdio", "--database", H.env("SPORTELLO_TEST_DB") },
    trace = H.trace(),
  })
  vim.fn.inputsecret = function()
    return H.env("SPORTELLO_TEST_PASSWORD")
  end
  vim.cmd("Sportello login " .. H.env("SPORTELLO_TEST_OPERATOR"))
  H.wait_notify("signed in as staff " .. H.env("SPORTELLO_TEST_OPERATOR_ID"), 15000)
  vim.cmd("SportelloMine")
  H.wait_for("the list", function()
    return H.find(0, "#" .. H.env("SPORTELLO_TEST_TICKET") .. " ") ~= nil
  end)
  vim.cmd("SportelloOpen " .. H.env("SPORTELLO_TEST_TICKET"))
  H.wait_for("the ticket", function()
    return H.find(0, H.env("SPORTELLO_TEST_BODY")) ~= nil
  end)
  vim.cmd("SportelloNote Nota scritta dal server su stdio.")
  H.wait_for("the note", function()
    return H.find(0, "Nota scritta dal server su stdio.") ~= nil
  end)
  -- A change made through the socket server (another process on the same database) reaches
  -- the spawned server's subscribers too.
  if os.getenv("SPORTELLO_TEST_HAS_EVENTS") == "1" then
    H.other_client("ticket.addMessage", { ticket = tonumber(H.env("SPORTELLO_TEST_TICKET")), body = "Scritto da un altro processo." })
    H.wait_for("the other process's change, live", function()
      return H.find(0, "Scritto da un altro processo.") ~= nil
    end, 10000)
  end

  -- Wrong password: the server's error is shown.
  vim.fn.inputsecret = function()
    return "not the password"
  end
  vim.cmd("Sportello login " .. H.env("SPORTELLO_TEST_OPERATOR"))
  H.wait_notify("session.login: ")
  H.wait_notify("(-32001)")
end)
