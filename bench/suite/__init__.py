"""The issue-11 benchmark suite behind ``make bench`` and ``make bench-full`` (bench/run.py).

Small modules, one concern each: :mod:`suite.server` (a seeded home and
``gateway serve`` on it), :mod:`suite.floor` (what one lookup cannot be faster
than: one OPA decision over REST plus one durable log append), :mod:`suite.load`
(sequential, open-loop and closed-loop lookups over HTTP, every answer checked),
:mod:`suite.machine` (what the figures were measured on) and :mod:`suite.chart`
(the PNG). Why a separate driver and not more flags on the older scripts: the
issue asks for the floor and the gateway in the same run, so that the ratio
between them is not a ratio between two different loads of a shared machine.
"""
