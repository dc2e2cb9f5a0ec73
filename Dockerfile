# The Concierge image: the web app, RQ workers and the scheduler all run from it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    CONCIERGE_DATA_DIR=/data CONCIERGE_LOG_FORMAT=json
WORKDIR /app

COPY pyproject.toml requirements.lock README.md ./
COPY assistant ./assistant
COPY search ./search
COPY sync ./sync
COPY sandbox ./sandbox
COPY migrations ./migrations
# The runtime lock, every package pinned with its hash; then the project, editable and
# without dependencies, built by the locked setuptools (docs/dependencies.md).
RUN pip install --no-cache-dir --require-hashes -r requirements.lock \
    && pip install --no-cache-dir --no-deps --no-build-isolation -e . \
    && pip check

COPY alembic.ini chat_app.py chainlit.md ./
COPY .chainlit ./.chainlit
COPY public ./public

RUN useradd --create-home --uid 10001 concierge && mkdir -p /data && chown concierge /data
USER concierge
EXPOSE 8000
CMD ["chainlit", "run", "chat_app.py", "--headless", "--host", "0.0.0.0", "--port", "8000"]
