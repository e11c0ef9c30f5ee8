# This file is part of the Delivery CRM for Tryton.
"""Coordinates helpers, free of the ORM."""
import math

EARTH_RADIUS_KM = 6371.0088


def coordinates_error(latitude, longitude):
    """Return the name of the problem with a coordinate pair or None.

    A pair is valid when both values are missing or both are present and
    inside their range (latitude -90..90, longitude -180..180).
    """
    if latitude is None and longitude is None:
        return None
    if latitude is None or longitude is None:
        return 'incomplete'
    if not (-90 <= latitude <= 90):
        return 'latitude'
    if not (-180 <= longitude <= 180):
        return 'longitude'
    return None


def haversine_km(lat1, lon1, lat2, lon2):
    "Great-circle distance in kilometres between two points in degrees"
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = (math.sin(dphi / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))
