"""Fault tests: real processes under load while a worker, the broker or the database is broken on purpose."""
