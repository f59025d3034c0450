"""Production settings: secrets required, and ``check --deploy`` clean."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "CACHE_URL", "CELERY_"))
    }
    return subprocess.run(  # noqa: S603 (our own manage.py with fixed arguments)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_settings_pass_check_deploy_without_warnings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="aldis.example.lv",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("debug", ["true", "false"])
def test_settings_read_everything_from_the_environment(debug):
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL, s.DEBUG, "
        "s.CACHES['default']['BACKEND'], s.CACHES['default']['LOCATION'], s.CACHES['pages']['BACKEND'])",
        DJANGO_DEBUG=debug,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL="postgres://aldis@db.example:5432/aldis",
        REDIS_URL="redis://broker.example:6379/0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "False",
        "redis://broker.example:6379/0",
        "True" if debug == "true" else "False",
        # The throttle's counts are shared by every worker; rendered pages stay in each process.
        "django.core.cache.backends.redis.RedisCache",
        "redis://broker.example:6379/0",
        "django.core.cache.backends.locmem.LocMemCache",
    ]


def test_the_throttle_cache_can_have_a_redis_database_of_its_own():
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s; print(s.CELERY_BROKER_URL, s.CACHES['default']['LOCATION'])",
        DJANGO_DEBUG="true",
        REDIS_URL="redis://broker.example:6379/0",
        CACHE_URL="redis://broker.example:6379/1",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["redis://broker.example:6379/0", "redis://broker.example:6379/1"]


def test_embedded_mode_defaults_to_sqlite_and_in_process_tasks():
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.CACHES['default']['BACKEND'])",
        DJANGO_DEBUG="true",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "True",
        "django.core.cache.backends.locmem.LocMemCache",
    ]
