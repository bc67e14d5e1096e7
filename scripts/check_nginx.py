"""deploy/nginx.conf checked for real without containers: two replicas of the app (support/
appserver.py's Server, each on its own port) behind nginx run with a copy of the config whose
upstream names them, and browsers driven through nginx.

    python scripts/check_nginx.py               # about a minute; needs nginx (apt-get install nginx)
    python scripts/check_nginx.py --no-sticky   # the control: without its hash line (round robin)

Without the hash, an upload PUT can reach the replica that does not hold the session: it answers
400 and that session waits for its prediction until its bound (about two minutes).

Four sessions make the load test's visit at once (support/sessions.py: a seed, Train, Curves &
confusion, Compare runs, a PNG uploaded on Probe a digit); then one more trains, opens every page
and leaves a screenshot at 1400x1000 in test-artifacts/screenshots/nginx-<page>.png. Nginx's
access log says which replica answered each request: each browser (its cookie's key) must have
kept to one replica, WebSocket and upload PUTs included. Exits 1 when something failed.
"""

import argparse
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from support import sessions  # noqa: E402
from support.appserver import Server, chromium_options, free_port, log_errors  # noqa: E402
from tests.browser.test_app import PATHS, no_errors, open_app, settle, train  # noqa: E402
from tests.drawn import photo_of_digit  # noqa: E402

SHOTS = ROOT / "test-artifacts" / "screenshots"
LOG_LINE = re.compile(r'"(\S+) (\S+) [^"]*" (\d+) upstream=(\S+) key=(\S+)')


def local_config(config, replicas, port, folder, sticky=True):
    """deploy/nginx.conf's text, made to run here: its upstream the ``replicas``' ports, listening
    on 127.0.0.1:``port``, its log in ``folder`` (without the hash line unless ``sticky``)."""
    servers = "".join(f"server 127.0.0.1:{r.port};\n        " for r in replicas)
    text = config.replace("server app:8501;", servers.rstrip()).replace("listen 80;", f"listen 127.0.0.1:{port};")
    text = text.replace("/var/log/nginx/access.log", str(folder / "access.log"))
    return text if sticky else text.replace("hash $sticky_key consistent;", "")


def every_page(url):
    """In a new session: Train, then every page opened, each screenshotted at 1400x1000."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(headless=True, **chromium_options())
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        app = SimpleNamespace(url=url)
        open_app(page, app)
        train(page)
        for path in PATHS:
            open_app(page, app, f"{path}?{page.url.partition('?')[2]}")
            expect(page.get_by_role("combobox", name="Showing run")).to_be_visible()  # the run restored
            settle(page)
            no_errors(page)
            page.screenshot(path=str(SHOTS / f"nginx-{path or 'root'}.png"))
        browser.close()


def stickiness(log):
    """{key: set of replicas that answered it}, and the (method, path, status, replica) of each upload."""
    replicas, uploads = defaultdict(set), []
    for method, path, status, upstream, key in LOG_LINE.findall(log):
        if upstream != "-":
            replicas[key].add(upstream)
        if path.startswith("/_stcore/upload_file"):
            uploads.append((method, path.split("/")[3][:8], status, upstream))
    return replicas, uploads


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-sticky", action="store_true", help="drop the hash line: nginx's round robin")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="check-nginx-"))
    replicas = [Server(folder / f"replica-{i}.log") for i in (1, 2)]
    port = free_port()
    conf = folder / "nginx.conf"
    conf.write_text(local_config((ROOT / "deploy" / "nginx.conf").read_text(), replicas, port, folder,
                                 sticky=not args.no_sticky))
    subprocess.run(["nginx", "-t", "-p", str(folder), "-c", str(conf)], check=True)
    nginx = subprocess.Popen(["nginx", "-p", str(folder), "-c", str(conf),
                              "-g", f"daemon off; pid {folder}/nginx.pid; error_log {folder}/error.log;"])
    try:
        for replica in replicas:
            replica.wait_healthy()
        time.sleep(0.5)  # nginx listening
        url = f"http://127.0.0.1:{port}"
        print(f"nginx {url} -> replicas on ports {[r.port for r in replicas]}; files in {folder}")
        visits = sessions.drive(url, range(4100, 4104), 120, photo_of_digit(7, size=(200, 160), fmt="PNG"))
        for s in visits:
            print(f"session seed {s.seed}: held={s.held} prediction={s.prediction} runs={s.runs_seen} "
                  f"errors={s.errors}")
        if not args.no_sticky:
            every_page(url)
            print(f"every page through nginx: screenshots in {SHOTS}/nginx-*.png")
    finally:
        nginx.terminate()
        nginx.wait()
        for replica in replicas:
            replica.stop()
    answered, uploads = stickiness((folder / "access.log").read_text())
    for method, session, status, upstream in uploads:
        print(f"upload {method} session {session}… -> {upstream}: {status}")
    split = {key: sorted(ups) for key, ups in answered.items() if len(ups) > 1}
    per_replica = defaultdict(int)
    for ups in answered.values():
        per_replica[" + ".join(sorted(ups))] += 1
    print(f"browsers (cookie keys) per replica: {dict(per_replica)}; answered by more than one: {len(split)}")
    errors = [line for r in replicas for line in log_errors(r.output())]
    print(f"errors in the replicas' logs: {errors[:5] or 'none'}")
    failed = split or errors or not all(s.held for s in visits) or any(status >= "400" for *_, status, _ in uploads)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
