"""Django's PostgreSQL backend without the ``varchar_pattern_ops`` twin indexes (see ``schema``)."""
