package gateway.lib

# METADATA
# title: The taxpayers of the request (empty unless an array)
taxpayers := input.taxpayers if {
	is_array(input.taxpayers)
} else := []

# METADATA
# title: The requester object (empty unless an object)
requester := input.requester if {
	is_object(input.requester)
} else := {}

# METADATA
# title: The signer object (empty unless an object)
signer := requester.signer if {
	is_object(requester.signer)
} else := {}

# METADATA
# title: The named recipients (empty unless an array)
recipients := requester.recipients if {
	is_array(requester.recipients)
} else := []

# METADATA
# title: The purpose object (empty unless an object)
purpose := input.purpose if {
	is_object(input.purpose)
} else := {}

# METADATA
# title: The legal basis claimed ("NONE" unless a string)
basis := input.legal_basis if {
	is_string(input.legal_basis)
} else := "NONE"

# METADATA
# title: The court order presented (undefined unless an object)
court_order := input.court_order if {
	is_object(input.court_order)
}

# METADATA
# title: Statutes cited, trimmed, empty strings dropped
statutes_cited := {trim_space(s) | some s in purpose.statutes_cited; filled(s)}

# METADATA
# title: Planned onward sharing, as given
# description: Every entry counts, even a malformed one, so that onward-sharing checks fail closed.
onward_sharing := purpose.onward_sharing_to if {
	is_array(purpose.onward_sharing_to)
} else := ["<malformed onward_sharing_to>"]

# METADATA
# title: No onward sharing is planned
no_onward_sharing if count(onward_sharing) == 0

# METADATA
# title: The requester declares no civil or other downstream use
no_downstream_civil_use if purpose.downstream_civil_use == false

# METADATA
# title: Requested fields (strings only)
requested_fields := {f | some f in input.requested_fields; is_string(f)}

# METADATA
# title: Requested fields other than the last known address
extra_fields := requested_fields - {"LAST_KNOWN_ADDRESS"}

# METADATA
# title: Registry entry of the requesting agency (undefined if not registered)
agency := data.registry.agencies[requester.agency_id]

# METADATA
# title: The requesting agency is registered and eligible
eligible_agency if agency.eligible == true

# METADATA
# title: Department of the requester, from the registry ("UNKNOWN" if not registered)
department := agency.department if {
	is_string(agency.department)
} else := "UNKNOWN"

# METADATA
# title: The requester is a Federal agency
federal if not department in non_federal_departments

# METADATA
# title: Safeguards are certified, both on file and as presented
safeguards_current if {
	requester.safeguards_status == "CURRENT"
	not registry_safeguards_lapsed
}

# METADATA
# title: The registry records the requester's safeguards as not current
registry_safeguards_lapsed if agency.safeguards_status != "CURRENT"

# METADATA
# title: Registry facts of a cited statute (undefined when unknown)
statute(citation) := data.registry.statutes[citation]

# METADATA
# title: A cited statute is criminal and not tax administration
criminal_nontax_cited if {
	some s in statutes_cited
	statute(s).criminal == true
	statute(s).tax_administration == false
}

# METADATA
# title: A cited statute concerns missing or exploited children
child_exploitation_cited if {
	some s in statutes_cited
	statute(s).child_exploitation == true
}

# METADATA
# title: A cited statute is immigration-related
immigration_statute_cited if {
	some s in statutes_cited
	statute(s).immigration == true
}
