package gateway.lib

# METADATA
# title: An RFC 3339 timestamp with an explicit offset
rfc3339(s) if {
	is_string(s)
	regex.match(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`, s)
}

# METADATA
# title: Nanoseconds of an RFC 3339 timestamp (undefined if malformed)
parse_time(s) := time.parse_rfc3339_ns(s) if rfc3339(s)

# METADATA
# title: Nanoseconds of a YYYY-MM-DD date at 00:00 UTC (undefined if malformed)
parse_date(s) := time.parse_ns("2006-01-02", s) if {
	is_string(s)
	regex.match(`^\d{4}-\d{2}-\d{2}$`, s)
}

# METADATA
# title: Decision time
# description: >-
#   Every time-dependent rule (injunctions, order validity, the 90-day removal
#   element) is evaluated at decision_time, set by the gateway's clock, never at
#   received_at. Undefined if decision_time is malformed, which GW-1 denies.
# custom:
#   rule_id: GW-12
#   citation: court orders bind the act of disclosure
now_ns := parse_time(input.decision_time)
