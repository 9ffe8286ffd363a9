# METADATA
# title: §6103(i)(1) ex parte orders (6103-I1-*)
# description: >-
#   Disclosure under an ex parte order of a Federal district or magistrate
#   judge, on an application authorized by an official listed in
#   §6103(i)(1)(B). The order-validity rules 6103-I1-1b to 6103-I1-5 also judge
#   the order presented under §6103(i)(5), which requires the same kind of
#   order ("uses the same set" of authorizers, POLICY_MODEL.md §3.4).
package gateway.rules.i1

import data.gateway.lib

# METADATA
# title: The request claims §6103(i)(1)
_applies if lib.basis == "6103_i_1"

# METADATA
# title: The request rests on an ex parte order ((i)(1) or (i)(5))
_order_basis if lib.basis in {"6103_i_1", "6103_i_5"}

# METADATA
# title: No ex parte (i)(1) order
# custom:
#   rule_id: 6103-I1-1
#   outcome: DENY
#   citation: §6103(i)(1)(A)
#   message: §6103(i)(1) requires an ex parte order.
request_findings contains lib.finding(rego.metadata.rule()) if {
	_applies
	not lib.court_order.order_type == "EX_PARTE_6103_I_1"
}

# METADATA
# title: Order not verified against the docket
# custom:
#   rule_id: 6103-I1-1b
#   outcome: REQUIRE_HUMAN_REVIEW
#   citation: §6103(i)(1)(A); (p)(1)
#   message: Court order not yet verified against the docket.
request_findings contains lib.finding(rego.metadata.rule()) if {
	_order_basis
	order := lib.court_order
	not order.verified_with_court == true
}

# METADATA
# title: The order as presented differs from the verified record
# description: >-
#   The gateway built the order from its court-order registry (found by court
#   and docket number) and lists every field where the request said otherwise;
#   the record decides, and a person looks at why the agency's copy differs.
# custom:
#   rule_id: 6103-I1-1c
#   outcome: REQUIRE_HUMAN_REVIEW
#   citation: §6103(i)(1)(A); (p)(1)
#   message: The court order as presented differs from the verified record.
request_findings contains lib.finding(rego.metadata.rule()) if {
	_order_basis
	order := lib.court_order
	count(order.discrepancies) > 0
}

# METADATA
# title: Order not from a Federal district or magistrate judge
# custom:
#   rule_id: 6103-I1-2
#   outcome: DENY
#   citation: §6103(i)(1)(A)–(B)
#   message: Order not issued by a Federal district judge or magistrate judge.
request_findings contains lib.finding(rego.metadata.rule()) if {
	_order_basis
	order := lib.court_order
	not _federal_judge(order)
}

# METADATA
# title: Application authorized by an official outside §6103(i)(1)(B)
# description: Not a listed authorizer, and not an AUSA or unlisted DOJ official (those go to review).
# custom:
#   rule_id: 6103-I1-3
#   outcome: DENY
#   citation: §6103(i)(1)(B)
#   message: "The application for the order was not authorized by an official listed in §6103(i)(1)(B)."
request_findings contains lib.finding(rego.metadata.rule()) if {
	_order_basis
	order := lib.court_order
	not order.applicant_authorizer_role in data.registry.roles.authorizers_i1
	not _authorizer_reviewable(order)
}

# METADATA
# title: Application authorized by an AUSA or an unlisted DOJ official
# custom:
#   rule_id: 6103-I1-3
#   outcome: REQUIRE_HUMAN_REVIEW
#   citation: §6103(i)(1)(B)
#   message: "The application was authorized by an Assistant U.S. Attorney or another DOJ official not listed in §6103(i)(1)(B); a disclosure officer must confirm the authorization."
request_findings contains lib.finding(rego.metadata.rule()) if {
	_order_basis
	_authorizer_reviewable(lib.court_order)
}

# METADATA
# title: Order not in effect at decision time
# description: Decision time before issued_at, or after expires_at.
# custom:
#   rule_id: 6103-I1-4
#   outcome: DENY
#   citation: §6103(i)(1)(A) ("pursuant to and upon the grant of")
#   message: "The order is not in effect at the time of disclosure (not yet issued, or expired)."
request_findings contains lib.finding(rego.metadata.rule()) if {
	_order_basis
	order := lib.court_order
	not _in_effect(order)
}

# METADATA
# title: Order without expiry older than ORDER_NO_EXPIRY_MAX_AGE_DAYS
# custom:
#   rule_id: 6103-I1-4
#   outcome: REQUIRE_HUMAN_REVIEW
#   citation: §6103(i)(1)(A) ("pursuant to and upon the grant of")
#   message: "The order has no expiry date and was issued more than %d days ago; a disclosure officer must confirm it is still in effect."
request_findings contains lib.finding_args(rego.metadata.rule(), [max_age]) if {
	_order_basis
	order := lib.court_order
	order.expires_at == null
	max_age := data.params.ORDER_NO_EXPIRY_MAX_AGE_DAYS
	time.add_date(lib.parse_time(order.issued_at), 0, 0, max_age) < lib.now_ns
}

# METADATA
# title: Supplied TIN not covered by the order
# description: Decided from the requester's own facts, so it is shown to the requester.
# custom:
#   rule_id: 6103-I1-5
#   outcome: DENY
#   citation: §6103(i)(1)(A) ("only to the extent necessary as provided in such order")
#   message: "The TIN supplied for this taxpayer is not covered by the order."
subject_findings contains [i, lib.finding(rego.metadata.rule())] if {
	_order_basis
	lib.court_order
	some i, t in lib.taxpayers
	lib.filled(t.supplied.tin)
	not _covered_tin(t.supplied.tin)
}

# METADATA
# title: Matched record's TIN not covered by the order
# description: Decided from the datastore (including no unique match), so it is never shown to the requester.
# custom:
#   rule_id: 6103-I1-5
#   outcome: DENY
#   citation: §6103(i)(1)(A) ("only to the extent necessary as provided in such order")
#   message: "The matched record's TIN is not covered by the order, or no single record matched."
subject_record_findings contains [i, lib.finding(rego.metadata.rule())] if {
	_order_basis
	lib.court_order
	some i, t in lib.taxpayers
	not _record_covered(t)
}

# METADATA
# title: Last known address outside the covered periods; an earlier covered one is released
# custom:
#   rule_id: 6103-I1-6
#   outcome: ALLOW_WITH_REDACTION
#   citation: §6103(i)(1)(A) ("specified taxable period or periods")
#   message: "The last known address is from a period the order does not cover; the latest address from a covered period is released."
subject_record_findings contains [i, lib.finding(rego.metadata.rule())] if {
	some i, _ in release_year
}

# METADATA
# title: Last known address outside the covered periods and no covered one on file
# custom:
#   rule_id: 6103-I1-6
#   outcome: DENY
#   citation: §6103(i)(1)(A) ("specified taxable period or periods")
#   message: "No address on file is from a taxable period the order covers."
subject_record_findings contains [i, lib.finding(rego.metadata.rule())] if {
	some i, t in _uncovered_last_known
	not _latest_covered_year(lib.court_order, t)
}

# METADATA
# title: Tax year of the address to release under 6103-I1-6
# description: The latest covered tax year with an address on file, when the last known one is not covered.
release_year := {i: year |
	some i, t in _uncovered_last_known
	year := _latest_covered_year(lib.court_order, t)
}

# METADATA
# title: Subjects with a denying 6103-I1 finding of their own (no 6103-I1-OK for them)
denied_subjects contains i if {
	some [i, f] in subject_findings
	f.outcome == "DENY"
}

# METADATA
# title: No non-tax Federal criminal statute (or child-exploitation matter) cited
# custom:
#   rule_id: 6103-I1-7
#   outcome: DENY
#   citation: §6103(i)(1)(A)(i)
#   message: Order/request not tied to a specifically designated non-tax Federal criminal statute.
request_findings contains lib.finding(rego.metadata.rule()) if {
	_applies
	lib.all_statutes_recognised
	not lib.criminal_nontax_cited
	not lib.child_exploitation_cited
}

# METADATA
# title: Purpose or nature not a non-tax criminal matter
# description: >-
#   (i)(1) serves a non-tax Federal criminal matter only: the enforcement nature must
#   be CRIMINAL and the purpose a criminal category (civil immigration enforcement,
#   remediation, claim collection and the like are not).
# custom:
#   rule_id: 6103-I1-10
#   outcome: DENY
#   citation: §6103(i)(1)(A)(i), (iii) ("solely for the use ... in")
#   message: §6103(i)(1) is limited to non-tax Federal criminal matters; the purpose or its nature is not one.
request_findings contains lib.finding(rego.metadata.rule()) if {
	_applies
	not _criminal_purpose
}

# METADATA
# title: The purpose is a criminal category and its nature criminal
_criminal_purpose if {
	lib.purpose.enforcement_nature == "CRIMINAL"
	lib.purpose.category in lib.criminal_categories
}

# METADATA
# title: Recipients or use outside the order
# description: >-
#   No recipients; a recipient not an employee of the requesting department,
#   not personally and directly engaged, or not named in the order; downstream
#   civil use; any onward sharing.
# custom:
#   rule_id: 6103-I1-8
#   outcome: DENY
#   citation: §6103(i)(1)(A); (a)(1); §7213(a)(1)
#   message: Recipients/use outside the order ('personally and directly engaged', 'solely for the use').
request_findings contains lib.finding(rego.metadata.rule()) if {
	_applies
	order := lib.court_order
	not _recipients_within(order)
}

# METADATA
# title: Fields outside the order or the gateway's scope withheld
# custom:
#   rule_id: 6103-I1-9
#   outcome: ALLOW_WITH_REDACTION
#   citation: §6103(i)(1)(A)
#   message: "Fields outside the order or the gateway's scope withheld."
subject_findings contains [i, lib.finding(rego.metadata.rule())] if {
	_applies
	lib.court_order
	count(lib.extra_fields) > 0
	some i, _ in lib.taxpayers
}

# METADATA
# title: The order does not cover the address
# custom:
#   rule_id: 6103-I1-9
#   outcome: DENY
#   citation: §6103(i)(1)(A)
#   message: "The order's covered data does not include the taxpayer's address."
subject_findings contains [i, lib.finding(rego.metadata.rule())] if {
	_applies
	order := lib.court_order
	not _address_covered(order)
	some i, _ in lib.taxpayers
}

# METADATA
# title: Disclosed under the ex parte order
# description: >-
#   The basis is satisfied when no 6103-I1 rule denies on the requester's
#   facts; the decision shows this finding only when the subject is released.
# custom:
#   rule_id: 6103-I1-OK
#   outcome: ALLOW
#   citation: §6103(i)(1)
#   message: Disclosed under ex parte order %s.
basis_satisfied contains [i, lib.finding_args(rego.metadata.rule(), [lib.court_order.docket_number])] if {
	_applies
	not lib.any_deny(request_findings)
	some i, _ in lib.taxpayers
	not i in denied_subjects
}

# METADATA
# title: A valid ex parte order that could support a judicial-approval exception (INJ-3)
# description: >-
#   An (i)(1), (i)(5) or (i)(7)(C) order of a Federal district or magistrate
#   judge, verified against the docket, in effect at decision time, on an
#   application by a listed authorizer.
qualifying_order if {
	order := lib.court_order
	order.verified_with_court == true
	_federal_judge(order)
	_in_effect(order)
	order.applicant_authorizer_role in _authorizers[order.order_type]
}

# METADATA
# title: Listed authorizers by order type
_authorizers := {
	"EX_PARTE_6103_I_1": data.registry.roles.authorizers_i1,
	"EX_PARTE_6103_I_5": data.registry.roles.authorizers_i1,
	"EX_PARTE_6103_I_7_C": data.registry.roles.authorizers_i7c,
}

# METADATA
# title: A Federal district court, and a district or magistrate judge
_federal_judge(order) if {
	order.court_type == "US_DISTRICT_COURT"
	order.judge_type in {"DISTRICT_JUDGE", "MAGISTRATE_JUDGE"}
}

# METADATA
# title: An AUSA, or another DOJ official whose authority needs review, authorized the application
_authorizer_reviewable(order) if {
	lib.department == "DOJ"
	order.applicant_authorizer_role in data.registry.roles.authorizers_i1_review_doj
}

# METADATA
# title: Issued at or before decision time and not expired
_in_effect(order) if {
	lib.parse_time(order.issued_at) <= lib.now_ns
	not _expired(order)
}

# METADATA
# title: The order expired before decision time (or its expiry is unreadable)
_expired(order) if {
	order.expires_at != null
	not lib.now_ns <= lib.parse_time(order.expires_at)
}

# METADATA
# title: The TIN is one the order covers (digits compared)
_covered_tin(tin) if regex.replace(tin, `[^0-9]`, "") in _covered_digits

# METADATA
# title: The digits of every TIN the order covers
# description: >-
#   Built once per decision: a request about as many taxpayers as the order
#   covers would otherwise compare every subject with every covered TIN.
_covered_digits := {regex.replace(covered, `[^0-9]`, "") | some covered in lib.court_order.covered_tins}

# METADATA
# title: The matched record's TIN is covered by the order
_record_covered(t) if _covered_tin(t.record.tin)

# METADATA
# title: Subjects under (i)(1) whose last known address comes from an uncovered year
_uncovered_last_known := {i: t |
	_applies
	order := lib.court_order
	some i, t in lib.taxpayers
	is_number(t.record.last_known_tax_year)
	not t.record.last_known_tax_year in order.covered_taxable_periods
}

# METADATA
# title: Latest covered tax year for which the datastore holds an address
_latest_covered_year(order, t) := max(years) if {
	years := {y | some y in t.record.address_tax_years; y in order.covered_taxable_periods}
	count(years) > 0
}

# METADATA
# title: Recipients are engaged employees named in the order, and there is no civil or onward use
_recipients_within(order) if {
	count(lib.recipients) > 0
	lib.no_downstream_civil_use
	lib.no_onward_sharing
	named := {lib.squash(n) | some n in order.named_recipients}
	every r in lib.recipients {
		r.is_employee == true
		lib.recipient_department(r) == lib.department
		r.personally_directly_engaged == true
		lib.squash(r.name) in named
	}
}

# METADATA
# title: The order covers the last known address
_address_covered(order) if {
	some d in order.covered_data
	d in {"LAST_KNOWN_ADDRESS", "IDENTITY", "ALL_RETURN_INFO"}
}
