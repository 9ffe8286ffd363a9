# METADATA
# title: §6103(i)(2) written requests (6103-I2-*)
# description: >-
#   Disclosure of return information other than taxpayer return information
#   (the address, per Centro) to a Federal agency for a non-tax criminal
#   matter, on a written request that sets forth the elements of
#   §6103(i)(2)(B). Identity-matching rules 6103-I2-10 and 6103-I2-10b live in
#   the identity package because they apply to every basis.
package gateway.rules.i2

import data.gateway.lib

# METADATA
# title: The request claims §6103(i)(2)
_applies if lib.basis == "6103_i_2"

# METADATA
# title: Not a written request
# custom:
#   rule_id: 6103-I2-1
#   outcome: DENY
#   citation: §6103(i)(2)(B)
#   message: §6103(i)(2) requires a written request.
request_findings contains lib.finding(rego.metadata.rule()) if {
	_applies
	not input.written_request == true
}

# METADATA
# title: Signer not authorized by §6103(i)(2)(A)
# description: A role neither listed for the department nor reviewable (e.g. OTHER, a SAC or field director).
# custom:
#   rule_id: 6103-I2-2
#   outcome: DENY
#   citation: §6103(i)(2)(A); CRM 507
#   message: Request not from an official authorized by §6103(i)(2)(A).
request_findings contains lib.finding(rego.metadata.rule()) if {
	_applies
	not lib.signer.role in _signer_roles
	not lib.signer.role in data.registry.roles.signer_roles_i2_review
}

# METADATA
# title: Signer authority needs review (component head, designee or acting official)
# custom:
#   rule_id: 6103-I2-2
#   outcome: REQUIRE_HUMAN_REVIEW
#   citation: §6103(i)(2)(A); CRM 507
#   message: "The signer is a component head, a designee or an acting official; a disclosure officer must confirm authority under §6103(i)(2)(A)."
request_findings contains lib.finding(rego.metadata.rule()) if {
	_applies
	_signer_reviewable
}

# METADATA
# title: Name and address not set forth
# description: >-
#   First and last name non-blank; address with line1, city, state and a
#   5-digit (or ZIP+4) ZIP that is not in ZIP_INVALID; no placeholder
#   (ADDRESS_PLACEHOLDERS, compared without punctuation or digits) and a line1
#   with letters (no ZIP-only or number-only address).
# custom:
#   rule_id: 6103-I2-3
#   outcome: DENY
#   citation: §6103(i)(2)(B)(i); CTR v. IRS (26 Feb 2026)
#   message: Request does not set forth the taxpayer's name and address.
subject_findings contains [i, lib.finding(rego.metadata.rule())] if {
	_applies
	some i, t in lib.taxpayers
	not _name_and_address_set_forth(t)
}

# METADATA
# title: Taxable periods not specified
# custom:
#   rule_id: 6103-I2-4
#   outcome: DENY
#   citation: §6103(i)(2)(B)(ii)
#   message: Taxable period(s) not specified.
subject_findings contains [i, lib.finding(rego.metadata.rule())] if {
	_applies
	some i, t in lib.taxpayers
	not _periods_specified(t)
}

# METADATA
# title: No statute cited
# custom:
#   rule_id: 6103-I2-5
#   outcome: DENY
#   citation: §6103(i)(2)(B)(iii)
#   message: Statutory authority not set forth.
request_findings contains lib.finding(rego.metadata.rule()) if {
	_applies
	count(lib.statutes_cited) == 0
}

# METADATA
# title: No non-tax Federal criminal statute cited
# description: >-
#   Every cited statute is known to the statute registry, and each is non-criminal or
#   tax administration. An unknown statute is not a denial (GW-13 sends it to review):
#   the agency's matter may be criminal under a law the registry lacks.
# custom:
#   rule_id: 6103-I2-5b
#   outcome: DENY
#   citation: §6103(i)(2)(A) (cross-ref. (i)(1)(A)(i)); (h)(2)
#   message: (i)(2) is limited to non-tax Federal criminal matters (tax matters proceed under §6103(h)).
request_findings contains lib.finding(rego.metadata.rule()) if {
	_applies
	count(lib.statutes_cited) > 0
	lib.all_statutes_recognised
	not lib.criminal_nontax_cited
}

# METADATA
# title: Cited statute facially inapplicable to this taxpayer
# description: >-
#   A cited statute whose registry elements need a final removal order (8 U.S.C.
#   1253(a)(1)): the order date must be given and date + days_after_final_order
#   must be at or before decision_time.
# custom:
#   rule_id: 6103-I2-5c
#   outcome: DENY
#   citation: §6103(i)(2)(B)(iii)–(iv); 8 U.S.C. §1253(a)(1)(A)
#   message: Cited criminal statute cannot apply to this taxpayer on the facts supplied.
subject_findings contains [i, lib.finding(rego.metadata.rule())] if {
	_applies
	some fact in lib.statute_facts
	days := lib.statute_entry(fact).elements.days_after_final_order
	some i, t in lib.taxpayers
	not _removal_period_elapsed(t, days)
}

# METADATA
# title: No specific reason for this taxpayer
# custom:
#   rule_id: 6103-I2-6
#   outcome: DENY
#   citation: §6103(i)(2)(B)(iv)
#   message: "No specific reason for relevance is set forth for this taxpayer."
subject_findings contains [i, lib.finding(rego.metadata.rule())] if {
	_applies
	some i, t in lib.taxpayers
	not _reason_given(t)
}

# METADATA
# title: Boilerplate reason shared with another taxpayer of the batch
# custom:
#   rule_id: 6103-I2-6
#   outcome: REQUIRE_HUMAN_REVIEW
#   citation: §6103(i)(2)(B)(iv)
#   message: "Boilerplate reason shared with another taxpayer of the batch: a reason specific to this taxpayer must be set forth."
subject_findings contains [i, lib.finding(rego.metadata.rule())] if {
	_applies
	some i, t in lib.taxpayers
	lib.boilerplate_reason(t)
}

# METADATA
# title: Recipients not personally and directly engaged employees of the requester
# description: >-
#   No recipients; or a recipient who is not an employee, is employed by
#   another department, is not personally and directly engaged, or attests a
#   caseload above CASELOAD_DENY (or none).
# custom:
#   rule_id: 6103-I2-7
#   outcome: DENY
#   citation: §6103(i)(2)(A); CTR v. IRS (21 Nov 2025)
#   message: Recipients must be officers/employees of the requesting agency personally and directly engaged.
request_findings contains lib.finding(rego.metadata.rule()) if {
	_applies
	not _recipients_engaged
}

# METADATA
# title: Implausible caseload
# description: A recipient attests more than CASELOAD_REVIEW and at most CASELOAD_DENY open matters.
# custom:
#   rule_id: 6103-I2-7b
#   outcome: REQUIRE_HUMAN_REVIEW
#   citation: §6103(i)(2)(A); CTR v. IRS (21 Nov 2025)
#   message: Implausible caseload for 'personally and directly engaged'; verify.
request_findings contains lib.finding(rego.metadata.rule()) if {
	_applies
	some r in lib.recipients
	r.attested_open_caseload > data.params.CASELOAD_REVIEW
	r.attested_open_caseload <= data.params.CASELOAD_DENY
}

# METADATA
# title: Use not solely for the criminal matter
# description: >-
#   Nature not CRIMINAL, downstream civil use declared, onward sharing planned,
#   or a purpose category that is not a criminal matter (civil immigration
#   enforcement among them).
# custom:
#   rule_id: 6103-I2-8
#   outcome: DENY
#   citation: §6103(i)(2)(A) ("solely for the use"); (a)(1); CTR v. IRS (21 Nov 2025); Centro (D.D.C. May 2025)
#   message: Information may be used solely for the criminal matter; civil or onward use declared.
request_findings contains lib.finding(rego.metadata.rule()) if {
	_applies
	not _solely_criminal
}

# METADATA
# title: Taxpayer return information requested
# custom:
#   rule_id: 6103-I2-9
#   outcome: ALLOW_WITH_REDACTION
#   citation: §6103(i)(2)(A), (b)(3)
#   message: Taxpayer return information cannot be disclosed under (i)(2).
subject_findings contains [i, lib.finding(rego.metadata.rule())] if {
	_applies
	count(lib.requested_fields & _tri_fields) > 0
	some i, _ in lib.taxpayers
}

# METADATA
# title: Identity or third-party fields requested
# custom:
#   rule_id: 6103-I2-9b
#   outcome: ALLOW_WITH_REDACTION
#   citation: §6103(i)(2)(C) permits identity; gateway policy
#   message: "Withheld: outside address-lookup scope (minimum necessary)."
subject_findings contains [i, lib.finding(rego.metadata.rule())] if {
	_applies
	count(lib.requested_fields & _policy_fields) > 0
	some i, _ in lib.taxpayers
}

# METADATA
# title: Disclosed under §6103(i)(2)
# description: >-
#   The basis is satisfied when no 6103-I2 rule denies; the decision shows this
#   finding only when the subject is released.
# custom:
#   rule_id: 6103-I2-OK
#   outcome: ALLOW
#   citation: §6103(i)(2); Centro (D.C. Cir. 2026)
#   message: Disclosed under §6103(i)(2).
basis_satisfied contains [i, lib.finding(rego.metadata.rule())] if {
	_applies
	not lib.any_deny(request_findings)
	some i, _ in lib.taxpayers
	not i in denied_subjects
}

# METADATA
# title: Subjects with a denying 6103-I2 finding of their own (no 6103-I2-OK for them)
denied_subjects contains i if {
	some [i, f] in subject_findings
	f.outcome == "DENY"
}

# METADATA
# title: Taxpayer return information fields (statutory redaction)
_tri_fields := {"INCOME", "FILING_STATUS", "BANK_ACCOUNT", "DEPENDENTS", "DOB", "W7_DATA"}

# METADATA
# title: Fields withheld by gateway policy (identity, payor, audit status)
_policy_fields := {"TIN", "NAME", "EMPLOYER_PAYOR", "AUDIT_STATUS"}

# METADATA
# scope: document
# title: Signer roles of §6103(i)(2)(A) for the requester's department
_signer_roles contains role if {
	lib.federal
	some role in data.registry.roles.signer_roles_i2.general
}

_signer_roles contains role if {
	some role in data.registry.roles.signer_roles_i2[lib.department]
}

# METADATA
# scope: document
# title: Signer is a component head or designee, or an acting official of a listed role
_signer_reviewable if lib.signer.role in data.registry.roles.signer_roles_i2_review

_signer_reviewable if {
	lib.signer.role in _signer_roles
	lib.signer.acting == true
}

# METADATA
# title: Name and street address set forth
_name_and_address_set_forth(t) if {
	lib.filled(t.supplied.name.first)
	lib.filled(t.supplied.name.last)
	address := t.supplied.address
	lib.filled(address.line1)
	lib.filled(address.city)
	lib.filled(address.state)
	regex.match(`^\d{5}(-\d{4})?$`, address.zip)
	not substring(address.zip, 0, 5) in {z | some z in data.params.ZIP_INVALID}
	regex.match(`[A-Za-z]`, address.line1)
	every part in [address.line1, address.city, address.state] {
		not _placeholder(part)
	}
}

# METADATA
# title: Text is an address placeholder ("N/A", "Don't Care 12345", ...)
_placeholder(text) if lib.squash_letters(text) in _placeholders

# METADATA
# title: ADDRESS_PLACEHOLDERS without punctuation or digits
_placeholders := {lib.squash_letters(p) | some p in data.params.ADDRESS_PLACEHOLDERS}

# METADATA
# title: Taxable periods are a non-empty list of years
_periods_specified(t) if {
	is_array(t.taxable_periods)
	count(t.taxable_periods) > 0
	every p in t.taxable_periods {
		is_number(p)
		floor(p) == p
	}
}

# METADATA
# title: The removal period after the final order has run by decision time
_removal_period_elapsed(t, days) if {
	time.add_date(lib.parse_date(t.supplied.final_removal_order_date), 0, 0, days) <= lib.now_ns
}

# METADATA
# title: A specific reason is given for the taxpayer
_reason_given(t) if lib.filled(t.specific_reason)

# METADATA
# title: Every recipient is an engaged employee of the requesting department with a plausible caseload
_recipients_engaged if {
	count(lib.recipients) > 0
	every r in lib.recipients {
		r.is_employee == true
		lib.recipient_department(r) == lib.department
		r.personally_directly_engaged == true
		is_number(r.attested_open_caseload)
		r.attested_open_caseload <= data.params.CASELOAD_DENY
	}
}

# METADATA
# title: Criminal nature, criminal category, no civil use and no onward sharing
_solely_criminal if {
	lib.purpose.enforcement_nature == "CRIMINAL"
	lib.purpose.category in lib.criminal_categories
	lib.no_downstream_civil_use
	lib.no_onward_sharing
}
