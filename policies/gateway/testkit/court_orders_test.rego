package gateway.testkit_test

# METADATA
# title: Court orders as the policy model states them (test fixture)
# description: >-
#   The Rego tests decide against this copy of policies/registry/court_orders,
#   not the live registry, so that an operator who records a stay or vacatur
#   (INJ-6) by editing data does not make the model's own tests fail; the
#   gateway's reload check evaluates the live data separately.
court_orders := {
	"CTR-INTERIM": {
		"id": "CTR-INTERIM",
		"kind": "INTERIM_ORDER",
		"court": "U.S. District Court for the District of Columbia",
		"case": "Center for Taxpayer Rights v. IRS, No. 1:25-cv-00457-CKK",
		"effective_from": "2025-09-05T00:00:00-04:00",
		"effective_until": "2025-11-21T00:00:00-05:00",
		"status": "ACTIVE",
		"status_effective": null,
		"status_ref": null,
		"scope": "Interim orders (September 2025; start date approximate, UNCONFIRMED): disclosures to DHS/ICE require 24-hour advance notice to the court and plaintiffs. Superseded by CTR-PI.",
	},
	"CTR-PI": {
		"id": "CTR-PI",
		"kind": "INJUNCTION",
		"court": "U.S. District Court for the District of Columbia",
		"case": "Center for Taxpayer Rights v. IRS, No. 1:25-cv-00457-CKK (appeal: D.C. Cir. No. 26-5006)",
		"effective_from": "2025-11-21T00:00:00-05:00",
		"effective_until": null,
		"status": "ACTIVE",
		"status_effective": null,
		"status_ref": null,
		"scope": "(a) Address-Sharing Policy stayed under 5 U.S.C. 705; (b) no disclosure of taxpayer address information to ICE/DHS for immigration enforcement; (c) reported: no return information to DHS except with judicial approval (UNCONFIRMED); (d) reported: advance notice to the court of DHS disclosures deemed lawful (UNCONFIRMED).",
	},
	"CEDC-PI": {
		"id": "CEDC-PI",
		"kind": "INJUNCTION",
		"court": "U.S. District Court for the District of Massachusetts",
		"case": "CEDC v. Bessent, No. 1:25-cv-12822",
		"effective_from": "2026-02-05T00:00:00-05:00",
		"effective_until": null,
		"status": "ACTIVE",
		"status_effective": null,
		"status_ref": null,
		"scope": "IRS-ICE Memorandum of Understanding (April 2025) and related agreements enjoined; DHS/ICE may not use previously received IRS data.",
	},
	"CENTRO-CADC": {
		"id": "CENTRO-CADC",
		"kind": "PRECEDENT",
		"court": "U.S. Court of Appeals for the D.C. Circuit",
		"case": "Centro de Trabajadores Unidos v. Bessent, No. 25-5181",
		"effective_from": "2026-02-24T00:00:00-05:00",
		"effective_until": null,
		"status": "ACTIVE",
		"status_effective": null,
		"status_ref": null,
		"scope": "Precedent, not an injunction: 26 U.S.C. 6103(i)(2) permits disclosure of a taxpayer's address on a valid written request.",
	},
}
