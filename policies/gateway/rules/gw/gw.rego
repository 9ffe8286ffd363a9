package gateway.rules.gw

import data.gateway.lib

# METADATA
# title: Request incomplete or malformed
# custom:
#   rule_id: GW-1
#   outcome: DENY
#   citation: §6103(a); (p)(1) (manner prescribed by the Secretary)
#   message: Request incomplete or malformed.
request_findings contains lib.finding(rego.metadata.rule()) if count(malformed) > 0

# METADATA
# title: Signature not valid
# custom:
#   rule_id: GW-2
#   outcome: DENY
#   citation: §6103(p)(1), (p)(4)(C); §7213A exposure
#   message: The request's signature could not be verified.
request_findings contains lib.finding(rego.metadata.rule()) if not input.signature_valid == true

# METADATA
# title: Signer does not match the officials registry
# description: >-
#   The signer must be a registered official of the requesting agency (or of
#   its department's headquarters) with the role and acting status on file.
# custom:
#   rule_id: GW-2
#   outcome: DENY
#   citation: §6103(p)(1), (p)(4)(C); §7213A exposure
#   message: The signer is not on file as an official of the requesting agency with this role and acting status.
request_findings contains lib.finding(rego.metadata.rule()) if not _signer_on_file

# METADATA
# title: Replayed request id or nonce
# custom:
#   rule_id: GW-3
#   outcome: DENY
#   citation: §6103(p)(3)(A) (integrity of accounting); policy
#   message: Replayed request; prior decision stands.
request_findings contains lib.finding(rego.metadata.rule()) if {
	some flag in ["request_id_seen", "nonce_seen"]
	input.replay[flag] == true
}

# METADATA
# title: Already disclosed (duplicate of a request whose answer disclosed an address)
# description: >-
#   The gateway computes duplicate_of (same payload, or same agency, taxpayers and
#   periods, within DUP_WINDOW_SECONDS) and gives the earlier request's status now:
#   allowed or partially_allowed means something was disclosed.
# custom:
#   rule_id: GW-3b
#   outcome: DENY
#   citation: §6103(p)(3)(A); minimum necessary (policy)
#   message: Already disclosed under request %s (answered at %s); no second disclosure of the same information.
request_findings contains lib.finding_args(rego.metadata.rule(), [dup.request_id, dup.decided_at]) if {
	dup := _duplicate
	dup.status in {"allowed", "partially_allowed"}
}

# METADATA
# title: Already pending (duplicate of a request still awaiting review)
# description: Nothing was disclosed yet; the earlier request's answer will come when a disclosure officer settles it.
# custom:
#   rule_id: GW-3b
#   outcome: DENY
#   citation: §6103(p)(3)(A); minimum necessary (policy)
#   message: Already pending under request %s (received at %s), which awaits a disclosure officer's review; its answer will come under that request.
request_findings contains lib.finding_args(rego.metadata.rule(), [dup.request_id, dup.decided_at]) if {
	dup := _duplicate
	dup.status == "pending_review"
}

# METADATA
# title: Duplicate of a request decided without a disclosure (or of a status not given)
# description: >-
#   The same ask as an earlier request that was denied, or whose status the input
#   does not give (a decision logged before the status was part of the input).
# custom:
#   rule_id: GW-3b
#   outcome: DENY
#   citation: §6103(p)(3)(A); minimum necessary (policy)
#   message: Repeats request %s (decided at %s) unchanged; its answer stands.
request_findings contains lib.finding_args(rego.metadata.rule(), [dup.request_id, dup.decided_at]) if {
	dup := _duplicate
	not _disclosed_or_pending(dup)
}

# METADATA
# title: The earlier request disclosed something, or awaits review
_disclosed_or_pending(dup) if dup.status in {"allowed", "partially_allowed", "pending_review"}

# METADATA
# title: The earlier request this one duplicates (undefined unless its id and time are strings)
_duplicate := dup if {
	dup := input.duplicate_of
	is_string(dup.request_id)
	is_string(dup.decided_at)
}

# METADATA
# title: Requester not an eligible recipient
# description: The agency id is not in the agency registry, or its entry has eligible false.
# custom:
#   rule_id: GW-4
#   outcome: DENY
#   citation: §6103(a), (b)(9)
#   message: Requester is not an eligible recipient of return information.
request_findings contains lib.finding(rego.metadata.rule()) if not lib.eligible_agency

# METADATA
# title: No statutory basis for this agency
# description: >-
#   legal_basis is NONE or the IRS-DHS MOU (an MOU is not a statute), or a basis
#   missing from the agency's eligible_bases in the registry.
# custom:
#   rule_id: GW-5
#   outcome: DENY
#   citation: §6103(a)
#   message: No statutory basis for disclosure.
request_findings contains lib.finding(rego.metadata.rule()) if {
	not lib.basis in _eligible_bases
}

# METADATA
# title: Recipient safeguards not certified
# custom:
#   rule_id: GW-6
#   outcome: DENY
#   citation: §6103(p)(4), (p)(9)
#   message: "The requesting agency's §6103(p)(4) safeguards are not certified as current, as presented or on file."
request_findings contains lib.finding(rego.metadata.rule()) if not lib.safeguards_current

# METADATA
# title: Batch exceeds the automatic threshold
# custom:
#   rule_id: GW-9a
#   outcome: REQUIRE_HUMAN_REVIEW
#   citation: §6103(i)(2)(B); CTR v. IRS (21 Nov 2025) (policy threshold)
#   message: Batch exceeds automatic threshold; individualized review required.
request_findings contains lib.finding(rego.metadata.rule()) if {
	_batch_size > data.params.AUTO_BATCH_MAX
}

# METADATA
# title: Bulk request without an individualized showing
# description: >-
#   At or above BULK_DENY_MIN taxpayers, and reasons are blank or shared, or
#   the request carries one case number for all of them, or a recipient attests
#   a caseload above CASELOAD_DENY.
# custom:
#   rule_id: GW-9b
#   outcome: DENY
#   citation: §6103(i)(2)(A)–(B); CTR v. IRS (21 Nov 2025; 26 Feb 2026)
#   message: Bulk request lacks individualized showing required by §6103(i)(2).
request_findings contains lib.finding(rego.metadata.rule()) if {
	_batch_size >= data.params.BULK_DENY_MIN
	_not_individualized
}

# METADATA
# title: Accounting record
# description: Every decision is written to the accounting (decision) log.
# custom:
#   rule_id: GW-7
#   outcome: OBLIGATION
#   citation: §6103(p)(3)(A), (p)(4)(A); 5 U.S.C. 552a(c)
obligations contains "ACCOUNTING_RECORD"

# METADATA
# title: A cited statute is not recognised
# description: >-
#   The gateway could not parse a cited statute into a canonical citation, or the
#   statute registry knows neither it nor a section it belongs to. Neither an allow
#   nor a denial that the matter "is not criminal": a person identifies the statute.
# custom:
#   rule_id: GW-13
#   outcome: REQUIRE_HUMAN_REVIEW
#   citation: §6103(i)(1)(A)(i), (i)(2)(B)(iii); policy (unknown statute)
#   message: A cited statute could not be identified; a disclosure officer must identify it before any release.
request_findings contains lib.finding(rego.metadata.rule()) if count(lib.unrecognised_statutes) > 0

# METADATA
# title: An agency named in the request is not recognised
# description: >-
#   A recipient's employer or an onward recipient does not resolve to an entry of the
#   agency or department registry (after the gateway's spelling-blind resolution).
# custom:
#   rule_id: GW-14
#   outcome: REQUIRE_HUMAN_REVIEW
#   citation: §6103(a), (p)(4); policy (unknown recipient agency)
#   message: An agency named in the request could not be identified; a disclosure officer must identify it before any release.
request_findings contains lib.finding(rego.metadata.rule()) if count(lib.unresolved_agencies) > 0

# METADATA
# title: Fields other than the last known address withheld
# custom:
#   rule_id: GW-8
#   outcome: ALLOW_WITH_REDACTION
#   citation: §6103(i)(1)(A) ("only to the extent necessary"); (i)(2)(A) (other than TRI); (m) ("mailing address")
#   message: Only the last known mailing address is released; other requested fields are withheld.
subject_findings contains [i, lib.finding(rego.metadata.rule())] if {
	"LAST_KNOWN_ADDRESS" in lib.requested_fields
	count(lib.extra_fields) > 0
	some i, _ in lib.taxpayers
}

# METADATA
# title: Nothing releasable was requested
# description: The last known address, the only field the gateway releases, was not requested.
# custom:
#   rule_id: GW-8
#   outcome: DENY
#   citation: §6103(i)(1)(A) ("only to the extent necessary"); (i)(2)(A) (other than TRI); (m) ("mailing address")
#   message: Nothing requested can be released; the gateway releases only the last known mailing address.
subject_findings contains [i, lib.finding(rego.metadata.rule())] if {
	not "LAST_KNOWN_ADDRESS" in lib.requested_fields
	some i, _ in lib.taxpayers
}

# METADATA
# title: Informant or tax-investigation impairment flag
# description: >-
#   Comes from the datastore: reported only in the audit findings, never in
#   the reasons shown to the requester.
# custom:
#   rule_id: GW-10
#   outcome: DENY
#   citation: §6103(i)(6); (d)(1) last sentence
#   message: Disclosure barred (informant/impairment).
subject_record_findings contains [i, lib.finding(rego.metadata.rule())] if {
	lib.basis in _flag_bases
	some i, t in lib.taxpayers
	some flag in ["confidential_informant", "tax_investigation_impairment"]
	t.record_flags[flag] == true
}

# METADATA
# title: Bases barred by the informant / impairment flags
_flag_bases := {"6103_i_1", "6103_i_2", "6103_i_3_A", "6103_i_5", "6103_i_7_A", "6103_i_7_C", "6103_d"}

# METADATA
# title: Bases the registry allows this agency (never NONE or the MOU)
_eligible_bases := {b |
	some b in lib.agency.eligible_bases
	not b in {"NONE", "MOU_IRS_DHS_2025"}
}

# METADATA
# title: The signer is a registered official of this agency, as presented
_signer_on_file if {
	official := data.registry.officials[lib.signer.official_id]
	official.role == lib.signer.role
	official.acting == lib.signer.acting
	_may_sign_for(official.agency)
}

# METADATA
# scope: document
# title: An official of this agency, of the agency it is part of, or of its department's headquarters, may sign
_may_sign_for(agency_id) if agency_id == lib.requester.agency_id

_may_sign_for(agency_id) if lib.agency.parent == agency_id

_may_sign_for(agency_id) if {
	headquarters := data.registry.agencies[agency_id]
	headquarters.component == "NONE"
	headquarters.department == lib.agency.department
}

# METADATA
# title: Batch size (the larger of bulk_count and the number of taxpayers)
_batch_size := max({count(lib.taxpayers), input.bulk_count}) if {
	is_number(input.bulk_count)
} else := count(lib.taxpayers)

# METADATA
# scope: document
# title: Reasons are not individualized, or one case number covers the batch, or a caseload is implausible
_not_individualized if not lib.reasons_individualized

_not_individualized if lib.filled(lib.purpose.case_or_proceeding_no)

_not_individualized if {
	some r in lib.recipients
	not r.attested_open_caseload <= data.params.CASELOAD_DENY
}
