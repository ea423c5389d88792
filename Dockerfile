# Quizsite production image: gunicorn + whitenoise on Python 3.11, as a non-root user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system quizsite && useradd --system --gid quizsite --home-dir /app --no-create-home quizsite
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=quizsite:quizsite . .
# Static files are collected (hashed and compressed for whitenoise) once, at build time.
# The key below only lets settings load during the build; the entrypoint refuses to start without a real one.
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=build-only-key-never-used-at-runtime-0123456789abcdefghij \
    python manage.py collectstatic --noinput \
    && chown -R quizsite:quizsite /app/staticfiles

USER quizsite
EXPOSE 8000
ENTRYPOINT ["/app/docker/entrypoint.sh"]
