# METADATA
# title: Test kit
# description: >-
#   Fixtures (the JSON examples under policies/examples, also used by the
#   Python tests), input builders for the scenarios, and summary(), which
#   projects a decision onto what the scenario tests assert: every outcome,
#   release year, redaction list and the rule id and outcome of every finding
#   ("RULE:D|HR|AWR|A|OBL"). Citations and messages are pinned by the
#   whole-object tests in gateway/decision_test.rego.
package gateway.testkit_test

# METADATA
# title: F-FBI-I2, a valid §6103(i)(2) request (POLICY_MODEL.md §4.1)
fbi_i2 := data.examples["f-fbi-i2"]

# METADATA
# title: F-FBI-I1, a valid §6103(i)(1) ex parte order
fbi_i1 := data.examples["f-fbi-i1"]

# METADATA
# title: F-ICE-1253, the ICE immigration-criminal request
ice_1253 := data.examples["f-ice-1253"]

# METADATA
# title: Short codes for finding outcomes
_short := {
	"DENY": "D",
	"REQUIRE_HUMAN_REVIEW": "HR",
	"ALLOW_WITH_REDACTION": "AWR",
	"ALLOW": "A",
	"OBLIGATION": "OBL",
}

# METADATA
# title: A finding as "RULE:OUTCOME"
code(f) := sprintf("%s:%s", [f.rule, _short[f.outcome]])

# METADATA
# title: Decision projected onto what scenario tests assert
summary(d) := {
	"outcome": d.outcome,
	"reasons": [code(f) | some f in d.reasons],
	"subjects": [{
		"ref": s.ref,
		"outcome": s.outcome,
		"release_tax_year": s.release_tax_year,
		"redacted": s.redacted,
		"findings": [code(f) | some f in s.findings],
		"reasons": [code(f) | some f in s.reasons],
	} |
		some s in d.subjects
	],
	"obligations": d.obligations,
}

# METADATA
# title: Summary of the decision for a request (its facts made from its raw fields)
decide(request) := result if {
	result := summary(data.gateway.decision) with input as with_facts(request) with data.registry.court_orders as court_orders
}

# METADATA
# title: Summary of the decision for a request taken as it is (facts included)
decide_as_is(request) := result if {
	result := summary(data.gateway.decision) with input as request with data.registry.court_orders as court_orders
}

# METADATA
# title: Summary of the decision for a request under the given court orders
decide_with_orders(request, orders) := result if {
	result := summary(data.gateway.decision) with input as with_facts(request) with data.registry.court_orders as orders
}

# METADATA
# title: The request with the gateway's facts made from its raw fields
# description: >-
#   What gateway/facts does for the spellings these tests use: a statute already written
#   as a canonical U.S.C. citation, an agency name written as a registry id or alias.
#   Other spellings are the Python tests' job (tests/unit/facts); a test that needs a
#   particular fact sets it and decides with decide_as_is.
with_facts(doc) := json.patch(doc, array.concat(_recipient_fact_ops(doc), _purpose_fact_ops(doc)))

# METADATA
# title: Patch operations that set each recipient's employer fact
_recipient_fact_ops(doc) := [{"op": "add", "path": sprintf("/requester/recipients/%d/employer", [i]), "value": agency_fact(r.employer_agency)} |
	some i, r in doc.requester.recipients
	is_object(r)
]

# METADATA
# title: Patch operations that set the purpose's statute and onward-sharing facts
_purpose_fact_ops(doc) := [op |
	some [field, raw, make] in [
		["statutes", "statutes_cited", "statute"],
		["onward_sharing", "onward_sharing_to", "agency"],
	]
	is_object(doc.purpose)
	is_array(doc.purpose[raw])
	op := {"op": "add", "path": sprintf("/purpose/%s", [field]), "value": [_fact(make, x) | some x in doc.purpose[raw]]}
]

# METADATA
# scope: document
# title: A fact of the given kind
_fact("statute", text) := statute_fact(text)

_fact("agency", text) := agency_fact(text)

# METADATA
# title: The statute fact of a canonical U.S.C. citation ("8 U.S.C. 1253(a)(1)"), or an unparsed one
statute_fact(text) := {
	"text": text,
	"citation": lookup[0],
	"title": to_number(m[1]),
	"code": "U.S.C.",
	"section": section,
	"subsections": subs,
	"lookup": lookup,
	"immigration_title": m[1] == "8",
} if {
	m := regex.find_all_string_submatch_n(`^(\d+) U\.S\.C\. ([0-9a-zA-Z-]+)((?:\([a-zA-Z0-9]+\))*)$`, text, 1)[0]
	section := lower(m[2])
	subs := [lower(x[1]) | some x in regex.find_all_string_submatch_n(`\(([a-zA-Z0-9]+)\)`, m[3], -1)]
	lookup := [concat("", array.concat([m[1], " U.S.C. ", section], [sprintf("(%s)", [x]) | some x in array.slice(subs, 0, n)])) |
		some k in numbers.range(0, count(subs))
		n := count(subs) - k
	]
} else := {
	"text": text, "citation": citation, "title": null, "code": m[1], "section": m[2],
	"subsections": [], "lookup": [citation], "immigration_title": false,
} if {
	# another code's citation: capitals, no periods or commas ("CAL REV & TAX CODE 19087")
	flat := trim_space(regex.replace(upper(regex.replace(text, `[.,]`, " ")), ` +`, " "))
	m := regex.find_all_string_submatch_n(`^(.* CODE(?: [A-Z &'-]+?)?) ([0-9][0-9a-zA-Z-]*)$`, flat, 1)[0]
	citation := concat(" ", [m[1], lower(m[2])])
} else := {
	"text": text, "citation": null, "title": null, "code": null, "section": null,
	"subsections": [], "lookup": [], "immigration_title": false,
}

# METADATA
# title: The agency fact of a name written as a registry id or alias (case ignored)
agency_fact(text) := {"text": text, "resolved": entity, "mentions": [entity]} if {
	entity := _entity(upper(text))
} else := {"text": text, "resolved": null, "mentions": []}

# METADATA
# title: The registry entity an upper-case id or alias designates
_entity(name) := {"kind": "AGENCY", "id": name} if {
	data.registry.agencies[name]
} else := {"kind": "DEPARTMENT", "id": name} if {
	data.registry.departments[name]
} else := {"kind": "AGENCY", "id": id} if {
	some id, entry in data.registry.agencies
	name in {upper(a) | some a in entry.aliases}
} else := {"kind": "DEPARTMENT", "id": id} if {
	some id, entry in data.registry.departments
	name in {upper(a) | some a in entry.aliases}
}

# METADATA
# title: Expected summary of a subject
subject(ref, outcome, year, redacted, findings, reasons) := {
	"ref": ref,
	"outcome": outcome,
	"release_tax_year": year,
	"redacted": redacted,
	"findings": findings,
	"reasons": reasons,
}

# METADATA
# title: A denied subject that requested only the address
denied(ref, findings, reasons) := subject(ref, "DENY", null, ["LAST_KNOWN_ADDRESS"], findings, reasons)

# METADATA
# title: Expected summary of a decision
expect(outcome, reasons, subjects) := {
	"outcome": outcome,
	"reasons": reasons,
	"subjects": subjects,
	"obligations": ["ACCOUNTING_RECORD"],
}

# METADATA
# title: A JSON patch "replace" operation
set(path, value) := {"op": "replace", "path": path, "value": value}

# METADATA
# title: A fixture with some values replaced
patched(doc, ops) := json.patch(doc, ops)

# METADATA
# title: The first taxpayer of a fixture with some values replaced
taxpayer(doc, ops) := json.patch(doc.taxpayers[0], ops)

# METADATA
# title: A batch of n distinct taxpayers modelled on the fixture's first one
# description: >-
#   Each gets its own ref, TIN and last name; the specific reason is the
#   template with "%d" replaced by the entry's number (or the template itself
#   when it has no "%d", to make boilerplate).
batch(doc, n, reason) := [json.patch(doc.taxpayers[0], [
	set("/ref", sprintf("TP-%06d", [k])),
	set("/supplied/tin", tin(k)),
	set("/supplied/name/last", sprintf("Person%06d", [k])),
	set("/record/tin", tin(k)),
	set("/specific_reason", fill(reason, k)),
]) |
	some k in numbers.range(1, n)
]

# METADATA
# title: A distinct, ITIN-shaped TIN for entry k
tin(k) := sprintf("%s-%s-%s", [substring(digits, 0, 3), substring(digits, 3, 2), substring(digits, 5, 4)]) if {
	digits := sprintf("9%08d", [k])
}

# METADATA
# title: Template with "%d" replaced by k
fill(template, k) := sprintf(template, [k]) if {
	contains(template, "%d")
} else := template

# METADATA
# title: A request for a batch of taxpayers
with_taxpayers(doc, taxpayers) := patched(doc, [
	set("/taxpayers", taxpayers),
	set("/bulk_count", count(taxpayers)),
])

# METADATA
# title: A fixture sent by another registered agency and official, as the gateway would build it
as_agency(doc, agency_id, official_id) := patched(doc, [
	set("/requester/agency_id", agency_id),
	set("/requester/agency", agency.department),
	set("/requester/agency_name", agency.name),
	set("/requester/component", agency.component),
	set("/requester/state", agency.state),
	set("/requester/safeguards_status", agency.safeguards_status),
	set("/requester/signer", signer(official_id)),
]) if {
	agency := data.registry.agencies[agency_id]
}

# METADATA
# title: The signer block of a registered official
signer(official_id) := {
	"official_id": official_id,
	"name": official.name,
	"title": official.title,
	"role": official.role,
	"acting": official.acting,
	"delegation_ref": null,
} if {
	official := data.registry.officials[official_id]
}

# METADATA
# title: Engaged employee recipients of a department with the given caseloads
recipients(department, caseloads) := [{
	"name": sprintf("Recipient %d", [k]),
	"title": "Investigator",
	"employer_agency": department,
	"is_employee": true,
	"personally_directly_engaged": true,
	"attested_open_caseload": caseload,
} |
	some k, caseload in caseloads
]

# METADATA
# title: Summary of the decision for a small batch, decided as the automatic threshold allows
# description: >-
#   For tests of rules other than GW-9a that need a few subjects at once (duplicates,
#   boilerplate, the most restrictive subject): the operator may set AUTO_BATCH_MAX
#   as low as 1, and such a batch would then also go to review for its size. The
#   threshold is raised to the batch size only when it is below it.
decide_small_batch(request) := result if {
	limit := max({data.params.AUTO_BATCH_MAX, count(request.taxpayers)})
	result := summary(data.gateway.decision) with input as with_facts(request)
		with data.registry.court_orders as court_orders
		with data.params.AUTO_BATCH_MAX as limit
}

# METADATA
# title: An RFC 3339 time the given number of days before the request's decision time
days_before_decision(request, days) := time.format([
	time.add_date(time.parse_rfc3339_ns(request.decision_time), 0, 0, 0 - days),
	"UTC", "2006-01-02T15:04:05Z07:00",
])

# METADATA
# title: A caseload the policy finds plausible whatever the operator's CASELOAD_REVIEW
plausible_caseload(n) := min({n, data.params.CASELOAD_REVIEW})
