# METADATA
# title: §6103(m) mailing addresses (6103-M*)
# description: >-
#   Mailing address only, each paragraph locked to its purpose: (m)(2) Federal
#   claim collection, (m)(4) student loan and Pell overpayment collection,
#   (m)(7) Social Security account statements.
package gateway.rules.m

import data.gateway.lib

# METADATA
# title: The purpose of each (m) paragraph
_paragraph_purpose := {
	"6103_m_2": "FEDERAL_CLAIM_COLLECTION",
	"6103_m_4": "STUDENT_LOAN_COLLECTION",
	"6103_m_7": "SS_STATEMENT_MAILING",
}

# METADATA
# title: Purpose outside the (m) paragraph cited
# description: A different purpose category, declared downstream civil use, or planned onward sharing.
# custom:
#   rule_id: 6103-M-X
#   outcome: DENY
#   citation: §6103(m)
#   message: Purpose outside the (m) paragraph cited.
request_findings contains lib.finding(rego.metadata.rule()) if {
	_paragraph_purpose[lib.basis]
	not _purpose_ok
}

# METADATA
# title: (m)(2) used for enforcement or removal, or no Federal claim identified
# custom:
#   rule_id: 6103-M2-2
#   outcome: DENY
#   citation: §6103(m)(2)(A)
#   message: (m)(2) is limited to collecting or compromising a Federal claim.
request_findings contains lib.finding(rego.metadata.rule()) if {
	lib.basis == "6103_m_2"
	not _claim_collection
}

# METADATA
# title: Mailing address disclosed for Federal claim collection
# custom:
#   rule_id: 6103-M2-1
#   outcome: ALLOW
#   citation: §6103(m)(2)(A)
#   message: Mailing address disclosed to locate taxpayer for Federal claim collection.
basis_satisfied contains [i, lib.finding(rego.metadata.rule())] if {
	lib.basis == "6103_m_2"
	input.written_request == true
	_purpose_ok
	_claim_collection
	some i, _ in lib.taxpayers
}

# METADATA
# title: Mailing address disclosed to the Department of Education
# custom:
#   rule_id: 6103-M4-1
#   outcome: ALLOW
#   citation: §6103(m)(4)(A)
#   message: Mailing address disclosed to Dept. of Education for loan/overpayment collection.
basis_satisfied contains [i, lib.finding(rego.metadata.rule())] if {
	lib.basis == "6103_m_4"
	lib.signer.role in data.registry.roles.signers_m4
	_purpose_ok
	some i, _ in lib.taxpayers
}

# METADATA
# title: Mailing address disclosed to SSA
# custom:
#   rule_id: 6103-M7-1
#   outcome: ALLOW
#   citation: §6103(m)(7)
#   message: Mailing address disclosed to SSA to mail account statement.
basis_satisfied contains [i, lib.finding(rego.metadata.rule())] if {
	lib.basis == "6103_m_7"
	lib.signer.role in data.registry.roles.signers_m7
	_purpose_ok
	some i, _ in lib.taxpayers
}

# METADATA
# title: The purpose is the cited paragraph's, with no civil or onward use
_purpose_ok if {
	lib.purpose.category == _paragraph_purpose[lib.basis]
	lib.no_downstream_civil_use
	lib.no_onward_sharing
}

# METADATA
# title: A Federal claim under 31 U.S.C. 3711, 3717 or 3718 is identified, and the purpose is not enforcement
_claim_collection if {
	not lib.purpose.category in _enforcement_categories
	regex.match(`(?i)31\s*U\.?\s*S\.?\s*C\.?\s*(§+\s*)?37(11|17|18)\b`, lib.purpose.claim_reference)
}

# METADATA
# title: Purposes that are enforcement or location for removal
_enforcement_categories := lib.criminal_categories | {"CIVIL_IMMIGRATION_ENFORCEMENT", "DATA_REMEDIATION"}
