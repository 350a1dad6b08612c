"""The pack walk's part for oversight (memo 4.E.4, 4.E.5, fn2): every rule of the supervisor's
log review, its sign-off and referrals, OPR's outcome of a referral and IGP's approval of the
log format is made to fire through the routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness import Gateway

from frsgate.domain import Role
from frsgate.ledger import Actor
from frsgate.services import admin

CASE = "HSI-2026-000001"
PERIOD = "2026-01-05"  # a finished weekly period (a Monday)
REVIEW = f"/api/v1/log-reviews/{PERIOD}"

Expect = Callable[..., dict[str, Any]]


def _user(gateway: Gateway, name: str, *roles: Role) -> None:
    gate = gateway.runtime.gate
    made = admin.create_user(gate, Actor.system(), username=name, display_name=name.title(),
                             roles=list(roles))  # fmt: skip
    gateway.users[name] = made.id


def walk_log_review(gateway: Gateway, expect: Expect) -> None:
    _user(gateway, "pat", Role.supervisor, Role.opr)  # an auditor who also supervises
    _user(gateway, "gail", Role.igp)
    with gateway.client("alice") as alice:
        expect(alice.get(REVIEW), 403, "duty.log_review_read")
        expect(alice.get("/api/v1/referrals"), 403, "duty.referral_view")
        expect(alice.get("/api/v1/policy/log-format"), 403, "duty.log_format_view")
        expect(alice.post("/api/v1/policy/log-format/approvals", json={"reason": "r"}), 403,
               "duty.log_format_request")  # fmt: skip
    with gateway.client("sam") as sam:
        expect(sam.get(REVIEW), 200)
        expect(sam.get(f"{REVIEW}?case={CASE}"), 200)
        expect(sam.post(f"{REVIEW}/sign-off", json={}), 201)
        referral = expect(sam.post(f"{REVIEW}/referrals", json={"reasons": "see the log"}), 201)
        expect(sam.get("/api/v1/referrals?referred_by=sam"), 200)
        expect(sam.post(f"/api/v1/referrals/{referral['id']}/outcome",
                        json={"outcome": "closed", "note": "n"}), 403,
               "duty.referral_decide")  # fmt: skip
    with gateway.client("sue") as sue:
        expect(sue.get(f"{REVIEW}?supervisor=sam"), 403, "log_review.own_review")
        expect(sue.get(f"{REVIEW}?case={CASE}"), 403, "log_review.own_cases")
        expect(sue.post(f"{REVIEW}/sign-off", json={"supervisor": "sam"}), 403,
               "log_review.own_sign_off")  # fmt: skip
        expect(sue.get(f"/api/v1/referrals/{referral['id']}"), 403, "referral.view_own")
    with gateway.client("otto") as otto:
        expect(otto.get(f"{REVIEW}?supervisor=sam"), 200)
        expect(otto.post(f"{REVIEW}/sign-off", json={}), 403, "duty.log_review_sign_off")
        expect(otto.post(f"{REVIEW}/referrals", json={"reasons": "r"}), 403,
               "duty.log_review_refer")  # fmt: skip
        expect(otto.get("/api/v1/referrals"), 200)
        expect(otto.get(f"/api/v1/referrals/{referral['id']}"), 200)
        expect(otto.post(f"/api/v1/referrals/{referral['id']}/outcome",
                         json={"outcome": "unsubstantiated", "note": "n"}), 200)  # fmt: skip
    with gateway.client("pat") as pat:
        own = expect(pat.post(f"{REVIEW}/referrals", json={"reasons": "mine"}), 201)
        expect(pat.post(f"/api/v1/referrals/{own['id']}/outcome",
                        json={"outcome": "closed", "note": "n"}), 403,
               "referral.not_own")  # fmt: skip
    with gateway.client("ivan") as ivan:
        asked = expect(ivan.post("/api/v1/policy/log-format/approvals",
                                 json={"reason": "go live"}), 201)  # fmt: skip
        approval = asked["approval"]["id"]
        expect(ivan.post(f"/api/v1/approvals/{approval}/decision", json={"approve": True}), 403,
               "log_format.not_own_request")  # fmt: skip
    with gateway.client("ada") as ada:
        expect(ada.get("/api/v1/policy/log-format"), 200)
        expect(ada.post(f"/api/v1/approvals/{approval}/decision", json={"approve": True}), 403,
               "log_format.igp_only")  # fmt: skip
    with gateway.client("gail") as gail:
        expect(gail.post(f"/api/v1/approvals/{approval}/decision",
                         json={"approve": True, "note": "reviewed"}), 200)  # fmt: skip
