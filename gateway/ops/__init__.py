"""Operations surface: health and Prometheus metrics over HTTP."""
