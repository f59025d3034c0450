"""``python -m aldis.probe DATABASE_URL REDIS_URL``: exit 0 when both services answer.

Used by ``make test`` to decide whether the production-shape suite can run here.
"""

import sys

import environ
import psycopg
import redis


def main(database_url: str, redis_url: str) -> int:
    db = environ.Env.db_url_config(database_url)
    try:
        with psycopg.connect(
            host=db["HOST"],
            port=db["PORT"] or 5432,
            user=db["USER"],
            password=db["PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=3,
        ):
            pass
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except (psycopg.Error, redis.RedisError) as exc:
        print(f"not reachable: {type(exc).__name__}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
