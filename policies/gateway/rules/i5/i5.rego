# METADATA
# title: §6103(i)(5) fugitive location (6103-I5-*)
# description: >-
#   Disclosure to locate a fugitive from Federal justice, under an ex parte
#   order that rests on a judicial arrest warrant for a Federal felony. The
#   order itself is judged by the 6103-I1 order rules (court and judge,
#   authorizer, term, docket verification, TIN coverage).
package gateway.rules.i5

import data.gateway.lib
import data.gateway.rules.i1

# METADATA
# title: The request claims §6103(i)(5)
_applies if lib.basis == "6103_i_5"

# METADATA
# title: No judicial arrest warrant for a Federal felony
# custom:
#   rule_id: 6103-I5-2
#   outcome: DENY
#   citation: §6103(i)(5)(B)(i)
#   message: (i)(5) requires a Federal arrest warrant for a Federal felony.
request_findings contains lib.finding(rego.metadata.rule()) if {
	_applies
	not _felony_warrant
}

# METADATA
# title: Use beyond locating the fugitive
# description: Onward sharing planned, or downstream civil use declared.
# custom:
#   rule_id: 6103-I5-3
#   outcome: DENY
#   citation: §6103(i)(5)(A) ("solely for the purpose of locating"); §7213(a)(1)
#   message: (i)(5) information may be used solely to locate the fugitive; onward sharing or civil use declared.
request_findings contains lib.finding(rego.metadata.rule()) if {
	_applies
	not _solely_locating
}

# METADATA
# title: No onward sharing and no civil use
_solely_locating if {
	lib.no_onward_sharing
	lib.no_downstream_civil_use
}

# METADATA
# title: Disclosed to locate a Federal felony fugitive
# description: >-
#   An (i)(5) order, a judicial felony warrant, purpose FUGITIVE_LOCATION, and
#   no 6103-I1 order rule denying; shown only when the subject is released.
# custom:
#   rule_id: 6103-I5-1
#   outcome: ALLOW
#   citation: §6103(i)(5)(A)–(B)
#   message: Disclosed to locate Federal felony fugitive under (i)(5) order.
basis_satisfied contains [i, lib.finding(rego.metadata.rule())] if {
	_applies
	lib.court_order.order_type == "EX_PARTE_6103_I_5"
	_felony_warrant
	lib.purpose.category == "FUGITIVE_LOCATION"
	not lib.any_deny(i1.request_findings)
	some i, _ in lib.taxpayers
	not i in i1.denied_subjects
}

# METADATA
# title: The order rests on a judicial warrant for a felony
_felony_warrant if {
	warrant := lib.court_order.felony_arrest_warrant
	warrant.type == "JUDICIAL"
	warrant.offense_class == "FELONY"
}
