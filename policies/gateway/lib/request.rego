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
# title: Statutes cited, trimmed, empty strings dropped (the raw text, for counting)
statutes_cited := {trim_space(s) | some s in purpose.statutes_cited; filled(s)}

# METADATA
# title: The gateway's canonical fact of each cited statute (empty unless an array)
# description: >-
#   One entry per statutes_cited entry, made by the gateway (gateway/facts/statutes.py):
#   citation (canonical, or null when the text could not be parsed), lookup (registry
#   keys, most specific first) and immigration_title (Title 8 U.S.C. or C.F.R., or the
#   INA, even when the rest could not be parsed).
statute_facts := purpose.statutes if {
	is_array(purpose.statutes)
} else := []

# METADATA
# title: Registry facts of a cited statute (its most specific known lookup key)
# description: Undefined when no lookup key of the fact is in the statute registry.
statute_entry(fact) := entries[0] if {
	entries := [data.registry.statutes[k] | some k in fact.lookup; data.registry.statutes[k]]
	count(entries) > 0
}

# METADATA
# title: Statute facts the registry does not know (unparsed, or not registered)
unrecognised_statutes contains fact.text if {
	some fact in statute_facts
	filled(fact.text)
	not statute_entry(fact)
}

# METADATA
# title: Every cited statute is known to the statute registry
all_statutes_recognised if count(unrecognised_statutes) == 0

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
# title: A cited statute is criminal and not tax administration
criminal_nontax_cited if {
	some fact in statute_facts
	entry := statute_entry(fact)
	entry.criminal == true
	entry.tax_administration == false
}

# METADATA
# title: A cited statute concerns missing or exploited children
child_exploitation_cited if {
	some fact in statute_facts
	statute_entry(fact).child_exploitation == true
}

# METADATA
# scope: document
# title: A cited statute is immigration-related
# description: >-
#   Any citation in Title 8 (the law of aliens and nationality) or of the INA, whatever
#   its section and whether or not the registry knows it; or a registry entry marked
#   immigration (e.g. 18 U.S.C. 1546, visa fraud).
immigration_statute_cited if {
	some fact in statute_facts
	fact.immigration_title == true
}

immigration_statute_cited if {
	some fact in statute_facts
	statute_entry(fact).immigration == true
}

# METADATA
# title: A cited statute is criminal and immigration-related
immigration_criminal_statute_cited if {
	some fact in statute_facts
	_immigration_fact(fact)
	statute_entry(fact).criminal == true
}

# METADATA
# scope: document
# title: One statute fact is immigration-related
_immigration_fact(fact) if fact.immigration_title == true

_immigration_fact(fact) if statute_entry(fact).immigration == true

# METADATA
# title: Department of a registry entity (an agency's department, or the department itself)
entity_department(entity) := data.registry.agencies[entity.id].department if {
	entity.kind == "AGENCY"
} else := entity.id if {
	entity.kind == "DEPARTMENT"
	data.registry.departments[entity.id]
}

# METADATA
# scope: document
# title: A registry entity is part of DHS
entity_is_dhs(entity) if {
	entity.kind == "AGENCY"
	data.registry.agencies[entity.id].is_dhs == true
}

entity_is_dhs(entity) if {
	entity.kind == "DEPARTMENT"
	data.registry.departments[entity.id].is_dhs == true
}

# METADATA
# title: The department a recipient's employer resolved to (undefined if unresolved)
recipient_department(r) := entity_department(r.employer.resolved)

# METADATA
# title: The gateway's resolution of each planned onward recipient (empty unless an array)
onward_facts := purpose.onward_sharing if {
	is_array(purpose.onward_sharing)
} else := []

# METADATA
# title: Every agency fact of the request (recipients' employers, onward sharing)
agency_facts := array.concat([r.employer | some r in recipients], onward_facts)

# METADATA
# title: Agency names in the request that the registry does not resolve
unresolved_agencies contains fact.text if {
	some fact in agency_facts
	not is_object(fact.resolved)
}
