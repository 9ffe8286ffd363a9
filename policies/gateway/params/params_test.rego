# METADATA
# title: The operator's parameters are inside their documented ranges
# description: >-
#   data.params is operators' data: any value inside the ranges of
#   policies/schema/params/data.json (data.schema.params) passes the policy's
#   own tests, which read their thresholds from data.params. A value outside
#   them fails this test, so the gateway's reload check (opa test) refuses the
#   change and prints which parameter is out of range and why.
package gateway.params_test

# METADATA
# title: Schema errors of the parameters, one line each
_errors contains sprintf("data.params %s: %s", [e.field, e.desc]) if {
	some e in json.match_schema(data.params, data.schema.params)[1]
}

test_params_within_documented_ranges if {
	every line in _errors {
		print("parameter out of its documented range (policies/schema/params/data.json):", line)
	}
	count(_errors) == 0
}

# The guard itself: a value outside each range, and a misspelt key, are reported.
test_params_out_of_range_are_reported if {
	every change in [
		{"AUTO_BATCH_MAX": 0},
		{"AUTO_BATCH_MAX": 51},
		{"BULK_DENY_MIN": 1001},
		{"CASELOAD_REVIEW": 9},
		{"CASELOAD_DENY": 200},
		{"NAME_SCORE_PASS": 1},
		{"NAME_SCORE_FLOOR": 0.9},
		{"DUP_WINDOW_SECONDS": 60},
		{"ORDER_NO_EXPIRY_MAX_AGE_DAYS": 3651},
		{"ADDRESS_PLACEHOLDERS": []},
		{"ZIP_INVALID": ["0000"]},
		{"INJUNCTION_EFFECTIVE_TZ": "New York time"},
		{"TAINTED_DISCLOSURE_IDS": [" "]},
		{"AUTO_BATCH_MAXIMUM": 10},
	] {
		some key, _ in change
		some line in _errors with data.params as object.union(data.params, change)
		contains(line, key)
	}
}
