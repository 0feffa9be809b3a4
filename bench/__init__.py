"""The benchmark behind `make bench`: the real server under load, beside a bare floor.

`python -m bench` serves the real app on a throwaway PostgreSQL database and then on a
throwaway SQLite file (Redis with both), and beside them the floor: one route returning a fixed
`<Gather><Say>` under the same gunicorn settings. It places full card-payment calls through the
terminal phone and reports CPU per request against the floor on each database, webhook latency
with 50 paced calls at once, the caller's time for one card payment (speech and waiting,
`bench.caller`) and a crowd on a slow processor; then the AutoPay run and ACH export at scale
(`bench.autopay`). See `bench.__main__`.
"""

HOST = "127.0.0.1"
WORKERS = 2
CONCURRENCY = 4
AUTH_TOKEN = "bench-token"
RELAY_NUMBER = "+18776236766"


class BenchError(Exception):
    """The benchmark could not be run (services missing, server down, calls failing)."""
