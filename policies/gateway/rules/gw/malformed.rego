# METADATA
# title: Gateway integrity rules (GW)
# description: >-
#   GW-1 to GW-10 of POLICY_MODEL.md §3.5.1: input well-formedness, identity,
#   replay, eligibility, basis, safeguards, accounting, minimum necessary, bulk
#   requests and record flags. GW-11 and GW-12 live in the decision package
#   and in the lib package, where the per-subject outcome and the clock are.
package gateway.rules.gw

import data.gateway.lib

# METADATA
# scope: document
# title: Parts of the input that are missing or malformed
# description: >-
#   Every key of the input contract must be present and well typed (null only
#   where the contract allows it); enums are upper case. Each entry names the
#   offending part; any entry makes GW-1 deny.
malformed contains "input" if not is_object(input)

malformed contains "request_id" if not lib.filled(input.request_id)

malformed contains "nonce" if not lib.filled(input.nonce)

malformed contains "payload_sha256" if not is_string(input.payload_sha256)

malformed contains "decision_time" if not lib.now_ns

malformed contains "signature_valid" if not is_boolean(input.signature_valid)

malformed contains "written_request" if not is_boolean(input.written_request)

malformed contains "replay" if not _replay_ok

malformed contains "duplicate_of" if not _duplicate_of_ok

malformed contains "requester" if not is_object(input.requester)

malformed contains "requester.agency" if not lib.requester.agency in lib.departments

malformed contains "requester.agency_id" if not lib.filled(lib.requester.agency_id)

malformed contains "requester.component" if not is_string(lib.requester.component)

malformed contains "requester.safeguards_status" if {
	not lib.requester.safeguards_status in lib.safeguards_statuses
}

malformed contains "requester.signer" if not _signer_ok

malformed contains "requester.recipients" if not _recipients_ok

malformed contains "legal_basis" if not input.legal_basis in lib.legal_bases

malformed contains "invokes_irs_dhs_mou" if not is_boolean(input.invokes_irs_dhs_mou)

malformed contains "purpose" if not is_object(input.purpose)

malformed contains "purpose.category" if not lib.purpose.category in lib.categories

malformed contains "purpose.enforcement_nature" if {
	not lib.purpose.enforcement_nature in lib.enforcement_natures
}

malformed contains "purpose.statutes_cited" if not _strings(lib.purpose.statutes_cited)

malformed contains "purpose.onward_sharing_to" if not _strings(lib.purpose.onward_sharing_to)

malformed contains "purpose.downstream_civil_use" if not is_boolean(lib.purpose.downstream_civil_use)

malformed contains sprintf("purpose.%s", [key]) if {
	some key in ["case_or_proceeding_no", "description", "relates_to_prior_disclosure_id", "claim_reference"]
	not _optional_string(lib.purpose[key])
}

malformed contains "court_order" if not _court_order_ok

malformed contains "taxpayers" if count(lib.taxpayers) == 0

malformed contains sprintf("taxpayers[%d]", [i]) if {
	some i, t in lib.taxpayers
	not _taxpayer_ok(t)
}

malformed contains "taxpayers.duplicate_ref" if {
	refs := [t.ref | some t in lib.taxpayers]
	count(refs) != count({r | some r in refs})
}

malformed contains "taxpayers.duplicate_subject" if {
	keys := [k | some t in lib.taxpayers; k := _subject_key(t)]
	count(keys) != count({k | some k in keys})
}

malformed contains "bulk_count" if not input.bulk_count == count(lib.taxpayers)

malformed contains "requested_fields" if not _requested_fields_ok

# METADATA
# title: Replay flags are booleans
_replay_ok if {
	is_boolean(input.replay.request_id_seen)
	is_boolean(input.replay.nonce_seen)
}

# METADATA
# scope: document
# title: duplicate_of is null or names the earlier request and its decision time
_duplicate_of_ok if input.duplicate_of == null

_duplicate_of_ok if {
	is_string(input.duplicate_of.request_id)
	is_string(input.duplicate_of.decided_at)
}

# METADATA
# title: The signer has an official id, a known role and an acting flag
_signer_ok if {
	is_string(lib.signer.official_id)
	lib.signer.role in lib.roles
	is_boolean(lib.signer.acting)
}

# METADATA
# title: Recipients are an array of objects
_recipients_ok if {
	is_array(lib.requester.recipients)
	every r in lib.recipients {
		is_object(r)
	}
}

# METADATA
# title: An array of strings
_strings(xs) if {
	is_array(xs)
	every x in xs {
		is_string(x)
	}
}

# METADATA
# title: An array of integers
_integers(xs) if {
	is_array(xs)
	every x in xs {
		is_number(x)
		floor(x) == x
	}
}

# METADATA
# scope: document
# title: null or a string
_optional_string(x) if x == null

_optional_string(x) if is_string(x)

# METADATA
# scope: document
# title: null or an integer
_optional_integer(x) if x == null

_optional_integer(x) if {
	is_number(x)
	floor(x) == x
}

# METADATA
# scope: document
# title: null or an RFC 3339 timestamp
_optional_time(x) if x == null

_optional_time(x) if lib.parse_time(x)

# METADATA
# scope: document
# title: The court order is null or complete and well typed
_court_order_ok if input.court_order == null

_court_order_ok if {
	o := input.court_order
	o.order_type in lib.order_types
	is_string(o.issuing_court)
	o.court_type in lib.court_types
	is_string(o.judge_name)
	o.judge_type in lib.judge_types
	is_string(o.docket_number)
	lib.parse_time(o.issued_at)
	_optional_time(o.expires_at)
	o.applicant_authorizer_role in (lib.roles | {"AUSA"})
	_strings(o.covered_tins)
	_integers(o.covered_taxable_periods)
	_strings(o.covered_data)
	every d in o.covered_data {
		d in lib.covered_data_kinds
	}
	_strings(o.named_recipients)
	_warrant_ok(o.felony_arrest_warrant)
	is_boolean(o.verified_with_court)
}

# METADATA
# scope: document
# title: The arrest warrant is null or has a known type and offense class
_warrant_ok(w) if w == null

_warrant_ok(w) if {
	w.type in lib.warrant_types
	w.offense_class in lib.offense_classes
}

# METADATA
# title: A taxpayer entry has every key of the contract, well typed
_taxpayer_ok(t) if {
	lib.filled(t.ref)
	is_string(t.specific_reason)
	_periods_shape(t.taxable_periods)
	t.match.method in lib.match_methods
	is_number(t.match.candidates)
	is_number(t.match.name_score)
	is_boolean(t.record_flags.confidential_informant)
	is_boolean(t.record_flags.tax_investigation_impairment)
	_integers(t.record.address_tax_years)
	type_name(t.supplied.name) in {"null", "object"}
	type_name(t.supplied.address) in {"null", "object"}
	type_name(t.supplied.tin) in {"null", "string"}
	type_name(t.supplied.dob) in {"null", "string"}
	type_name(t.supplied.final_removal_order_date) in {"null", "string"}
	type_name(t.supplied.final_removal_order_case_no) in {"null", "string"}
	type_name(t.record.tin) in {"null", "string"}
	type_name(t.match.tin_match) in {"null", "boolean"}
	type_name(t.match.dob_match) in {"null", "boolean"}
	_optional_integer(t.record.last_known_tax_year)
}

# METADATA
# scope: document
# title: taxable_periods is "ALL" or an array (its content is judged by 6103-I2-4)
_periods_shape(p) if p == "ALL"

_periods_shape(p) if is_array(p)

# METADATA
# title: Identity of a subject, to find one person listed twice
# description: >-
#   The supplied TIN (digits only) when there is one, else the supplied name
#   and street address, normalised.
_subject_key(t) := ["TIN", regex.replace(t.supplied.tin, `[^0-9]`, "")] if {
	lib.filled(t.supplied.tin)
} else := key if {
	name := t.supplied.name
	address := t.supplied.address
	key := [
		"NAME_ADDRESS", lib.squash(name.first), lib.squash(name.last),
		lib.squash(address.line1), lib.squash(address.zip),
	]
}

# METADATA
# title: requested_fields is a non-empty array of known fields
_requested_fields_ok if {
	is_array(input.requested_fields)
	count(input.requested_fields) > 0
	every f in input.requested_fields {
		f in lib.fields
	}
}
