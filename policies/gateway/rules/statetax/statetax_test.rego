# METADATA
# title: Tests of the §6103(d) rules
package gateway.rules.statetax_test

import data.gateway.testkit_test as tk

_denied := [tk.denied("TP-1001", ["6103-A:D", "GW-11:OBL"], ["6103-A:D", "GW-11:OBL"])]

test_allow_d_1_texas_comptroller if {
	request := tk.as_agency(tk.ca_ftb, "TX-CPA", "tx-comptroller")
	tk.decide(request) == tk.expect("ALLOW", [], [tk.subject("TP-1001", "ALLOW", 2024, [], ["6103-D-1:A"], ["6103-D-1:A"])])
}

test_deny_d_1_signer_not_head if {
	request := tk.patched(tk.ca_ftb, [tk.set("/requester/signer/role", "OTHER")])
	decision := tk.decide(request) with data.registry.officials["ca-ftb-executive-officer"].role as "OTHER"
	decision == tk.expect("DENY", [], _denied)
}

test_deny_d_1_governor_as_recipient if {
	request := tk.patched(tk.ca_ftb, [tk.set("/requester/recipients/0/title", "Governor of California")])
	tk.decide(request) == tk.expect("DENY", [], _denied)
}

test_deny_d_1_no_designated_recipients if {
	every recipients in [[], [object.union(tk.ca_ftb.requester.recipients[0], {"is_employee": false})]] {
		request := tk.patched(tk.ca_ftb, [tk.set("/requester/recipients", recipients)])
		tk.decide(request) == tk.expect("DENY", [], _denied)
	}
}

test_deny_d_2_civil_use if {
	request := tk.patched(tk.ca_ftb, [tk.set("/purpose/downstream_civil_use", true)])
	tk.decide(request) == tk.expect("DENY", ["6103-D-2:D"], _denied)
}
