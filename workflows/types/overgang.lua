---@meta
-- Type annotations of the workflow API for editors (lua-language-server). Not loaded by the
-- engine. A workflow file ends with `return workflow { ... }`; handlers get the case and the
-- event, and ask for everything that should happen through the case's methods. All times are
-- Unix seconds, UTC, whole numbers; a date is its day at 00:00:00 UTC.

---@class overgang.Phase
---@field [1] string the phase's name, one word
---@field title? string the phase's name as people read it ("Afdækning"); overgang check warns without it
---@field text string what the citizen reads while the case is in this phase
---@field next? string[] the phases this one may move to; none: a final phase
---@field announce? boolean false: the citizen's plan does not name this phase among what may come next (a phase reached only on the citizen's own "no thanks", say)

---@class overgang.OutcomeField
---@field name string what the handler reads as ev.payload.outcome.NAME: a-z, 0-9 and _
---@field label string what the person reads beside the field
---@field type "text"|"textarea"|"select"|"checkbox"|"number"|"date"
---@field options? (string|string[])[] a select's values: "value" or { "value", "Label" }
---@field instrument? string a select's values or a number's limits from this instrument of the registry
---@field required? boolean completing the task without it is refused
---@field hint? string help shown beside the field

---@class overgang.TaskSpec
---@field title? string what the task is, as people read it
---@field outcome? overgang.OutcomeField[] what people enter when they complete it

---@class overgang.StartByAge
---@field age integer 0..120: the sweep starts a case when the citizen reaches this age
---@field when? string only for citizens with this attribute

---@class overgang.StartByEvent
---@field event string meant for a case started by an event of this type; overgangd does not start cases by event yet (start them by hand or with POST /v1/cases)

---@alias overgang.Handler fun(case: overgang.Case, ev: overgang.Event)

---@class overgang.Definition
---@field name string lowercase letters, digits and '-', such as "barn-til-voksen"
---@field version integer 1 or more
---@field title string
---@field start? "manual"|overgang.StartByAge|overgang.StartByEvent default "manual"
---@field phases overgang.Phase[] the first is where a case starts
---@field tasks? table<string, overgang.TaskSpec> per task key: what people enter when they complete it
---@field on? table<string, overgang.Handler> a handler per event type

---Checks a workflow definition and returns it. Unknown keys are errors.
---@param definition overgang.Definition
---@return overgang.Definition
function workflow(definition) end

---Helpers plugins give workflows: `plugins.NAME.FUNCTION(...)`, pure functions (no I/O) that
---answer with a value. They run in overgangd with the plugin loaded; in check, simulate and
---test calling one is an error that says so.
---@type table<string, table<string, fun(...): any>>
plugins = {}

---@class overgang.Tovholder
---@field id string the staff member's id
---@field department string

---@class overgang.Citizen
---@field id integer
---@field birth_date string "YYYY-MM-DD"
---@field age integer whole years at case.now
---@field attributes table<string, any>
local Citizen = {}

---When the citizen is YEARS (and MONTHS) old; a 29 February birthday falls on 28 February in
---other years.
---@param years integer
---@param months? integer
---@return integer time
function Citizen.birthday(years, months) end

---Whether the citizen has the attribute (present and not false).
---@param attribute string
---@return boolean
function Citizen.has(attribute) end

---@class overgang.Event
---@field id integer
---@field type string
---@field payload table<string, any>
---@field at integer when the event became due

---@class overgang.Case
---@field id integer
---@field phase string the current phase (case:phase changes it for the rest of the handler)
---@field state table<string, any> the workflow's own state: change it with case:set
---@field tovholder? overgang.Tovholder nil before the first assignment
---@field now integer the engine's time for this step
---@field workflow { name: string, version: integer }
---@field citizen overgang.Citizen
local Case = {}

---Makes a staff member, or someone in a department, tovholder. Give staff or department.
---@param a { staff?: string, department?: string, reason: string }
function Case:assign_tovholder(a) end

---@param a { department: string, title: string, body?: string, due: integer, assignee?: string, key?: string }
function Case:task(a) end

---Hands the case over to another department.
---@param a { to: string, title: string, summary: string, goals?: string[], questions?: string[], due: integer, key?: string }
function Case:handover(a) end

---@param key string
---@param reason? string
function Case:cancel_task(key, reason) end

---Raises an event of type EVENT at a time (at) or after some seconds (after): give one.
---@param a { event: string, at?: integer, after?: integer, key?: string, payload?: table<string, any> }
function Case:timer(a) end

---@param key string
function Case:cancel_timer(key) end

---Moves the case to another phase; the engine checks that the definition allows the move.
---@param name string
function Case:phase(name) end

---Sets KEY in case.state; nil removes it. Values are stored as JSON: strings, numbers,
---booleans, lists (1..n) and tables with string keys.
---@param key string
---@param value any
function Case:set(key, value) end

---@param a { key: string, text: string, theme?: string }
function Case:goal(a) end

---@param a { instrument: string, kind: "baseline"|"followup", value: number|string, at?: integer, goal?: string }
function Case:measure(a) end

---Records what another system calls this case, so plugins can put events into it by that
---reference. A reference names one case: the first to claim it keeps it.
---@param a { system: string, ref: string }
function Case:ref(a) end

---Asks a plugin to do something outside the engine (a letter, a message, a call to another
---system) once this step is committed. With notify = true the case gets an event back:
---`delivered` once it is done, or `delivery_failed` once it is given up and parked.
---@param a { plugin: string, action: string, payload?: table<string, any>, key?: string, notify?: boolean }
function Case:outbox(a) end

---@param a { outcome: string, reason?: string }
function Case:close(a) end

---Dates: pure functions over Unix seconds in UTC.
date = {}

---Seconds in a day: 86400.
date.DAY = 86400

---"YYYY-MM-DD" to the time of that day at 00:00 UTC; an error for anything else.
---@param ymd string
---@return integer time
function date.parse(ymd) end

---@param t integer
---@return string ymd "YYYY-MM-DD"
function date.ymd(t) end

---Adds calendar amounts; months and years keep the day of the month, or the month's last day
---when it is shorter (31 January + 1 month = 28 or 29 February).
---@param t integer
---@param by { years?: integer, months?: integer, weeks?: integer, days?: integer, hours?: integer }
---@return integer time
function date.add(t, by) end

---Adds N working days (Monday to Friday); N may be negative.
---@param t integer
---@param n integer
---@return integer time
function date.working_days(t, n) end

---Calendar days from A to B (B - A).
---@param a integer
---@param b integer
---@return integer days
function date.days_between(a, b) end
