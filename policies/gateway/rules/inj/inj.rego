# METADATA
# title: Injunction rules (INJ-*, DHS-IMM-REVIEW)
# description: >-
#   The address-sharing injunctions of POLICY_MODEL.md §2.5 and §3.5.2, read
#   from the court-order registry and evaluated at decision_time (GW-12). An
#   injunction is in force from effective_from (00:00 America/New_York on the
#   order date), until effective_until if set, unless the registry records it
#   VACATED or STAYED with a status_effective at or before decision time and a
#   status_ref citing the docket entry (INJ-6).
package gateway.rules.inj

import data.gateway.lib
import data.gateway.rules.i1

# METADATA
# title: Interim order requires advance notice before any disclosure to DHS
# custom:
#   rule_id: INJ-0
#   outcome: REQUIRE_HUMAN_REVIEW
#   citation: CTR v. IRS, No. 1:25-cv-00457 (D.D.C., Sept. 2025 orders)
#   message: "Interim order: 24-hour advance notice to court and plaintiffs required before any disclosure to ICE."
request_findings contains lib.finding(rego.metadata.rule()) if _inj0

# METADATA
# title: Address sharing with DHS for immigration enforcement enjoined
# custom:
#   rule_id: INJ-1
#   outcome: DENY
#   citation: CTR v. IRS PI (21 Nov 2025); §6103(i)(2)(A) "solely"
#   message: >-
#     Preliminary injunction and §705 stay (CTR v. IRS, D.D.C. Nov. 21, 2025):
#     IRS may not disclose taxpayer address information to DHS/ICE under the
#     Address-Sharing Policy or for immigration enforcement. Citing a criminal
#     immigration statute does not take the request outside the order.
request_findings contains lib.finding(rego.metadata.rule()) if {
	_inj1_conditions
	in_force("CTR-PI")
}

# METADATA
# title: Non-immigration DHS request without judicial approval
# custom:
#   rule_id: INJ-2
#   outcome: REQUIRE_HUMAN_REVIEW
#   citation: CTR v. IRS PI (as reported by NBC) [scope UNCONFIRMED]
#   message: >-
#     Injunction reportedly bars sharing any return information with DHS except
#     with judicial approval; counsel must confirm against the order text before
#     any release.
request_findings contains lib.finding(rego.metadata.rule()) if {
	_dhs_nexus
	in_force("CTR-PI")
	not _inj1_conditions
	not i1.qualifying_order
}

# METADATA
# title: DHS request with a possible judicial-approval exception
# custom:
#   rule_id: INJ-3
#   outcome: REQUIRE_HUMAN_REVIEW
#   citation: CTR v. IRS PI (notice requirement per Bloomberg Tax) [UNCONFIRMED]
#   message: Possible judicial-approval exception; file advance notice with the court (CTR v. IRS) and obtain counsel sign-off before release.
request_findings contains lib.finding(rego.metadata.rule()) if _inj3

# METADATA
# title: IRS-ICE MOU and DHS immigration requests enjoined
# custom:
#   rule_id: INJ-4
#   outcome: DENY
#   citation: CEDC v. Bessent, No. 1:25-cv-12822 (D. Mass.)
#   message: Preliminary injunction (CEDC v. Bessent, D. Mass. Feb. 5, 2026) enjoins implementation of the IRS–ICE MOU and related agreements.
request_findings contains lib.finding(rego.metadata.rule()) if {
	_inj4_conditions
	in_force("CEDC-PI")
}

# METADATA
# title: Immigration-related criminal request by a non-DHS agency
# custom:
#   rule_id: INJ-5
#   outcome: REQUIRE_HUMAN_REVIEW
#   citation: CTR v. IRS PI (scope as to non-DHS requesters [UNCONFIRMED]); §6103(i)(2)(A) "solely"
#   message: >-
#     Immigration-related criminal request by a non-DHS agency while the
#     injunction is in force: counsel to confirm a bona fide prosecution and the
#     absence of any DHS conduit before release.
request_findings contains lib.finding(rego.metadata.rule()) if {
	_inj5_conditions
	in_force("CTR-PI")
}

# METADATA
# title: An injunction that would apply is no longer in force
# description: >-
#   Reported when a VACATED or STAYED registry entry would otherwise have
#   applied to this request. Informational: it never authorizes a disclosure
#   by itself.
# custom:
#   rule_id: INJ-6
#   outcome: ALLOW
#   citation: registry governance
#   message: Injunction %s not in force as of %s per %s.
request_findings contains lib.finding_args(rego.metadata.rule(), [id, entry.status_effective, entry.status_ref]) if {
	some id in _relevant
	_lifted(id)
	entry := data.registry.court_orders[id]
}

# METADATA
# title: Refresh or re-disclosure of the enjoined 2025 ICE dataset
# custom:
#   rule_id: INJ-7
#   outcome: DENY
#   citation: CTR v. IRS (21 Nov 2025; 26 Feb 2026); CEDC PI (5 Feb 2026)
#   message: Previously disclosed ICE dataset is subject to injunctions and remediation; no refresh or re-disclosure.
request_findings contains lib.finding(rego.metadata.rule()) if {
	some id in data.params.TAINTED_DISCLOSURE_IDS
	some key in ["relates_to_prior_disclosure_id", "description"]
	contains(lib.squash(lib.purpose[key]), lib.squash(id))
}

# METADATA
# title: Post-injunction DHS immigration-criminal request
# description: >-
#   Both injunctions not in force (not yet effective, or lifted). Deny rules
#   still prevail through the outcome lattice.
# custom:
#   rule_id: DHS-IMM-REVIEW
#   outcome: REQUIRE_HUMAN_REVIEW
#   citation: Centro (D.C. Cir. 2026) permits valid (i)(2) requests; pretext and misidentification findings in CTR (Nov 2025) and CEDC (Feb 2026)
#   message: "Post-injunction DHS immigration-criminal request: verify bona fide criminal investigation, individual caseload, no civil-use conduit, identity certainty."
request_findings contains lib.finding(rego.metadata.rule()) if {
	_dhs_nexus
	_immigration_criminal
	not in_force("CTR-PI")
	not in_force("CEDC-PI")
}

# METADATA
# title: Advance notice to the court under the interim order
# custom:
#   rule_id: INJ-0
#   outcome: OBLIGATION
#   citation: CTR v. IRS, No. 1:25-cv-00457 (D.D.C., Sept. 2025 orders)
obligations contains court_notice if _inj0

# METADATA
# title: Advance notice to the court of a DHS disclosure deemed lawful
# custom:
#   rule_id: INJ-3
#   outcome: OBLIGATION
#   citation: CTR v. IRS PI (notice requirement per Bloomberg Tax) [UNCONFIRMED]
obligations contains court_notice if _inj3

# METADATA
# title: The court notice a disclosure officer is shown
# description: >-
#   The obligation INJ-0 and INJ-3 attach; the gateway shows its message to the
#   disclosure officer who reviews the subject, before any release.
# custom:
#   rule_id: COURT_NOTICE
#   outcome: OBLIGATION
#   citation: CTR v. IRS, No. 1:25-cv-00457 (D.D.C.)
#   message: "Court notice required: file advance notice with the court (CTR v. IRS, D.D.C. No. 1:25-cv-00457) and obtain counsel sign-off before any release."
court_notice := "COURT_NOTICE"

# METADATA
# title: A registry order is in force at decision time
in_force(id) if {
	entry := data.registry.court_orders[id]
	lib.parse_time(entry.effective_from) <= lib.now_ns
	not _ended(entry)
	not _lifted(id)
}

# METADATA
# title: The order's own term ended before decision time
_ended(entry) if lib.parse_time(entry.effective_until) <= lib.now_ns

# METADATA
# title: Registry records the order VACATED or STAYED, with a docket cite, at or before decision time
_lifted(id) if {
	entry := data.registry.court_orders[id]
	entry.status in {"VACATED", "STAYED"}
	lib.filled(entry.status_ref)
	lib.parse_time(entry.status_effective) <= lib.now_ns
}

# METADATA
# title: INJ-0 applies
_inj0 if {
	_dhs_nexus
	in_force("CTR-INTERIM")
}

# METADATA
# title: INJ-3 applies
_inj3 if {
	_dhs_nexus
	in_force("CTR-PI")
	i1.qualifying_order
}

# METADATA
# scope: document
# title: INJ-1 conditions other than the injunction being in force
# description: >-
#   DHS anywhere in the request with an immigration-related purpose, statute, MOU or
#   civil use; or a civil immigration purpose whoever asks (civil immigration
#   enforcement is DHS's function, so any other requester would be its conduit).
_inj1_conditions if {
	_dhs_nexus
	_immigration_related
}

_inj1_conditions if lib.purpose.category in _civil_immigration_categories

# METADATA
# scope: document
# title: INJ-4 conditions other than the injunction being in force
_inj4_conditions if input.invokes_irs_dhs_mou == true

_inj4_conditions if lib.basis == "MOU_IRS_DHS_2025"

_inj4_conditions if {
	_requester_is_dhs
	_immigration_related
}

# METADATA
# title: INJ-5 conditions other than the injunction being in force
# description: No DHS anywhere in the request, and an immigration statute or purpose.
_inj5_conditions if {
	not _dhs_nexus
	not lib.purpose.category in _civil_immigration_categories
	_immigration_statute_or_purpose
}

# METADATA
# scope: document
# title: An immigration statute is cited, or the purpose is an immigration category
_immigration_statute_or_purpose if lib.immigration_statute_cited

_immigration_statute_or_purpose if lib.purpose.category == "IMMIGRATION_CRIMINAL"

# METADATA
# title: Purpose categories that are immigration enforcement or its remediation
_immigration_categories := {"CIVIL_IMMIGRATION_ENFORCEMENT", "IMMIGRATION_CRIMINAL", "DATA_REMEDIATION"}

# METADATA
# title: Immigration purposes that are civil (enforcement, or remediation of an earlier disclosure)
_civil_immigration_categories := {"CIVIL_IMMIGRATION_ENFORCEMENT", "DATA_REMEDIATION"}

# METADATA
# scope: document
# title: Registry orders that would apply to this request if in force
_relevant contains "CTR-INTERIM" if _dhs_nexus

_relevant contains "CTR-PI" if _dhs_nexus

_relevant contains "CTR-PI" if _immigration_statute_or_purpose

_relevant contains "CTR-PI" if lib.purpose.category in _civil_immigration_categories

_relevant contains "CEDC-PI" if _inj4_conditions

# METADATA
# scope: document
# title: The requesting agency is part of DHS
# description: Per the registry, or as presented (any claim of DHS counts, so that the check fails closed).
_requester_is_dhs if lib.agency.is_dhs == true

_requester_is_dhs if lib.requester.agency == "DHS"

_requester_is_dhs if lib.requester.component in lib.dhs_components

# METADATA
# scope: document
# title: DHS receives the information (requester or a named recipient)
_dhs_recipient if _requester_is_dhs

_dhs_recipient if {
	some r in lib.recipients
	_names_dhs(r.employer)
}

# METADATA
# scope: document
# title: DHS appears anywhere in the request (requester, a recipient, onward sharing)
_dhs_nexus if _dhs_recipient

_dhs_nexus if {
	some fact in lib.onward_facts
	_names_dhs(fact)
}

# METADATA
# scope: document
# title: An agency fact designates or mentions DHS or a DHS component
# description: >-
#   The name resolved to a DHS entry of the registry, or mentions one (gateway/facts/agencies.py),
#   or, as a last line of defence, its raw text contains a DHS word or phrase.
_names_dhs(fact) if lib.entity_is_dhs(fact.resolved)

_names_dhs(fact) if {
	some entity in fact.mentions
	lib.entity_is_dhs(entity)
}

_names_dhs(fact) if _is_dhs_name(fact.text)

# METADATA
# scope: document
# title: A raw name that contains a DHS word or phrase (case and punctuation ignored)
# description: >-
#   "dhs", "DHS/ICE", "ICE ERO", "ice_hsi", "Dept. of Homeland Security",
#   "U.S. Customs and Border Protection". The last line of defence behind the
#   gateway's resolution of names against the registry.
_is_dhs_name(x) if {
	some word in split(lib.squash(x), " ")
	word in _dhs_words
}

_is_dhs_name(x) if {
	some phrase in _dhs_phrases
	contains(lib.squash(x), phrase)
}

# METADATA
# title: Words that name DHS or a DHS component
_dhs_words := {"DHS", "ICE", "ERO", "HSI", "CBP", "USCIS", "FEMA", "TSA", "USSS", "USCG"}

# METADATA
# title: Phrases that name DHS or a DHS component
_dhs_phrases := {
	"HOMELAND SECURITY", "IMMIGRATION AND CUSTOMS", "CUSTOMS AND BORDER",
	"CITIZENSHIP AND IMMIGRATION", "SECRET SERVICE", "COAST GUARD",
}

# METADATA
# scope: document
# title: Immigration-related purpose, statute, MOU or civil use
_immigration_related if lib.purpose.category in _immigration_categories

_immigration_related if lib.immigration_statute_cited

_immigration_related if input.invokes_irs_dhs_mou == true

_immigration_related if lib.basis == "MOU_IRS_DHS_2025"

_immigration_related if not lib.no_downstream_civil_use

# METADATA
# scope: document
# title: Immigration-related criminal purpose
_immigration_criminal if lib.purpose.category == "IMMIGRATION_CRIMINAL"

_immigration_criminal if lib.immigration_criminal_statute_cited
