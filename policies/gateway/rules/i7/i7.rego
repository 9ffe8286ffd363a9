# METADATA
# title: §6103(i)(7)(A) terrorism (6103-I7-*)
# description: >-
#   Disclosure on request of the head of a Federal law enforcement agency (or a
#   delegate) for a terrorism investigation. Discretionary ("may"), so it always
#   goes to senior review. Any other (i)(7)(A) request has no basis (6103-A).
package gateway.rules.i7

import data.gateway.lib

# METADATA
# title: Terrorism disclosure request
# description: The finding is 6103-I7-1, built by _terrorism_request from its own METADATA.
request_findings contains _terrorism_request

# METADATA
# title: The (i)(7)(A) basis is satisfied, pending senior review
basis_satisfied contains [i, _terrorism_request] if {
	some i, _ in lib.taxpayers
}

# METADATA
# title: The 6103-I7-1 finding, when its conditions hold
# description: >-
#   Signed by the head of a Federal law enforcement agency or a delegate
#   (roles.signers_i7a), purpose TERRORISM, and a reason stated for every
#   taxpayer.
# custom:
#   rule_id: 6103-I7-1
#   outcome: REQUIRE_HUMAN_REVIEW
#   citation: §6103(i)(7)(A)
#   message: Terrorism disclosure is discretionary ('may'); senior review.
_terrorism_request := lib.finding(rego.metadata.rule()) if {
	lib.basis == "6103_i_7_A"
	lib.signer.role in data.registry.roles.signers_i7a
	lib.purpose.category == "TERRORISM"
	every t in lib.taxpayers {
		lib.filled(t.specific_reason)
	}
}
