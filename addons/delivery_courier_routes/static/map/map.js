/* This file is part of the Delivery CRM for Tryton.
 *
 * The map of a courier trip: the depot, the numbered stops in their order
 * and the route (depot -> stops -> depot) drawn with Leaflet's vector
 * layers, so that they show on the light background even when the
 * OpenStreetMap tiles cannot load (offline, blocked). The data comes from
 * the <script type="application/json" id="trip-data"> element of the page:
 * no inline script, no request of our own (Content-Security-Policy).
 */
(function () {
    'use strict';

    var source = document.getElementById('trip-data');
    var element = document.getElementById('map');
    var notice = document.getElementById('map-notice');
    if (!source || !element) {
        return;
    }
    var data = JSON.parse(source.textContent);
    var labels = data.labels || {};

    var map = null;
    var fit = function () {};

    function showNotice(text) {
        if (notice) {
            if (text) {
                notice.textContent = text;
            }
            if (notice.hidden) {
                notice.hidden = false;
                // the notice takes room from the map: fit the trip again
                if (map) {
                    map.invalidateSize({pan: false});
                    fit();
                }
            }
        }
    }

    if (typeof window.L === 'undefined') {
        element.classList.add('map-missing');
        showNotice(labels.no_library);
        return;
    }
    var L = window.L;

    function node(tag, className, text) {
        var result = document.createElement(tag);
        if (className) {
            result.className = className;
        }
        if (text !== undefined && text !== null) {
            result.textContent = text;
        }
        return result;
    }

    // the popups are built as DOM nodes: names never become HTML
    function popupContent(title, subtitle, rows) {
        var box = node('div', 'popup');
        box.appendChild(node('strong', 'popup-title', title));
        if (subtitle) {
            box.appendChild(node('div', 'popup-subtitle', subtitle));
        }
        if (rows.length) {
            var list = node('dl');
            rows.forEach(function (row) {
                if (!row[1]) {
                    return;
                }
                list.appendChild(node('dt', null, row[0]));
                list.appendChild(node('dd', row[2] || null, row[1]));
            });
            box.appendChild(list);
        }
        return box;
    }

    function numberIcon(text, className) {
        var label = document.createElement('span');
        label.textContent = text;
        return L.divIcon({
            className: className,
            html: label,
            iconSize: [28, 28],
            iconAnchor: [14, 14],
            popupAnchor: [0, -16],
        });
    }

    map = L.map(element, {
        zoomControl: false,
        zoomSnap: 0.25,
    });
    L.control.zoom({
        zoomInTitle: labels.zoom_in,
        zoomOutTitle: labels.zoom_out,
    }).addTo(map);
    L.control.scale({imperial: false}).addTo(map);

    // the background: nice to have, never needed to read the trip
    var tiles = L.tileLayer(data.tiles.url, {
        maxZoom: 19,
        attribution: data.tiles.attribution,
        referrerPolicy: 'strict-origin-when-cross-origin',
    });
    var loaded = 0;
    tiles.on('tileload', function () {
        loaded += 1;
        element.classList.remove('tiles-off');
    });
    tiles.on('tileerror', function () {
        if (!loaded) {
            element.classList.add('tiles-off');
            showNotice();
        }
    });
    tiles.addTo(map);

    var bounds = [];
    var route = [];
    var markers = {};

    var depot = data.depot || {};
    if (depot.position) {
        bounds.push(depot.position);
        route.push(depot.position);
        L.circleMarker(depot.position, {
            className: 'depot-point',
            radius: 16,
            color: '#1d2430',
            weight: 2,
            fillColor: '#ffffff',
            fillOpacity: 1,
            interactive: false,
        }).addTo(map);
        L.marker(depot.position, {
            icon: numberIcon('\u2302', 'depot-marker'),
            title: labels.depot + ': ' + depot.name,
            alt: labels.depot,
            keyboard: true,
            zIndexOffset: -100,
        }).bindPopup(popupContent(
            labels.depot + ': ' + depot.name, depot.city, [])).addTo(map);
    }

    (data.stops || []).forEach(function (stop) {
        if (!stop.position) {
            return;
        }
        var cancelled = stop.stateCode === 'cancelled';
        bounds.push(stop.position);
        if (!cancelled) {
            route.push(stop.position);
        }
        // a vector disc under the number: the stop is drawn by the SVG
        // renderer, like the route
        L.circleMarker(stop.position, {
            className: 'stop-point stop-point-' + stop.stateCode,
            radius: 15,
            color: cancelled ? '#8a8f98' : '#0b5cad',
            weight: 2,
            dashArray: cancelled ? '4 3' : null,
            fillColor: '#ffffff',
            fillOpacity: 0.9,
            interactive: false,
        }).addTo(map);
        var title = stop.number + '. ' + stop.name;
        var marker = L.marker(stop.position, {
            icon: numberIcon(String(stop.number),
                'stop-marker stop-marker-' + stop.stateCode),
            title: title,
            alt: title,
            keyboard: true,
            zIndexOffset: 1000 - stop.number,
        }).bindPopup(popupContent(
            title,
            [stop.city, stop.kind].filter(Boolean).join(' \u00b7 '),
            [
                [labels.window, stop.window],
                [labels.arrival, stop.arrival],
                [labels.state, stop.state],
                [labels.late, stop.late, 'late'],
            ]));
        marker.addTo(map);
        markers[stop.number] = marker;
    });

    if (depot.position && route.length > 1) {
        route.push(depot.position);
    }
    var lines = [];
    if (route.length > 1) {
        // a wide light casing under the line keeps it readable on tiles;
        // both under the discs of the stops (once the map has a view)
        var line = L.polyline(route, {
            className: 'trip-route',
            color: '#0b5cad',
            weight: 4,
            opacity: 0.9,
            lineJoin: 'round',
            interactive: false,
        }).addTo(map);
        var casing = L.polyline(route, {
            className: 'trip-route-casing',
            color: '#ffffff',
            weight: 8,
            opacity: 0.8,
            interactive: false,
        }).addTo(map);
        lines = [line, casing];
    }

    var moved = false;
    var fitting = false;
    fit = function () {
        if (moved) {
            return;
        }
        fitting = true;
        if (bounds.length > 1) {
            map.fitBounds(bounds, {
                padding: [36, 36], maxZoom: 16, animate: false});
        } else if (bounds.length === 1) {
            map.setView(bounds[0], 15, {animate: false});
        } else {
            map.setView([41.7151, 44.8271], 11, {animate: false});
        }
        fitting = false;
    };
    fit();
    // once the user moved the map, it stays where he put it
    map.on('dragstart zoomstart', function () {
        if (!fitting) {
            moved = true;
        }
    });
    lines.forEach(function (layer) {
        layer.bringToBack();
    });

    // the list beside the map: a click shows the stop on the map
    var list = document.getElementById('stops');
    function select(item) {
        var marker = markers[item.getAttribute('data-stop')];
        if (marker) {
            map.panTo(marker.getLatLng());
            marker.openPopup();
        }
    }
    if (list) {
        Array.prototype.forEach.call(
            list.querySelectorAll('li[data-stop]'), function (item) {
                if (!markers[item.getAttribute('data-stop')]) {
                    return;
                }
                item.classList.add('locatable');
                item.tabIndex = 0;
                item.addEventListener('click', function () {
                    select(item);
                });
                item.addEventListener('keydown', function (event) {
                    if (event.key === 'Enter' || event.key === ' ') {
                        event.preventDefault();
                        select(item);
                    }
                });
            });
    }
    element.setAttribute('data-ready', 'true');
}());
