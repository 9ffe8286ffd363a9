# METADATA
# title: §6103(i)(3) (6103-I3-*)
# description: >-
#   (i)(3)(A) disclosures are IRS-initiated and cannot be requested;
#   (i)(3)(B) emergency disclosures are discretionary and go to a duty officer.
package gateway.rules.i3

import data.gateway.lib

# METADATA
# title: (i)(3)(A) requested
# custom:
#   rule_id: 6103-I3-1
#   outcome: DENY
#   citation: §6103(i)(3)(A)
#   message: §6103(i)(3)(A) disclosures are IRS-initiated; not available on request.
request_findings contains lib.finding(rego.metadata.rule()) if lib.basis == "6103_i_3_A"

# METADATA
# title: Emergency disclosure under (i)(3)(B)
# description: >-
#   Claimed for an imminent danger of death or physical injury
#   (EMERGENCY_LIFE_SAFETY) or flight from Federal prosecution
#   (FUGITIVE_LOCATION); any other purpose leaves no basis (6103-A). The finding
#   is 6103-I3-2, built by _emergency from its own METADATA.
request_findings contains _emergency

# METADATA
# title: The (i)(3)(B) basis is satisfied, pending the duty officer
basis_satisfied contains [i, _emergency] if {
	some i, _ in lib.taxpayers
}

# METADATA
# title: The 6103-I3-2 finding, when (i)(3)(B) is claimed for an emergency
# custom:
#   rule_id: 6103-I3-2
#   outcome: REQUIRE_HUMAN_REVIEW
#   citation: §6103(i)(3)(B)
#   message: Emergency disclosure is discretionary; duty officer decision.
_emergency := lib.finding(rego.metadata.rule()) if {
	lib.basis == "6103_i_3_B"
	lib.purpose.category in {"EMERGENCY_LIFE_SAFETY", "FUGITIVE_LOCATION"}
}
