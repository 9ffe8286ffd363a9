"""How hard the invariant tests search: Hypothesis profiles chosen by an environment variable.

``GATEWAY_HYPOTHESIS_PROFILE`` selects one:

* ``ci`` (default, ``make test``): a bounded, derandomized search, so that CI
  sees the same examples on every run and a failure is reproducible from the
  log alone;
* ``soak`` (``make soak``): thousands of examples per property, random, with
  the example database, to look for what the bounded search misses;
* ``mutation`` (``scripts/mutation.py``): just enough examples to notice a
  mutated policy, without shrinking, because the mutation run only needs to
  know *whether* a property fails, not the smallest example.

The profiles are applied per test (``@PROFILE``), never loaded globally, so the
other Hypothesis tests of the suite keep their own settings.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

PROFILE_VARIABLE = "GATEWAY_HYPOTHESIS_PROFILE"

_COMMON = settings(
    # A decision goes through OPA (and for the wire tests through the whole gateway):
    # its latency is not what these tests are about.
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)

settings.register_profile(
    "ci",
    max_examples=80,
    derandomize=True,
    database=None,
    # no "explain" phase: the falsifying example is the report; explaining it costs a
    # few seconds per failing test against a real gateway
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    parent=_COMMON,
)
settings.register_profile("soak", max_examples=3000, derandomize=False, parent=_COMMON)
settings.register_profile(
    "mutation",
    max_examples=10,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    parent=_COMMON,
)

PROFILE_NAME = os.environ.get(PROFILE_VARIABLE, "ci")
PROFILE = settings.get_profile(PROFILE_NAME)
"""The selected profile, applied to every invariant test as a decorator."""


def scaled(fraction: float) -> settings:
    """The selected profile with a share of its examples, for the costlier layers."""
    return settings(PROFILE, max_examples=max(5, int(PROFILE.max_examples * fraction)))
