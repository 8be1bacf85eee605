-- Keeps the examples of an authoring guide (workflows/README.md) true. Run by
-- tests/e2e/guide_test.sh from the repository root, with `overgang` on PATH and a database:
--
--   lua5.4 tests/e2e/guide_check.lua workflows/README.md
--
-- The guide marks its code blocks with an HTML comment on the line before the fence:
--   <!-- file: PATH -->  the block is the whole of the file PATH (e.g. the example workflow)
--   <!-- run -->         a console block: each "$ COMMAND" line is run with bash from the
--                        repository root; the lines after it, up to the next "$ ", are what it
--                        must print (stdout and stderr), and it must exit 0
-- An unmarked ```lua block is an excerpt: its lines (indentation aside) must appear, in order
-- and together, in a workflow or test under workflows/examples or workflows/tests; a line
-- "-- ..." in it stands for lines left out. A console block with "$ " lines must be marked
-- run. Other blocks (synopses, formats) are not checked.
local guide = assert(arg[1], "usage: lua5.4 guide_check.lua GUIDE")
local failures, checked = 0, 0

local function fail(line, msg)
  failures = failures + 1
  io.stderr:write(("%s:%d: %s\n"):format(guide, line, msg))
end

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function lines_of(text)
  local t = {}
  for l in (text .. "\n"):gmatch("(.-)\n") do t[#t + 1] = l end
  if t[#t] == "" then t[#t] = nil end
  return t
end

local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

-- The Lua files an excerpt may come from.
local sources = {}
do
  local p = io.popen("ls workflows/examples/*.lua workflows/tests/*.lua 2>/dev/null")
  for path in p:lines() do
    local t = {}
    for i, l in ipairs(lines_of(read(path))) do t[i] = trim(l) end
    sources[#sources + 1] = { path = path, lines = t }
  end
  p:close()
end

-- Whether the trimmed lines SEG appear together in LINES from FROM on; the index after them.
local function find_segment(lines, seg, from)
  for i = from, #lines - #seg + 1 do
    local ok = true
    for k = 1, #seg do
      if lines[i + k - 1] ~= seg[k] then ok = false break end
    end
    if ok then return i + #seg end
  end
  return nil
end

local function is_excerpt_of(block, lines)
  local segments, seg = {}, {}
  for _, l in ipairs(block) do
    local t = trim(l)
    if t == "-- ..." then
      segments[#segments + 1] = seg
      seg = {}
    else
      seg[#seg + 1] = t
    end
  end
  segments[#segments + 1] = seg
  local at = 1
  for _, s in ipairs(segments) do
    if #s > 0 then
      at = find_segment(lines, s, at)
      if not at then return false end
    end
  end
  return true
end

local function check_file(line, path, block)
  local text = read(path)
  if not text then return fail(line, "the block is the file " .. path .. ", which is not there") end
  local want = lines_of(text)
  for i = 1, math.max(#want, #block) do
    if want[i] ~= block[i] then
      return fail(line + i, ("the block differs from %s at its line %d:\n  file:  %s\n  guide: %s")
        :format(path, i, want[i] or "(end of file)", block[i] or "(end of block)"))
    end
  end
end

local function check_excerpt(line, block)
  for _, s in ipairs(sources) do
    if is_excerpt_of(block, s.lines) then return end
  end
  fail(line, "this Lua excerpt is not in any workflow or test under workflows/examples or "
    .. "workflows/tests (mark a whole file with <!-- file: PATH -->)")
end

local function run(line, command, expected)
  local quoted = "'" .. (command .. " 2>&1"):gsub("'", "'\\''") .. "'"
  local p = io.popen("bash -c " .. quoted, "r")
  local out = p:read("a")
  local ok, _, code = p:close()
  local got = lines_of(out)
  if not ok then
    fail(line, ("`%s` exited with %s:\n%s"):format(command, tostring(code), out))
    return
  end
  for i = 1, math.max(#got, #expected) do
    if got[i] ~= expected[i] then
      return fail(line + i, ("`%s` prints something else at its line %d:\n  printed: %s\n  guide:   %s")
        :format(command, i, got[i] or "(nothing more)", expected[i] or "(nothing more)"))
    end
  end
end

local function check_run(line, block)
  local i = 1
  while i <= #block do
    local command = block[i]:match("^%$ (.*)$")
    if not command then
      return fail(line + i, "a run block starts with a \"$ command\" line")
    end
    local expected, j = {}, i + 1
    while j <= #block and not block[j]:match("^%$ ") do
      expected[#expected + 1] = block[j]
      j = j + 1
    end
    run(line + i, command, expected)
    i = j
  end
end

local text = assert(read(guide), "cannot read " .. guide)
local lines = lines_of(text)
local i, marker, marker_line = 1, nil, 0
while i <= #lines do
  local l = lines[i]
  local fence, lang = l:match("^(```+)(%S*)%s*$")
  if fence then
    local start, block = i, {}
    i = i + 1
    while i <= #lines and lines[i] ~= fence do
      block[#block + 1] = lines[i]
      i = i + 1
    end
    local m = marker_line == start - 1 and marker or nil
    local has_prompt = false
    for _, b in ipairs(block) do
      if b:match("^%$ ") then has_prompt = true end
    end
    if m and m:match("^file: ") then
      check_file(start, m:match("^file: (%S+)$"), block)
      checked = checked + 1
    elseif m == "run" then
      check_run(start, block)
      checked = checked + 1
    elseif m then
      fail(start - 1, "unknown marker <!-- " .. m .. " -->")
    elseif lang == "lua" then
      check_excerpt(start, block)
      checked = checked + 1
    elseif has_prompt then
      fail(start, "a command example that is not run: mark it <!-- run -->")
    end
    marker = nil
  else
    local m = l:match("^<!%-%- (.-) %-%->$")
    if m and (m:match("^file: ") or m == "run") then
      marker, marker_line = m, i
    end
  end
  i = i + 1
end

if failures > 0 then
  io.stderr:write(("%s: %d of the guide's examples are not true\n"):format(guide, failures))
  os.exit(1)
end
print(("%s: all %d checked examples hold"):format(guide, checked))
