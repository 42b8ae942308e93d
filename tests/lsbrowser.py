"""Drive Label Studio 1.23's labeling page in Debian's Chromium, the way a person does.

Every selector of Label Studio's DOM lives here (read off Label Studio 1.23.2), so a new
Label Studio version means editing one file. Playwright only drives the browser: it never
downloads one (`playwright install` is never run); Debian's /usr/bin/chromium is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TEXT = ".lsf-richtext__container"
REGION = "span.htx-highlight"
RELATION = ".lsf-relations__item"
# The problems line `toolkit watch` writes (a <Header> above the text): its first line says this.
PROBLEMS_MARK = "found by toolkit validate"

# Where the characters [start, end) of the n-th occurrence of `surface` are on screen. After the
# first region the text is split into several text nodes, so positions come from walking them
# all; DOM strings count UTF-16 units, so the search is done here, on the rendered text.
RECT_JS = """
([selector, surface, nth, from, to]) => {
  const root = document.querySelector(selector);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = []; let all = '';
  for (let n = walker.nextNode(); n; n = walker.nextNode()) { nodes.push([n, all.length]); all += n.data; }
  let idx = -1;
  for (let i = 0; i <= nth; i++) { idx = all.indexOf(surface, idx + 1); if (idx < 0) return null; }
  const at = (pos) => {
    for (const [n, off] of nodes) if (pos < off + n.data.length) return [n, pos - off];
    return null;
  };
  const box = (pos) => {
    const [node, off] = at(pos);
    const r = document.createRange(); r.setStart(node, off); r.setEnd(node, off + 1);
    const b = r.getBoundingClientRect();
    return {x: b.left + b.width / 2, y: b.top + b.height / 2};
  };
  const chars = Array.from(surface);  // code points: never split an emoji
  const unit = (k) => chars.slice(0, k).join('').length;
  return {from: box(idx + unit(from)), to: box(idx + unit(to))};
}
"""


@contextmanager
def chromium(headless: bool = True) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=headless)
        try:
            yield browser
        finally:
            browser.close()


class LabelingPage:
    def __init__(self, page: Any, base_url: str):
        self.page = page
        self.base_url = base_url.rstrip("/")

    def login(self, email: str, password: str) -> None:
        page = self.page
        page.goto(f"{self.base_url}/user/login/")
        page.fill("#email", email)
        page.fill("#password", password)
        page.click("button.login-button")
        page.wait_for_url(lambda url: "/user/login" not in url)

    def label_all_tasks(self, project_id: int) -> Any:
        """What the README tells a user to click; returns the instructions dialog shown first."""
        self.page.goto(f"{self.base_url}/projects/{project_id}/data")
        self.page.get_by_text("Label All Tasks").click()
        dialog = self.page.locator(".lsf-modal-ls__content").filter(has_text="Labeling Instructions").first
        dialog.wait_for()
        return dialog

    def open_task(self, project_id: int, task_id: int) -> None:
        self.page.goto(f"{self.base_url}/projects/{project_id}/data?task={task_id}")
        self.page.wait_for_selector(TEXT)

    def label_span(self, surface: str, hotkey: str, nth: int = 0, inset: int = 0) -> None:
        """Press the label's hotkey, then drag from the middle of the first character to the middle
        of the last one: the region covers `surface` whole only because `granularity="word"` snaps
        the selection to word edges. (Label Studio's words end at a hyphen: a drag ending inside
        "un" of "Jong-un" gives "Jong-".) The active label is deselected after each region, hence
        the hotkey before every span. `inset` starts and ends the drag that many characters inside.
        """
        page = self.page
        before = page.locator(REGION).count()
        for attempt in range(3):  # a page still settling after it opened can drop the first drag
            pos = page.evaluate(RECT_JS, [TEXT, surface, nth, inset, len(surface) - 1 - inset])
            assert pos is not None, f"{surface!r} is not in the rendered text"
            self._select_label(hotkey)
            # whole pixels: a mouse-down at a fractional x started no selection in Chromium 156 here
            page.mouse.move(round(pos["from"]["x"]), round(pos["from"]["y"]))
            page.mouse.down()
            page.mouse.move(round(pos["to"]["x"]), round(pos["to"]["y"]), steps=8)
            page.mouse.up()
            try:
                page.wait_for_function(
                    "([sel, n]) => document.querySelectorAll(sel).length > n", arg=[REGION, before], timeout=3000
                )
                return
            except Exception:  # playwright's TimeoutError
                if attempt == 2:
                    raise

    def _select_label(self, hotkey: str) -> None:
        """Press the label's key until its chip shows selected: right after a task opens, the page may
        not listen to keys yet (a press then is lost, and the drag would make no region)."""
        page = self.page
        for _ in range(20):
            if page.locator(".lsf-label_selected").count():
                return
            page.keyboard.press(hotkey)
            try:
                page.locator(".lsf-label_selected").first.wait_for(timeout=500)
                return
            except Exception:  # playwright's TimeoutError: not listening yet, press again
                continue
        raise AssertionError(f"pressing {hotkey!r} never selected a label")

    def region(self, text: str) -> Any:
        return self.page.locator(REGION, has_text=text).first

    def relate(self, head: str, tail: str, label: str) -> None:
        """Click the head region, Create Relation, click the tail region; then pick the relation's label."""
        page = self.page
        self.region(head).click()
        page.click("button[aria-label='Create Relation']")
        self.region(tail).click()
        page.locator("#Relations-draggable").click()
        item = page.locator(".lsf-relations__item").last
        item.hover()
        page.click("button[aria-label='Show Relation Labels']")
        page.locator(".lsf-relation-meta [data-testid='select-trigger']").last.click()
        page.click(f"[data-testid='select-option-{label}']")
        page.keyboard.press("Escape")
        page.locator("[data-testid^='select-option-']").first.wait_for(state="hidden")

    def relate_by_keys(self, head: str, tail: str, label: str) -> None:
        """As the guidelines say: click the head, Alt+R, click the tail, then the label under … ."""
        page = self.page
        before = page.locator(RELATION).count()
        self.region(head).click()
        page.keyboard.press("Alt+r")
        self.region(tail).click()
        page.locator("#Relations-draggable").click()
        page.wait_for_function(
            "([sel, n]) => document.querySelectorAll(sel).length > n", arg=[RELATION, before], timeout=5000
        )
        item = page.locator(RELATION).last
        item.hover()
        page.click("button[aria-label='Show Relation Labels']")
        page.locator(".lsf-relation-meta [data-testid='select-trigger']").last.click()
        page.click(f"[data-testid='select-option-{label}']")
        page.keyboard.press("Escape")
        page.locator("[data-testid^='select-option-']").first.wait_for(state="hidden")

    def delete_relation(self) -> None:
        page = self.page
        before = page.locator(RELATION).count()
        page.locator("#Relations-draggable").click()
        item = page.locator(RELATION).last
        item.hover()
        item.locator("button[aria-label='Delete Relation']").click()
        page.wait_for_function(
            "([sel, n]) => document.querySelectorAll(sel).length < n", arg=[RELATION, before], timeout=5000
        )

    def delete_region_by_key(self, text: str) -> None:
        """Click a region and press Backspace (what the guidelines say deletes a span)."""
        before = self.page.locator(REGION).count()
        self.region(text).click()
        self.page.keyboard.press("Backspace")
        self.page.wait_for_function(
            "([sel, n]) => document.querySelectorAll(sel).length < n", arg=[REGION, before], timeout=5000
        )

    def problems(self) -> Any:
        return self.page.get_by_text(PROBLEMS_MARK)

    def shown_problems(self, project_id: int, task_id: int) -> str:
        """Reopen the task (as the annotator would) and return the problems line, or "" when there is none."""
        self.open_task(project_id, task_id)
        self.page.locator(REGION).first.wait_for(state="attached")
        found = self.problems()
        return str(found.first.inner_text()) if found.count() else ""

    def update_by_keys(self) -> dict[str, Any]:
        """Ctrl+Enter on a submitted annotation: the update the guidelines describe."""
        page = self.page
        with page.expect_response(lambda r: r.request.method == "PATCH" and "/api/annotations/" in r.url) as resp:
            page.keyboard.press("Control+Enter")
        assert resp.value.status == 200, resp.value.text()
        body: dict[str, Any] = resp.value.json()
        return body

    def submit(self, task_id: int) -> dict[str, Any]:
        """Submit and return the annotation the server stored."""
        page = self.page
        with page.expect_response(
            lambda r: r.request.method == "POST" and f"/api/tasks/{task_id}/annotations" in r.url
        ) as resp:
            page.click("[data-testid='bottombar-submit-button']")
        assert resp.value.status == 201, resp.value.text()
        body: dict[str, Any] = resp.value.json()
        return body


@contextmanager
def logged_in_page(base_url: str, login: tuple[str, str], failure_shot: Path) -> Iterator[tuple[Any, LabelingPage]]:
    """A logged-in labeling page; on any failure a full-page screenshot is saved to `failure_shot`."""
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.set_default_timeout(20_000)
        ui = LabelingPage(page, base_url)
        try:
            ui.login(*login)
            yield page, ui
        except BaseException:
            page.screenshot(path=str(failure_shot), full_page=True)
            print(f"screenshot of the labeling page: {failure_shot}")
            raise
