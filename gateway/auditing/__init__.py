"""The auditors' workbench: a queryable projection of the decision log, and the service on it.

``tables`` and ``projection`` keep the projection in step with the log (same
transaction as each leaf); ``queries`` reads it; ``service.AuditService`` is what
the API (``gateway.api.audit``), the pages and the ``gateway audit`` commands
call; ``views`` are the values it answers with.
"""
