"""`difusor monitor PORTALS.yml`: the difusores' portals watched from outside. `config` reads the
list, `probe` fetches one portal (HTTP, TLS, the cut its page shows, embedding headers),
`evaluate` judges it against the newest cut issued (the 45 minutes of V.ii.4), `page` writes the
status page, `prom` the same figures as metrics, `cli` is the command."""
