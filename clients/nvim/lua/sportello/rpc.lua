-- One JSON-RPC 2.0 connection to a Sportello server, newline-delimited JSON both ways.
--
-- Two transports: a running server's Unix socket (libuv pipe), or `sportello serve --stdio`
-- spawned as a job. Replies are routed to their request by id; messages without an id are
-- server notifications, handed to `on_notification(method, params)`. Callbacks run in the
-- main loop (never in libuv's fast context), so they may use any Neovim API.

local uv = vim.loop

local M = {}
M.__index = M

-- Request ids are unique across connections (a trace of several stays unambiguous).
local next_id = 1

local function is_nil(v)
  return v == nil or v == vim.NIL
end

-- Options: socket (path) or cmd (argv list for jobstart); on_notification(method, params);
-- on_close(reason); trace(direction, line) sees every line sent (">") and received ("<").
function M.new(opts)
  local self = setmetatable({}, M)
  self.opts = opts or {}
  self.pending = {} -- id -> {method, callback}
  self.partial = ""
  self.closed = false
  self.connected = false
  self.queue = {} -- lines written before the socket connected
  return self
end

function M:_fail_pending(reason)
  local pending = self.pending
  self.pending = {}
  for _, p in pairs(pending) do
    p.callback({ message = reason }, nil)
  end
end

function M:_closed(reason)
  if self.closed then
    return
  end
  self.closed = true
  self.connected = false
  self:_fail_pending(reason)
  if self.opts.on_close then
    self.opts.on_close(reason)
  end
end

function M:_handle_line(line)
  if line:match("^%s*$") then
    return
  end
  if self.opts.trace then
    self.opts.trace("<", line)
  end
  local ok, msg = pcall(vim.json.decode, line)
  if not ok or type(msg) ~= "table" then
    vim.notify("Sportello: the server sent a line that is not JSON: " .. line:sub(1, 200), vim.log.levels.WARN)
    return
  end
  if msg[1] ~= nil then -- a batch reply: route each entry
    for _, item in ipairs(msg) do
      self:_dispatch(item)
    end
  else
    self:_dispatch(msg)
  end
end

function M:_dispatch(msg)
  local id = msg.id
  if is_nil(id) then
    if msg.method and self.opts.on_notification then
      self.opts.on_notification(msg.method, is_nil(msg.params) and {} or msg.params)
    elseif msg.error then
      -- The server could not read a request at all (parse error): nobody to route it to.
      vim.notify("Sportello: " .. M.format_error(msg.error), vim.log.levels.ERROR)
    end
    return
  end
  local p = self.pending[id]
  if not p then
    return
  end
  self.pending[id] = nil
  if not is_nil(msg.error) then
    p.callback(msg.error, nil)
  else
    p.callback(nil, msg.result)
  end
end

-- Bytes from the server, in any chunking: complete lines are handled, the rest kept.
function M:_feed(data)
  local buf = self.partial .. data
  local start = 1
  while true do
    local nl = buf:find("\n", start, true)
    if not nl then
      break
    end
    self:_handle_line(buf:sub(start, nl - 1))
    start = nl + 1
  end
  self.partial = buf:sub(start)
end

function M:_write(line)
  if self.opts.trace then
    self.opts.trace(">", line)
  end
  if self.job then
    vim.fn.chansend(self.job, line .. "\n")
  elseif self.connected then
    self.pipe:write(line .. "\n")
  else
    table.insert(self.queue, line)
  end
end

-- Starts connecting; requests made meanwhile are queued and sent once connected.
function M:open()
  local opts = self.opts
  if opts.cmd then
    local ok, job = pcall(vim.fn.jobstart, opts.cmd, {
      on_stdout = function(_, data)
        -- data: the chunk split at newlines; its last item is an unfinished line.
        self:_feed(table.concat(data, "\n"))
      end,
      on_stderr = function() end,
      on_exit = function(_, code)
        self:_closed("the server process exited with status " .. code)
      end,
    })
    if not ok or job <= 0 then
      self:_closed("cannot start " .. table.concat(opts.cmd, " "))
      return self
    end
    self.job = job
    self.connected = true
    return self
  end
  local pipe = uv.new_pipe(false)
  self.pipe = pipe
  pipe:connect(opts.socket, function(err)
    vim.schedule(function()
      if err then
        pipe:close()
        self:_closed("cannot connect to " .. opts.socket .. ": " .. err)
        return
      end
      self.connected = true
      pipe:read_start(function(rerr, chunk)
        vim.schedule(function()
          if rerr then
            self:_closed("read error: " .. rerr)
          elseif chunk then
            self:_feed(chunk)
          else
            if not pipe:is_closing() then
              pipe:close()
            end
            self:_closed("the server closed the connection")
          end
        end)
      end)
      local queued = self.queue
      self.queue = {}
      for _, line in ipairs(queued) do
        pipe:write(line .. "\n")
      end
    end)
  end)
  return self
end

-- callback(err, result): err is the JSON-RPC error object ({code, message, data}), or
-- {message} when the connection failed, or nil.
function M:request(method, params, callback)
  if self.closed then
    vim.schedule(function()
      callback({ message = "not connected" }, nil)
    end)
    return nil
  end
  local id = next_id
  next_id = id + 1
  self.pending[id] = { method = method, callback = callback }
  self:_write(vim.json.encode({
    jsonrpc = "2.0",
    id = id,
    method = method,
    params = (params == nil or next(params) == nil) and vim.empty_dict() or params,
  }))
  return id
end

function M:close()
  if self.job then
    vim.fn.jobstop(self.job)
  elseif self.pipe and not self.pipe:is_closing() then
    self.pipe:close()
  end
  self:_closed("closed")
end

-- "invalid params (-32602): field params.body, reason blank" from a JSON-RPC error object
-- (the connection's own errors, such as "cannot connect to …", have no code).
function M.format_error(err)
  local text = tostring(err.message or "error")
  if not is_nil(err.code) then
    text = text .. " (" .. tostring(err.code) .. ")"
  end
  local data = err.data
  if is_nil(data) then
    return text
  end
  if type(data) ~= "table" then
    return text .. ": " .. tostring(data)
  end
  local parts = {}
  if not is_nil(data.field) then
    table.insert(parts, "field " .. tostring(data.field))
  end
  if not is_nil(data.reason) then
    table.insert(parts, "reason " .. tostring(data.reason))
  end
  local rest = {}
  for k, v in pairs(data) do
    if k ~= "field" and k ~= "reason" then
      rest[k] = v
    end
  end
  if next(rest) ~= nil then
    table.insert(parts, vim.json.encode(rest))
  end
  return text .. ": " .. table.concat(parts, ", ")
end

return M
