"""gunicorn's settings that are not sizes: what the access log may say.

docker-compose.yml's web command names this file (`--config`), and gunicorn reads
./gunicorn.conf.py by itself when started from the project folder without one (the
Dockerfile's default command): the access log never holds a query string (searches for
candidates' names) or a password-reset token (recovery/gunicorn_logging.py).
"""

logger_class = "recovery.gunicorn_logging.PrivateAccessLogger"
# Who, when, the route (method, path without query string, protocol), status, bytes, time
# taken and user agent. No Referer: it is another page's address, query string included.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'
