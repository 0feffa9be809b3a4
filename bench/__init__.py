"""The benchmark behind `make bench`: the real server under load, beside a bare Flask app.

`python -m bench` creates a throwaway PostgreSQL database, serves the real app and a bare app
with the same gunicorn settings, places full card-payment calls through the terminal phone and
reports CPU per request, webhook latency and the caller's time for one card payment (speech
and waiting, `bench.caller`); then the AutoPay run and ACH export at scale (`bench.autopay`).
See `bench.__main__`.
"""

HOST = "127.0.0.1"
WORKERS = 2
CONCURRENCY = 4
AUTH_TOKEN = "bench-token"
RELAY_NUMBER = "+18776236766"


class BenchError(Exception):
    """The benchmark could not be run (services missing, server down, calls failing)."""
