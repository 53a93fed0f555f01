"""The metric families of a host snapshot (`collect.collect`), as `difusor metrics write`
exposes them. Names: prefix `difusor_`, base units (seconds, bytes), counters `_total`."""

from __future__ import annotations

from typing import Any

from difusor.metrics.exposition import Family, counter, family, gauge
from difusor.web.freshness import LEVELS


def families(snapshot: dict[str, Any]) -> list[Family]:
    found = [
        gauge(
            "difusor_metrics_generated_timestamp_seconds",
            "When these metrics were measured (Unix time).",
            snapshot["generated"],
        ),
        family(
            "difusor_source_readable",
            "gauge",
            "Whether the metrics could read a source (0: its metrics are missing).",
            (({"source": name}, int(ok)) for name, ok in sorted(snapshot["readable"].items())),
        ),
        gauge(
            "difusor_update_period_seconds",
            "The electoral body's update period (I.H: four cuts an hour).",
            snapshot["period_s"],
        ),
        gauge(
            "difusor_update_grace_seconds",
            "How late a cut may arrive before its period counts as missed.",
            snapshot["grace_s"],
        ),
        gauge(
            "difusor_expecting_cuts",
            "1 from the publication start (VI.a) until the watchdog's end (PREP closed).",
            int(snapshot["expecting_cuts"]),
        ),
    ]
    live = snapshot["live"]
    if live["cut"] is not None:
        found += [
            gauge(
                "difusor_live_cut_timestamp_seconds",
                "The time of the cut being served (Unix time).",
                live["timestamp"],
            ),
            gauge(
                "difusor_live_cut_age_seconds",
                "How old the cut being served is: now minus its cut time.",
                live["age_s"],
            ),
            gauge("difusor_live_cut_info", "The cut being served.", 1, cut=live["cut"]),
        ]
    journal = snapshot["journal"]
    if journal is not None:
        last = journal["last_publication"]
        if last and last["arrival_to_live_s"] is not None:
            found.append(
                gauge(
                    "difusor_last_publication_arrival_to_live_seconds",
                    "From the last published cut's arrival to its going live (journal).",
                    last["arrival_to_live_s"],
                )
            )
        found += [
            counter(
                "difusor_package_arrivals_total", "Packages that arrived.", journal["arrivals"]
            ),
            counter(
                "difusor_package_publications_total",
                "Cuts that went live (published or promoted).",
                journal["publications"],
            ),
            counter(
                "difusor_package_deferrals_total",
                "Arrivals deferred to the next pass (the machine failed, not the package).",
                journal["deferrals"],
            ),
            family(
                "difusor_package_rejections_total",
                "counter",
                "Packages rejected, by the rule that refused them (V.ii.2).",
                (({"rule": rule}, count) for rule, count in journal["rejections"].items()),
            ),
        ]
    watchdog = snapshot["watchdog"]
    if watchdog is not None:
        found.append(
            family(
                "difusor_watchdog_level",
                "gauge",
                "The freshness watchdog's last level (1 for the current one).",
                (({"level": level}, int(level == watchdog["level"])) for level in LEVELS),
            )
        )
        found.append(
            gauge(
                "difusor_cluster_lag_seconds",
                "How long a cluster's web node has been behind the receiving node's cut, once "
                "past the grace (the watchdog's last check); 0 when it is not (or on a single "
                "server).",
                watchdog.get("lag_s") or 0,
            )
        )
        if watchdog["checked"] is not None:
            found.append(
                gauge(
                    "difusor_watchdog_checked_timestamp_seconds",
                    "When the watchdog last checked (Unix time).",
                    watchdog["checked"],
                )
            )
    found += [
        gauge(
            "difusor_notice_active",
            "1 while notice mode serves the official notice (V.ii.4).",
            int(snapshot["notice"]["active"]),
        ),
        gauge("difusor_releases_kept", "Complete releases kept on disk.", snapshot["releases"]),
        gauge(
            "difusor_prep_root_free_bytes",
            "Bytes free to the publisher under the prep root.",
            snapshot["disk"]["free_bytes"],
        ),
        gauge(
            "difusor_prep_root_size_bytes",
            "Size of the file system of the prep root.",
            snapshot["disk"]["size_bytes"],
        ),
    ]
    requests = snapshot.get("requests")
    if requests is not None:
        responses = requests["responses"]
        found += [
            counter(
                "difusor_http_requests_total",
                "Requests in the web access log (since the metrics' state began).",
                sum(responses.values()),
            ),
            family(
                "difusor_http_responses_total",
                "counter",
                "Responses in the web access log, by status class.",
                (({"class": name}, count) for name, count in sorted(responses.items())),
            ),
            counter(
                "difusor_access_log_malformed_lines_total",
                "Access-log lines the statistics' parser cannot read.",
                requests["malformed"],
            ),
            counter(
                "difusor_access_log_skipped_bytes_total",
                "Access-log bytes not read because more arrived than one run reads.",
                requests["skipped_bytes"],
            ),
        ]
    if snapshot["bans"] is not None:
        found.append(
            family(
                "difusor_fail2ban_banned_addresses",
                "gauge",
                "Addresses fail2ban holds banned, by jail (II.C.c).",
                (({"jail": jail}, count) for jail, count in sorted(snapshot["bans"].items())),
            )
        )
    if snapshot["tls_expiry"] is not None:
        found.append(
            gauge(
                "difusor_tls_certificate_expiry_timestamp_seconds",
                "When the portal's TLS certificate expires (Unix time).",
                snapshot["tls_expiry"],
            )
        )
    return found
