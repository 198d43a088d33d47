# One small image for every role: the command picks it (`gateway`, `worker --role orders|payments`, `setup`, ...).
# Build stage: a virtualenv with the dependencies and the package, installed in editable mode so the source
# tree (with gunicorn.conf.py, wsgi.py and worker.py beside app/) is the one `payflow` runs from.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /srv/payflow
COPY pyproject.toml setup.cfg README.md ./
COPY app ./app
RUN /opt/venv/bin/pip install --editable .

# Runtime stage: no compilers, no pip cache, a non-root user.
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PAYFLOW_LOG_FORMAT=json \
    PAYFLOW_HTTP_BIND=0.0.0.0:3000
RUN useradd --system --create-home --uid 10001 payflow
COPY --from=build /opt/venv /opt/venv
COPY --from=build /srv/payflow /srv/payflow
COPY gunicorn.conf.py wsgi.py worker.py /srv/payflow/
WORKDIR /srv/payflow
USER payflow
# 3000: gateway HTTP API (its /metrics is on PAYFLOW_METRICS_BIND, never 3000); 9101 / 9102: orders / payments
# worker /metrics and /health.
EXPOSE 3000 9101 9102
ENTRYPOINT ["payflow"]
CMD ["gateway"]
