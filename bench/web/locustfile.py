"""The officers of the load benchmark (``bench/web/run.py`` starts locust with this file).

Each simulated officer is signed in as the county officer (``run.py`` opens the sessions), then reads and writes as officers do:
person search (names, pinyin, ID numbers and household numbers taken from the register), the
person record, the home page, the indicator table, the event-entry page and the declaration of a
residence change for a person of the county (a write: the event row, its checks and its audit
records). ``/healthz`` (routing, middleware, ``SELECT 1``) runs in the same mix as the baseline.
Between two pages an officer waits ``RENKOU_LOAD_WAIT`` seconds ("a-b", uniformly; "0" for none).

The data (account, queries, persons, villages) come from the JSON file named by ``RENKOU_LOAD_DATA``.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading

from locust import HttpUser, between, constant, task

DATA = json.loads(open(os.environ["RENKOU_LOAD_DATA"], encoding="utf-8").read())
_wait = os.environ.get("RENKOU_LOAD_WAIT", "0.5-2")
WAIT = constant(0) if _wait in ("", "0") else between(*(float(x) for x in _wait.split("-")))
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_lock = threading.Lock()
_writes = itertools.count()
_sessions = itertools.count()


def _next_subject() -> int:
    """A different person for each declaration (round robin over the persons of the data file)."""
    with _lock:
        i = next(_writes)
    return DATA["declare_persons"][i % len(DATA["declare_persons"])]


class Officer(HttpUser):
    wait_time = WAIT

    def on_start(self):
        # signed in beforehand by run.py (one session per officer), so no password hashing is timed here
        with _lock:
            session = DATA["sessions"][next(_sessions) % len(DATA["sessions"])]
        self.client.cookies.set("sessionid", session)
        self.random = random.Random(session)

    @task(1)
    def healthz(self):
        self.client.get("/healthz", name="healthz (baseline)")

    @task(4)
    def search(self):
        self.client.get("/registry/", params={"q": self.random.choice(DATA["queries"])}, name="search")

    @task(3)
    def person(self):
        self.client.get(f"/registry/persons/{self.random.choice(DATA['persons'])}/", name="person record")

    @task(2)
    def home(self):
        self.client.get("/", name="home")

    @task(1)
    def indicators(self):
        self.client.get("/indicators/", params={"area": DATA["county"]}, name="indicator table")

    @task(1)
    def declare(self):
        url = "/registry/events/residence_change/new/"
        form = self.client.get(url, name="event entry")
        token = TOKEN.search(form.text)
        if token is None:
            return
        person = _next_subject()
        with self.client.post(url, name="declare event (write)", allow_redirects=False, catch_response=True,
                              headers={"Referer": f"{self.host}{url}"},
                              data={"csrfmiddlewaretoken": token.group(1), "subject": f"#{person}",
                                    "event_date": DATA["event_date"], "registration_date": DATA["event_date"],
                                    "area": self.random.choice(DATA["villages"]), "note": "load"}) as r:
            # a declaration saved answers with a redirect to the new event; a form shown again is a refusal
            if r.status_code != 302 or "/registry/events/" not in r.headers.get("Location", ""):
                r.failure(f"declaration not saved (HTTP {r.status_code})")
