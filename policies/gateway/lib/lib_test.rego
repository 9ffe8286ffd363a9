# METADATA
# title: Tests of the shared helpers
package gateway.lib_test

import data.gateway.lib
import data.gateway.testkit_test as tk

test_allow_squash_ignores_case_spacing_and_punctuation if {
	lib.squash("  Don’t   care. ") == "DON T CARE"
	lib.squash_letters("Don't Care 12345") == lib.squash_letters("DON'T CARE")
	lib.squash_letters("N/A") == "N A"
}

test_allow_filled if {
	lib.filled("x")
	not lib.filled(" \t")
	not lib.filled(5)
}

test_allow_parse_time_rejects_malformed if {
	lib.parse_time("2026-03-02T15:00:00-05:00") == lib.parse_time("2026-03-02T20:00:00Z")
	not lib.parse_time("2026-03-02 15:00:00-05:00")
	not lib.parse_time("2026-02-30T15:00:00-05:00")
	not lib.parse_date("2026-02-30")
	lib.parse_date("2024-03-01") == lib.parse_time("2024-03-01T00:00:00Z")
}

test_allow_sorted_findings_by_rule_id if {
	fs := {{"rule": "GW-11"}, {"rule": "6103-I2-3"}, {"rule": "6103-A"}, {"rule": "6103-I2-10"}}
	[f.rule | some f in lib.sorted_findings(fs)] == ["6103-A", "6103-I2-10", "6103-I2-3", "GW-11"]
}

test_allow_worst_rank if {
	lib.worst_rank(set()) == 0
	lib.worst_rank({{"outcome": "OBLIGATION"}, {"outcome": "ALLOW_WITH_REDACTION"}}) == 1
	lib.worst_rank({{"outcome": "REQUIRE_HUMAN_REVIEW"}, {"outcome": "DENY"}}) == 3
}

test_allow_repeated_reasons_normalised if {
	taxpayers := [
		{"specific_reason": "Seen at the branch."},
		{"specific_reason": "seen at  the branch"},
		{"specific_reason": "Paid the driver."},
		{"specific_reason": ""},
	]
	lib.repeated_reasons == {"SEEN AT THE BRANCH"} with input.taxpayers as taxpayers
	not lib.reasons_individualized with input.taxpayers as taxpayers
	lib.reasons_individualized with input.taxpayers as [taxpayers[0], taxpayers[2]]
}

test_allow_accessors_total_for_missing_input if {
	lib.taxpayers == []
	lib.requester == {}
	lib.basis == "NONE"
	lib.department == "UNKNOWN"
	lib.onward_sharing == ["<malformed onward_sharing_to>"]
	not lib.now_ns
}

test_allow_registry_department if {
	lib.department == "DOJ" with input as tk.with_facts(tk.fbi_i2) with data.registry.court_orders as tk.court_orders
	lib.federal with input as tk.with_facts(tk.fbi_i2) with data.registry.court_orders as tk.court_orders
	not lib.federal with input as tk.with_facts(tk.ca_ftb) with data.registry.court_orders as tk.court_orders
}
