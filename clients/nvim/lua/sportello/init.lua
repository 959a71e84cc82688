-- Sportello in Neovim: a support desk's staff member's view of their tickets.
--
--   require('sportello').setup{ socket = '/run/sportello/sportello.sock' }
--
-- See clients/nvim/README.md for the commands.

local rpc = require("sportello.rpc")
local render = require("sportello.render")

local M = {}

local CLASSIFICATIONS = {
  "bug", "evolutionaryChange", "helpDesk", "invoicedIntervention",
  "interventionNotAccepted", "outOfScope", "vulnerability",
}
local NEEDS_ASSIGNEE = { bug = true, vulnerability = true }

M.config = {
  -- The socket of a running server; used unless cmd is set.
  socket = os.getenv("SPORTELLO_SOCKET") or "/run/sportello/sportello.sock",
  -- Instead: spawn a private server, e.g. {'sportello', 'serve', '--stdio', '--database', path}.
  cmd = nil,
  -- A session token (from session.login) to resume on every new connection.
  token = nil,
  -- Follow changes to the tickets shown (events.subscribe).
  live = true,
  -- Pages of ticket.list read for :SportelloMine (100 tickets each).
  max_pages = 10,
  -- trace(direction, line): sees every line sent (">") and received ("<"), for debugging.
  trace = nil,
}

-- Everything the plugin knows, in one table (tests look at it).
local state = {
  conn = nil,
  session = nil, -- the last session.login / session.resume result
  subscription = nil, -- events.subscribe's id on the current connection
  subscribing = false,
  sequence = nil, -- the last event sequence seen
  live_supported = nil, -- false once the server answered -32601 to events.subscribe
  tickets = {}, -- ticket id -> buffer
  shown = {}, -- buffer -> {ticket = id, version = n} (ticket buffers)
  list = nil, -- buffer of :SportelloMine, with list_ids
  list_ids = {},
  last_ticket = nil,
  list_timer = nil,
}
M._state = state

local function notify_error(what, err)
  vim.notify("Sportello: " .. what .. ": " .. rpc.format_error(err), vim.log.levels.ERROR)
end

local function info(msg)
  vim.notify("Sportello: " .. msg, vim.log.levels.INFO)
end

-- Connection ------------------------------------------------------------------------------

local on_notification

local function connection()
  if state.conn and not state.conn.closed then
    return state.conn
  end
  local conn
  conn = rpc.new({
    socket = M.config.socket,
    cmd = M.config.cmd,
    trace = M.config.trace,
    on_notification = function(method, params)
      on_notification(method, params)
    end,
    on_close = function(reason)
      if state.conn == conn then
        state.conn = nil
        state.subscription = nil
        state.subscribing = false
        if reason ~= "closed" then
          vim.notify("Sportello: " .. reason, vim.log.levels.WARN)
        end
      end
    end,
  })
  state.conn = conn
  conn:open()
  -- A new connection starts as the system or anonymous: bind it to the session first
  -- (one connection's requests run in the order sent).
  local token = (state.session and state.session.token) or M.config.token
  if token then
    conn:request("session.resume", { token = token }, function(err, result)
      if err then
        state.session = nil
        notify_error("session.resume", err)
      else
        state.session = result
      end
    end)
  end
  return conn
end

-- request(method, params, on_result): on error, the error is shown and on_result not called.
local function request(method, params, on_result)
  connection():request(method, params, function(err, result)
    if err then
      notify_error(method, err)
    elseif on_result then
      on_result(result)
    end
  end)
end

-- Sessions --------------------------------------------------------------------------------

local function signed_in(result)
  state.session = result
  local p = result.principal
  local who = p.kind == "staff" and string.format("staff %d (%s)", p.id, p.role)
    or string.format("contact %d", p.id)
  info("signed in as " .. who .. ", until " .. tostring(result.expiresAt))
  if result.mustChangePassword then
    vim.notify("Sportello: this account must change its password first (account.changePassword)", vim.log.levels.WARN)
  end
end

local function sign_in(method, params, done)
  request(method, params, function(result)
    signed_in(result)
    if done then
      done(result)
    end
  end)
end

function M.login(email, password, done)
  sign_in("session.login", { email = email, password = password }, done)
end

function M.resume(token, done)
  sign_in("session.resume", { token = token }, done)
end

function M.logout()
  request("session.logout", {}, function()
    state.session = nil
    info("signed out")
  end)
end

function M.whoami()
  request("session.whoami", {}, function(result)
    local p = result.principal
    local text = p.kind
    if p.id then
      text = text .. " " .. tostring(p.id)
    end
    if p.role then
      text = text .. " (" .. p.role .. ")"
    end
    if result.expiresAt and result.expiresAt ~= vim.NIL then
      text = text .. ", session until " .. result.expiresAt
    end
    info(text)
  end)
end

-- The session's token (to pass to another editor with :Sportello token).
function M.token()
  return state.session and state.session.token
end

-- The signed-in staff member's principal ({kind, id, role}), else nil.
local function me()
  local p = state.session and state.session.principal
  if p and p.kind == "staff" then
    return p
  end
  return nil
end

-- Buffers ---------------------------------------------------------------------------------

-- Makes buf (or a new buffer named name) one of ours: read-only text, no file behind it.
local function scratch(name, buf)
  if not buf then
    buf = vim.api.nvim_create_buf(true, false)
    vim.api.nvim_buf_set_name(buf, name)
  end
  vim.api.nvim_buf_set_option(buf, "buftype", "nofile")
  vim.api.nvim_buf_set_option(buf, "bufhidden", "hide")
  vim.api.nvim_buf_set_option(buf, "swapfile", false)
  vim.api.nvim_buf_set_option(buf, "filetype", "sportello")
  return buf
end

local function set_lines(buf, lines)
  if not vim.api.nvim_buf_is_valid(buf) then
    return
  end
  vim.api.nvim_buf_set_option(buf, "modifiable", true)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.api.nvim_buf_set_option(buf, "modifiable", false)
  vim.api.nvim_buf_set_option(buf, "modified", false)
end

local function forget(buf)
  local s = state.shown[buf]
  if s then
    state.shown[buf] = nil
    if state.tickets[s.ticket] == buf then
      state.tickets[s.ticket] = nil
    end
  end
  if state.list == buf then
    state.list = nil
    state.list_ids = {}
  end
  if state.subscription and not state.list and next(state.shown) == nil and state.conn then
    local id = state.subscription
    state.subscription = nil
    state.conn:request("events.unsubscribe", { subscription = id }, function() end)
  end
end

-- Closing one of our buffers (:bdelete as well as :bwipeout) wipes it: it is forgotten, and
-- opening the ticket again makes a new one.
local function watch(buf)
  vim.api.nvim_create_autocmd({ "BufWipeout", "BufDelete" }, {
    buffer = buf,
    once = true,
    callback = function(ev)
      forget(buf)
      if ev.event == "BufDelete" then
        vim.schedule(function()
          if vim.api.nvim_buf_is_valid(buf) then
            vim.api.nvim_buf_delete(buf, { force = true })
          end
        end)
      end
    end,
  })
end

-- Live updates ----------------------------------------------------------------------------

local function subscribe()
  if not M.config.live or state.live_supported == false or state.subscription or state.subscribing then
    return
  end
  state.subscribing = true
  local params = { topics = { "tickets" } }
  if state.sequence then
    params.since = state.sequence
  end
  local conn = connection()
  conn:request("events.subscribe", params, function(err, result)
    if state.conn ~= conn then
      return
    end
    state.subscribing = false
    if err then
      if err.code == -32601 then
        state.live_supported = false
        vim.notify("Sportello: this server sends no live events; reopen a buffer to refresh it", vim.log.levels.INFO)
      else
        notify_error("events.subscribe", err)
      end
      return
    end
    state.live_supported = true
    state.subscription = result.subscription
    -- Without since, events after the result's sequence follow. With since, the replayed
    -- events follow the reply and move the last sequence seen themselves.
    if params.since == nil and type(result.sequence) == "number" then
      state.sequence = result.sequence
    end
  end)
end

local refresh_ticket, refresh_list

local function schedule_list_refresh()
  if not state.list then
    return
  end
  if state.list_timer then
    state.list_timer:stop()
    state.list_timer:close()
  end
  local timer = vim.loop.new_timer()
  state.list_timer = timer
  timer:start(150, 0, vim.schedule_wrap(function()
    if state.list_timer == timer then
      state.list_timer = nil
      timer:close()
    end
    if state.list then
      refresh_list(state.list)
    end
  end))
end

local function contains(list, value)
  for _, v in ipairs(list) do
    if v == value then
      return true
    end
  end
  return false
end

-- Whether a change can alter the list of my tickets: one of them changed, or the change
-- assigned a ticket to me or away from me (changes.assignee = [before, after]).
local function list_concerns(event)
  if not state.list then
    return false
  end
  if contains(state.list_ids, event.ticket) then
    return true
  end
  local staff = me()
  local changes = type(event.changes) == "table" and event.changes or {}
  local assignee = changes.assignee
  return staff ~= nil and type(assignee) == "table" and contains(assignee, staff.id)
end

on_notification = function(method, params)
  if method == "events.ticketChanged" then
    if state.subscription and params.subscription ~= state.subscription then
      return -- a subscription given up earlier
    end
    if type(params.sequence) == "number" and (state.sequence == nil or params.sequence > state.sequence) then
      state.sequence = params.sequence
    end
    local buf = state.tickets[params.ticket]
    if buf and vim.api.nvim_buf_is_valid(buf) then
      local shown = state.shown[buf]
      if not (shown and shown.version and type(params.version) == "number" and shown.version >= params.version) then
        refresh_ticket(buf, params.ticket)
      end
    end
    if list_concerns(params) then
      schedule_list_refresh()
    end
  elseif method == "events.overflow" then
    if params.subscription == state.subscription then
      -- The server gave the subscription up: ask again for what came after the last seen.
      state.subscription = nil
      subscribe()
    end
  end
end

-- The ticket list -------------------------------------------------------------------------

local function fetch_assigned(staff, done)
  local items = {}
  local pages = 0
  local function page(cursor)
    local params = { assignee = staff.id, limit = 100 }
    if cursor then
      params.cursor = cursor
    end
    request("ticket.list", params, function(result)
      pages = pages + 1
      vim.list_extend(items, result.items)
      local next_cursor = result.nextCursor
      if next_cursor ~= vim.NIL and next_cursor ~= nil and pages < M.config.max_pages then
        page(next_cursor)
      else
        done(items, next_cursor ~= vim.NIL and next_cursor ~= nil)
      end
    end)
  end
  page(nil)
end

refresh_list = function(buf)
  local staff = me()
  if not staff then
    return
  end
  fetch_assigned(staff, function(items, more)
    if not vim.api.nvim_buf_is_valid(buf) then
      return
    end
    local title = string.format("Tickets assigned to me (staff %d, %s): %d%s   <CR> opens one",
      staff.id, staff.role, #items, more and "+" or "")
    local lines, ids = render.list(title, items)
    state.list_ids = ids
    set_lines(buf, lines)
  end)
end

local function open_under_cursor()
  local row = vim.api.nvim_win_get_cursor(0)[1]
  local id = state.list_ids[row]
  if id then
    M.open(id)
  end
end

function M.mine()
  if not me() then
    vim.notify("Sportello: sign in as staff first (:Sportello login EMAIL)", vim.log.levels.ERROR)
    return
  end
  local buf = state.list
  if not (buf and vim.api.nvim_buf_is_valid(buf)) then
    buf = scratch("sportello://mine")
    state.list = buf
    set_lines(buf, { "loading…" })
    vim.keymap.set("n", "<CR>", open_under_cursor, { buffer = buf, desc = "Open this ticket" })
    watch(buf)
  end
  vim.api.nvim_set_current_buf(buf)
  refresh_list(buf)
  subscribe()
end

-- A ticket --------------------------------------------------------------------------------

local function show_ticket(buf, ticket)
  if not vim.api.nvim_buf_is_valid(buf) then
    return
  end
  set_lines(buf, render.ticket(ticket))
  state.shown[buf] = { ticket = ticket.id, version = ticket.version, priority = ticket.priority }
end

refresh_ticket = function(buf, id)
  request("ticket.get", { ticket = id }, function(ticket)
    show_ticket(buf, ticket)
  end)
end

local function ticket_buffer(id, buf)
  if not buf then
    buf = state.tickets[id]
    if buf and not vim.api.nvim_buf_is_valid(buf) then
      buf = nil
    end
  end
  buf = scratch("sportello://ticket/" .. id, buf)
  if state.tickets[id] ~= buf then
    state.tickets[id] = buf
    state.shown[buf] = { ticket = id }
    set_lines(buf, { "loading #" .. id .. "…" })
    watch(buf)
  end
  vim.b[buf].sportello_ticket = id
  return buf
end

-- Shows ticket `id` in the current window (buf: the buffer :edit made, from BufReadCmd).
function M.open(id, buf)
  id = tonumber(id)
  if not id then
    vim.notify("Sportello: a ticket number is needed: :SportelloOpen 123", vim.log.levels.ERROR)
    return
  end
  buf = ticket_buffer(id, buf)
  state.last_ticket = id
  vim.api.nvim_set_current_buf(buf)
  refresh_ticket(buf, id)
  subscribe()
end

-- The ticket the current buffer shows, else the last one opened.
local function current_ticket()
  local id = vim.b.sportello_ticket or state.last_ticket
  if not id then
    vim.notify("Sportello: open a ticket first (:SportelloOpen N)", vim.log.levels.ERROR)
  end
  return id
end

local function after_change(ticket)
  local buf = state.tickets[ticket.id]
  if buf then
    show_ticket(buf, ticket)
  end
  schedule_list_refresh()
end

-- Adds an internal note to the current ticket.
function M.note(text, id)
  id = id or current_ticket()
  if not id then
    return
  end
  if text == nil then
    text = vim.fn.input("Internal note on #" .. id .. ": ")
  end
  if text == "" then
    info("empty note: nothing sent")
    return
  end
  request("ticket.addMessage", { ticket = id, body = text, internal = true }, function(ticket)
    after_change(ticket)
    info("note added to #" .. id)
  end)
end

-- Takes charge of the current ticket (care managers, admins): classification, priority and,
-- for bugs and vulnerabilities, the assignee.
function M.take(classification, priority, assignee, id)
  id = id or current_ticket()
  if not id then
    return
  end
  local buf = state.tickets[id]
  local shown = buf and state.shown[buf] or {}
  if not classification or classification == "" then
    classification = vim.fn.input("Classification (" .. table.concat(CLASSIFICATIONS, ", ") .. "): ", "bug")
    if classification == "" then
      return
    end
  end
  if not priority then
    priority = vim.fn.input("Priority (1 Blocking, 2 High, 3 Medium, 4 Low): ", tostring(shown.priority or 3))
    if priority == "" then
      return
    end
  end
  local params = {
    ticket = id,
    classification = classification,
    priority = tonumber(priority) or priority,
    expectedVersion = shown.version,
  }
  local function send()
    request("ticket.takeCharge", params, function(ticket)
      after_change(ticket)
      info(string.format("took charge of #%d: %s", id, ticket.status))
    end)
  end
  if assignee then
    params.assignee = tonumber(assignee) or assignee
    send()
  elseif NEEDS_ASSIGNEE[classification] then
    request("staff.list", {}, function(result)
      local active = vim.tbl_filter(function(s)
        return s.active
      end, result.items)
      vim.ui.select(active, {
        prompt = "Assign #" .. id .. " to:",
        format_item = function(s)
          return string.format("%s (%s, %d)", s.name, s.role, s.id)
        end,
      }, function(choice)
        if choice then
          params.assignee = choice.id
          send()
        end
      end)
    end)
  else
    send()
  end
end

-- Commands --------------------------------------------------------------------------------

local SUBCOMMANDS = { "login", "token", "logout", "whoami" }

local function sportello_command(opts)
  local sub, arg = opts.fargs[1], opts.fargs[2]
  if sub == "login" then
    if not arg then
      vim.notify("Sportello: :Sportello login EMAIL", vim.log.levels.ERROR)
      return
    end
    local password = vim.fn.inputsecret("Password for " .. arg .. ": ")
    if password == "" then
      return
    end
    M.login(arg, password)
  elseif sub == "token" then
    local token = arg or vim.fn.inputsecret("Session token: ")
    if token ~= "" then
      M.resume(token)
    end
  elseif sub == "logout" then
    M.logout()
  elseif sub == "whoami" or sub == nil then
    M.whoami()
  else
    vim.notify("Sportello: unknown subcommand " .. sub .. " (" .. table.concat(SUBCOMMANDS, ", ") .. ")", vim.log.levels.ERROR)
  end
end

-- Completes the command's first argument from words.
local function first_word(words)
  return function(_, line)
    if #vim.split(line, "%s+") <= 2 then
      return words
    end
    return {}
  end
end

function M.define_commands()
  local cmd = vim.api.nvim_create_user_command
  cmd("Sportello", sportello_command, {
    nargs = "*",
    desc = "Sportello: login EMAIL | token [TOKEN] | logout | whoami",
    complete = first_word(SUBCOMMANDS),
  })
  cmd("SportelloMine", function()
    M.mine()
  end, { desc = "Sportello: the tickets assigned to me" })
  cmd("SportelloOpen", function(opts)
    M.open(opts.args)
  end, { nargs = 1, desc = "Sportello: show a ticket" })
  cmd("SportelloNote", function(opts)
    local text
    if opts.range > 0 then
      text = table.concat(vim.api.nvim_buf_get_lines(0, opts.line1 - 1, opts.line2, false), "\n")
    elseif opts.args ~= "" then
      text = opts.args
    end
    M.note(text)
  end, { nargs = "*", range = true, desc = "Sportello: add an internal note to the ticket" })
  cmd("SportelloTake", function(opts)
    M.take(opts.fargs[1], opts.fargs[2], opts.fargs[3])
  end, {
    nargs = "*",
    desc = "Sportello: take charge of the ticket: CLASSIFICATION PRIORITY [ASSIGNEE]",
    complete = first_word(CLASSIFICATIONS),
  })
  local group = vim.api.nvim_create_augroup("sportello", { clear = true })
  -- :edit sportello://ticket/12 (or reloading the buffer) shows the ticket.
  vim.api.nvim_create_autocmd("BufReadCmd", {
    group = group,
    pattern = "sportello://ticket/*",
    callback = function(ev)
      local id = tonumber(ev.match:match("sportello://ticket/(%d+)$"))
      if id then
        M.open(id, ev.buf)
      end
    end,
  })
end

function M.setup(opts)
  M.config = vim.tbl_extend("force", M.config, opts or {})
  M.define_commands()
end

return M
