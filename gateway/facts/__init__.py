"""Facts the policy can trust: what a request names, reduced to canonical form.

An agency writes statutes and agency names as free text. The policy must not
decide on how they are spelled, so the gateway turns each one into a canonical
fact before OPA sees the input: a statute into a canonical citation
(:mod:`gateway.facts.statutes`), an agency name into a registry entry
(:mod:`gateway.facts.agencies`). The raw text stays in the sealed input, next
to the fact made of it; a text that cannot be made into a fact is itself a fact
(unrecognised), which the policy sends to a person, never to an automatic
disclosure.
"""
