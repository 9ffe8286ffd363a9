"""The legal words the gateway itself adds to an answer, read from the policy's METADATA.

Three texts are not the outcome of a rule that fired, yet carry legal weight, so
they are the policy's to write, never Python's:

* ``GW-11`` — the uniform denial every denied subject carries, whether or not a
  record exists (also when the gateway, not the policy, denies a subject: a
  request-level denial, no address on file, an officer's denial);
* ``REVIEW-APPROVED`` — the reason added when a disclosure officer approves a
  subject the policy sent to review;
* ``COURT_NOTICE`` — what an officer is told to do for a ``COURT_NOTICE``
  obligation (CTR v. IRS).

They are read with the rule catalogue (``opa inspect --annotations``,
:func:`gateway.pdp.catalog.read_catalog`) from the very files a policy is
activated from, and travel with its engine and revision
(:class:`gateway.pdp.active.PolicyInUse`). A policy that lacks one of them, or
whose METADATA for one lacks a citation or a message, is refused at activation
(:class:`PolicyTextsMissingError`): the gateway would otherwise have to make the
words up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from gateway.pdp.catalog import RuleMetadata, read_catalog
from gateway.pdp.decision import Finding

UNIFORM_DENIAL = "GW-11"
REVIEW_APPROVED = "REVIEW-APPROVED"
COURT_NOTICE = "COURT_NOTICE"


class PolicyTextsMissingError(Exception):
    """The policy does not write a text the gateway must show; it cannot be activated."""


@dataclass(frozen=True)
class GatewayTexts:
    uniform_denial: Finding
    review_approved: Finding
    court_notice: str


def _finding(rules: Mapping[str, RuleMetadata], rule: str) -> Finding:
    meta = rules.get(rule)
    if meta is None:
        raise PolicyTextsMissingError(f"the policy has no METADATA for rule {rule}")
    if not meta.citation or not meta.message:
        raise PolicyTextsMissingError(
            f"the METADATA of rule {rule} needs both custom.citation and custom.message"
        )
    try:
        return Finding.model_validate(
            {
                "rule": rule,
                "outcome": meta.outcome,
                "citation": meta.citation,
                "message": meta.message,
            }
        )
    except ValidationError as exc:
        raise PolicyTextsMissingError(
            f"the METADATA of rule {rule} has no valid custom.outcome ({meta.outcome!r})"
        ) from exc


def texts_from_catalog(rules: Mapping[str, RuleMetadata]) -> GatewayTexts:
    """The three texts from a policy's rule catalogue; raises if one is missing."""
    return GatewayTexts(
        uniform_denial=_finding(rules, UNIFORM_DENIAL),
        review_approved=_finding(rules, REVIEW_APPROVED),
        court_notice=_finding(rules, COURT_NOTICE).message,
    )


def load_texts(opa_binary: Path, directory: Path) -> GatewayTexts:
    """Read the texts of the policy in ``directory``; raises :class:`PolicyTextsMissingError`."""
    return texts_from_catalog(read_catalog(opa_binary, directory))
