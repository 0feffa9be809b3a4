"""Production WSGI server (gunicorn) around the app factory."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from app import create_app

        return create_app()


THREADS_PER_WORKER = 8  # a webhook may wait seconds for the processor: others go on meanwhile


def run(host: str, port: int, workers: int, **extra: Any) -> None:
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": THREADS_PER_WORKER,
        "timeout": 30,
        "accesslog": "-",
        # The access log shows the path and turn only; webhook bodies (Digits) are never logged.
        "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms',
        **extra,
    }
    _Gunicorn(options).run()
