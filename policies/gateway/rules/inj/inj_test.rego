# METADATA
# title: Tests of the injunction rules
package gateway.rules.inj_test

import data.gateway.rules.inj
import data.gateway.testkit_test as tk

_ice_denied := [tk.denied("TP-4004", ["GW-11:OBL"], ["GW-11:OBL"])]

_fbi_denied := [tk.denied("TP-1001", ["GW-11:OBL"], ["GW-11:OBL"])]

_ice_review := [tk.subject("TP-4004", "REQUIRE_HUMAN_REVIEW", 2024, [], [], [])]

test_review_inj0_interim_order_for_dhs if {
	request := tk.patched(tk.ice_1253, [tk.set("/decision_time", "2025-10-15T12:00:00-04:00")])
	tk.decide(request) == {
		"outcome": "REQUIRE_HUMAN_REVIEW",
		"reasons": ["6103-I2-2:HR", "DHS-IMM-REVIEW:HR", "INJ-0:HR"],
		"subjects": _ice_review,
		"obligations": ["ACCOUNTING_RECORD", "COURT_NOTICE"],
	}
}

# GW-12: the preliminary injunction binds from 00:00 New York time on the order date.
test_deny_inj1_from_midnight_on_order_date if {
	at_midnight := tk.patched(tk.ice_1253, [tk.set("/decision_time", "2025-11-21T05:00:00Z")])
	tk.decide(at_midnight) == tk.expect("DENY", ["6103-I2-2:HR", "INJ-1:D"], _ice_denied)
	before := tk.patched(tk.ice_1253, [tk.set("/decision_time", "2025-11-21T04:59:59Z")])
	tk.decide(before) == {
		"outcome": "REQUIRE_HUMAN_REVIEW",
		"reasons": ["6103-I2-2:HR", "DHS-IMM-REVIEW:HR", "INJ-0:HR"],
		"subjects": _ice_review,
		"obligations": ["ACCOUNTING_RECORD", "COURT_NOTICE"],
	}
}

# GW-12: decision_time, not received_at, decides.
test_deny_inj1_decision_time_not_received_at if {
	request := tk.patched(tk.ice_1253, [tk.set("/received_at", "2025-10-01T09:00:00-04:00")])
	tk.decide(request) == tk.expect("DENY", ["6103-I2-2:HR", "INJ-1:D", "INJ-4:D"], _ice_denied)
}

# Adversarial look-alikes: DHS written in other ways.
test_deny_inj1_onward_sharing_to_dhs_look_alikes if {
	every onward in [
		"dhs", "ICE ERO", "DHS-ICE", "Dept. of Homeland Security", "DHS/ICE", "ice_hsi",
		"U.S. Customs and Border Protection", "DHS-CBP",
	] {
		request := tk.patched(tk.fbi_i2, [
			tk.set("/purpose/downstream_civil_use", true),
			tk.set("/purpose/onward_sharing_to", [onward]),
		])
		decision := tk.decide(request)
		decision.outcome == "DENY"
		"INJ-1:D" in decision.reasons
	}
}

test_allow_inj1_non_dhs_onward_names if {
	every onward in ["USAO", "Department of Justice", "STATE_LE"] {
		request := tk.patched(tk.fbi_i2, [tk.set("/purpose/onward_sharing_to", [onward])])
		tk.decide(request).reasons == ["6103-I2-8:D"]
	}
}

# A name the registry does not resolve goes to a person; "NICE" does not contain the word ICE.
test_review_gw14_unresolved_onward_name_is_not_dhs if {
	request := tk.patched(tk.fbi_i2, [tk.set("/purpose/onward_sharing_to", ["NICE County Police"])])
	tk.decide(request).reasons == ["6103-I2-8:D", "GW-14:HR"]
}

test_deny_inj1_dhs_recipient_immigration_statute if {
	request := tk.patched(tk.fbi_i2, [
		tk.set("/purpose/statutes_cited", ["8 U.S.C. 1326"]),
		tk.set("/requester/recipients/1/employer_agency", "DHS"),
	])
	tk.decide(request).reasons == ["6103-I2-7:D", "INJ-1:D"]
}

test_review_inj2_dhs_non_immigration if {
	request := tk.patched(tk.as_agency(tk.fbi_i2, "DHS-CBP", "dhs-secretary"), [
		tk.set("/requester/recipients", tk.recipients("DHS", [3])),
	])
	tk.decide(request) == tk.expect(
		"REQUIRE_HUMAN_REVIEW", ["INJ-2:HR"],
		[tk.subject("TP-1001", "REQUIRE_HUMAN_REVIEW", 2024, [], [], [])],
	)
}

test_review_inj3_dhs_with_valid_ex_parte_order if {
	request := tk.patched(tk.as_agency(tk.fbi_i1, "DHS-CBP", "cbp-commissioner"), [
		tk.set("/requester/recipients", [
			object.union(tk.fbi_i1.requester.recipients[0], {"employer_agency": "DHS"}),
			object.union(tk.fbi_i1.requester.recipients[1], {"employer_agency": "DHS"}),
		]),
	])
	tk.decide(request) == {
		"outcome": "REQUIRE_HUMAN_REVIEW",
		"reasons": ["INJ-3:HR"],
		"subjects": [tk.subject("TP-2002", "REQUIRE_HUMAN_REVIEW", 2024, [], [], [])],
		"obligations": ["ACCOUNTING_RECORD", "COURT_NOTICE"],
	}
}

test_deny_inj4_mou_invoked_by_non_dhs if {
	request := tk.patched(tk.fbi_i2, [tk.set("/invokes_irs_dhs_mou", true)])
	tk.decide(request) == tk.expect("DENY", ["INJ-4:D"], _fbi_denied)
}

test_review_inj5_immigration_crime_by_non_dhs if {
	request := tk.patched(tk.as_agency(tk.ice_1253, "DOJ-USAO", "usao-md-us-attorney"), [
		tk.set("/invokes_irs_dhs_mou", false),
		tk.set("/requester/recipients", tk.recipients("DOJ", [4])),
	])
	tk.decide(request) == tk.expect("REQUIRE_HUMAN_REVIEW", ["INJ-5:HR"], _ice_review)
}

test_review_inj6_vacated_injunctions_reported if {
	orders := tk.vacated(["CTR-PI", "CEDC-PI"], "2026-03-01T12:00:00-05:00")
	some f in data.gateway.decision.reasons with input as tk.with_facts(tk.ice_1253) with data.registry.court_orders as orders
	f.rule == "INJ-6"
	f.message == "Injunction CEDC-PI not in force as of 2026-03-01T12:00:00-05:00 per CEDC-PI: order vacated, docket entry 212."
}

test_deny_inj6_vacatur_not_yet_effective if {
	orders := tk.vacated(["CTR-PI", "CEDC-PI"], "2026-03-03T00:00:00-05:00")
	decision := tk.decide_with_orders(tk.ice_1253, orders)
	decision == tk.expect("DENY", ["6103-I2-2:HR", "INJ-1:D", "INJ-4:D"], _ice_denied)
}

test_deny_inj6_status_change_without_docket_cite if {
	orders := json.patch(tk.vacated(["CTR-PI"], "2026-03-01T12:00:00-05:00"), [tk.set("/CTR-PI/status_ref", null)])
	decision := tk.decide_with_orders(tk.ice_1253, orders)
	decision == tk.expect("DENY", ["6103-I2-2:HR", "INJ-1:D", "INJ-4:D"], _ice_denied)
}

test_deny_inj6_stayed_injunction_other_still_applies if {
	orders := json.patch(tk.vacated(["CTR-PI"], "2026-03-01T12:00:00-05:00"), [tk.set("/CTR-PI/status", "STAYED")])
	decision := tk.decide_with_orders(tk.ice_1253, orders)
	decision == tk.expect("DENY", ["6103-I2-2:HR", "INJ-4:D", "INJ-6:A"], _ice_denied)
}

# Adversarial look-alike: the id written in lower case with spaces for its punctuation.
test_deny_inj7_prior_ice_dataset if {
	every id in data.params.TAINTED_DISCLOSURE_IDS {
		spaced := lower(regex.replace(id, `[^A-Za-z0-9]+`, " "))
		every ops in [
			[tk.set("/purpose/relates_to_prior_disclosure_id", id)],
			[tk.set("/purpose/description", sprintf("Verify and refresh addresses of the %s dataset.", [spaced]))],
		] {
			tk.decide(tk.patched(tk.fbi_i2, ops)) == tk.expect("DENY", ["INJ-7:D"], _fbi_denied)
		}
	}
}

test_allow_inj_in_force_reads_registry if {
	inj.in_force("CTR-PI") with input as tk.with_facts(tk.fbi_i2) with data.registry.court_orders as tk.court_orders
	inj.in_force("CEDC-PI") with input as tk.with_facts(tk.fbi_i2) with data.registry.court_orders as tk.court_orders
	not inj.in_force("CTR-INTERIM") with input as tk.with_facts(tk.fbi_i2) with data.registry.court_orders as tk.court_orders
	not inj.in_force("NO-SUCH-ORDER") with input as tk.with_facts(tk.fbi_i2) with data.registry.court_orders as tk.court_orders
}

test_deny_inj4_mou_as_basis if {
	request := tk.patched(tk.fbi_i2, [tk.set("/legal_basis", "MOU_IRS_DHS_2025")])
	tk.decide(request) == tk.expect(
		"DENY", ["GW-5:D", "INJ-4:D"],
		[tk.denied("TP-1001", ["6103-A:D", "GW-11:OBL"], ["6103-A:D", "GW-11:OBL"])],
	)
}

test_deny_inj1_mou_basis_makes_dhs_request_immigration_related if {
	request := tk.patched(tk.as_agency(tk.fbi_i2, "DHS-CBP", "dhs-secretary"), [
		tk.set("/legal_basis", "MOU_IRS_DHS_2025"),
		tk.set("/requester/recipients", tk.recipients("DHS", [3])),
	])
	tk.decide(request).reasons == ["GW-5:D", "INJ-1:D", "INJ-4:D"]
}

test_deny_inj1_mou_makes_dhs_request_immigration_related if {
	request := tk.patched(tk.as_agency(tk.fbi_i2, "DHS-CBP", "dhs-secretary"), [
		tk.set("/invokes_irs_dhs_mou", true),
		tk.set("/requester/recipients", tk.recipients("DHS", [3])),
	])
	tk.decide(request).reasons == ["INJ-1:D", "INJ-4:D"]
}

# Adversarial look-alikes: an unregistered DHS look-alike is still treated as DHS.
test_deny_inj1_unregistered_dhs_look_alikes if {
	every requester in [
		{"agency_id": "DHS-ICE-X", "agency": "DHS", "component": "NONE"},
		{"agency_id": "ICE-FIELD-OFFICE", "agency": "UNKNOWN", "component": "ICE_ERO"},
	] {
		request := tk.patched(tk.ice_1253, [tk.set("/requester", object.union(tk.ice_1253.requester, requester))])
		decision := tk.decide(request)
		decision.outcome == "DENY"
		"INJ-1:D" in decision.reasons
		"INJ-4:D" in decision.reasons
		"GW-4:D" in decision.reasons
	}
}

test_deny_inj1_registry_id_of_dhs_component if {
	agencies := object.union(data.registry.agencies, {"BORDER-TASK-FORCE": object.union(data.registry.agencies["DHS-CBP"], {"id": "BORDER-TASK-FORCE"})})
	request := tk.patched(tk.fbi_i2, [
		tk.set("/purpose/downstream_civil_use", true),
		tk.set("/purpose/onward_sharing_to", ["border-task-force"]),
	])
	decision := tk.decide(request) with data.registry.agencies as agencies
	decision.reasons == ["6103-I2-8:D", "INJ-1:D"]
}

test_review_dhs_imm_review_immigration_statute_after_vacatur if {
	orders := tk.vacated(["CTR-PI", "CEDC-PI"], "2026-03-01T12:00:00-05:00")
	request := tk.patched(tk.as_agency(tk.fbi_i2, "DHS-CBP", "dhs-secretary"), [
		tk.set("/purpose/statutes_cited", ["8 U.S.C. 1326"]),
		tk.set("/requester/recipients", tk.recipients("DHS", [3])),
	])
	decision := tk.decide_with_orders(request, orders)
	decision.reasons == ["DHS-IMM-REVIEW:HR", "INJ-6:A", "INJ-6:A"]
	decision.outcome == "REQUIRE_HUMAN_REVIEW"
}
