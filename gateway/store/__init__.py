"""The taxpayer datastore: tables, migrations, matching, synthetic seed and import.

Read-only to the enforcement pipeline (:mod:`gateway.store.taxpayers`);
written by operators through ``gateway seed`` and ``gateway store import``
(:mod:`gateway.store.commands`). Also holds the gateway's own tables
(decision log leaves, lookups, seen token ids). Never imports FastAPI; table
models never leave the package. See ``README.md`` beside this file.
"""
