"""The OpenAPI walk's part for oversight (memo 4.E.4, 4.E.5, fn2): the log review, its
sign-off, referrals and their outcome, and the log format's approval, each answered as the
document declares."""

from __future__ import annotations

from typing import Any, Protocol

import httpx
from harness import Gateway

PERIOD = "2026-01-05"  # a finished weekly period


class Checker(Protocol):
    def json(self, response: httpx.Response, path: str, status: int) -> dict[str, Any]: ...


def oversee(gateway: Gateway, check: Checker) -> None:
    review = "/api/v1/log-reviews/{period}"
    with gateway.client("sam") as sam:
        shown = check.json(sam.get(f"/api/v1/log-reviews/{PERIOD}"), review, 200)
        assert shown["signoff"] is None
        check.json(sam.post(f"/api/v1/log-reviews/{PERIOD}/sign-off", json={}),
                   review + "/sign-off", 201)  # fmt: skip
        referral = check.json(
            sam.post(f"/api/v1/log-reviews/{PERIOD}/referrals", json={"reasons": "look"}),
            review + "/referrals", 201,
        )  # fmt: skip
        signed = check.json(sam.get(f"/api/v1/log-reviews/{PERIOD}"), review, 200)
        assert signed["signoff"] is not None
    with gateway.client("otto") as otto:
        listed = check.json(otto.get("/api/v1/referrals"), "/api/v1/referrals", 200)
        assert [r["id"] for r in listed["referrals"]] == [referral["id"]]
        check.json(otto.get(f"/api/v1/referrals/{referral['id']}"),
                   "/api/v1/referrals/{referral_id}", 200)  # fmt: skip
        check.json(otto.post(f"/api/v1/referrals/{referral['id']}/outcome",
                             json={"outcome": "unsubstantiated", "note": "reviewed"}),
                   "/api/v1/referrals/{referral_id}/outcome", 200)  # fmt: skip
    with gateway.client("ada") as ada:
        check.json(ada.get("/api/v1/policy/log-format"), "/api/v1/policy/log-format", 200)
        check.json(ada.post("/api/v1/policy/log-format/approvals", json={"reason": "go"}),
                   "/api/v1/policy/log-format/approvals", 201)  # fmt: skip
