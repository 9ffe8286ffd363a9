"""The auditors' browser pages (``/audit/``): server-rendered HTML over the audit service.

``pages`` holds the routes, sign-in and CSRF; ``sessions`` the short-lived
server-side sessions; ``rendering`` the templates, security headers and HTML
error pages; ``charts`` the dashboard's server-side SVG. Nothing here queries
the database or the log itself: every figure comes from
``gateway.auditing``, the service the JSON API and the CLI use too.
"""
