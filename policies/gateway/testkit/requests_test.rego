package gateway.testkit_test

# METADATA
# title: The court-order registry with some orders vacated
vacated(ids, when) := object.union(court_orders, {id: entry |
	some id in ids
	entry := object.union(court_orders[id], {
		"status": "VACATED",
		"status_effective": when,
		"status_ref": sprintf("%s: order vacated, docket entry 212", [id]),
	})
})

# METADATA
# title: A purpose block
purpose(category, nature, statutes, case_no, description) := {
	"category": category,
	"enforcement_nature": nature,
	"statutes_cited": statutes,
	"case_or_proceeding_no": case_no,
	"description": description,
	"downstream_civil_use": false,
	"onward_sharing_to": [],
	"relates_to_prior_disclosure_id": null,
	"claim_reference": null,
}

# METADATA
# title: S16, California Franchise Tax Board under (d), nonfiler case
ca_ftb := patched(as_agency(fbi_i2, "CA-FTB", "ca-ftb-executive-officer"), [
	set("/legal_basis", "6103_d"),
	set("/purpose", purpose(
		"STATE_TAX_ADMIN", "CIVIL", ["Cal. Rev. & Tax. Code 19087"], "FTB-NF-2026-3310",
		"Nonfiler case: California-source wages reported for 2023 and 2024, no State return filed.",
	)),
	set("/requester/recipients", recipients("STATE_TAX", [40, 35])),
])

# METADATA
# title: S21, Department of Education under (m)(4), defaulted Direct Loan
ed_m4 := patched(as_agency(fbi_i2, "ED", "ed-secretary"), [
	set("/legal_basis", "6103_m_4"),
	set("/purpose", purpose(
		"STUDENT_LOAN_COLLECTION", "CIVIL", ["20 U.S.C. 1080"], "ED-DL-2026-77812",
		"Defaulted William D. Ford Direct Loan; mailing address needed for collection notices.",
	)),
	set("/requester/recipients", recipients("ED", [30])),
])

# METADATA
# title: S22, Bureau of the Fiscal Service under (m)(2), income requested too
bfs_m2 := patched(as_agency(fbi_i2, "TREAS-BFS", "bfs-commissioner"), [
	set("/legal_basis", "6103_m_2"),
	set("/purpose", object.union(
		purpose("FEDERAL_CLAIM_COLLECTION", "CIVIL", ["31 U.S.C. 3711"], "BFS-TOP-2026-55102", "Delinquent non-tax debt referred by HUD."),
		{"claim_reference": "31 U.S.C. 3711 claim BFS-TOP-2026-55102"},
	)),
	set("/requester/recipients", recipients("TREASURY", [20])),
	set("/requested_fields", ["LAST_KNOWN_ADDRESS", "INCOME"]),
])

# METADATA
# title: S23, SSA under (m)(7), account statement mailing
ssa_m7 := patched(as_agency(fbi_i2, "SSA", "ssa-commissioner"), [
	set("/legal_basis", "6103_m_7"),
	set("/purpose", purpose("SS_STATEMENT_MAILING", "CIVIL", ["42 U.S.C. 1320b-13"], null, "Social Security Statement mailing.")),
	set("/requester/recipients", recipients("SSA", [10])),
])

# METADATA
# title: S24, U.S. Marshals Service under an (i)(5) order, Hobbs Act felony warrant
usms_i5 := patched(as_agency(fbi_i1, "DOJ-USMS", "usms-director"), [
	set("/legal_basis", "6103_i_5"),
	set("/purpose", purpose(
		"FUGITIVE_LOCATION", "CRIMINAL", ["18 U.S.C. 1951"], "USMS-SDNY-2026-0419",
		"Fugitive on a federal arrest warrant for Hobbs Act robbery.",
	)),
	set("/court_order", object.union(fbi_i1.court_order, {
		"order_type": "EX_PARTE_6103_I_5",
		"issuing_court": "U.S. District Court for the Southern District of New York",
		"judge_name": "Hon. Samuel K. Abernathy",
		"judge_type": "DISTRICT_JUDGE",
		"docket_number": "1:26-mc-00114",
		"named_recipients": ["Recipient 0", "Recipient 1"],
		"felony_arrest_warrant": {"type": "JUDICIAL", "offense_class": "FELONY"},
	})),
	set("/requester/recipients", recipients("DOJ", [6, 9])),
])

# METADATA
# title: S31, Texas Comptroller sharing with State police for immigration cooperation
tx_cpa_onward := patched(as_agency(fbi_i2, "TX-CPA", "tx-comptroller"), [
	set("/legal_basis", "6103_d"),
	set("/purpose", object.union(
		purpose("OTHER", "UNKNOWN", [], null, "Share with State DPS for immigration cooperation."),
		{"onward_sharing_to": ["STATE_LE"]},
	)),
	set("/requester/recipients", recipients("STATE_TAX", [15])),
])

# METADATA
# title: S34, FBI terrorism request under (i)(7)(A)
fbi_i7a := patched(fbi_i2, [
	set("/legal_basis", "6103_i_7_A"),
	set("/purpose", purpose(
		"TERRORISM", "CRIMINAL", ["18 U.S.C. 2339B"], "FBI-JTTF-2026-0031",
		"Material support to a designated foreign terrorist organization.",
	)),
	set("/taxpayers/0/specific_reason", "Wired funds in 2024 to an account controlled by a designated organization's finance officer."),
])

# METADATA
# title: S20 addresses, one in ten complete, the others ZIP-only or placeholders
s20_address(k, t) := t if {
	k % 10 == 0
} else := json.patch(t, [set("/supplied/address", {"line1": "", "line2": null, "city": "", "state": "", "zip": "20001"})]) if {
	k % 2 == 1
} else := json.patch(t, [set("/supplied/address", {"line1": placeholder, "line2": null, "city": placeholder, "state": "TX", "zip": "12345"})]) if {
	placeholder := data.params.ADDRESS_PLACEHOLDERS[0]
}
