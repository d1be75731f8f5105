"""Gunicorn settings for Kindred in production: `gunicorn -c deploy/gunicorn.conf.py app:app`.

Every value can be overridden from the environment, so one file serves every host.
"""

import multiprocessing
import os

bind = os.environ.get("KINDRED_BIND", "127.0.0.1:8000")
# The app is stateless (sessions in signed cookies plus the login_sessions table,
# rate limits in Redis), so workers and hosts can be added freely.
workers = int(os.environ.get("KINDRED_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("KINDRED_THREADS", 2))
worker_class = "gthread"
timeout = int(os.environ.get("KINDRED_WORKER_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so a slow leak can never grow without bound.
max_requests = int(os.environ.get("KINDRED_MAX_REQUESTS", 5000))
max_requests_jitter = 500
preload_app = True
accesslog = os.environ.get("KINDRED_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("KINDRED_LOG_LEVEL", "info")
# Trust X-Forwarded-* only from the local TLS-terminating proxy.
forwarded_allow_ips = os.environ.get("KINDRED_FORWARDED_ALLOW_IPS", "127.0.0.1")
