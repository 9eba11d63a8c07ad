"""The learner mix `openedx-deploy loadtest` drives: a Locust file, run by the `locust` process that command starts
(docs/loadtest.md), never imported by the tool itself (importing Locust patches the process for gevent).

Its settings come from the environment of that process (LOADTEST_* below), set by openedx_deploy.loadtest: the
learner's password never appears on a command line. Each request's name is the platform's route, so the report
has one row per endpoint.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from typing import Any

from locust import HttpUser, TaskSet, between, events, task
from locust.env import Environment

# Where each domain's connections go instead of its DNS answer, as `curl --connect-to` does: {"learn.example.org":
# ["10.89.0.5", 443]} (a null port keeps the URL's). The domain stays in the URL, so the Host header, TLS SNI, the
# certificate check and the cookies' domain are the site's, as a learner's browser has them.
CONNECT_TO = "LOADTEST_CONNECT_TO"
VERIFY = "LOADTEST_VERIFY"  # "1" verify against the system's CAs, "0" not (self-signed), else a CA bundle's path
THINK_TIME = "LOADTEST_THINK_TIME"  # "MIN,MAX": seconds a user waits between two actions
LEARNER = "LOADTEST_LEARNER"  # a learner's username or email; empty: only anonymous visitors
PASSWORD = "LOADTEST_PASSWORD"  # noqa: S105 - the variable's name, not a password
SUMMARY = "LOADTEST_SUMMARY"  # where the final figures go (JSON), written once every user has stopped

# The platform's routes (edx-platform unless noted; docs/loadtest.md cites each file).
HOME = "/"
CATALOG = "/courses"
LOGIN_PAGE = "/login"
LOGIN_API = "/api/user/v2/account/login_session/"
LOGOUT = "/logout"
ME = "/api/user/v1/me"
MFE_CONFIG = "/api/mfe_config/v1"
COURSES_API = "/api/courses/v1/courses/"
CSRF_TOKEN = "/csrf/api/v1/token"  # noqa: S105 - a route; edx-drf-extensions' csrf app, included by lms/urls.py
HEARTBEAT = "/heartbeat"


def _connect_to() -> dict[str, tuple[str, int | None]]:
    raw = json.loads(os.environ.get(CONNECT_TO) or "{}")
    return {name.lower(): (address, port) for name, (address, port) in raw.items()}


def _route_connections() -> None:
    """Answer the mapped domains' name lookups with their entry point. Locust has patched `socket` for gevent by
    the time this file is imported; the wrapper calls the patched lookup, so connections stay cooperative."""
    routes = _connect_to()
    if not routes:
        return
    lookup = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        route = routes.get(host.lower()) if isinstance(host, str) else None
        if route is not None:
            host, port = route[0], route[1] or port
        return lookup(host, port, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


_route_connections()


def _verify() -> bool | str:
    value = os.environ.get(VERIFY, "1")
    return {"1": True, "0": False}.get(value, value)


def _think_time() -> Any:
    low, _, high = (os.environ.get(THINK_TIME) or "1,3").partition(",")
    return between(float(low), float(high or low))


class _Visitor(HttpUser):
    abstract = True
    wait_time = _think_time()

    def on_start(self) -> None:
        self.client.verify = _verify()
        # A browser's Accept: the platform's pages answer HTML, its APIs JSON.
        self.client.headers["Accept"] = "text/html,application/json;q=0.9,*/*;q=0.8"

    def get(self, path: str) -> None:
        self.client.get(path, name=path)


def _mix(weights: dict[str, int]) -> list[TaskSet | Callable[..., Any]]:
    """Tasks that GET each route, each as many times as its weight: how often a user picks it (Locust calls each
    task with its user)."""

    def visit(path: str) -> Callable[[_Visitor], None]:
        def get(user: _Visitor) -> None:
            user.get(path)

        get.__name__ = f"get {path}"
        return get

    return [visit(path) for path, weight in weights.items() for _ in range(weight)]


class AnonymousVisitor(_Visitor):
    """Someone not signed in: the home page, the catalog, and the public APIs the MFEs call before sign-in."""

    weight = 1
    # Each route with how often it is picked (docs/loadtest.md has the table).
    tasks = _mix({HOME: 5, CATALOG: 3, MFE_CONFIG: 2, COURSES_API: 3, CSRF_TOKEN: 1, HEARTBEAT: 1})


class Learner(_Visitor):
    """A learner who signs in through the platform's login flow, then uses the LMS as its MFEs do; now and then signs
    out and in again, so logins keep coming under load, not only at the start."""

    weight = 3

    def on_start(self) -> None:
        super().on_start()
        self.login()

    def login(self) -> None:
        # The login page (or its redirect to the authn MFE) as the browser loads it, then the CSRF token the MFE asks
        # for, then the login API with it: Django checks the token and, over HTTPS, the Referer.
        self.client.get(LOGIN_PAGE, name=LOGIN_PAGE)
        with self.client.get(CSRF_TOKEN, name=CSRF_TOKEN, catch_response=True) as answer:
            token = ""
            if answer.ok:
                try:
                    token = str(answer.json().get("csrfToken") or "")
                except ValueError:
                    answer.failure("no JSON csrfToken in the answer")
            token = token or str(self.client.cookies.get("csrftoken") or "")
        learner = os.environ.get(LEARNER, "")
        form = {"email_or_username": learner, "email": learner, "password": os.environ.get(PASSWORD, "")}
        headers = {"X-CSRFToken": token, "Referer": f"{self.host}{LOGIN_PAGE}", "Accept": "application/json"}
        with self.client.post(LOGIN_API, data=form, headers=headers, name=LOGIN_API, catch_response=True) as answer:
            if answer.ok and not _succeeded(answer.text):
                answer.failure("the login API did not answer success")

    tasks = _mix({HOME: 2, CATALOG: 2, MFE_CONFIG: 3, ME: 3, COURSES_API: 3, CSRF_TOKEN: 1, HEARTBEAT: 1})

    @task(1)
    def sign_in_again(self) -> None:
        self.get(LOGOUT)
        self.login()


_engine: dict[str, Environment] = {}


def _remember(environment: Environment, **_: Any) -> None:
    _engine["environment"] = environment


def _write_summary(exit_code: int, **_: Any) -> None:
    """The final figures, from Locust's own statistics once its users have stopped: its CSV files are written each
    second while it runs, so their last rows can miss the last second and the requests of users stopping."""
    path = os.environ.get(SUMMARY)
    environment = _engine.get("environment")
    if not path or environment is None or environment.runner is None:
        return
    stats = environment.runner.stats

    def figures(entry: Any) -> dict[str, Any]:
        answered = entry.num_requests > 0
        return {
            "method": entry.method or "",
            "name": entry.name,
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "requests_per_s": entry.total_rps,
            **{
                f"p{round(q * 100)}_ms": entry.get_response_time_percentile(q) if answered else None
                for q in (0.5, 0.95, 0.99)
            },
            "max_ms": entry.max_response_time if answered else None,
        }

    summary = {
        "endpoints": [figures(entry) for entry in stats.entries.values()],
        "total": figures(stats.total),
        "failures": [error.to_dict() for error in stats.errors.values()],  # type: ignore[no-untyped-call]
    }
    with open(path, "w") as handle:
        json.dump(summary, handle)


# Locust's event hooks are untyped: registered here rather than as decorators, which would untype the functions.
events.init.add_listener(_remember)  # type: ignore[no-untyped-call]
events.quit.add_listener(_write_summary)  # type: ignore[no-untyped-call]


def _succeeded(body: str) -> bool:
    try:
        answer = json.loads(body)
    except ValueError:
        return False
    return isinstance(answer, dict) and answer.get("success") is True
