# METADATA
# title: Gateway integrity rules (GW)
# description: >-
#   GW-1 to GW-10 of POLICY_MODEL.md §3.5.1: input well-formedness, identity,
#   replay, eligibility, basis, safeguards, accounting, minimum necessary, bulk
#   requests and record flags. GW-11 and GW-12 live in the decision package
#   and in the lib package, where the per-subject outcome and the clock are.
package gateway.rules.gw

import data.gateway.lib

# METADATA
# scope: document
# title: Parts of the input that are missing or malformed
# description: >-
#   The input must match the JSON Schema of the input contract
#   (policies/schema/input/data.json, data.schema.input): every key present,
#   well typed, null only where allowed, enums upper case. On top of the
#   schema: timestamps that parse, one entry per subject, and bulk_count equal
#   to the number of taxpayers. Each entry names the offending part; any entry
#   makes GW-1 deny.
malformed contains "input: missing or not an object" if not is_object(input)

malformed contains sprintf("%s: %s", [e.field, e.desc]) if {
	some e in _schema_errors
}

malformed contains "decision_time: not an RFC 3339 time" if not lib.now_ns

malformed contains "court_order: issued_at or expires_at not an RFC 3339 time" if {
	order := lib.court_order
	some ts in [order.issued_at, order.expires_at]
	ts != null
	not lib.parse_time(ts)
}

malformed contains "taxpayers: a ref is used twice" if {
	refs := [t.ref | some t in lib.taxpayers]
	count(refs) != count({r | some r in refs})
}

malformed contains "taxpayers: a subject is listed twice" if {
	keys := [k | some t in lib.taxpayers; k := _subject_key(t)]
	count(keys) != count({k | some k in keys})
}

malformed contains "purpose.statutes: not one fact per cited statute" if {
	count(lib.statute_facts) != count(object.get(lib.purpose, "statutes_cited", []))
}

malformed contains "purpose.onward_sharing: not one fact per onward recipient" if {
	count(lib.onward_facts) != count(object.get(lib.purpose, "onward_sharing_to", []))
}

malformed contains "bulk_count: not the number of taxpayers" if {
	not input.bulk_count == count(lib.taxpayers)
}

# METADATA
# title: Where the input departs from the JSON Schema of the contract
# description: >-
#   None when the gateway's PDP client already validated this input against
#   this very schema (input.schema_checked is the digest of the schema it
#   used, which it read from this OPA: gateway/pdp/opa.py). Compiling the
#   schema cost every decision more than the rest of the policy; an input
#   the client did not check, or checked against another schema (a replay on
#   a candidate policy, a test), is checked here.
_schema_errors := [] if {
	checked := input.schema_checked
	checked == schema_digest
} else := json.match_schema(input, data.schema.input)[1]

# METADATA
# title: Digest of the input schema this policy enforces
# description: >-
#   SHA-256 of data.schema.input as OPA serialises it, kept in
#   schema/digests/data.json: computing it here cost every decision a fifth
#   of its allocations. A test requires it to be the digest of the schema
#   (so a revision whose schema changed without it is refused at
#   activation); the PDP client reads it with the schema and names it in
#   input.schema_checked.
schema_digest := data.schema.digests.input

# METADATA
# title: Identity of a subject, to find one person listed twice
# description: >-
#   The supplied TIN (digits only) when there is one, else the supplied name
#   and street address, normalised.
_subject_key(t) := ["TIN", regex.replace(t.supplied.tin, `[^0-9]`, "")] if {
	lib.filled(t.supplied.tin)
} else := key if {
	name := t.supplied.name
	address := t.supplied.address
	key := [
		"NAME_ADDRESS", lib.squash(name.first), lib.squash(name.last),
		lib.squash(address.line1), lib.squash(address.zip),
	]
}
