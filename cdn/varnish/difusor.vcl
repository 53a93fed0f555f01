# Varnish in front of a difusor (issue 17; docs/cdn.md): what a CDN does for the PREP site, with
# Debian's Varnish 7. The origin is role prep_web in CDN origin mode (prep_web_cdn_origin), which
# says how long each file may be kept: s-maxage (prep_web_cache_bound) for pages and data, a year
# for hashed assets, stale-if-error for an origin that fails. The site-specific part (the origin
# and who may purge) is in difusor-origin.vcl beside this file (see difusor-origin.vcl.example).
vcl 4.1;

import std;

include "difusor-origin.vcl";

sub vcl_recv {
    # After each switch the origin's difusor-cdn-purge.service sends BAN: every object but the
    # immutable (hashed) assets goes, so no reader gets the replaced cut from here.
    if (req.method == "BAN" || req.method == "PURGE") {
        if (!client.ip ~ difusor_purgers) {
            return (synth(403, "Forbidden"));
        }
        if (req.method == "PURGE") {
            return (purge);
        }
        ban("obj.http.cache-control !~ immutable");
        return (synth(200, "Banned"));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (synth(405, "Method Not Allowed"));
    }
    # The site is the same for everyone: no cookie or credential makes a copy personal.
    unset req.http.Cookie;
    unset req.http.Authorization;
    # A healthy origin is asked as soon as a copy expires; a stale copy (grace) is served only
    # while the origin's health check fails (stale-if-error).
    if (std.healthy(req.backend_hint)) {
        set req.grace = 0s;
    }
}

sub vcl_backend_response {
    # stale-if-error=N: keep the copy N seconds past its s-maxage for when the origin fails.
    if (beresp.http.Cache-Control ~ "stale-if-error=[0-9]+") {
        set beresp.grace = std.duration(
            regsub(beresp.http.Cache-Control, ".*stale-if-error=([0-9]+).*", "\1s"), 0s);
    } else {
        set beresp.grace = 0s;
    }
}

sub vcl_deliver {
    # Says where the answer comes from; STALE: the origin is unreachable, this is the last cut.
    if (obj.ttl < 0s && obj.hits > 0) {
        set resp.http.X-Cache = "STALE (origin unreachable)";
    } elsif (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
