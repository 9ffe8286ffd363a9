"""The court-order registry: orders verified against the docket by staff, not claimed by agencies.

An agency that cites an ex parte order (§6103(i)(1), (i)(5)) names it by court
and docket number; whether the order exists, and what it covers, is a fact the
gateway's own staff (disclosure officers, court liaisons) recorded after
checking the docket (PACER). The policy input's ``court_order`` is built from
that record (:func:`gateway.court_orders.resolve.resolve_court_order`); what
the agency wrote only serves to find it, and every field where the two differ
is named for the policy (6103-I1-1c).

* :mod:`.key`: the matching key (court + docket number, normalised).
* :mod:`.compare`: which fields of a claimed order differ from the record.
* :mod:`.resolve`: the record in force at decision time, as policy facts.
* :mod:`.service`: recording (a ``court_order`` log leaf, then the row) and reading.
* :mod:`.commands`: ``gateway court-orders record`` / ``list``, over the staff API.
"""
