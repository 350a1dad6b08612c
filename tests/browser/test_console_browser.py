"""The console's main paths in Chromium, as people use them: an agent takes in a probe and
reviews the candidates (each with the lead-only notice, memo 4.D.2); a witness probe waits for
the supervisor, who approves it from another browser (memo 4.B.2); a refused use shows the memo
section that refuses it; a lead becomes an enforcement basis only once corroborated (memo
4.D.3); OPR reads the audit report with its charts; an administrator adds an agent who then
signs in. One gateway serves the whole module; each user is their own browser context."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_kit import ConsoleBrowser
from harness import Gateway
from PIL import Image
from playwright.sync_api import Locator, Page

from frsgate.connectors.gallery import NEGATIVE_BELOW
from frsgate.demo import demo_probe
from frsgate.vault.images import validate_and_reencode
from frsgate.web.render import LEAD_ONLY_NOTICE

pytestmark = pytest.mark.slow

DEMO_CASE = "HSI-2026-000001"
DEMO_FRS_PROGRAM_CODE = "HSI-FRS-DEMO"
INTAKE = "/console/probes/new"


def _demo_photos() -> Iterator[bytes]:
    """The demo probe, then crops of it: the same face, other bytes."""
    original = demo_probe()
    yield original
    with Image.open(io.BytesIO(original)) as photo:
        width, height = photo.size
        for margin in range(2, 60, 2):
            out = io.BytesIO()
            photo.crop((margin, margin, width - margin, height - margin)).save(
                out, format="JPEG", quality=92
            )
            yield out.getvalue()


@pytest.fixture(scope="module")
def probe_file(tmp_path_factory: pytest.TempPathFactory, gateway: Gateway) -> Path:
    """The demo probe photo (or the first crop of it) that the sandbox answers with candidates,
    as a file a form can upload. The sandbox answers from the SHA-256 of the re-encoded probe
    and gives nothing for one in eight (connectors.gallery): this test needs candidates."""
    for data in _demo_photos():
        clean = validate_and_reencode(data, limits=gateway.runtime.image_limits)
        if int(clean.sha256[:2], 16) >= NEGATIVE_BELOW:
            path = tmp_path_factory.mktemp("probe") / "demo-probe.jpg"
            path.write_bytes(data)
            return path
    raise AssertionError("no crop of the demo probe gets candidates from the sandbox")


def set_field(form: Locator, name: str, value: str) -> None:
    """Answer one field of a form by its name, whatever control the page uses for it."""
    fields = form.locator(f'[name="{name}"]')
    assert fields.count() > 0, f"the form has no field {name!r}"
    kind = fields.first.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
    if kind.startswith("select"):
        fields.first.select_option(value)
    elif kind == "input:radio":
        form.locator(f'[name="{name}"][value="{value}"]').check()
    elif kind == "input:checkbox":
        box = form.locator(f'[name="{name}"][value="{value}"]')
        (box if box.count() else fields.first).check()
    else:
        fields.first.fill(value)


def fill_form(form: Locator, values: dict[str, str]) -> None:
    for name, value in values.items():
        set_field(form, name, value)


def intake_values(**overrides: str) -> dict[str, str]:
    """The intake form's answers (the probe and its search, one form): a use the policy allows."""
    values = {
        "case": DEMO_CASE,
        "subject_role": "suspect",
        "capture_source": "recorded_video_still",
        "lawful_basis": "still from CCTV footage obtained by subpoena 2026-114",
        "traditional_means": "records checks and canvass of the port workers; no identification",
        "justification": "suspect seen loading undeclared goods at the port on 2026-10-02",
        "attestation": "true",
        "provider": "sandbox",
        "match_type": "one_to_many",
        "frs_program_code": DEMO_FRS_PROGRAM_CODE,
        "search_justification": "identify the suspect loading undeclared goods",
    }
    values.update(overrides)
    return values


def take_in_probe(
    console: ConsoleBrowser, page: Page, probe: Path, role: str = "", **overrides: str
) -> None:
    """The intake form, filled and sent; the browser is where the form leads (a submission's
    page, or a refusal). With `role`, the empty form is checked and screenshotted first."""
    if role:
        console.visit(page, INTAKE, role, "probes-new")
    else:
        page.goto(INTAKE)
    form = page.locator(f'main form[action="{INTAKE}"]')
    form.get_by_label("Photo (JPEG or PNG)").set_input_files(str(probe))
    fill_form(form, intake_values(**overrides))
    console.send(page, form.get_by_role("button", name="Take in the probe and submit"))


def submission_id_of(page: Page) -> str:
    found = re.search(r"/console/submissions/([^/?#]+)", page.url)
    assert found is not None, f"{page.url}: {page.locator('main').inner_text()}"
    return found.group(1)


def citations(page: Page) -> str:
    """The memo citations of a refusal page, as its reader sees them."""
    return " | ".join(page.locator("main .citation").all_inner_texts())


def main_text(page: Page) -> str:
    return page.locator("main").inner_text()


# --- a. intake and review --------------------------------------------------------------------


def test_agent_takes_in_a_probe_and_reviews_the_candidates(
    console: ConsoleBrowser, probe_file: Path
) -> None:
    alice = console.sign_in("alice")
    take_in_probe(console, alice, probe_file, role="agent")
    submission = submission_id_of(alice)
    assert alice.get_by_role("status").inner_text().startswith("Submitted: the FRS answered")
    console.check(alice, "agent", "submission")
    console.send(alice, alice.get_by_role("link", name="Review the candidate list"))
    assert alice.url.endswith(f"/console/submissions/{submission}/candidates")
    console.check(alice, "agent", "candidates")
    cards = alice.locator("main article.candidate-card")
    assert cards.count() > 0, "the sandbox answers the demo probe with candidates"
    for i in range(cards.count()):
        notice = cards.nth(i).locator(".lead-only")
        assert notice.count() == 1, f"candidate {i + 1} without the lead-only notice"
        assert notice.inner_text() == LEAD_ONLY_NOTICE
        assert notice.is_visible()

    console.send(alice, alice.get_by_role("link", name="Print view of the list"))
    console.check(alice, "agent", "candidates-print")
    assert alice.locator("main .lead-only").count() >= cards.count()


def test_a_double_click_on_the_intake_form_is_one_use(
    console: ConsoleBrowser, gateway: Gateway, probe_file: Path
) -> None:
    """Two clicks on "send" post the form twice; the form's one-time key makes that one
    probe and one submission, and the browser lands on it."""
    alice = console.sign_in("alice")
    before = _submissions_of(gateway, "alice")
    alice.goto(INTAKE)
    form = alice.locator(f'main form[action="{INTAKE}"]')
    form.get_by_label("Photo (JPEG or PNG)").set_input_files(str(probe_file))
    fill_form(form, intake_values())
    posts: list[str] = []
    alice.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    button = form.get_by_role("button", name="Take in the probe and submit")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box is not None
    # Two clicks of the mouse, the second while the first's answer is awaited (the old page
    # still shows): the browser posts the form twice.
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    alice.mouse.click(x, y)
    alice.wait_for_timeout(40)
    alice.mouse.click(x, y)
    alice.wait_for_url(re.compile(r".*/console/submissions/[^/?#]+\?done=submitted$"))
    alice.wait_for_load_state()
    after = _submissions_of(gateway, "alice")
    assert len(after) == len(before) + 1, main_text(alice)
    assert submission_id_of(alice) in after - before
    assert len(posts) == 2, posts  # the browser did send the form twice


def _submissions_of(gateway: Gateway, username: str) -> set[str]:
    from frsgate.store.unit import unit_of_work

    with unit_of_work(gateway.runtime.engine) as uow:
        return {s.id for s in uow.submissions.of_user(gateway.users[username])}


# --- b. a witness probe waits for the supervisor --------------------------------------------


def test_witness_probe_waits_for_the_supervisor_who_approves_it(
    console: ConsoleBrowser, probe_file: Path
) -> None:
    alice = console.sign_in("alice")
    take_in_probe(
        console, alice, probe_file, subject_role="witness",
        other_methods_exhausted="interviews and records checks found no name",
    )  # fmt: skip
    submission = submission_id_of(alice)
    assert alice.get_by_role("status").inner_text().startswith("Stored: it goes to the FRS")
    waiting = alice.locator("section[aria-labelledby='waiting-heading'] li")
    assert waiting.count() == 1, main_text(alice)
    assert "witness probe" in waiting.inner_text()
    approval = waiting.locator("code").inner_text()
    assert "pending approval" in alice.locator("dl.facts").inner_text()
    assert alice.get_by_role("link", name="Review the candidate list").count() == 0
    console.check(alice, "agent", "submission-waiting")

    sam = console.sign_in("sam")
    console.visit(sam, "/console/queue", "supervisor", "queue")
    console.send(sam, sam.locator(f"#approval-{approval}").get_by_role("link"))
    assert sam.url.endswith(f"/console/approvals/{approval}")
    console.check(sam, "supervisor", "approval")
    sam.get_by_label("Reason for approving (optional)").fill(
        "interviews and records checks exhausted; approved"
    )
    console.send(sam, sam.get_by_role("button", name="Approve", exact=True))
    assert sam.get_by_role("status").count() == 1, main_text(sam)
    console.check(sam, "supervisor", "approval-decided")

    alice.reload()
    assert submission_id_of(alice) == submission
    assert "completed" in alice.locator("dl.facts").inner_text(), main_text(alice)
    assert "Nothing: no approval is pending." in main_text(alice)
    assert alice.get_by_role("link", name="Review the candidate list").count() == 1
    console.check(alice, "agent", "submission-approved")


# --- c. a refused use cites the memo --------------------------------------------------------


def test_lapsed_certification_is_refused_with_its_citation(
    console: ConsoleBrowser, probe_file: Path
) -> None:
    aaron = console.sign_in("aaron")
    take_in_probe(console, aaron, probe_file)
    assert "/console/submissions/" not in aaron.url
    assert aaron.get_by_role("alert").count() == 1
    assert "Memo 4.A.3" in citations(aaron), main_text(aaron)
    console.check(aaron, "agent-lapsed", "probe-refused")


def test_unreviewed_provider_without_exigency_is_refused_with_its_citation(
    console: ConsoleBrowser, probe_file: Path
) -> None:
    alice = console.sign_in("alice")
    take_in_probe(console, alice, probe_file, provider="exigent-unreviewed")
    assert "/console/submissions/" not in alice.url
    assert "Memo 4.C." in citations(alice), main_text(alice)
    console.check(alice, "agent", "submission-refused")


# --- d. corroboration before enforcement ----------------------------------------------------


def test_lead_is_an_enforcement_basis_only_once_corroborated(
    console: ConsoleBrowser, probe_file: Path
) -> None:
    alice = console.sign_in("alice")
    take_in_probe(console, alice, probe_file)
    console.send(alice, alice.get_by_role("link", name="Review the candidate list"))
    first = alice.locator("main article.candidate-card").first
    card_id = first.get_attribute("id")
    fill_form(first.locator("form[action$='/dispositions']"), {
        "kind": "possible_match_lead",
        "rationale": "facial features consistent with the suspect",
        "traditional_means_compared": "compared with the port badge photo and DMV record",
    })  # fmt: skip
    console.send(alice, first.get_by_role("button", name="Record disposition"))
    first = alice.locator(f"#{card_id}")
    assert first.get_by_role("button", name="Open lead").count() == 1, main_text(alice)
    first.locator("form[action='/console/leads']").locator('[name="summary"]').fill(
        "badge photo resembles candidate 1"
    )
    console.send(alice, first.get_by_role("button", name="Open lead"))
    assert "/console/leads/" in alice.url, main_text(alice)
    lead_url = alice.url.split("?", 1)[0]
    console.check(alice, "agent", "lead")

    alice.get_by_label("Note").fill("warrant sought")
    console.send(alice, alice.get_by_role("button", name="Mark as basis for enforcement"))
    assert alice.get_by_role("alert").count() == 1
    assert "Memo 4.D.3" in citations(alice), main_text(alice)
    console.check(alice, "agent", "enforcement-refused")

    alice.goto(lead_url)
    fill_form(alice.locator("main form[action$='/corroborations']"), {
        "kind": "records_check",
        "source": "State DMV record",
        "description": "licence address matches the port badge holder",
        "obtained_by": "SA Alice Agent",
        "obtained_on": "2026-10-05",
    })  # fmt: skip
    console.send(alice, alice.get_by_role("button", name="Add corroboration"))
    assert "State DMV record" in alice.locator("main table").inner_text(), main_text(alice)
    alice.get_by_label("Note").fill("corroborated; warrant sought")
    console.send(alice, alice.get_by_role("button", name="Mark as basis for enforcement"))
    assert alice.url.startswith(lead_url), main_text(alice)
    assert citations(alice) == ""
    facts = alice.locator("dl.facts").inner_text()
    assert "Basis for enforcement" in facts
    assert "corroborated; warrant sought" in facts
    console.check(alice, "agent", "lead-enforcement-basis")


# --- e. OPR's audit report -------------------------------------------------------------------


def test_opr_reads_the_audit_report_with_its_charts(console: ConsoleBrowser) -> None:
    otto = console.sign_in("otto")
    console.visit(otto, "/console/reports/opr", "opr", "reports-opr-period")
    console.send(otto, otto.get_by_role("button", name="Run the report"))
    assert "Ledger check: passed" in main_text(otto)
    console.check(otto, "opr", "reports-opr")
    charts = otto.locator("main img")
    assert charts.count() > 0, "the report shows its charts"
    for i in range(charts.count()):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        loaded = chart.evaluate("img => img.complete && img.naturalWidth > 0")
        assert loaded, f"chart {i + 1} ({chart.get_attribute('src')}) did not load"
        assert chart.get_attribute("alt"), f"chart {i + 1} has no text alternative"


# --- f. a new agent --------------------------------------------------------------------------


def test_administrator_adds_an_agent_who_then_signs_in(
    console: ConsoleBrowser, gateway: Gateway
) -> None:
    ada = console.sign_in("ada")
    console.visit(ada, "/console/admin/users", "admin", "admin-users")
    ada.get_by_role("link", name="Add a person").click()
    ada.wait_for_load_state("load")
    console.check(ada, "admin", "admin-users-new")
    ada.get_by_label("Username").fill("nadia")
    ada.get_by_label("Display name").fill("Nadia Newcomb")
    ada.get_by_label("Agent", exact=True).check()
    ada.get_by_label("Front-line supervisor").fill("sam")
    console.send(ada, ada.get_by_role("button", name="Add the person"))
    assert "/console/admin/users/nadia" in ada.url, ada.locator("main").inner_text()
    assert ada.get_by_role("status").inner_text() == "The account nadia was created."
    console.check(ada, "admin", "admin-user")

    nadia = console.sign_in("nadia")
    assert nadia.get_by_role("heading", level=1).inner_text() == "Welcome, Nadia Newcomb"
    console.check(nadia, "agent-new", "home")
