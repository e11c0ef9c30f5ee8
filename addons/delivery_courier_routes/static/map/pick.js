/* This file is part of the Delivery CRM for Tryton.
 *
 * Picking the position of an address: a click on the map or a drag of the
 * marker puts it, the fields show (and take) the coordinates, Save sends
 * them with the signed link to the server, which writes them as the user
 * who opened the link. The data comes from the <script
 * type="application/json" id="pick-data"> element: no inline script.
 */
(function () {
    'use strict';

    var source = document.getElementById('pick-data');
    var element = document.getElementById('map');
    var form = document.getElementById('pick');
    if (!source || !element || !form) {
        return;
    }
    var data = JSON.parse(source.textContent);
    var texts = data.texts || {};
    var latitude = document.getElementById('latitude');
    var longitude = document.getElementById('longitude');
    var status = document.getElementById('status');
    var marker = null;
    var map = null;

    function show(text, kind) {
        status.textContent = text || '';
        status.className = 'status' + (kind ? ' ' + kind : '');
    }

    function fields(lat, lon) {
        latitude.value = lat.toFixed(7);
        longitude.value = lon.toFixed(7);
    }

    function place(lat, lon) {
        fields(lat, lon);
        if (!map) {
            return;
        }
        if (marker) {
            marker.setLatLng([lat, lon]);
        } else {
            marker = window.L.marker([lat, lon], {draggable: true})
                .addTo(map);
            marker.on('dragend', function () {
                var at = marker.getLatLng();
                fields(at.lat, at.lng);
                show('');
            });
        }
    }

    if (typeof window.L !== 'undefined') {
        map = window.L.map(element).setView(data.centre,
            data.known ? 17 : 13);
        window.L.tileLayer(data.tiles, {
            maxZoom: 19,
            attribution: '&copy; OpenStreetMap contributors'
        }).addTo(map);
        map.on('click', function (event) {
            place(event.latlng.lat, event.latlng.lng);
            show('');
        });
    }
    if (data.known) {
        place(data.centre[0], data.centre[1]);
    }

    function typed() {
        var lat = parseFloat(latitude.value.replace(',', '.'));
        var lon = parseFloat(longitude.value.replace(',', '.'));
        if (!isFinite(lat) || !isFinite(lon) || lat < -90 || lat > 90
                || lon < -180 || lon > 180) {
            return null;
        }
        return [lat, lon];
    }

    function moved() {
        var at = typed();
        if (at) {
            place(at[0], at[1]);
            if (map) {
                map.panTo(at);
            }
        }
    }
    latitude.addEventListener('change', moved);
    longitude.addEventListener('change', moved);

    form.addEventListener('submit', function (event) {
        event.preventDefault();
        var at = typed();
        if (!at) {
            show(texts.invalid, 'error');
            return;
        }
        var button = document.getElementById('save');
        button.disabled = true;
        fetch(window.location.pathname, {
            method: 'POST',
            headers: {'Content-Type': 'application/json'},
            credentials: 'omit',
            body: JSON.stringify({
                link: data.link, latitude: at[0], longitude: at[1]})
        }).then(function (response) {
            return response.json().then(function (answer) {
                if (response.ok) {
                    fields(answer.latitude, answer.longitude);
                    show(texts.saved, 'saved');
                } else {
                    show(answer.error || texts.failed, 'error');
                }
            });
        }).catch(function () {
            show(texts.failed, 'error');
        }).then(function () {
            button.disabled = false;
        });
    });
}());
