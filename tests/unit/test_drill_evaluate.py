from difusor.drill import evaluate
from difusor.drill.web import Page

B = "20261128_1035"
VALUES = {"first": "20261128_1020", "timeout": 60}


def page(cut: str) -> Page:
    return Page(200, f'<body data-corte="{cut}">'.encode())


NOTICE = Page(503, b'<main id="aviso-prep">Aviso</main>')
DOWN = Page(0, b"", "connection refused")


def test_page_reading():
    assert page(B).cut == B and not page(B).notice
    assert NOTICE.cut is None and NOTICE.notice and NOTICE.describe() == "notice"
    assert DOWN.describe() == "no answer (connection refused)"
    assert Page(404, b"x").describe() == "HTTP 404"


def test_a_cut_served_in_time_passes_with_its_latency():
    result = evaluate.went_live(1, "first_cut", B, "", page(B), 2.34, 60, VALUES)
    assert result.passed
    assert result.timings == (evaluate.Timing("push_to_served", 2.3),)
    assert result.facts[0].key == "live_after"


def test_a_cut_not_served_or_not_pushed_fails():
    late = evaluate.went_live(1, "first_cut", B, "", page("20261128_1020"), None, 60, VALUES)
    assert not late.passed and late.timings == ()
    assert late.facts[0].values["shown"] == "20261128_1020"
    pushed = evaluate.went_live(1, "first_cut", B, "rsync exit 5: auth failed", None, None, 60, {})
    assert not pushed.passed and pushed.facts[0].key == "push_failed"


def test_bytes_are_not_compared_for_a_cut_that_did_not_go_live():
    unsent = evaluate.went_live(2, "second_cut", B, "rsync exit 5", None, None, 60, VALUES)
    assert evaluate.same_bytes(unsent, b"<html>", Page(200, b"other")) == unsent


def test_bytes_check_is_added_to_the_step():
    live = evaluate.went_live(2, "second_cut", B, "", page(B), 1.0, 60, VALUES)
    same = evaluate.same_bytes(live, b"<html>", Page(200, b"<html>"))
    assert same.passed and same.facts[-1].key == "bytes_equal"
    other = evaluate.same_bytes(live, b"<html>", Page(200, b"<html"))
    assert not other.passed and other.facts[-1].values == {"size": 6, "served": 5, "status": 200}


EVENTS = [
    {"event": "arrival", "archive": "/srv/prep/incoming/X.zip"},
    {"event": "rejected", "archive": "/srv/prep/incoming/X.zip", "rule": "sidecar-mismatch"},
]


def test_rejection_is_found_by_file_name():
    assert evaluate.rejection_of(EVENTS, "X.zip")["rule"] == "sidecar-mismatch"
    assert evaluate.rejection_of(EVENTS, "Y.zip") is None


def rejected(rule: str, polls, event=EVENTS[1], error=""):
    return evaluate.rejected_while_served(
        3, "corrupt_cut", "X.zip", rule, error, event, 1.2, polls, B, VALUES
    )


def test_rejected_by_the_expected_rule_while_the_live_cut_stays():
    result = rejected("sidecar-mismatch", [page(B)] * 4)
    assert result.passed
    assert [fact.key for fact in result.facts] == ["rejected_rule", "kept_served"]
    assert result.facts[1].values["polls"] == 4


def test_a_wrong_rule_a_missing_rejection_or_a_blip_fails():
    assert not rejected("replayed-cut", [page(B)]).passed
    missing = rejected("sidecar-mismatch", [page(B)], event=None)
    assert not missing.passed and missing.facts[0].key == "not_rejected"
    blip = rejected("sidecar-mismatch", [page(B), DOWN, page(B)])
    assert not blip.passed
    assert blip.facts[-1].values["shown"] == "no answer (connection refused)"
    unsent = rejected("sidecar-mismatch", [], event=None, error="rsync exit 10")
    assert not unsent.passed and [fact.key for fact in unsent.facts] == ["push_failed"]


def test_crash_recovery_needs_a_restart_and_the_cut_served_again():
    ok = evaluate.crash_recovered(5, 0, ("running", 1, 42), page(B), 3.21, B, 60, VALUES)
    assert ok.passed and ok.timings == (evaluate.Timing("kill_to_served", 3.2),)
    stopped = evaluate.crash_recovered(5, 0, ("exited", 0, 0), DOWN, None, B, 60, VALUES)
    assert not stopped.passed
    assert [fact.key for fact in stopped.facts] == ["not_restarted", "not_back"]


def gap(**changes):
    arguments = {
        "number": 6,
        "incident_status": "freshness incident: live cut 20261128_0930, age 50 min",
        "notice_page": NOTICE,
        "notice_seconds": 0.8,
        "fresh_cut": "20261128_1105",
        "fresh_page": page("20261128_1105"),
        "fresh_seconds": 4.0,
        "notice_left_on": False,
        "timeout_s": 60,
        "values": VALUES,
    }
    return evaluate.gap_handled(**{**arguments, **changes})


def test_gap_passes_with_both_times():
    result = gap()
    assert result.passed
    assert [timing.key for timing in result.timings] == ["watchdog_to_notice", "push_to_results"]


def test_gap_fails_without_incident_notice_or_fresh_results():
    assert not gap(incident_status="freshness critical: live cut x, age 40 min").passed
    assert not gap(notice_page=page(B), notice_seconds=None).passed
    assert not gap(fresh_page=NOTICE, fresh_seconds=None).passed
    assert not gap(notice_left_on=True).passed
    assert not gap(error="kill: no such process").passed


def test_all_passed_needs_steps():
    assert not evaluate.all_passed([])
    assert evaluate.all_passed([gap()])
    assert not evaluate.all_passed([gap(), gap(notice_left_on=True)])
