"""PostgreSQL repositories, SQL migrations and Redis keys/streams. Only this package talks SQL or Redis."""
