# METADATA
# title: §6103(d) State tax agencies (6103-D-*)
# description: >-
#   Disclosure to a State tax agency, on the written request of its head, to
#   designated representatives, for State tax administration only.
package gateway.rules.statetax

import data.gateway.lib

# METADATA
# title: State tax agency request outside State tax administration
# description: A purpose other than STATE_TAX_ADMIN, declared downstream civil use, or planned onward sharing.
# custom:
#   rule_id: 6103-D-2
#   outcome: DENY
#   citation: §6103(d)(1); §7213(a)(2)
#   message: (d) disclosures are limited to State tax administration; re-disclosure is a felony.
request_findings contains lib.finding(rego.metadata.rule()) if {
	lib.department == "STATE_TAX"
	not _tax_administration_only
}

# METADATA
# title: Disclosed to a State tax agency for State tax administration
# description: >-
#   Basis 6103_d, requester a State tax agency, signer its head, designated
#   employee recipients none of whom is the Governor, purpose STATE_TAX_ADMIN
#   without onward or civil use.
# custom:
#   rule_id: 6103-D-1
#   outcome: ALLOW
#   citation: §6103(d)(1)
#   message: Disclosed to State tax agency for State tax administration.
basis_satisfied contains [i, lib.finding(rego.metadata.rule())] if {
	lib.basis == "6103_d"
	lib.department == "STATE_TAX"
	lib.signer.role in data.registry.roles.signers_d
	_designated_recipients
	_tax_administration_only
	some i, _ in lib.taxpayers
}

# METADATA
# title: Purpose is State tax administration, with no onward or civil use
_tax_administration_only if {
	lib.purpose.category == "STATE_TAX_ADMIN"
	lib.no_onward_sharing
	lib.no_downstream_civil_use
}

# METADATA
# title: Designated recipients are agency employees and none is the State's chief executive
_designated_recipients if {
	count(lib.recipients) > 0
	every r in lib.recipients {
		r.is_employee == true
		lib.recipient_department(r) == "STATE_TAX"
		not contains(lib.squash(r.title), "GOVERNOR")
	}
}
