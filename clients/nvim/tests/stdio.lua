-- The plugin spawns `sportello serve --stdio` on the database instead of using a socket.
local H = dofile(os.getenv("SPORTELLO_TEST_HELPERS"))

H.run("stdio.lua", function()
  H.capture_notify()
  require("sportello").setup({
    cmd = { H.env("SPORTELLO_TEST_BIN"), "serve", "--stdio", "--database", H.env("SPORTELLO_TEST_DB") },
    trace = H.trace(),
    live = false,
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
  -- Wrong password: the server's error is shown.
  vim.fn.inputsecret = function()
    return "not the password"
  end
  vim.cmd("Sportello login " .. H.env("SPORTELLO_TEST_OPERATOR"))
  H.wait_notify("session.login: ")
  H.wait_notify("(-32001)")
end)
