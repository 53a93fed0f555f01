"""Several web nodes behind a balancer, one cut everywhere at once (see `sync`)."""
