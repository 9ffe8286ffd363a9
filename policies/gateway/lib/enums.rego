# METADATA
# title: Shared helpers for the gateway policy
# description: >-
#   Enumerations of the policy input contract (POLICY_MODEL.md §3.2), total
#   accessors over the input, registry look-ups, the decision clock (GW-12),
#   text normalisation and the one helper that turns a rule's METADATA into a
#   finding. Every accessor here is defined for any input, even a malformed or
#   missing one, so that the decision is always defined.
package gateway.lib

# METADATA
# title: Requesting departments (requester.agency)
departments := {
	"DOJ", "DHS", "TREASURY", "ED", "SSA", "HHS",
	"STATE_TAX", "LOCAL_LE", "OTHER_FEDERAL", "UNKNOWN",
}

# METADATA
# title: Departments that are not Federal agencies
non_federal_departments := {"STATE_TAX", "LOCAL_LE", "UNKNOWN"}

# METADATA
# title: Signer roles (requester.signer.role)
roles := {
	"AGENCY_HEAD", "COMPONENT_HEAD", "INSPECTOR_GENERAL", "AG", "DAG", "ASSOC_AG", "AAG",
	"FBI_DIRECTOR", "DEA_ADMINISTRATOR", "US_ATTORNEY", "SPECIAL_PROSECUTOR_593",
	"STRIKE_FORCE_ATTY", "SEC_EDUCATION", "SSA_COMMISSIONER", "STATE_TAX_HEAD",
	"FED_LE_HEAD_OR_DELEGATE", "DESIGNEE", "OTHER",
}

# METADATA
# title: Legal bases (legal_basis)
legal_bases := {
	"6103_i_1", "6103_i_2", "6103_i_3_A", "6103_i_3_B", "6103_i_5", "6103_i_7_A", "6103_i_7_C",
	"6103_d", "6103_l_6", "6103_m_2", "6103_m_4", "6103_m_7", "MOU_IRS_DHS_2025", "NONE",
}

# METADATA
# title: Purpose categories (purpose.category)
categories := {
	"NONTAX_CRIMINAL", "IMMIGRATION_CRIMINAL", "CIVIL_IMMIGRATION_ENFORCEMENT",
	"FUGITIVE_LOCATION", "TERRORISM", "EMERGENCY_LIFE_SAFETY", "STATE_TAX_ADMIN",
	"FEDERAL_CLAIM_COLLECTION", "STUDENT_LOAN_COLLECTION", "SS_STATEMENT_MAILING",
	"CHILD_SUPPORT", "DATA_REMEDIATION", "OTHER",
}

# METADATA
# title: Enforcement natures (purpose.enforcement_nature)
enforcement_natures := {"CRIMINAL", "CIVIL", "MIXED", "UNKNOWN"}

# METADATA
# title: Safeguards statuses (requester.safeguards_status)
safeguards_statuses := {"CURRENT", "LAPSED", "NONE"}

# METADATA
# title: Fields a requester may ask for (requested_fields)
fields := {
	"LAST_KNOWN_ADDRESS", "NAME", "TIN", "DOB", "FILING_STATUS", "INCOME",
	"EMPLOYER_PAYOR", "BANK_ACCOUNT", "DEPENDENTS", "AUDIT_STATUS", "W7_DATA",
}

# METADATA
# title: Identity match methods (taxpayers[].match.method)
match_methods := {"TIN_NAME", "NAME_DOB_ADDRESS", "NAME_ONLY"}

# METADATA
# title: Court order types (court_order.order_type)
order_types := {"EX_PARTE_6103_I_1", "EX_PARTE_6103_I_5", "EX_PARTE_6103_I_7_C", "OTHER"}

# METADATA
# title: Court types (court_order.court_type)
court_types := {"US_DISTRICT_COURT", "STATE_COURT", "IMMIGRATION_COURT", "ADMIN", "OTHER"}

# METADATA
# title: Judge types (court_order.judge_type)
judge_types := {"DISTRICT_JUDGE", "MAGISTRATE_JUDGE", "IMMIGRATION_JUDGE", "STATE_JUDGE", "OTHER"}

# METADATA
# title: Data an order may cover (court_order.covered_data)
covered_data_kinds := {"LAST_KNOWN_ADDRESS", "IDENTITY", "RETURNS", "ALL_RETURN_INFO"}

# METADATA
# title: Arrest warrant types (court_order.felony_arrest_warrant.type)
warrant_types := {"JUDICIAL", "ADMINISTRATIVE_IMMIGRATION"}

# METADATA
# title: Offense classes (court_order.felony_arrest_warrant.offense_class)
offense_classes := {"FELONY", "MISDEMEANOR", "CIVIL"}

# METADATA
# title: Purpose categories of a criminal matter
# description: The categories under which information may be used "solely" for a criminal matter.
criminal_categories := {"NONTAX_CRIMINAL", "IMMIGRATION_CRIMINAL", "FUGITIVE_LOCATION", "TERRORISM"}

# METADATA
# title: DHS components
# description: Component codes that identify a DHS requester or recipient even without a registry entry.
dhs_components := {"ICE", "ICE_ERO", "ICE_HSI", "CBP", "USCIS", "FEMA", "DHS_OIG", "TSA", "USSS", "USCG"}
