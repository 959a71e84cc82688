-- The connection's reader, without a server: replies routed by id whatever their order,
-- server notifications (no id) routed by method, lines split anywhere across chunks, batches.
local H = dofile(os.getenv("SPORTELLO_TEST_HELPERS"))

H.run("framing.lua", function()
  H.capture_notify()
  local rpc = require("sportello.rpc")
  local got = {}
  local conn = rpc.new({
    socket = "/nonexistent",
    on_notification = function(method, params)
      table.insert(got, "notification " .. method .. " " .. tostring(params.sequence))
    end,
  })
  local sent, raw = {}, {}
  conn._write = function(_, line)
    table.insert(raw, line)
    table.insert(sent, vim.json.decode(line))
  end
  local function reply(name)
    return function(err, result)
      -- vim.inspect sorts the keys
      local text = err and ("error " .. err.code .. " " .. rpc.format_error(err))
        or vim.inspect(result, { newline = "", indent = "" })
      table.insert(got, name .. " " .. text)
    end
  end
  local a = conn:request("ticket.get", { ticket = 1 }, reply("a"))
  local b = conn:request("events.subscribe", { topics = { "tickets" } }, reply("b"))
  H.check(sent[1].id == a and sent[2].id == b and a ~= b, "ids")
  H.check(sent[1].jsonrpc == "2.0" and sent[1].method == "ticket.get" and sent[1].params.ticket == 1, "the request")

  -- b's reply first, a notification between, a's reply split in three chunks.
  local b_reply = '{"jsonrpc":"2.0","id":' .. b .. ',"result":{"subscription":"s1","sequence":7}}\n'
  local note = '{"jsonrpc":"2.0","method":"events.ticketChanged","params":{"subscription":"s1","sequence":8,"ticket":1,"version":3}}\n'
  local a_reply = '{"jsonrpc":"2.0","id":' .. a .. ',"error":{"code":-32602,"message":"invalid params","data":{"field":"params.ticket","reason":"unknown"}}}\n'
  local stream = b_reply .. note .. a_reply
  conn:_feed(stream:sub(1, 10))
  conn:_feed(stream:sub(11, #b_reply + 20))
  conn:_feed(stream:sub(#b_reply + 21, #stream - 5))
  H.check(#got == 2, "only complete lines are handled: " .. vim.inspect(got))
  conn:_feed(stream:sub(#stream - 4))
  H.check(got[1] == 'b {sequence = 7,subscription = "s1"}', vim.inspect(got))
  H.check(got[2] == "notification events.ticketChanged 8", vim.inspect(got))
  H.check(got[3] == "a error -32602 invalid params (-32602): field params.ticket, reason unknown", vim.inspect(got))
  H.check(next(conn.pending) == nil, "nothing left pending")

  -- A batch reply, and a reply nobody waits for (ignored).
  got = {}
  local c = conn:request("server.ping", {}, reply("c"))
  local d = conn:request("server.ping", {}, reply("d"))
  H.check(raw[#raw]:find('"params":{}', 1, true), "empty params are an object: " .. raw[#raw])
  conn:_feed('[{"jsonrpc":"2.0","id":' .. d .. ',"result":{"pong":true}},{"jsonrpc":"2.0","id":' .. c .. ',"result":{"pong":false}}]\n{"jsonrpc":"2.0","id":999,"result":{}}\n')
  H.check(got[1] == "d {pong = true}" and got[2] == "c {pong = false}" and #got == 2, vim.inspect(got))

  -- Error data beyond field and reason is shown as JSON.
  local text = rpc.format_error({ code = -32005, message = "transition not allowed", data = { status = "closed", allowed = {} } })
  H.check(text:find("(-32005)", 1, true) and text:find('"status":"closed"', 1, true), text)

  -- The connection closes: whoever waits gets an error, later requests too.
  local e
  conn:request("server.ping", {}, function(err)
    e = err
  end)
  conn:_closed("the server closed the connection")
  H.check(e and e.message == "the server closed the connection", vim.inspect(e))
  local late
  conn:request("server.ping", {}, function(err)
    late = err
  end)
  H.wait_for("the late request's error", function()
    return late ~= nil
  end)

  -- Nobody listens on the socket: the request fails with the reason, after the connect.
  local lost = rpc.new({ socket = H.env("SPORTELLO_TEST_NO_SOCKET") }):open()
  local why
  lost:request("server.ping", {}, function(err)
    why = rpc.format_error(err)
  end)
  H.wait_for("the connect error", function()
    return why ~= nil
  end)
  H.check(why:find("cannot connect to " .. H.env("SPORTELLO_TEST_NO_SOCKET") .. ": ENOENT", 1, true), why)
end)
