# METADATA
# title: Records and safeguards (6103-P*)
# description: Accounting of every decision, and recipient safeguards as a condition of receipt.
package gateway.rules.records

import data.gateway.lib

# METADATA
# title: Accounting record
# custom:
#   rule_id: 6103-P3-1
#   outcome: OBLIGATION
#   citation: §6103(p)(3)(A), (C)
obligations contains "ACCOUNTING_RECORD"

# METADATA
# title: Recipient safeguards not certified (as GW-6)
# custom:
#   rule_id: 6103-P4-1
#   outcome: DENY
#   citation: §6103(p)(4)
#   message: "Return information is received only under §6103(p)(4) safeguards: none can be disclosed to this agency until they are certified."
request_findings contains lib.finding(rego.metadata.rule()) if not lib.safeguards_current
