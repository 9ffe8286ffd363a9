# METADATA
# title: Shared helpers for the gateway policy
# description: >-
#   Value sets the rules share (the enums of the input contract are in its
#   JSON Schema, policies/schema/input/data.json), total
#   accessors over the input, registry look-ups, the decision clock (GW-12),
#   text normalisation and the one helper that turns a rule's METADATA into a
#   finding. Every accessor here is defined for any input, even a malformed or
#   missing one, so that the decision is always defined.
package gateway.lib

# METADATA
# title: Departments that are not Federal agencies
non_federal_departments := {"STATE_TAX", "LOCAL_LE", "UNKNOWN"}

# METADATA
# title: Purpose categories of a criminal matter
# description: The categories under which information may be used "solely" for a criminal matter.
criminal_categories := {"NONTAX_CRIMINAL", "IMMIGRATION_CRIMINAL", "FUGITIVE_LOCATION", "TERRORISM"}

# METADATA
# title: DHS components
# description: Component codes that identify a DHS requester or recipient even without a registry entry.
dhs_components := {"ICE", "ICE_ERO", "ICE_HSI", "CBP", "USCIS", "FEMA", "DHS_OIG", "TSA", "USSS", "USCG"}
