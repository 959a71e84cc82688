-- Helpers of the headless plugin tests (run by test_nvim.py, which sets the environment).
local H = {}

function H.env(name)
  local v = os.getenv(name)
  if v == nil or v == "" then
    error("the environment variable " .. name .. " is not set (run the tests from test_nvim.py)")
  end
  return v
end

H.notes = {} -- every vim.notify the plugin made: {msg, level}

-- Captures vim.notify (and echoes it to stderr, for the failure output).
function H.capture_notify()
  vim.notify = function(msg, level)
    table.insert(H.notes, { msg = msg, level = level })
    io.stderr:write("notify[" .. tostring(level) .. "] " .. msg .. "\n")
  end
end

-- A trace(direction, line) for setup{} that appends to $SPORTELLO_TEST_TRACE.
function H.trace()
  local path = H.env("SPORTELLO_TEST_TRACE")
  return function(direction, line)
    local f = assert(io.open(path, "a"))
    f:write(direction, " ", line, "\n")
    f:close()
  end
end

function H.lines(buf)
  return vim.api.nvim_buf_get_lines(buf or 0, 0, -1, false)
end

function H.dump(buf)
  return "buffer " .. vim.api.nvim_buf_get_name(buf or 0) .. ":\n  " .. table.concat(H.lines(buf), "\n  ")
end

-- The first line of buf containing text (plain), and its number.
function H.find(buf, text)
  for i, line in ipairs(H.lines(buf)) do
    if line:find(text, 1, true) then
      return line, i
    end
  end
  return nil
end

function H.check(cond, what)
  if not cond then
    error("check failed: " .. what, 2)
  end
end

-- Waits (bounded) until cond() is true, processing events meanwhile.
function H.wait_for(what, cond, ms)
  if not vim.wait(ms or 5000, cond, 20) then
    error("timed out after " .. (ms or 5000) .. " ms waiting for " .. what .. "\n" .. H.dump(), 2)
  end
end

function H.wait_notify(text, ms)
  H.wait_for("a message containing " .. text, function()
    for _, n in ipairs(H.notes) do
      if n.msg:find(text, 1, true) then
        return true
      end
    end
    return false
  end, ms)
end

-- Types keys as a user would (mappings apply) and runs them now.
function H.press(keys)
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(keys, true, false, true), "mx", false)
end

-- Another client changes something: the Python client's command line, over the socket, as
-- the system principal (the tests run as the server's user).
function H.other_client(method, params)
  local out = vim.fn.system({
    "python3", H.env("SPORTELLO_TEST_PYCLIENT"), "--socket", H.env("SPORTELLO_TEST_SOCKET"),
    "--timeout", "10", "--compact", method, vim.json.encode(params),
  })
  if vim.v.shell_error ~= 0 then
    error(method .. " from the other client failed: " .. out, 2)
  end
  return vim.json.decode(out)
end

-- Runs the test body: exit 0 after PASS, or print the error and exit 1.
function H.run(name, body)
  local ok, err = xpcall(body, debug.traceback)
  if ok then
    io.stdout:write("PASS " .. name .. "\n")
    vim.cmd("qall!")
  else
    io.stderr:write("FAIL " .. name .. ": " .. tostring(err) .. "\n")
    vim.cmd("cquit 1")
  end
end

return H
