"""The difusor's figures for Prometheus (node exporter's textfile collector) and for `difusor
status`: `collect` measures the host, `exposition` writes the text format, `accesslog` and
`fail2ban` read those two sources, `cli` is `difusor metrics write|show`."""
