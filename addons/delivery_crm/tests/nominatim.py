# This file is part of the Delivery CRM for Tryton.
"""A Nominatim /search of our own on 127.0.0.1 for the tests: it answers
the structured search (street, city, countrycodes, format=jsonv2) as
Nominatim does, from a small gazetteer of Tbilisi and Batumi, and records
the requests it got. It stands in for the real service, which cannot be
reached from the tests."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

# (street, city, country code): (lat, lon, display_name)
GAZETTEER = {
    ('rustaveli avenue 12', 'tbilisi', 'ge'): (
        '41.6971', '44.7986', "12, Rustaveli Avenue, Tbilisi, Georgia"),
    ('chavchavadze avenue 60', 'tbilisi', 'ge'): (
        '41.7101', '44.7560', "60, Chavchavadze Avenue, Tbilisi, Georgia"),
    ('gorgiladze street 5', 'batumi', 'ge'): (
        '41.6485', '41.6387', "5, Gorgiladze Street, Batumi, Georgia"),
    }


class Handler(BaseHTTPRequestHandler):
    server_version = 'nominatim-double/1'

    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urlparse(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        self.server.requests.append({
                'path': url.path, 'query': query,
                'user_agent': self.headers.get('User-Agent')})
        mode = self.server.mode
        if mode == 'error':
            return self.reply(500, b'{"error": "internal"}')
        if mode == 'garbage':
            return self.reply(200, b'<html>maintenance</html>')
        if url.path != '/search' or query.get('format') != 'jsonv2':
            return self.reply(400, b'{"error": "bad request"}')
        countries = (query.get('countrycodes') or 'ge').split(',')
        key = (' '.join(query.get('street', '').lower().split()),
            ' '.join(query.get('city', '').lower().split()))
        results = []
        for country in countries:
            found = GAZETTEER.get(key + (country,))
            if found:
                lat, lon, name = found
                results.append({
                        'place_id': 1000 + len(results), 'lat': lat,
                        'lon': lon, 'display_name': name,
                        'category': 'building', 'type': 'house',
                        'importance': 0.5})
        limit = int(query.get('limit') or 10)
        self.reply(200, json.dumps(results[:limit]).encode())

    def reply(self, status, body):
        self.send_response(status)
        self.send_header('Content-Type', 'application/json; charset=utf-8')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Nominatim:
    "with Nominatim() as service: service.url, service.requests"

    def __init__(self):
        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.server.requests = []
        self.server.mode = 'ok'
        self.thread = threading.Thread(
            target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        host, port = self.server.server_address
        return f'http://{host}:{port}'

    @property
    def requests(self):
        return self.server.requests

    def set_mode(self, mode):
        "'ok', 'error' (HTTP 500) or 'garbage' (HTML)"
        self.server.mode = mode

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
