-- Deliberately broken: a test file may not do I/O (tests/e2e/wftest_test.sh).
local wf = workflow_file "fejl.lua"
os.remove("x")
test("never runs", function() end)
