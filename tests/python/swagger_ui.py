"""Swagger UI in a real browser (Debian chromium driven by Playwright):
open /swagger, see every tag, run the login operation from the page, put
its token in Authorize, run GET /clusters from the page and see the 200
envelope. Every request the page makes is recorded: none may leave the
server that serves it.

Run by tests/tests/e2e/swagger.rs with TAICHU_URL, TAICHU_ADMIN_PASSWORD
and SCREENSHOT (where the page's picture goes). Prints one JSON line.
"""

import json
import os
import urllib.parse

from playwright.sync_api import sync_playwright

BASE = os.environ["TAICHU_URL"]
# Chromium's own background traffic stays off: only the page's requests are seen.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def run(page, block, body=None):
    """Expands operation `block`, tries it out (with `body`), executes; (status, response text)."""
    op = page.locator(block)
    op.locator(".opblock-summary").first.click()
    op.locator(".try-out__btn").click()
    if body is not None:
        op.locator("textarea.body-param__text").fill(json.dumps(body))
    op.locator("button.execute").click()
    status = op.locator(".live-responses-table tr.response .response-col_status").first
    status.wait_for()
    text = op.locator(".live-responses-table tr.response .response-col_description .microlight").first.inner_text()
    return int(status.inner_text().strip()), text


def main():
    seen = {"hosts": set()}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        page = browser.new_page()
        page.on("request", lambda r: seen["hosts"].add(urllib.parse.urlsplit(r.url).netloc))
        page.goto(f"{BASE}/swagger/", wait_until="networkidle")
        page.locator("h3.opblock-tag").first.wait_for()
        seen["tags"] = sorted(t.get_attribute("data-tag") for t in page.locator("h3.opblock-tag").all())

        status, text = run(
            page,
            "#operations-Auth-login",
            {"username": "admin", "password": os.environ["TAICHU_ADMIN_PASSWORD"]},
        )
        assert status == 200, (status, text)
        token = json.loads(text)["data"]["token"]

        page.locator(".auth-wrapper button.authorize").click()
        modal = page.locator(".modal-ux")
        modal.locator("input").first.fill(token)
        modal.locator("button.authorize").click()
        modal.locator("button.btn-done").click()

        status, text = run(page, "#operations-Clusters-list_clusters")
        seen["list_clusters"] = {"status": status, "body": json.loads(text)}
        # The operation as the user sees it: request, Execute, the 200 and its envelope.
        # (the curl line, which shows the bearer token, masked).
        block = page.locator("#operations-Clusters-list_clusters")
        block.screenshot(path=os.environ["SCREENSHOT"], mask=[block.locator(".curl-command")])
        browser.close()
    seen["hosts"] = sorted(seen["hosts"])
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
