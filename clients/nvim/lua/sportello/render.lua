-- Text for the plugin's buffers: pure functions from the server's results to lines.

local M = {}

local function val(v)
  if v == nil or v == vim.NIL then
    return nil
  end
  return v
end

local PRIORITY = { "Blocking", "High", "Medium", "Low" }

-- One line, for the one-line fields (a subject may hold a newline).
local function flat(s)
  return (tostring(s or ""):gsub("[\r\n]+", " "))
end

local function pad(s, width)
  s = tostring(s)
  local n = vim.fn.strdisplaywidth(s)
  if n >= width then
    return s
  end
  return s .. string.rep(" ", width - n)
end

-- "resolution due 2026-12-07T07:30:00Z (running)" for the clock that still counts, or the state.
function M.sla(sla)
  sla = val(sla)
  if not sla then
    return nil
  end
  local state = val(sla.state) or "?"
  if state == "notApplicable" or state == "met" then
    return state
  end
  local clocks = val(sla.clocks) or {}
  local order = { "chargeTaking", "resolution", "firstAid" }
  for _, name in ipairs(order) do
    local c = val(clocks[name])
    if c and (c.state == "running" or c.state == "paused" or c.state == "breached") then
      return string.format("%s, %s due %s", state, name, tostring(val(c.due) or "?"))
    end
  end
  return state
end

local function customer(c)
  c = val(c)
  if not c then
    return "-"
  end
  return c.code
end

-- The list buffer: a header line, then one line per ticket. Returns lines and, for each
-- line, the ticket id it shows (nil for the header).
function M.list(title, items)
  local lines = { title }
  local ids = { false }
  if #items == 0 then
    table.insert(lines, "(no tickets)")
    table.insert(ids, false)
  end
  for _, t in ipairs(items) do
    local sla = M.sla(t.sla)
    local line = table.concat({
      pad(t.number, 7),
      pad(t.status, 16),
      "P" .. tostring(t.priority),
      pad(customer(t.customer), 10),
      flat(t.subject),
    }, "  ")
    if sla then
      line = line .. "  [SLA " .. sla .. "]"
    end
    table.insert(lines, line)
    table.insert(ids, t.id)
  end
  return lines, ids
end

local function actor(a)
  a = val(a)
  if not a then
    return "?"
  end
  if a.kind == "system" then
    return "system"
  end
  local name = val(a.name) or ("#" .. tostring(val(a.id) or "?"))
  return string.format("%s (%s)", name, a.kind)
end

local function split(text)
  local out = {}
  for line in (tostring(text) .. "\n"):gmatch("(.-)\r?\n") do
    table.insert(out, line)
  end
  return out
end

-- The ticket buffer: header fields, then every message in order, internal notes marked.
function M.ticket(t)
  local lines = {}
  local function add(s)
    table.insert(lines, s)
  end
  add(string.format("%s  %s", t.number, flat(t.subject)))
  add(string.format("Status:         %s", t.status))
  add(string.format("Version:        %s", tostring(t.version)))
  local c = val(t.customer)
  add("Customer:       " .. (c and string.format("%s — %s", c.code, flat(c.name)) or "-"))
  local contact = val(t.contact)
  add("Contact:        " .. (contact and string.format("%s <%s>", flat(contact.name), contact.email) or "-"))
  add("Product:        " .. tostring(t.product))
  add("Classification: " .. tostring(val(t.classification) or "-"))
  add(string.format("Priority:       %s %s", tostring(t.priority), PRIORITY[t.priority] or ""))
  local a = val(t.assignee)
  add("Assignee:       " .. (a and string.format("%s (%s)", flat(a.name), tostring(a.id)) or "-"))
  add("Received:       " .. tostring(t.receivedAt) .. "  via " .. tostring(t.channel) .. ", " .. tostring(t.language))
  add("SLA:            " .. (M.sla(t.sla) or "-"))
  local actions = val(t.allowedActions) or {}
  add("Actions:        " .. (#actions > 0 and table.concat(actions, ", ") or "-"))
  for _, m in ipairs(val(t.messages) or {}) do
    add("")
    local mark = m.internal and "  [internal note]" or ""
    add(string.format("── %s  %s%s", tostring(m.at), actor(m.author), mark))
    for _, l in ipairs(split(m.text)) do
      add(l)
    end
    local atts = val(m.attachments) or {}
    for _, att in ipairs(atts) do
      add(string.format("   attachment %s: %s", tostring(att.id), tostring(val(att.filename) or "")))
    end
  end
  return lines
end

return M
