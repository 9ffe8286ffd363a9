from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.auth.keys import GATEWAY_KEY_NAME, KeyStore
from gateway.auth.registry import Agency, Official, Registry, StaffMember
from gateway.auth.tokens import (
    AgencyPrincipal,
    StaffPrincipal,
    StaffRole,
    TokenUse,
    TokenVerifier,
    mint_token,
    token_use,
)
from gateway.errors import UnauthenticatedError

NOW = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
AUD = "taxpayer-gateway"


class MemoryReplay:
    """The replay memory's contract (first use recorded once, never changed), in a dict;
    the database's is tested in tests/unit/store/test_token_uses.py."""

    def __init__(self) -> None:
        self.seen: dict[str, TokenUse] = {}

    def first_use(
        self, jti: str, issuer: str, expires_at: datetime, use: TokenUse
    ) -> TokenUse | None:
        first = self.seen.get(jti)
        if first is None:
            self.seen[jti] = use
        return first

    def recorded(self, jti: str) -> TokenUse | None:
        return self.seen.get(jti)


@pytest.fixture
def registry() -> Registry:
    fbi = Agency("DOJ-FBI", "FBI", "DOJ", "FBI", False, None, True, "CURRENT")
    ice = Agency("DHS-ICE", "ICE", "DHS", "ICE_ERO", True, None, True, "CURRENT")
    hq = Agency("DHS-HQ", "DHS", "DHS", "NONE", True, None, True, "CURRENT")
    return Registry(
        agencies={"DOJ-FBI": fbi, "DHS-ICE": ice, "DHS-HQ": hq},
        officials={
            "fbi-director": Official(
                "fbi-director", "DOJ-FBI", "D", "Director", "FBI_DIRECTOR", False
            ),
            "dhs-secretary": Official(
                "dhs-secretary", "DHS-HQ", "S", "Secretary", "AGENCY_HEAD", False
            ),
            "ice-director": Official(
                "ice-director", "DHS-ICE", "I", "Director", "COMPONENT_HEAD", False
            ),
        },
        staff={
            "alice": StaffMember("alice", "Alice A.", ("auditor",), "active"),
            "olga": StaffMember("olga", "Olga O.", ("disclosure_officer", "auditor"), "active"),
            "gone": StaffMember("gone", "Gus G.", ("auditor",), "inactive"),
        },
    )


@pytest.fixture
def keys(tmp_path: Path) -> KeyStore:
    store = KeyStore(tmp_path)
    for issuer in (GATEWAY_KEY_NAME, "DOJ-FBI", "DHS-ICE"):
        store.ensure(issuer)
    return store


@pytest.fixture
def verifier(keys: KeyStore, registry: Registry) -> TokenVerifier:
    return TokenVerifier(
        keys=keys,
        registry=registry,
        replay=MemoryReplay(),
        audience=AUD,
        max_lifetime_seconds=600,
        leeway_seconds=30,
    )


def _mint(keys: KeyStore, **kw: object) -> str:
    args: dict[str, object] = {
        "issuer": "DOJ-FBI",
        "subject": "fbi-director",
        "audience": AUD,
        "now": NOW,
    }
    args.update(kw)
    return mint_token(keys, **args)  # type: ignore[arg-type]


def test_valid_agency_token_names_the_registered_official(
    keys: KeyStore, verifier: TokenVerifier
) -> None:
    p = verifier.verify(f"Bearer {_mint(keys)}", NOW)
    assert isinstance(p, AgencyPrincipal)
    assert p.agency.id == "DOJ-FBI"
    assert p.official.role == "FBI_DIRECTOR"


def test_staff_token_carries_its_role_and_the_registered_name(
    keys: KeyStore, verifier: TokenVerifier
) -> None:
    tok = _mint(keys, issuer=GATEWAY_KEY_NAME, subject="alice", role="auditor")
    p = verifier.verify(f"Bearer {tok}", NOW)
    assert p == StaffPrincipal(subject="alice", role="auditor", jti=p.jti, name="Alice A.")


def test_a_staff_member_may_sign_in_with_any_role_they_hold(
    keys: KeyStore, verifier: TokenVerifier
) -> None:
    for role in ("disclosure_officer", "auditor"):
        tok = _mint(keys, issuer=GATEWAY_KEY_NAME, subject="olga", role=role)
        p = verifier.verify(f"Bearer {tok}", NOW)
        assert isinstance(p, StaffPrincipal)
        assert (p.subject, p.role) == ("olga", role)


@pytest.mark.parametrize(
    ("subject", "role"),
    [
        pytest.param("mallory", "auditor", id="unknown"),
        pytest.param("gone", "auditor", id="inactive"),
        pytest.param("alice", "disclosure_officer", id="role_not_held"),
    ],
)
def test_staff_token_for_anyone_but_an_active_member_with_the_role_is_refused(
    keys: KeyStore, verifier: TokenVerifier, subject: str, role: StaffRole
) -> None:
    tok = _mint(keys, issuer=GATEWAY_KEY_NAME, subject=subject, role=role)
    with pytest.raises(UnauthenticatedError, match="staff member"):
        verifier.verify(f"Bearer {tok}", NOW)


def test_replayed_jti_is_refused(keys: KeyStore, verifier: TokenVerifier) -> None:
    tok = _mint(keys)
    verifier.verify(f"Bearer {tok}", NOW)
    with pytest.raises(UnauthenticatedError, match="replayed"):
        verifier.verify(f"Bearer {tok}", NOW)


def test_a_read_token_is_accepted_for_every_read_until_it_expires(
    keys: KeyStore, verifier: TokenVerifier
) -> None:
    tok = _mint(keys, lifetime=timedelta(minutes=10))
    for minutes in (0, 1, 9):
        p = verifier.verify(f"Bearer {tok}", NOW + timedelta(minutes=minutes), "read")
        assert isinstance(p, AgencyPrincipal)
    with pytest.raises(UnauthenticatedError, match="expired"):
        verifier.verify(f"Bearer {tok}", NOW + timedelta(minutes=11), "read")


def test_a_token_used_for_reading_cannot_change_state(
    keys: KeyStore, verifier: TokenVerifier
) -> None:
    tok = _mint(keys)
    verifier.verify(f"Bearer {tok}", NOW, "read")
    with pytest.raises(UnauthenticatedError, match="used for reading"):
        verifier.verify(f"Bearer {tok}", NOW, "write")
    # and the refused write did not turn it into something else: reads still work
    verifier.verify(f"Bearer {tok}", NOW, "read")


def test_a_token_spent_by_a_state_changing_call_cannot_read_either(
    keys: KeyStore, verifier: TokenVerifier
) -> None:
    tok = _mint(keys)
    verifier.verify(f"Bearer {tok}", NOW, "write")
    with pytest.raises(UnauthenticatedError, match="replayed"):
        verifier.verify(f"Bearer {tok}", NOW, "read")


def test_a_call_that_does_not_say_it_reads_spends_the_token(
    keys: KeyStore, verifier: TokenVerifier
) -> None:
    tok = _mint(keys)
    verifier.verify(f"Bearer {tok}", NOW)
    with pytest.raises(UnauthenticatedError, match="replayed"):
        verifier.verify(f"Bearer {tok}", NOW, "read")


def test_a_read_token_is_still_checked_in_full_on_every_use(
    keys: KeyStore, verifier: TokenVerifier, registry: Registry
) -> None:
    tok = _mint(keys)
    verifier.verify(f"Bearer {tok}", NOW, "read")
    # the official leaves the registry: the same token is refused on its next read
    officials = {k: v for k, v in registry.officials.items() if k != "fbi-director"}
    verifier.use_registry(Registry(agencies=registry.agencies, officials=officials))
    with pytest.raises(UnauthenticatedError, match="not a registered official"):
        verifier.verify(f"Bearer {tok}", NOW, "read")


@pytest.mark.parametrize(
    ("method", "use"),
    [
        ("GET", "read"),
        ("HEAD", "read"),
        ("get", "read"),
        ("POST", "write"),
        ("PUT", "write"),
        ("PATCH", "write"),
        ("DELETE", "write"),
        ("OPTIONS", "write"),
    ],
)
def test_only_get_and_head_are_reads(method: str, use: TokenUse) -> None:
    assert token_use(method) == use


def test_token_signed_by_another_key_is_forged(keys: KeyStore, verifier: TokenVerifier) -> None:
    forged = jwt.encode(
        {
            "iss": "DOJ-FBI",
            "sub": "fbi-director",
            "aud": AUD,
            "iat": int(NOW.timestamp()),
            "exp": int(NOW.timestamp()) + 60,
            "jti": "x",
        },
        Ed25519PrivateKey.generate(),
        algorithm="EdDSA",
    )
    with pytest.raises(UnauthenticatedError, match="InvalidSignatureError"):
        verifier.verify(f"Bearer {forged}", NOW)


def test_agency_cannot_sign_for_another_agency(keys: KeyStore, verifier: TokenVerifier) -> None:
    tok = _mint(keys, issuer="DHS-ICE", subject="fbi-director")
    with pytest.raises(UnauthenticatedError, match="not a registered official"):
        verifier.verify(f"Bearer {tok}", NOW)


def test_department_head_may_sign_for_a_component_of_the_department(
    keys: KeyStore, verifier: TokenVerifier
) -> None:
    p = verifier.verify(f"Bearer {_mint(keys, issuer='DHS-ICE', subject='dhs-secretary')}", NOW)
    assert isinstance(p, AgencyPrincipal)
    assert (p.agency.id, p.official.id) == ("DHS-ICE", "dhs-secretary")


def test_department_head_may_not_sign_for_another_department(
    keys: KeyStore, verifier: TokenVerifier
) -> None:
    with pytest.raises(UnauthenticatedError, match="not a registered official"):
        verifier.verify(f"Bearer {_mint(keys, issuer='DOJ-FBI', subject='dhs-secretary')}", NOW)


def test_expired_token_is_refused(keys: KeyStore, verifier: TokenVerifier) -> None:
    tok = _mint(keys, now=NOW - timedelta(minutes=9), lifetime=timedelta(minutes=5))
    with pytest.raises(UnauthenticatedError, match="expired"):
        verifier.verify(f"Bearer {tok}", NOW)


def test_lifetime_over_ten_minutes_is_refused(keys: KeyStore, verifier: TokenVerifier) -> None:
    tok = _mint(keys, lifetime=timedelta(minutes=11))
    with pytest.raises(UnauthenticatedError, match="lifetime"):
        verifier.verify(f"Bearer {tok}", NOW)


def test_token_from_the_future_is_refused(keys: KeyStore, verifier: TokenVerifier) -> None:
    tok = _mint(keys, now=NOW + timedelta(minutes=3))
    with pytest.raises(UnauthenticatedError, match="future"):
        verifier.verify(f"Bearer {tok}", NOW)


def test_wrong_audience_is_refused(keys: KeyStore, verifier: TokenVerifier) -> None:
    with pytest.raises(UnauthenticatedError, match="audience"):
        verifier.verify(f"Bearer {_mint(keys, audience='another-service')}", NOW)


def test_unknown_issuer_is_refused(keys: KeyStore, verifier: TokenVerifier) -> None:
    keys.ensure("DOGE-X")
    with pytest.raises(UnauthenticatedError, match="not a registered agency"):
        verifier.verify(f"Bearer {_mint(keys, issuer='DOGE-X')}", NOW)


def test_unsigned_token_is_refused(verifier: TokenVerifier) -> None:
    tok = jwt.encode({"iss": "DOJ-FBI", "sub": "fbi-director"}, key="", algorithm="none")
    with pytest.raises(UnauthenticatedError, match="EdDSA"):
        verifier.verify(f"Bearer {tok}", NOW)


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer ", "Bearer not.a.jwt"])
def test_missing_or_malformed_authorization_is_refused(
    verifier: TokenVerifier, header: str | None
) -> None:
    with pytest.raises(UnauthenticatedError):
        verifier.verify(header, NOW)


def test_staff_token_without_a_known_role_is_refused(
    keys: KeyStore, verifier: TokenVerifier
) -> None:
    tok = _mint(keys, issuer=GATEWAY_KEY_NAME, subject="mallory")
    with pytest.raises(UnauthenticatedError, match="role"):
        verifier.verify(f"Bearer {tok}", NOW)


def _signed(keys: KeyStore, **claims: object) -> str:
    """A token with exactly the registered claims of ``_mint`` plus ``claims``."""
    base: dict[str, object] = {
        "iss": "DOJ-FBI",
        "sub": "fbi-director",
        "aud": AUD,
        "iat": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 300,
        "jti": str(uuid.uuid4()),
    }
    base.update(claims)
    return jwt.encode(base, keys.private_key("DOJ-FBI"), algorithm="EdDSA")


def test_token_not_valid_until_an_hour_from_now_is_refused(
    keys: KeyStore, verifier: TokenVerifier
) -> None:
    tok = _signed(keys, nbf=int(NOW.timestamp()) + 3600)
    with pytest.raises(UnauthenticatedError, match="not valid yet"):
        verifier.verify(f"Bearer {tok}", NOW)


def test_token_valid_from_the_edge_of_the_clock_skew_is_accepted_and_a_second_later_refused(
    keys: KeyStore, verifier: TokenVerifier
) -> None:
    # The verifier allows 30 s of clock skew between the agency and the gateway.
    edge = _signed(keys, nbf=int(NOW.timestamp()) + 30)
    assert isinstance(verifier.verify(f"Bearer {edge}", NOW), AgencyPrincipal)
    past = _signed(keys, nbf=int(NOW.timestamp()) + 31)
    with pytest.raises(UnauthenticatedError, match="not valid yet"):
        verifier.verify(f"Bearer {past}", NOW)


@pytest.mark.parametrize("nbf", ["2026-03-02", 1.5, True, None])
def test_token_whose_nbf_is_not_an_integer_is_refused(
    keys: KeyStore, verifier: TokenVerifier, nbf: object
) -> None:
    with pytest.raises(UnauthenticatedError):
        verifier.verify(f"Bearer {_signed(keys, nbf=nbf)}", NOW)
