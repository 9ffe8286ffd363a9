"""A deterministic synthetic taxpayer population, fast enough for a million records.

Guarantees:

* Same ``seed`` and ``n`` → identical rows (ids included), whatever the batch
  size: every value comes from one ``random.Random(seed)`` consumed in a
  fixed order, and batching only decides when rows are flushed.
* The population starts with the named demo taxpayers
  (:data:`gateway.store.demo.DEMO_RECORDS`, ids 1-8); ``n`` counts them.
* It has what matching must cope with: households of up to five people who
  share addresses (and mostly a surname); about half the people carry one of
  a few dozen common surnames, so a name-only search finds many candidates;
  about 8% hold ITINs (area 9xx, group 70-79); each person has 1-3 addresses
  across tax years 2021-2025 with the form each came from and whether the
  taxpayer supplied it, 1-3 returns, and rarely a record flag.
* TINs are unique by construction (an affine permutation of the number
  space, not a set of those already used) and never fall in the ranges
  reserved for demo records (SSN area 123, ITIN area 900).
* Rows go in through SQLAlchemy Core ``insert()`` executemany batches of
  :data:`BATCH_SIZE` taxpayers inside one write transaction: a failed seed
  leaves nothing behind. No ORM object is built per row.

Names, streets and employers come from small built-in lists plus syllable
combinations; everything is fictional. Seeding refuses a store that already
holds taxpayers (:class:`StoreNotEmptyError`).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from itertools import combinations
from statistics import NormalDist
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from gateway.store.bulk import (
    NextIds,
    Row,
    advance_sequences,
    dates_as_text,
    indexes_rebuilt_after,
    insert_rows,
    lock_taxpayer_tables,
    next_ids,
    refresh_statistics,
    refresh_taxpayer_names,
)
from gateway.store.db import write_transaction
from gateway.store.demo import DEMO_RECORDS
from gateway.store.errors import StoreNotEmptyError
from gateway.store.models import TAXPAYER, TAXPAYER_SUPPLIED_SOURCES
from gateway.store.names import name_key
from gateway.store.records import record_rows

T = TypeVar("T")

BATCH_SIZE = 10_000
"""Taxpayers per executemany flush."""

TAX_YEARS = (2021, 2022, 2023, 2024, 2025)
ITIN_SHARE = 0.08
COMMON_SURNAME_SHARE = 0.5
CONFIDENTIAL_INFORMANT_RATE = 0.001
INVESTIGATION_IMPAIRMENT_RATE = 0.002

# fmt: off
COMMON_SURNAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott",
    "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera",
    "Campbell", "Mitchell", "Carter", "Roberts", "Kim", "Patel", "Chen", "Okafor", "Singh",
    "Cohen", "Murphy",
)
_SURNAME_HEADS = (
    "Bel", "Cor", "Dan", "Fal", "Gar", "Hol", "Kes", "Lan", "Mor", "Nor", "Pel", "Quin", "Ros",
    "Sal", "Tal", "Var", "Wen", "Yar", "Zel", "Ash",
)
_SURNAME_MIDS = (
    "a", "e", "i", "o", "u", "an", "en", "in", "on", "ar", "er", "ir", "or", "el",
)
_SURNAME_TAILS = (
    "by", "ford", "ley", "man", "son", "ton", "well", "wick", "worth", "ridge", "field", "more",
)
FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Charles", "Karen", "Christopher", "Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony",
    "Sandra", "Mark", "Ashley", "Donald", "Emily", "Steven", "Kimberly", "Andrew", "Donna", "Paul",
    "Michelle", "Joshua", "Carol", "Kenneth", "Amanda", "Kevin", "Melissa", "Brian", "Deborah",
    "Timothy", "Stephanie", "Ronald", "Rebecca", "Jason", "Laura", "George", "Helen", "Edward",
    "Sharon", "Jose", "Maria", "Luis", "Ana", "Carlos", "Sofia", "Juan", "Lucia", "Miguel",
    "Elena", "Jorge", "Camila", "Wei", "Mei", "Hiroshi", "Yuki", "Minh", "Linh", "Arjun", "Priya",
    "Rahul", "Aisha", "Omar", "Fatima", "Ahmed", "Leila", "Chinedu", "Ngozi", "Kwame", "Amara",
    "Samuel", "Grace", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Avery", "Dmitri", "Olga",
    "Ivan", "Katya", "Liam", "Noah", "Emma", "Olivia", "Mateo", "Valentina",
)
STREETS = (
    "Elm", "Oak", "Maple", "Cedar", "Pine", "Walnut", "Chestnut", "Spruce", "Willow", "Birch",
    "Hickory", "Sycamore", "Laurel", "Magnolia", "Poplar", "Aspen", "Juniper", "Holly", "Hawthorn",
    "Linden", "Park", "Lake", "Hill", "River", "Spring", "Meadow", "Forest", "Sunset", "Highland",
    "Harbor", "Church", "Mill", "Market", "Bridge", "Union", "Franklin", "Madison", "Jefferson",
    "Lincoln", "Washington",
)
# fmt: on
STREET_SUFFIXES = ("St", "Ave", "Rd", "Dr", "Ln", "Ct", "Pl", "Way", "Blvd", "Ter")

CITIES = (
    ("Baltimore", "MD", "212"),
    ("Towson", "MD", "212"),
    ("Silver Spring", "MD", "209"),
    ("Rockville", "MD", "208"),
    ("Annapolis", "MD", "214"),
    ("Frederick", "MD", "217"),
    ("Washington", "DC", "200"),
    ("Arlington", "VA", "222"),
    ("Alexandria", "VA", "223"),
    ("Richmond", "VA", "232"),
    ("Philadelphia", "PA", "191"),
    ("Pittsburgh", "PA", "152"),
    ("Newark", "NJ", "071"),
    ("Trenton", "NJ", "086"),
    ("New York", "NY", "100"),
    ("Brooklyn", "NY", "112"),
    ("Buffalo", "NY", "142"),
    ("Boston", "MA", "021"),
    ("Hartford", "CT", "061"),
    ("Providence", "RI", "029"),
    ("Atlanta", "GA", "303"),
    ("Charlotte", "NC", "282"),
    ("Miami", "FL", "331"),
    ("Orlando", "FL", "328"),
    ("Tampa", "FL", "336"),
    ("Chicago", "IL", "606"),
    ("Detroit", "MI", "482"),
    ("Columbus", "OH", "432"),
    ("Cleveland", "OH", "441"),
    ("Indianapolis", "IN", "462"),
    ("Milwaukee", "WI", "532"),
    ("Minneapolis", "MN", "554"),
    ("St. Louis", "MO", "631"),
    ("Houston", "TX", "770"),
    ("Dallas", "TX", "752"),
    ("San Antonio", "TX", "782"),
    ("El Paso", "TX", "799"),
    ("Denver", "CO", "802"),
    ("Phoenix", "AZ", "850"),
    ("Tucson", "AZ", "857"),
    ("Albuquerque", "NM", "871"),
    ("Las Vegas", "NV", "891"),
    ("Los Angeles", "CA", "900"),
    ("San Diego", "CA", "921"),
    ("Fresno", "CA", "937"),
    ("San Jose", "CA", "951"),
    ("Seattle", "WA", "981"),
    ("Portland", "OR", "972"),
)

# fmt: off
EMPLOYERS = (
    "Acme Freight LLC", "Blue Heron Health", "Cobalt Software Inc", "Delta Grocers",
    "Evergreen Schools", "Foxglove Hospitality", "Granite Construction Co", "Harborview Clinic",
    "Ironwood Manufacturing", "Juniper Logistics", "Keystone Retail", "Lakeside Insurance",
    "Meridian Bank", "Northstar Utilities", "Orchard Farms", "Pinecrest Nursing",
    "Quarry Road Builders", "Riverbend Foods", "Summit Security", "Tidewater Transit",
)
# fmt: on

FILING_STATUSES = (
    ("single", 45),
    ("married_filing_jointly", 35),
    ("head_of_household", 12),
    ("married_filing_separately", 6),
    ("qualifying_surviving_spouse", 2),
)
HOUSEHOLD_SIZES = ((1, 55), (2, 25), (3, 12), (4, 6), (5, 2))
COUNT_1_TO_3 = ((1, 50), (2, 35), (3, 15))
SSN_SOURCES = (("form_1040", 55), ("form_w2", 25), ("form_1099", 12), ("form_8822", 8))
ITIN_SOURCES = (
    ("form_1040", 45),
    ("form_w7", 25),
    ("form_w2", 15),
    ("form_1099", 10),
    ("form_8822", 5),
)

_SSN_AREAS = tuple(a for a in range(1, 900) if a not in (123, 666))
_SSN_SPACE = len(_SSN_AREAS) * 99 * 9999
_SSN_STRIDE = 1_000_003  # prime, so coprime with the space: k -> k*stride+offset is a bijection
_ITIN_AREAS = tuple(range(901, 1000))
_ITIN_SPACE = len(_ITIN_AREAS) * 10 * 10_000
_ITIN_STRIDE = 7_919  # prime, coprime with the ITIN space
_DOB_FIRST = date(1940, 1, 1).toordinal()
_DOB_SPAN = date(2006, 12, 31).toordinal() - _DOB_FIRST + 1
_SQLITE_LOAD_CACHE_KIB = 256 * 1024
_YEAR_SETS = {k: [tuple(c) for c in combinations(TAX_YEARS, k)] for k in (1, 2, 3)}


@dataclass(frozen=True)
class SeedSummary:
    """What a seeding run wrote."""

    taxpayers: int
    addresses: int
    returns: int
    itin_holders: int
    households: int
    seconds: float


def _table(weighted: tuple[tuple[T, int], ...]) -> list[T]:
    """Expand (value, weight) pairs into a lookup list indexed by ``int(random() * len)``."""
    return [value for value, weight in weighted for _ in range(weight)]


_SSN_AREA_TEXT = [f"{area:03d}-" for area in _SSN_AREAS]
_ITIN_AREA_TEXT = [f"{area:03d}-" for area in _ITIN_AREAS]
_GROUP_TEXT = [f"{group:02d}-" for group in range(100)]
_SERIAL_TEXT = [f"{serial:04d}" for serial in range(10_000)]


def ssn(k: int, offset: int) -> str:
    """The k-th synthetic SSN of a permutation; distinct for distinct ``k`` below the space."""
    area, rest = divmod((k * _SSN_STRIDE + offset) % _SSN_SPACE, 99 * 9999)
    group, serial = divmod(rest, 9999)
    return _SSN_AREA_TEXT[area] + _GROUP_TEXT[group + 1] + _SERIAL_TEXT[serial + 1]


def itin(k: int, offset: int) -> str:
    """The k-th synthetic ITIN (area 901-999, group 70-79); distinct for distinct ``k``."""
    area, rest = divmod((k * _ITIN_STRIDE + offset) % _ITIN_SPACE, 10 * 10_000)
    group, serial = divmod(rest, 10_000)
    return _ITIN_AREA_TEXT[area] + _GROUP_TEXT[70 + group] + _SERIAL_TEXT[serial]


def _with_none(values: list[str], present: float) -> list[str | None]:
    """``values`` padded with ``None`` so that a uniform pick is non-``None`` with ``present``."""
    missing = round(len(values) * (1 - present) / present)
    return [*values, *([None] * missing)]


class _Population:
    """Generates row tuples in a fixed order from one random stream; ids follow the rows.

    Every choice is one ``random()`` draw indexing a table built here (weights
    are repetitions), which keeps generation at a few microseconds a person.
    """

    def __init__(
        self, seed: int, ids: NextIds, *, dates_as_text: bool, reserved: set[tuple[str, int]]
    ) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data, reproducible on purpose
        self.ssn_offset = self.rng.randrange(_SSN_SPACE)
        self.itin_offset = self.rng.randrange(_ITIN_SPACE)
        self.ssn_count = 0
        self.itin_count = 0
        self.ids = ids
        self.households = 0
        self.reserved = reserved
        births = [date.fromordinal(_DOB_FIRST + i) for i in range(_DOB_SPAN + 1)]
        self.births: list[Any] = [b.isoformat() for b in births] if dates_as_text else births
        synthetic = [
            h + m + t for h in _SURNAME_HEADS for m in _SURNAME_MIDS for t in _SURNAME_TAILS
        ]
        common_weight = round(
            len(synthetic)
            / len(COMMON_SURNAMES)
            * COMMON_SURNAME_SHARE
            / (1 - COMMON_SURNAME_SHARE)
        )
        self.surnames = [(s, name_key(s)) for s in (*COMMON_SURNAMES * common_weight, *synthetic)]
        initials = [f"{name[0]}." for name in FIRST_NAMES]
        self.middles = _with_none([*FIRST_NAMES, *initials], 0.7)
        self.street_lines = [
            f"{street} {suffix}" for street in STREETS for suffix in STREET_SUFFIXES
        ]
        self.units = _with_none([f"Apt {unit}" for unit in range(1, 41)], 0.25)
        self.places = [(c, s, f"{zip3}{i:02d}") for c, s, zip3 in CITIES for i in range(100)]
        self.household_sizes = _table(HOUSEHOLD_SIZES)
        self.counts = _table(COUNT_1_TO_3)
        self.statuses = _table(FILING_STATUSES)
        self.employers = _with_none(list(EMPLOYERS), 0.8)
        self.ssn_sources = [(s, s in TAXPAYER_SUPPLIED_SOURCES) for s in _table(SSN_SOURCES)]
        self.itin_sources = [(s, s in TAXPAYER_SUPPLIED_SOURCES) for s in _table(ITIN_SOURCES)]
        normal = NormalDist(mu=10.8, sigma=0.75)  # log of AGI: median about $49,000
        self.agi = [math.exp(normal.inv_cdf((i + 0.5) / 1024)) for i in range(1024)]

    def household(
        self, size_cap: int, taxpayers: list[Row], addresses: list[Row], returns: list[Row]
    ) -> int:
        """Append one household's rows; returns how many taxpayers it added (1..size_cap)."""
        r = self.rng.random
        ids = self.ids
        surnames, n_surnames = self.surnames, len(self.surnames)
        middles, n_middles = self.middles, len(self.middles)
        counts, statuses, agi = self.counts, self.statuses, self.agi
        employers, n_employers = self.employers, len(self.employers)
        births, reserved = self.births, self.reserved
        street_lines, units, places = self.street_lines, self.units, self.places
        n_first = len(FIRST_NAMES)
        self.households += 1
        size = min(size_cap, self.household_sizes[int(r() * 100)])
        family = surnames[int(r() * n_surnames)]
        years = _YEAR_SETS[counts[int(r() * 100)]]
        history = [
            (
                year,
                f"{1 + int(r() * 9899)} {street_lines[int(r() * len(street_lines))]}",
                units[int(r() * len(units))],
                *places[int(r() * len(places))],
            )
            for year in years[int(r() * len(years))]
        ]
        for member in range(size):
            last, key = family if member == 0 or r() < 0.75 else surnames[int(r() * n_surnames)]
            first = FIRST_NAMES[int(r() * n_first)]
            middle = middles[int(r() * n_middles)]
            dob = int(r() * _DOB_SPAN)
            if (key, dob) in reserved:
                dob += 1
            if r() < ITIN_SHARE:
                tin = itin(self.itin_count, self.itin_offset)
                self.itin_count += 1
                tin_type, sources = "ITIN", self.itin_sources
            else:
                tin = ssn(self.ssn_count, self.ssn_offset)
                self.ssn_count += 1
                tin_type, sources = "SSN", self.ssn_sources
            tid = ids.taxpayer
            ids.taxpayer = tid + 1
            taxpayers.append(
                (
                    tid,
                    tin,
                    tin_type,
                    first,
                    middle,
                    last,
                    key,
                    births[dob],
                    r() < CONFIDENTIAL_INFORMANT_RATE,
                    r() < INVESTIGATION_IMPAIRMENT_RATE,
                )
            )
            aid = ids.address
            n_sources = len(sources)
            for year, line1, line2, city, state, zip_code in history:
                source, supplied = sources[int(r() * n_sources)]
                addresses.append(
                    (aid, tid, line1, line2, city, state, zip_code, year, source, supplied)
                )
                aid += 1
            ids.address = aid
            return_years = _YEAR_SETS[counts[int(r() * 100)]]
            agi_base = agi[int(r() * 1024)]
            employer = employers[int(r() * n_employers)]
            bank = (
                _SERIAL_TEXT[int(r() * 10_000)] + _SERIAL_TEXT[int(r() * 10_000)]
                if r() < 0.7
                else None
            )
            rid = ids.tax_return
            for year in return_years[int(r() * len(return_years))]:
                returns.append(
                    (
                        rid,
                        tid,
                        year,
                        statuses[int(r() * 100)],
                        int(agi_base * (0.9 + 0.2 * r())),
                        employer,
                        bank,
                    )
                )
                rid += 1
            ids.tax_return = rid
        return size


def seed_population(
    engine: Engine,
    n: int,
    *,
    seed: int = 2026,
    on_progress: Callable[[int], None] | None = None,
) -> SeedSummary:
    """Write ``n`` taxpayers (the demo taxpayers first) into an empty store.

    ``on_progress`` is called with the number of taxpayers written so far
    after each batch. Raises :class:`StoreNotEmptyError` when the store
    already has taxpayers and ``ValueError`` when ``n`` is smaller than the
    number of demo taxpayers.
    """
    if n < len(DEMO_RECORDS):
        raise ValueError(f"n must be at least {len(DEMO_RECORDS)} (the demo taxpayers)")
    started = time.perf_counter()
    with write_transaction(engine) as conn:
        lock_taxpayer_tables(conn)
        if conn.execute(select(TAXPAYER.c.id).limit(1)).first() is not None:
            raise StoreNotEmptyError("the store already holds taxpayers; seed an empty database")
        text_dates = dates_as_text(conn)
        ids = next_ids(conn)
        taxpayers: list[Row] = []
        addresses: list[Row] = []
        returns: list[Row] = []
        for record in DEMO_RECORDS:
            row, record_addresses, record_returns = record_rows(
                record, ids.taxpayer, ids.address, ids.tax_return, dates_as_text=text_dates
            )
            taxpayers.append(row)
            addresses.extend(record_addresses)
            returns.extend(record_returns)
            ids.taxpayer += 1
            ids.address += len(record_addresses)
            ids.tax_return += len(record_returns)
        reserved = {
            (name_key(r.name.last), r.date_of_birth.toordinal() - _DOB_FIRST) for r in DEMO_RECORDS
        }
        population = _Population(seed, ids, dates_as_text=text_dates, reserved=reserved)
        written = total_addresses = total_returns = 0
        remaining = n - len(DEMO_RECORDS)
        with _bulk_load(conn), indexes_rebuilt_after(conn):
            while True:
                while remaining > 0 and len(taxpayers) < BATCH_SIZE:
                    remaining -= population.household(remaining, taxpayers, addresses, returns)
                if not taxpayers:
                    break
                insert_rows(conn, taxpayers, addresses, returns)
                written += len(taxpayers)
                total_addresses += len(addresses)
                total_returns += len(returns)
                taxpayers.clear()
                addresses.clear()
                returns.clear()
                if on_progress is not None:
                    on_progress(written)
        refresh_taxpayer_names(conn)  # the store was empty: every surname is this seed's
        advance_sequences(conn)
        refresh_statistics(conn)
    return SeedSummary(
        taxpayers=written,
        addresses=total_addresses,
        returns=total_returns,
        itin_holders=population.itin_count + sum(r.tin_type == "ITIN" for r in DEMO_RECORDS),
        households=population.households,
        seconds=time.perf_counter() - started,
    )


@contextmanager
def _bulk_load(conn: Connection) -> Iterator[None]:
    """On SQLite, a large page cache while loading (random-order unique-index inserts).

    Restored afterwards: the connection goes back to the pool.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    previous = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    conn.exec_driver_sql(f"PRAGMA cache_size = {-_SQLITE_LOAD_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(previous)}")
