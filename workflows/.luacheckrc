-- luacheck configuration for overgang workflow files: exactly the globals the sandbox gives a
-- workflow, so a typo in a name (tabel.insert, string.formt, caes) is found before the file
-- is deployed. `overgang check` carries a copy of this file (it is built into the binary);
-- to run luacheck by hand: luacheck --config workflows/.luacheckrc FILE.lua
--
-- `case` and `ev` are the handlers' parameters, not globals. os, io, require, load, dofile,
-- loadfile, debug, package, collectgarbage, coroutine, string.dump/pack/unpack and
-- math.random are not available in a workflow, so they are not listed.

stds.overgang = {
  read_globals = {
    -- the definition and the engine's dates
    "workflow",
    date = { fields = { "parse", "ymd", "add", "working_days", "days_between", "DAY" } },
    -- print() goes to the step's trace (shown by simulate and in the case's events)
    "print",
    -- helpers plugins give workflows: plugins.NAME.FUNCTION(...)
    plugins = { other_fields = true },
    -- the base library, without I/O and without loading code
    "assert", "error", "ipairs", "next", "pairs", "pcall", "rawequal", "rawget", "rawlen",
    "rawset", "select", "getmetatable", "setmetatable", "tonumber", "tostring", "type",
    "xpcall",
    string = { fields = {
      "byte", "char", "find", "format", "gmatch", "gsub", "len", "lower", "match", "rep",
      "reverse", "sub", "upper",
    } },
    table = { fields = { "concat", "insert", "move", "pack", "remove", "sort", "unpack" } },
    math = { fields = {
      "abs", "acos", "asin", "atan", "ceil", "cos", "deg", "exp", "floor", "fmod", "huge",
      "log", "max", "maxinteger", "min", "mininteger", "modf", "pi", "rad", "sin", "sqrt",
      "tan", "tointeger", "type", "ult",
    } },
    utf8 = { fields = { "char", "charpattern", "codepoint", "codes", "len", "offset" } },
  },
}

std = "overgang"
-- a handler is function(case, ev); one that does not use both is fine
ignore = { "212/case", "212/ev" }
-- citizen texts are long lines of prose
max_line_length = false
