# This file is part of the Delivery CRM for Tryton.
"""Tariff maths of the courier company, free of the ORM (stdlib only).

The ORM layer builds the frozen value objects below from database records
and calls the functions:

- zones: `parse_polygon`, `point_in_polygon`, `locate`;
- prices: `select_tariffs`, `price`, `price_many`;
- line haul: `hub_path`.

Money is `decimal.Decimal`; every amount of a `Quote` is rounded to 2 places
ROUND_HALF_UP.  Weights are in kg, volumes in m³ and distances in km; floats
are turned into Decimal through their shortest repr (0.1 -> Decimal('0.1')),
so a float gives the price of the number it prints as.

Rounding: the delivery charge and the COD fee are rounded first; the
out-of-hours surcharge is a percentage of the rounded delivery charge and
is rounded with the fragile fee; the total is the sum of the three rounded
amounts, so total == delivery + cod_fee + surcharge always holds.
"""
import heapq
import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    'SERVICES', 'ERRORS', 'Zone', 'Rule', 'Tariff', 'Shipment', 'Quote',
    'parse_polygon', 'point_in_polygon', 'locate',
    'select_tariffs', 'price', 'price_many', 'hub_path',
    ]

SERVICES = ('same_day', 'next_day', 'express', 'intercity')
# The error codes a Quote may carry, checked in this order
ERRORS = (
    'service', 'weight', 'volume', 'parcels', 'cod_amount',
    'no_tariff', 'no_rule', 'cod_not_allowed')

MAX_WEIGHT = Decimal(10_000)    # kg, inclusive
MAX_VOLUME = Decimal(100)       # m³, inclusive
MAX_PARCELS = 1000              # inclusive
DEFAULT_VOLUMETRIC_FACTOR = Decimal(200)    # kg per m³ (IATA 1/5000 cm³)

_SERVICES = frozenset(SERVICES)
_ZERO = Decimal(0)
_ZERO_AMOUNT = Decimal('0.00')
_CENT = Decimal('0.01')
_HUNDRED = Decimal(100)
_INFINITY = Decimal('Infinity')
_HALF_UP = ROUND_HALF_UP
_BAD_NUMBER = (ArithmeticError, TypeError, ValueError)


def _decimal(value):
    "Return value as a Decimal: None is 0, a float goes through its repr"
    if value is None:
        return _ZERO
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, (int, str)):
        return Decimal(value)
    raise TypeError(f"not a number: {value!r}")


def _order_key(record):
    "(sequence, id) with an empty sequence first, as Tryton's sequence_ordered"
    sequence = record.sequence
    return (sequence is not None, sequence or 0, record.id)


def _normalize_city(name):
    "Lower case with surrounding spaces removed and inner runs collapsed"
    return ' '.join(name.split()).lower()


# -- zones -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Zone:
    id: int
    cities: frozenset = frozenset()     # lower-cased, stripped names
    polygon: tuple = ()                 # ((lat, lon), ...), closed implicitly
    sequence: int = 10

    def __post_init__(self):
        cities = self.cities
        if isinstance(cities, str):
            cities = (cities,)
        object.__setattr__(self, 'cities', frozenset(
                _normalize_city(c) for c in cities if c and c.strip()))
        object.__setattr__(self, 'polygon', tuple(
                (float(lat), float(lon)) for lat, lon in self.polygon or ()))


_POINT_SEPARATOR = re.compile(r'[;\n\r]+')
_COORDINATE_SEPARATOR = re.compile(r'[\s,]+')


def parse_polygon(text):
    """Parse "lat lon; lat lon; ..." or "lat,lon\\nlat,lon\\n..."

    Points are separated by semicolons or new lines, the two coordinates of
    a point by a comma and/or spaces.  A last point repeating the first one
    (explicitly closed ring) is dropped.  Return ((lat, lon), ...) as
    floats; raise ValueError('polygon') for text that is not a list of at
    least 3 distinct points of valid coordinates.
    """
    if not isinstance(text, str):
        raise ValueError('polygon')
    points = []
    for chunk in _POINT_SEPARATOR.split(text):
        chunk = chunk.strip()
        if not chunk:
            continue
        values = [v for v in _COORDINATE_SEPARATOR.split(chunk) if v]
        if len(values) != 2:
            raise ValueError('polygon')
        try:
            lat, lon = float(values[0]), float(values[1])
        except ValueError:
            raise ValueError('polygon') from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):   # also NaN
            raise ValueError('polygon')
        points.append((lat, lon))
    if len(points) > 1 and points[-1] == points[0]:
        points.pop()
    if len(set(points)) < 3:
        raise ValueError('polygon')
    return tuple(points)


def point_in_polygon(lat, lon, polygon):
    """Whether (lat, lon) lies inside polygon by ray casting

    The polygon is closed implicitly; fewer than 3 points contain nothing.
    Latitude is taken as y and longitude as x (no antimeridian handling).
    """
    count = len(polygon)
    if count < 3:
        return False
    y, x = float(lat), float(lon)
    inside = False
    yj, xj = polygon[-1]
    for yi, xi in polygon:
        if (yi > y) != (yj > y):
            if x < (xj - xi) * (y - yi) / (yj - yi) + xi:
                inside = not inside
        yj, xj = yi, xi
    return inside


def locate(zones, latitude=None, longitude=None, city=None):
    """Return the id of the zone of a place or None

    Zones are tried by sequence then id: first the zones whose polygon
    contains the point (when both coordinates are given), then the zones
    whose cities contain the city name (case, surrounding and repeated
    spaces ignored).
    """
    ordered = sorted(zones, key=_order_key)
    if latitude is not None and longitude is not None:
        for zone in ordered:
            if zone.polygon and point_in_polygon(
                    latitude, longitude, zone.polygon):
                return zone.id
    if city:
        name = _normalize_city(city)
        if name:
            for zone in ordered:
                if name in zone.cities:
                    return zone.id
    return None


# -- tariffs -----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Rule:
    id: int
    sequence: int = 10
    service: str | None = None          # None: any service
    origin_zone: int | None = None      # None: any
    destination_zone: int | None = None
    distance_min: Decimal = 0           # inclusive
    distance_max: Decimal | None = None  # exclusive; None: no upper bound
    weight_min: Decimal = 0             # inclusive, on chargeable weight
    weight_max: Decimal | None = None   # exclusive
    base_price: Decimal = 0
    price_per_km: Decimal = 0
    included_weight: Decimal = 0        # kg included in base price
    price_per_kg: Decimal = 0           # per chargeable kg above included
    price_per_extra_parcel: Decimal = 0  # per parcel beyond the first
    minimum_price: Decimal = 0

    def __post_init__(self):
        # Numbers become Decimal (None -> 0), the two upper bounds keep None
        for name in _RULE_NUMBERS:
            object.__setattr__(self, name, _decimal(getattr(self, name)))
        for name in ('distance_max', 'weight_max'):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _decimal(value))


_RULE_NUMBERS = (
    'distance_min', 'weight_min', 'base_price', 'price_per_km',
    'included_weight', 'price_per_kg', 'price_per_extra_parcel',
    'minimum_price')


@dataclass(frozen=True, slots=True)
class Tariff:
    id: int
    rules: tuple                        # of Rule
    sequence: int = 10
    party: int | None = None            # customer-specific (contract) tariff
    categories: frozenset = frozenset()  # contract for these party categories
    volumetric_factor: Decimal = DEFAULT_VOLUMETRIC_FACTOR  # kg per m³
    cod_fee_percent: Decimal = 0        # percent of the COD amount
    cod_fee_minimum: Decimal = 0
    fragile_fee: Decimal = 0
    out_of_hours_percent: Decimal = 0   # percent of the delivery charge
    cod_services: frozenset = frozenset(SERVICES)  # services accepting COD

    def __post_init__(self):
        setattr_ = object.__setattr__
        setattr_(self, 'rules', tuple(self.rules or ()))
        setattr_(self, 'categories', frozenset(self.categories or ()))
        setattr_(self, 'cod_services', frozenset(SERVICES)
            if self.cod_services is None else frozenset(self.cod_services))
        setattr_(self, 'volumetric_factor', DEFAULT_VOLUMETRIC_FACTOR
            if self.volumetric_factor is None
            else _decimal(self.volumetric_factor))
        for name in ('cod_fee_percent', 'cod_fee_minimum', 'fragile_fee',
                'out_of_hours_percent'):
            setattr_(self, name, _decimal(getattr(self, name)))


@dataclass(slots=True)
class Shipment:
    service: str
    origin_zone: int | None = None
    destination_zone: int | None = None
    distance: Decimal = 0               # km (road estimate, from the caller)
    weight: Decimal = 0                 # total actual kg
    volume: Decimal = 0                 # total m³
    parcels: int = 1
    cod_amount: Decimal = 0
    fragile: bool = False
    out_of_hours: bool = False
    party: int | None = None
    categories: frozenset = frozenset()


@dataclass(frozen=True, slots=True)
class Quote:
    tariff: int | None
    rule: int | None
    chargeable_weight: Decimal
    delivery: Decimal       # rule price, at least minimum_price
    cod_fee: Decimal
    surcharge: Decimal      # fragile + out of hours
    total: Decimal
    error: str | None = None    # None or one of ERRORS

    @property
    def ok(self):
        return self.error is None


def _error_quote(error, tariff=None, rule=None, chargeable_weight=_ZERO):
    return Quote(
        tariff, rule, chargeable_weight,
        _ZERO_AMOUNT, _ZERO_AMOUNT, _ZERO_AMOUNT, _ZERO_AMOUNT, error)


# Quotes are immutable: the errors without tariff are shared
_ERROR_QUOTES = {e: _error_quote(e) for e in ERRORS}
_ERR_SERVICE = _ERROR_QUOTES['service']
_ERR_WEIGHT = _ERROR_QUOTES['weight']
_ERR_VOLUME = _ERROR_QUOTES['volume']
_ERR_PARCELS = _ERROR_QUOTES['parcels']
_ERR_COD_AMOUNT = _ERROR_QUOTES['cod_amount']
_ERR_NO_TARIFF = _ERROR_QUOTES['no_tariff']
_ERR_NO_RULE = _ERROR_QUOTES['no_rule']

# The slot setters of Quote, to build quotes without Quote.__init__
_new_quote = Quote.__new__
_QUOTE_SLOTS = tuple(getattr(Quote, name).__set__ for name in (
        'tariff', 'rule', 'chargeable_weight', 'delivery', 'cod_fee',
        'surcharge', 'total', 'error'))


def _applicable(tariff, party, categories):
    "Group of tariff for the customer: 0 party, 1 category, 2 general, None"
    if tariff.party is not None:
        # A contract of a party is for that party only
        return 0 if party is not None and tariff.party == party else None
    if tariff.categories:
        return 1 if not tariff.categories.isdisjoint(categories) else None
    return 2


def select_tariffs(tariffs, party=None, categories=frozenset()):
    """The tariffs applicable to a customer in priority order

    First the contracts of the party, then the contracts of any of its
    categories (tariffs without party whose categories intersect), then the
    general tariffs (no party, no categories); inside each group by
    sequence then id.  A tariff with a party is for that party only,
    whatever its categories.  Contracts of other parties or categories are
    left out.
    """
    categories = frozenset(categories or ())
    selected = []
    for tariff in tariffs:
        group = _applicable(tariff, party, categories)
        if group is not None:
            selected.append((group, _order_key(tariff), tariff))
    selected.sort(key=lambda x: x[:2])
    return [t for _, _, t in selected]


_MISSING = object()
_NO_CATEGORIES = frozenset()


class _Pricer:
    """Prices shipments against one list of tariffs

    Caches, for the life of the object, the figures of each tariff and, per
    customer key, service and zone pair, the applicable tariffs in order
    with their candidate rules in order; only the distance and weight bands
    remain to be checked per shipment.  The customer key is (party,
    categories) reduced to what the tariffs can tell apart: a party without
    contract becomes None, the categories keep those of category contracts.
    """
    __slots__ = ('tariffs', '_parties', '_categories', '_plans', '_compiled')

    def __init__(self, tariffs):
        self.tariffs = tuple(tariffs)
        self._parties = frozenset(
            t.party for t in self.tariffs if t.party is not None)
        self._categories = frozenset().union(*(
                t.categories for t in self.tariffs if t.party is None))
        self._plans = {}    # (party, categories, service, origin, dest)
        self._compiled = {}     # tariff index -> compiled tariff

    def _select(self, party, categories):
        "The indexes of the applicable tariffs in order"
        selected = []
        for index, tariff in enumerate(self.tariffs):
            group = _applicable(tariff, party, categories)
            if group is not None:
                selected.append((group, _order_key(tariff), index))
        selected.sort(key=lambda x: x[:2])
        return [i for _, _, i in selected]

    def _compile(self, index):
        "The figures of a tariff, percentages turned into rates"
        tariff = self.tariffs[index]
        compiled = (
            tariff.id, tariff.volumetric_factor,
            tariff.cod_services, tariff.cod_fee_percent / _HUNDRED,
            tariff.cod_fee_minimum, tariff.fragile_fee,
            tariff.out_of_hours_percent / _HUNDRED)
        self._compiled[index] = compiled
        return compiled

    def _plan(self, party, categories, service, origin, destination):
        """Return ((compiled tariff, candidate rules), ...) or None

        The candidate rules of a tariff are those matching service and
        zones, by sequence then id, as tuples (distance_min, distance_max,
        weight_min, weight_max, base_price, price_per_km, included_weight,
        price_per_kg, price_per_extra_parcel, minimum_price, id) with a
        missing upper bound as Infinity.  None means no tariff applies.
        """
        indexes = self._select(party, categories)
        if not indexes:
            plan = None
        else:
            plan = []
            for index in indexes:
                compiled = self._compiled.get(index)
                if compiled is None:
                    compiled = self._compile(index)
                candidates = [rule for rule in self.tariffs[index].rules
                    if (rule.service is None or rule.service == service)
                    and (rule.origin_zone is None
                        or rule.origin_zone == origin)
                    and (rule.destination_zone is None
                        or rule.destination_zone == destination)]
                if candidates:
                    candidates.sort(key=_order_key)
                    plan.append((compiled, tuple(
                                (rule.distance_min,
                                    _INFINITY if rule.distance_max is None
                                    else rule.distance_max,
                                    rule.weight_min,
                                    _INFINITY if rule.weight_max is None
                                    else rule.weight_max,
                                    rule.base_price, rule.price_per_km,
                                    rule.included_weight, rule.price_per_kg,
                                    rule.price_per_extra_parcel,
                                    rule.minimum_price, rule.id)
                                for rule in candidates)))
            plan = tuple(plan)
        self._plans[party, categories, service, origin, destination] = plan
        return plan

    def price(self, shipment,
            # module constants as locals: this is the hot path of price_many
            Decimal=Decimal, _decimal=_decimal, _SERVICES=_SERVICES,
            _ZERO=_ZERO, _ZERO_AMOUNT=_ZERO_AMOUNT, _INFINITY=_INFINITY,
            MAX_WEIGHT=MAX_WEIGHT, MAX_VOLUME=MAX_VOLUME,
            MAX_PARCELS=MAX_PARCELS, _BAD_NUMBER=_BAD_NUMBER,
            _CENT=_CENT, _HALF_UP=_HALF_UP, _MISSING=_MISSING,
            _NO_CATEGORIES=_NO_CATEGORIES,
            _new_quote=_new_quote, Quote=Quote, _QUOTE_SLOTS=_QUOTE_SLOTS):
        # Validation, in the order of ERRORS
        service = shipment.service
        try:
            if service not in _SERVICES:
                return _ERR_SERVICE
        except TypeError:
            return _ERR_SERVICE
        weight = shipment.weight
        try:
            if type(weight) is not Decimal:
                weight = _decimal(weight)
            if not _ZERO <= weight <= MAX_WEIGHT:
                return _ERR_WEIGHT
        except _BAD_NUMBER:
            return _ERR_WEIGHT
        volume = shipment.volume
        try:
            if type(volume) is not Decimal:
                volume = _decimal(volume)
            if not _ZERO <= volume <= MAX_VOLUME:
                return _ERR_VOLUME
        except _BAD_NUMBER:
            return _ERR_VOLUME
        parcels = shipment.parcels
        if type(parcels) is not int:
            try:
                if isinstance(parcels, bool) or parcels != int(parcels):
                    return _ERR_PARCELS
            except _BAD_NUMBER:
                return _ERR_PARCELS
            parcels = int(parcels)
        if not 1 <= parcels <= MAX_PARCELS:
            return _ERR_PARCELS
        cod = shipment.cod_amount
        try:
            if type(cod) is not Decimal:
                cod = _decimal(cod)
            if not _ZERO <= cod < _INFINITY:
                return _ERR_COD_AMOUNT
        except _BAD_NUMBER:
            return _ERR_COD_AMOUNT
        distance = shipment.distance
        try:
            if type(distance) is not Decimal:
                distance = _decimal(distance)
            if not _ZERO <= distance < _INFINITY:
                # no distance band may hold a negative or infinite distance
                return _ERR_NO_RULE
        except _BAD_NUMBER:
            return _ERR_NO_RULE

        # Tariffs and their candidate rules
        party = shipment.party
        if party not in self._parties:
            party = None
        categories = shipment.categories
        if not categories or self._categories.isdisjoint(categories):
            categories = _NO_CATEGORIES
        else:
            categories = self._categories.intersection(categories)
        origin = shipment.origin_zone
        destination = shipment.destination_zone
        plan = self._plans.get(
            (party, categories, service, origin, destination), _MISSING)
        if plan is _MISSING:
            plan = self._plan(
                party, categories, service, origin, destination)
        if plan is None:
            return _ERR_NO_TARIFF

        # The first rule whose distance and weight bands hold the shipment
        for tariff, rules in plan:
            chargeable = weight
            if volume:
                volumetric = volume * tariff[1]
                if volumetric > weight:
                    chargeable = volumetric
            for rule in rules:
                if (rule[0] <= distance < rule[1]
                        and rule[2] <= chargeable < rule[3]):
                    break
            else:
                continue
            break
        else:
            return _ERR_NO_RULE
        (_, _, _, _, base, per_km, included, per_kg, per_parcel, minimum,
            rule_id) = rule
        (tariff_id, _, cod_services, cod_rate, cod_minimum, fragile_fee,
            out_of_hours_rate) = tariff

        if cod and service not in cod_services:
            return _error_quote(
                'cod_not_allowed', tariff_id, rule_id, chargeable)

        amount = base
        if per_km and distance:
            amount += per_km * distance
        if per_kg and chargeable > included:
            amount += per_kg * (chargeable - included)
        if per_parcel and parcels > 1:
            amount += per_parcel * (parcels - 1)
        if amount < minimum:
            amount = minimum
        delivery = amount.quantize(_CENT, _HALF_UP)

        if cod:
            fee = cod * cod_rate
            if fee < cod_minimum:
                fee = cod_minimum
            cod_fee = fee.quantize(_CENT, _HALF_UP)
        else:
            cod_fee = _ZERO_AMOUNT

        if shipment.fragile and fragile_fee:
            if shipment.out_of_hours and out_of_hours_rate:
                surcharge = (fragile_fee + delivery * out_of_hours_rate
                    ).quantize(_CENT, _HALF_UP)
            else:
                surcharge = fragile_fee.quantize(_CENT, _HALF_UP)
        elif shipment.out_of_hours and out_of_hours_rate:
            surcharge = (delivery * out_of_hours_rate).quantize(
                _CENT, _HALF_UP)
        else:
            surcharge = _ZERO_AMOUNT

        # Quote(...) of a frozen dataclass sets each field through
        # object.__setattr__: filling the slots directly is faster
        quote = _new_quote(Quote)
        (set_tariff, set_rule, set_chargeable, set_delivery, set_cod_fee,
            set_surcharge, set_total, set_error) = _QUOTE_SLOTS
        set_tariff(quote, tariff_id)
        set_rule(quote, rule_id)
        set_chargeable(quote, chargeable)
        set_delivery(quote, delivery)
        set_cod_fee(quote, cod_fee)
        set_surcharge(quote, surcharge)
        set_total(quote, delivery + cod_fee + surcharge)
        set_error(quote, None)
        return quote


def price(shipment, tariffs):
    """Quote one shipment against tariffs (see price_many for the rules)"""
    return _Pricer(tariffs).price(shipment)


def price_many(shipments, tariffs):
    """Quote each shipment against tariffs: [price(s, tariffs) for s ...]

    Validation: service in SERVICES ('service'), 0 <= weight <= 10,000
    ('weight'), 0 <= volume <= 100 ('volume'), 1 <= parcels <= 1000 integer
    ('parcels'), 0 <= cod_amount ('cod_amount'); a negative or infinite
    distance fits no band ('no_rule').  The tariffs of select_tariffs() are
    walked in order and in each its rules by sequence then id: the first
    rule matching service, zones (None matches anything), distance band and
    band of chargeable weight (max of weight and volume × the tariff's
    volumetric factor) wins ('no_tariff' when no tariff applies, 'no_rule'
    when none of their rules match).  A COD amount on a service outside the
    tariff's cod_services gives 'cod_not_allowed' with tariff and rule.
    On error every amount is Decimal('0.00').

    The tariff order per customer and the candidate rules per service and
    zone pair are computed once for the whole call.
    """
    pricer = _Pricer(tariffs)
    return list(map(pricer.price, shipments))


# -- line haul ---------------------------------------------------------------

def hub_path(links, origin, destination):
    """Shortest path between two hubs by Dijkstra

    links: iterable of (from_hub, to_hub, distance_km), usable both ways;
    return [origin, ..., destination], [origin] when both are the same hub
    and None when destination cannot be reached.  Among paths of the same
    length the lexicographically smallest list of hub ids is returned.  Raise
    ValueError('distance') for a negative or non-finite distance.
    """
    if origin == destination:
        return [origin]
    graph = {}
    for from_hub, to_hub, distance in links:
        distance = float(distance)
        if not 0 <= distance < math.inf:
            raise ValueError('distance')
        for a, b in ((from_hub, to_hub), (to_hub, from_hub)):
            neighbours = graph.setdefault(a, {})
            if distance < neighbours.get(b, math.inf):
                neighbours[b] = distance
    if origin not in graph or destination not in graph:
        return None
    best = {origin: 0.0}
    done = set()
    heap = [(0.0, (origin,))]
    while heap:
        distance, path = heapq.heappop(heap)
        hub = path[-1]
        if hub in done:
            continue
        if hub == destination:
            return list(path)
        done.add(hub)
        for neighbour, length in graph[hub].items():
            if neighbour in done:
                continue
            total = distance + length
            if total <= best.get(neighbour, math.inf):
                best[neighbour] = total
                heapq.heappush(heap, (total, path + (neighbour,)))
    return None
