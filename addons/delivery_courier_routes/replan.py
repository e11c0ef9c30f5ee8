# This file is part of the Delivery CRM for Tryton.
"""Re-planning during the day, free of the ORM: insert an urgent order into
a running trip without moving the stops already done, and recompute the
times of a trip whose stops were moved by hand."""
import itertools


def best_insertion(route, new, fixed, distance):
    """The cheapest way to insert the new points into route.

    route: the points (lat, lon) of the trip from its start to its end
    (depot first and last); fixed: how many leading points must stay where
    they are (the depot and the stops done); new: one point, or a pickup and
    its delivery (inserted in that order); distance(a, b) in km.
    Returns (added km, positions in the new route of the new points)."""
    if not route:
        raise ValueError('route')
    fixed = max(1, min(fixed, len(route)))
    best = None
    last = len(route)
    # a point is inserted before route[i]; never before the fixed ones nor
    # after the end depot
    slots = range(fixed, last) if last > 1 else range(1, 2)
    if len(new) == 1:
        point, = new
        for i in slots:
            a, b = route[i - 1], route[i] if i < last else route[-1]
            added = distance(a, point) + distance(point, b) - distance(a, b)
            if best is None or added < best[0] - 1e-9:
                best = (added, [i])
        return best
    pickup, delivery = new
    for i, j in itertools.combinations_with_replacement(slots, 2):
        if i == j:
            a, b = route[i - 1], route[i]
            added = (distance(a, pickup) + distance(pickup, delivery)
                + distance(delivery, b) - distance(a, b))
        else:
            a, b = route[i - 1], route[i]
            c, d = route[j - 1], route[j]
            added = (distance(a, pickup) + distance(pickup, b)
                - distance(a, b)
                + distance(c, delivery) + distance(delivery, d)
                - distance(c, d))
        if best is None or added < best[0] - 1e-9:
            # positions in the route once both are inserted
            best = (added, [i, j + 1])
    return best


def schedule(start, points, service, windows, distance, speed_kmh):
    """Arrival, departure and lateness (seconds) of each point after the
    first, leaving points[0] at start.

    service: seconds spent at each point; windows: (start, end) or None per
    point, in seconds; waits for a window to open."""
    result = []
    time = start
    for k in range(1, len(points)):
        km = distance(points[k - 1], points[k])
        time += km / speed_kmh * 3600
        arrival = time
        window = windows[k] if windows else None
        if window and window[0] is not None and time < window[0]:
            time = window[0]
        late = 0
        if window and window[1] is not None and time > window[1]:
            late = time - window[1]
        time += service[k] if service else 0
        result.append((arrival, time, late))
    return result
