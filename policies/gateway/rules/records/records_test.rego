# METADATA
# title: Tests of the records and safeguards rules
package gateway.rules.records_test

import data.gateway.rules.records
import data.gateway.testkit_test as tk

test_allow_p3_1_accounting_always if {
	records.obligations == {"ACCOUNTING_RECORD"}
	tk.decide(tk.fbi_i2).obligations == ["ACCOUNTING_RECORD"]
}

test_deny_p4_1_safeguards_none if {
	request := tk.patched(tk.fbi_i2, [tk.set("/requester/safeguards_status", "NONE")])
	tk.decide(request) == tk.expect(
		"DENY", ["6103-P4-1:D", "GW-6:D"],
		[tk.denied("TP-1001", ["GW-11:OBL"], ["GW-11:OBL"])],
	)
}
