"""gunicorn settings, read from the environment: HOST/PORT to listen on, WEB_CONCURRENCY worker
processes (default 2) of GUNICORN_THREADS threads each (default 4), ACCESS_LOG=1 to log requests."""

import os

wsgi_app = "app:create_app()"
bind = f"{os.environ.get('HOST') or '0.0.0.0'}:{os.environ.get('PORT') or '8080'}"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
worker_class = "gthread"
keepalive = 5
timeout = 30
graceful_timeout = 10
accesslog = "-" if os.environ.get("ACCESS_LOG") == "1" else None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL") or "info"
control_socket_disable = True  # no runtime control socket: nothing to manage it in a container
