"""The citizen's plan, as JSON and as a printable HTML page: for a case in each phase of the
test workflow the texts the young person reads, their tovholder or (when the tovholder is
away) the department, the dates ahead in plain words without internal titles, their goals
escaped on the page, a page that is well-formed HTML5 in Danish without scripts or anything
loaded from elsewhere, 404 for a case not seen, and the access log with the purpose."""
import html
import re
from html.parser import HTMLParser

from apilib import *

# tests/workflows/api.lua: its phases' texts, as the citizen reads them.
TEXT = {
    "afdaekning": "Vi er begyndt at forberede din overgang til voksenlivet.",
    "overdragelse": "Vi giver din sag videre til Voksenhandicap.",
    "voksen": "Voksenhandicap har taget imod din sag.",
}
# The tasks' and handover's titles: written for staff, never on the citizen's plan.
INTERNAL = ["Samtale med den unge", "Udtalelse fra PPR", "Overdragelse til Voksenhandicap",
            "Vælg en ny tovholder", "Den unge fylder snart 18"]
MONTHS = ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
          "oktober", "november", "december"]
NASTY = "<script>alert(\"hej\")</script> & 'mor' <b>fed</b>"


# ---- the page's HTML, checked strictly ----

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
ALLOWED = {"html", "head", "meta", "title", "style", "body", "header", "main", "footer", "section",
           "h1", "h2", "h3", "p", "ul", "li", "strong", "a"}
ENTITIES = {"amp", "lt", "gt", "quot"}


class StrictHTML(HTMLParser):
    """Fails on what a browser would forgive: an element left open or closed out of order, a
    stray '<' or '&' in text, a reference other than the escaping ones, a self-closed or closed
    void element, and any element or attribute that runs code or loads something."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.stack, self.errors, self.doctype, self.seen = [], [], None, []
        self.text, self.title, self.attrs = [], "", {}

    def error_at(self, msg):
        self.errors.append(f"line {self.getpos()[0]}: {msg}")

    def handle_decl(self, decl):
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        if not self.seen and tag != "html":
            self.error_at(f"the root element is <{tag}>, not <html>")
        if self.seen and tag == "html":
            self.error_at("a second <html>")
        self.seen.append(tag)
        self.attrs.setdefault(tag, []).append(dict(attrs))
        if tag not in ALLOWED:
            self.error_at(f"<{tag}> is not an element the plan uses")
        for name, value in attrs:
            if name.startswith("on") or name in ("src", "srcset", "action", "formaction"):
                self.error_at(f"<{tag} {name}>: runs code or loads something")
            if name == "href" and not (value or "").startswith("mailto:"):
                self.error_at(f"<{tag} href={value!r}>: a link out of the page")
            if name == "style":
                self.error_at(f"<{tag} style>: styles belong in <style>, the page must read without them")
        if tag in ("title", "meta", "style") and self.stack[-1:] != ["head"]:
            self.error_at(f"<{tag}> outside <head>")
        if tag in VOID:
            return
        self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        if tag not in VOID:
            self.error_at(f"<{tag}/>: only void elements may be self-closed")
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in VOID:
            self.error_at(f"</{tag}>: a void element has no end tag")
            return
        if not self.stack or self.stack[-1] != tag:
            self.error_at(f"</{tag}> closes {self.stack[-1:] or 'nothing'}: improper nesting")
            if tag in self.stack:
                del self.stack[self.stack.index(tag):]
            return
        self.stack.pop()

    def handle_data(self, data):
        if "<" in data or "&" in data or ">" in data:
            self.error_at(f"an unescaped character in the text: {data.strip()[:60]!r}")
        if self.stack[-1:] == ["title"]:
            self.title += data
        if self.stack[-1:] != ["style"]:
            self.text.append(data)

    def handle_entityref(self, name):
        if name not in ENTITIES:
            self.error_at(f"&{name}; is not one of the escaping references")
        self.text.append(html.unescape(f"&{name};"))

    def handle_charref(self, name):
        if name != "39":
            self.error_at(f"&#{name}; is not one of the escaping references")
        self.text.append(html.unescape(f"&#{name};"))

    def handle_comment(self, data):
        self.error_at("a comment")

    def handle_pi(self, data):
        self.error_at("a processing instruction")

    def unknown_decl(self, data):
        self.error_at(f"an unknown declaration {data!r}")


def check_page(resp, what):
    """The page is a complete, strict HTML5 document in Danish; answers its visible text with
    white space collapsed."""
    assert resp.headers.get("content-type") == "text/html; charset=utf-8", (what, resp.headers)
    assert resp.text.startswith("<!DOCTYPE html>"), (what, resp.text[:100])
    p = StrictHTML()
    p.feed(resp.text)
    p.close()
    assert not p.errors, f"{what}: the page is not strict HTML: {p.errors}\n{resp.text}"
    assert p.stack == [], f"{what}: elements left open: {p.stack}"
    assert p.doctype == "DOCTYPE html", (what, p.doctype)
    assert [t for t in p.seen if t in ("html", "head", "body", "main", "title", "h1")] == [
        "html", "head", "title", "body", "h1", "main"], (what, p.seen)
    assert p.attrs["html"] == [{"lang": "da"}], (what, p.attrs["html"])
    assert {"charset": "utf-8"} in p.attrs["meta"], (what, p.attrs["meta"])
    assert p.title.strip().startswith("Din plan"), (what, p.title)
    # headings in order, none skipped
    levels = [int(t[1]) for t in p.seen if re.fullmatch(r"h[1-6]", t)]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:])), (what, levels)
    return " ".join("".join(p.text).split())


def strict_checker_works():
    """the strict checker itself refuses what it must: open, misnested, unescaped, scripts"""
    for bad in ["<html lang=da><body><p>x</body></html>", "<html><p><strong>x</p></strong></html>",
                "<html><p>a & b</p></html>", "<html><p>a < b</p></html>", "<html><script></script></html>",
                "<html><p>&nbsp;</p></html>", "<html><br></br></html>", "<html><p/></html>",
                "<html><a href='https://x.dk'>x</a></html>", "<html><p onclick='x()'>x</p></html>"]:
        p = StrictHTML()
        p.feed(bad)
        p.close()
        assert p.errors or p.stack, f"the checker let through {bad!r}"


# ---- helpers ----

def danish(day):
    """'2028-03-01' as '1. marts 2028'."""
    y, m, d = (int(x) for x in day.split("-"))
    return f"{d}. {MONTHS[m - 1]} {y}"


def due_day(case, key):
    return sql(f"SELECT (due_at AT TIME ZONE 'Europe/Copenhagen')::date FROM task"
               f" WHERE case_id = {case} AND key = '{key}' ORDER BY id DESC LIMIT 1")


def log_max():
    return int(sql("SELECT coalesce(max(id), 0) FROM access_entries"))


def logged_since(mark):
    rows = sql(f"SELECT actor, citizen_id, coalesce(case_id::text, ''), reason, via FROM access_entries"
               f" WHERE id > {mark} ORDER BY id")
    return [tuple(r.split("|")) for r in rows.splitlines()]


def plan(case, who, purpose=None):
    """The plan of CASE as WHO, as JSON and as the page's visible text; both are written to
    the access log, with the purpose when given."""
    h = {"Overgang-Purpose": purpose} if purpose else {}
    mark = log_max()
    j = expect(call("GET", f"/v1/cases/{case}/plan", who, headers=h), 200, f"plan {case}")
    page = expect(call("GET", f"/v1/cases/{case}/plan.html", who, headers=h), 200, f"plan.html {case}")
    text = check_page(page, f"plan.html {case}")
    citizen = sql(f"SELECT citizen_id FROM cases WHERE id = {case}")
    staff = who.split("/")[0]
    assert logged_since(mark) == [(staff, citizen, str(case), purpose or "plan", "api plan"),
                                  (staff, citizen, str(case), purpose or "plan_html", "api plan_html")], logged_since(mark)
    for t in INTERNAL:
        assert t not in j.text and t not in page.text, f"plan {case}: an internal title on the citizen's plan: {t}"
    # every text of the JSON plan is on the page
    p = j.body
    texts = [p["greeting"], p["intro"], p["tovholder"]["text"], p["now"]["text"]]
    texts += [m["text"] for m in p["milestones"]] + [g["text"] for g in p["goals"]]
    if p["status"] != "closed":
        texts += [n["text"] for n in p["next"]]
    for t in texts:
        assert " ".join(t.split()) in text, f"plan {case}: {t!r} is in the JSON but not on the page:\n{text}"
    return p, text, page


# ---- the phases ----

def afdaekning():
    """the first phase: the tovholder, what happens now and next, the dates in plain words"""
    p, text, _ = plan(2, "mette/tovholder")
    assert p["case"] == 2 and p["status"] == "active", p
    assert p["citizen"] == {"id": 2, "name": "Bjørn Testborger", "first_name": "Bjørn"}, p
    assert p["greeting"] == "Hej Bjørn" and "Hej Bjørn" in text, p
    assert p["workflow"] == {"name": "api-test", "title": "Overgang til voksenlivet (API-test)"}, p
    assert p["tovholder"] == {
        "available": True, "name": "Mette Madsen", "email": None,
        "department": {"id": "born-familie", "name": "Børn og Familie"},
        "text": "Din tovholder er Mette Madsen fra Børn og Familie. Din tovholder er din faste kontakt og"
                " holder styr på din sag. Du kan altid spørge, hvis der er noget, du er i tvivl om."}, p
    assert p["now"] == {"phase": "afdaekning", "text": TEXT["afdaekning"]}, p
    assert p["next"] == [{"phase": "overdragelse", "text": TEXT["overdragelse"]}], p
    samtale, ppr, over = due_day(2, "samtale"), due_day(2, "ppr"), due_day(2, "overdragelse")
    assert p["milestones"] == [
        {"kind": "task", "department": {"id": "born-familie", "name": "Børn og Familie"}, "due": samtale,
         "due_text": danish(samtale), "overdue": False,
         "text": f"Børn og Familie arbejder med din sag. Det skal være klar senest {danish(samtale)}."},
        {"kind": "handover", "department": {"id": "voksenhandicap", "name": "Voksenhandicap"}, "due": over,
         "due_text": danish(over), "overdue": False,
         "text": f"Voksenhandicap skal senest {danish(over)} svare på, om de vil tage din sag over."},
        {"kind": "task", "department": {"id": "ppr", "name": "PPR"}, "due": ppr,
         "due_text": danish(ppr), "overdue": False,
         "text": f"PPR arbejder med din sag. Det skal være klar senest {danish(ppr)}."},
    ], p["milestones"]
    assert p["goals"] == [], p
    today = sql("SELECT (now() AT TIME ZONE 'Europe/Copenhagen')::date")
    assert p["made_at"] == today and p["made_at_text"] == danish(today), p
    for heading in ["Din plan", "Din tovholder", "Det sker nu", "Det sker bagefter", "Vigtige datoer", "Dine mål"]:
        assert heading in text, f"the page has no {heading!r}: {text}"
    assert "Du har ikke fortalt os om dine mål endnu." in text, text
    assert "Sagsnummer: 2." in text and f"Planen er lavet {danish(today)}." in text, text
    # case 1's conversation is three days late: said so, plainly
    p1, _, _ = plan(1, "mette/tovholder")
    late = [m for m in p1["milestones"] if m["overdue"]]
    d = due_day(1, "samtale")
    assert late == [{"kind": "task", "department": {"id": "born-familie", "name": "Børn og Familie"}, "due": d,
                     "due_text": danish(d), "overdue": True,
                     "text": f"Børn og Familie arbejder med din sag. Det skulle have været klar {danish(d)},"
                             " så det er forsinket."}], p1["milestones"]
    assert p1["milestones"][0] == late[0], "what is late comes first"
    # others who see the case get the same plan: PPR (a task on it), the receiving department
    for who in ["lars/worker", "bo/worker", "jonas/worker", "mette/lead"]:
        q, _, _ = plan(2, who)
        assert q == p, (who, q)


def goals_escaped():
    """the goals in the citizen's own words with their theme; markup in them is only text"""
    sql("INSERT INTO goal (case_id, key, text, theme) VALUES"
        " (2, 'maal-1', 'Jeg vil bo for mig selv med en ven.', 'bolig'),"
        f" (2, 'maal-2', $t${NASTY}$t$, 'sociale-forhold'),"
        " (2, 'maal-3', 'At få en hund', NULL), (2, 'maal-4', 'Køre knallert', 'fritid-og-sport')")
    p, text, page = plan(2, "mette/tovholder")
    assert p["goals"] == [
        {"theme": "bolig", "theme_text": "Bolig", "text": "Jeg vil bo for mig selv med en ven."},
        {"theme": "sociale-forhold", "theme_text": "Dit liv med andre", "text": NASTY},
        {"theme": None, "theme_text": None, "text": "At få en hund"},
        {"theme": "fritid-og-sport", "theme_text": "Fritid og sport", "text": "Køre knallert"},
    ], p["goals"]
    escaped = "&lt;script&gt;alert(&quot;hej&quot;)&lt;/script&gt; &amp; &#39;mor&#39; &lt;b&gt;fed&lt;/b&gt;"
    assert f"<li><strong>Dit liv med andre:</strong> {escaped}</li>" in page.text, page.text
    assert "<script" not in page.text and "<b>" not in page.text, page.text
    assert "Bolig: Jeg vil bo for mig selv med en ven." in text and "Fritid og sport: Køre knallert" in text, text
    assert "<li>At få en hund</li>" in page.text, page.text
    # the helper itself: the five characters, control characters dropped, NULL kept
    got = sql("SELECT api_html_escape('a<b>&\"c\" ''d''' || chr(1) || chr(31) || chr(9) || 'e')"
              " || '|' || coalesce(api_html_escape(NULL), 'null')")
    assert got == "a&lt;b&gt;&amp;&quot;c&quot; &#39;d&#39;\te|null", got
    # a name and an e-mail address with markup in them are text too
    sql("UPDATE staff SET email = 'mette@kommune.dk' WHERE id = 'mette'")
    sql("UPDATE department SET name = 'Børn & <Familie>' WHERE id = 'born-familie'")
    try:
        p, text, page = plan(2, "mette/tovholder")
        assert p["tovholder"]["email"] == "mette@kommune.dk", p["tovholder"]
        assert '<a href="mailto:mette@kommune.dk">mette@kommune.dk</a>' in page.text, page.text
        assert "Mette Madsen fra Børn &amp; &lt;Familie&gt;." in page.text, page.text
        assert "<Familie>" not in page.text
    finally:
        sql("UPDATE department SET name = 'Børn og Familie' WHERE id = 'born-familie'")


def tovholder_away():
    """the tovholder absent or inactive: the department to contact instead, and saying so"""
    for status in ["absent", "inactive"]:
        sql(f"UPDATE staff SET status = '{status}' WHERE id = 'jonas'")
        p, text, _ = plan(3, "mette/lead")
        assert p["tovholder"] == {
            "available": False, "name": None, "email": None,
            "department": {"id": "born-familie", "name": "Børn og Familie"},
            "text": "Din tovholder er ikke på arbejde lige nu. Kontakt Børn og Familie i stedet, så hjælper de dig."
                    " De sørger også for, at du får en tovholder igen."}, (status, p["tovholder"])
        assert "Jonas Jensen" not in text, text
        sql("UPDATE staff SET status = 'active' WHERE id = 'jonas'")
    wait_drained()  # the workflow's task to pick a new tovholder: a date, not its title
    p, text, _ = plan(3, "jonas/tovholder")
    assert p["tovholder"]["available"] and p["tovholder"]["name"] == "Jonas Jensen", p
    assert [m["department"]["id"] for m in p["milestones"]].count("born-familie") == 2, p["milestones"]


def overdragelse():
    """the middle phase: the handover's text, and what follows it"""
    # The test workflow passes through 'overdragelse' within the step that accepts the
    # handover; a case is held there the way the engine would leave it.
    sql("UPDATE cases SET phase = 'overdragelse' WHERE id = 2")
    p, text, _ = plan(2, "mette/tovholder")
    assert p["now"] == {"phase": "overdragelse", "text": TEXT["overdragelse"]}, p
    assert p["next"] == [{"phase": "voksen", "text": TEXT["voksen"]}], p
    assert "Det sker nu " + TEXT["overdragelse"] in text and "Det sker bagefter " + TEXT["voksen"] in text, text
    sql("UPDATE cases SET phase = 'afdaekning' WHERE id = 2")


def timer_and_no_tovholder():
    """a timer is a date without its name; a case without a tovholder yet says so"""
    sql("INSERT INTO event (case_id, type, source, idem_key, timer_key, due_at)"
        " VALUES (2, 'signal', 'timer', 'plan-test', 'opfoelgning', '2031-03-01 00:00+00')")
    p, text, _ = plan(2, "mette/tovholder")
    assert p["milestones"][-1] == {"kind": "timer", "department": None, "due": "2031-03-01",
                                   "due_text": "1. marts 2031", "overdue": False,
                                   "text": "Vi kigger på din sag igen den 1. marts 2031."}, p["milestones"]
    assert "opfoelgning" not in text
    sql("INSERT INTO cases (id, citizen_id, workflow_name, workflow_version, phase)"
        " VALUES (50, 3, 'api-test', 1, 'afdaekning');"
        "INSERT INTO case_grant (case_id, staff_id, granted_by, reason) VALUES (50, 'mette', 'test', 'test')")
    p, text, _ = plan(50, "mette/lead")
    assert p["tovholder"] == {"available": False, "name": None, "email": None, "department": None,
                              "text": "Du har ikke fået en tovholder endnu. Du får besked, så snart vi ved,"
                                      " hvem det bliver."}, p["tovholder"]
    sql("UPDATE cases SET tovholder_department = 'ppr' WHERE id = 50")
    p, text, _ = plan(50, "mette/lead")
    assert p["tovholder"]["text"] == "Du har ikke fået en tovholder endnu. Kontakt PPR, hvis du har spørgsmål.", p


def voksen():
    """the last phase, reached through the API: Voksenhandicap accepts; their tovholder"""
    h = int(sql("SELECT id FROM task WHERE case_id = 1 AND key = 'overdragelse'"))
    expect(call("POST", f"/v1/handovers/{h}/accept", "ayse/lead",
                headers={"If-Match": '"' + sql(f"SELECT revision FROM task WHERE id = {h}") + '"'}), 200)
    wait_drained()
    holder = sql("SELECT tovholder FROM cases WHERE id = 1")
    name = sql(f"SELECT name FROM staff WHERE id = '{holder}'")
    p, text, _ = plan(1, "bo/worker")
    assert p["now"] == {"phase": "voksen", "text": TEXT["voksen"]}, p
    assert p["next"] == [], p
    assert p["tovholder"]["available"] and p["tovholder"]["name"] == name, p
    assert p["tovholder"]["department"] == {"id": "voksenhandicap", "name": "Voksenhandicap"}, p
    assert f"Din tovholder er {name} fra Voksenhandicap." in text, text
    assert "Der kommer ikke flere skridt i din plan efter det, der sker nu." in text, text
    assert all(m["kind"] == "task" for m in p["milestones"]), "the accepted handover waits for nothing"


def closed():
    """a closed case: what happened, and nothing ahead"""
    sql("UPDATE cases SET status = 'closed', closed_at = now() WHERE id = 3")
    p, text, _ = plan(3, "jonas/tovholder")
    assert p["status"] == "closed" and p["next"] == [] and p["milestones"] == [], p
    assert "Din sag er lukket nu." in text and "Det sker bagefter" not in text, text


def refused():
    """a case not seen is 404 on both, like one that does not exist; other roles 403; no log"""
    mark = log_max()
    for path in ["/v1/cases/1/plan", "/v1/cases/1/plan.html"]:
        for who, p in [("jens/lead", path), ("admin/administrator", path), ("lars/worker", path.replace("/1/", "/99999/")),
                       ("mette/tovholder", path.replace("/1/", "/abc/"))]:
            r = expect_problem(call("GET", p, who), 404, "not-found", f"{who} {p}")
            no_person_data(r, p)
        for who in ["chef/manager", "revisor/auditor"]:
            no_person_data(expect_problem(call("GET", path, who), 403, "forbidden", who), path)
        expect_problem(call("GET", path), 401, "unauthorized", "no token")
        expect_problem(call("GET", path + "?x=1", "mette/tovholder"), 400, "unknown-parameter")
        r = expect(call("POST", path, "mette/tovholder"), 405, "POST " + path)
        assert "GET" in r.headers.get("allow", ""), r.headers
    assert logged_since(mark) == [], "a refused request wrote the access log"


def purpose_logged():
    """the purpose given is the reason in the access log, for the JSON and the page alike"""
    plan(2, "jonas/worker", purpose="Planen udleveres til den unge og foraeldrene")


def documented():
    """OpenAPI describes both: JSON with its schema, the page as text/html"""
    doc = openapi()
    j = doc["paths"]["/v1/cases/{id}/plan"]["get"]
    h = doc["paths"]["/v1/cases/{id}/plan.html"]["get"]
    assert j["operationId"] == "plan" and h["operationId"] == "plan_html"
    for op in (j, h):
        assert op["x-roles"] == ["tovholder", "worker", "lead", "administrator"], op
        assert {"200", "400", "401", "403", "404"} <= set(op["responses"]), op["responses"]
    assert list(j["responses"]["200"]["content"]) == ["application/json"]
    assert list(h["responses"]["200"]["content"]) == ["text/html"]


main([strict_checker_works, documented, afdaekning, goals_escaped, tovholder_away, overdragelse,
      timer_and_no_tovholder, voksen,
      purpose_logged, closed, refused])
