"""Fetch CI history straight from the GitHub and GitLab REST APIs into JSON lines.

:func:`fetch_github` writes the workflow runs of a repository and the jobs of each run,
:func:`fetch_gitlab` the jobs of a project, one API record per line exactly as the API
returns it, so that :func:`~phasesim.eventlog.read_log` reads the file with the
``github-actions`` or ``gitlab`` adapter. Only the standard library talks to the API
(:mod:`urllib`).

* **Pagination** follows the ``Link: <...>; rel="next"`` header (GitHub and GitLab), or
  GitLab's ``X-Next-Page``.
* **Rate limits**: a 403 or 429 answer with ``Retry-After`` waits that many seconds; with
  ``X-RateLimit-Remaining: 0`` (GitHub) or ``RateLimit-Remaining: 0`` (GitLab) it waits
  until ``X-RateLimit-Reset`` / ``RateLimit-Reset``; then the request is repeated. Another
  403 is an error (no access).
* **Server errors** (5xx) and dropped connections are retried with backoff (1, 2, 4, 8,
  16 s), then fail.
* **Resumable**: an existing output file is read first and only what is new is fetched.
  Runs (GitHub) or jobs (GitLab) that were still in progress are fetched again and
  replace their old records; a fetch that was interrupted carries on where it stopped
  (GitHub writes each run after its jobs, oldest first).

``sleep`` and ``clock`` are injectable so tests do not wait.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import Any

from phasesim.errors import PhasesimError

__all__ = ["FetchError", "FetchResult", "fetch_github", "fetch_gitlab"]

GITHUB_API = "https://api.github.com"
GITLAB_URL = "https://gitlab.com"
#: Run statuses of GitHub that are not final (the run is fetched again next time).
GITHUB_UNFINISHED = frozenset({"queued", "in_progress", "waiting", "pending", "requested",
                               "action_required"})
#: Job statuses of GitLab that are not final.
GITLAB_UNFINISHED = frozenset({"created", "pending", "running", "waiting_for_resource",
                               "preparing", "scheduled"})
_BACKOFF = (1.0, 2.0, 4.0, 8.0, 16.0)
#: Rate-limit waits in a row before a request gives up.
_MAX_WAITS = 5
_SUFFIXES = (".jsonl", ".ndjson")


class FetchError(PhasesimError):
    """The API cannot be read: not found, no access, or the server keeps failing."""


@dataclass(frozen=True)
class FetchResult:
    """What a fetch did.

    ``new`` counts the runs (GitHub) or jobs (GitLab) written for the first time,
    ``refreshed`` those fetched again because they were unfinished, ``total`` those in
    the file now; ``records`` is the number of lines in the file and ``requests`` the
    number of HTTP requests made (retries included).
    """

    path: Path
    new: int
    refreshed: int
    total: int
    records: int
    requests: int


# --------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------


class _Client:
    """GET JSON with retries, rate-limit waits and pagination."""

    def __init__(
        self,
        base: str,
        headers: dict[str, str],
        *,
        service: str,
        token_env: str,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        note: Callable[[str], None],
        timeout: float = 60.0,
    ) -> None:
        self.base = base.rstrip("/")
        self.origin = urllib.parse.urlsplit(self.base)[:2]
        self.headers = headers
        self.service = service
        self.token_env = token_env
        self.sleep = sleep
        self.clock = clock
        self.note = note
        self.timeout = timeout
        self.requests = 0

    def url(self, path: str, **query: object) -> str:
        params = {k: str(v) for k, v in query.items() if v is not None}
        tail = f"?{urllib.parse.urlencode(params)}" if params else ""
        return f"{self.base}{path}{tail}"

    def get(self, url: str) -> tuple[Any, Message]:
        """The decoded JSON of ``url`` and the answer's headers."""
        if urllib.parse.urlsplit(url)[:2] != self.origin:
            raise FetchError(f"{self.service}: refusing to follow a link to another host "
                             f"({url}); the token is only sent to {self.base}")
        failures = waits = 0
        while True:
            self.requests += 1
            request = urllib.request.Request(url, headers=self.headers)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                    body = answer.read()
                    headers = answer.headers
                break
            except urllib.error.HTTPError as exc:
                wait = self._rate_limit_wait(exc.code, exc.headers)
                if wait is not None and waits < _MAX_WAITS:
                    waits += 1
                    self.note(f"{self.service} rate limit reached: waiting {wait:.0f} s"
                              + ("" if "Authorization" in self.headers
                                 or "PRIVATE-TOKEN" in self.headers
                                 else f" (set {self.token_env} for a higher limit)"))
                    self.sleep(wait)
                    continue
                if exc.code >= 500 and failures < len(_BACKOFF):
                    self.note(f"{self.service} answered {exc.code}: retrying in "
                              f"{_BACKOFF[failures]:.0f} s")
                    self.sleep(_BACKOFF[failures])
                    failures += 1
                    continue
                raise FetchError(self._explain(exc, url)) from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                if failures < len(_BACKOFF):
                    self.note(f"{self.service}: {exc}; retrying in {_BACKOFF[failures]:.0f} s")
                    self.sleep(_BACKOFF[failures])
                    failures += 1
                    continue
                raise FetchError(f"{self.service}: cannot reach {url}: {exc} (after "
                                 f"{failures} retries)") from None
        try:
            return json.loads(body.decode("utf-8")), headers
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FetchError(f"{self.service}: {url} did not answer JSON ({exc})") from None

    def _rate_limit_wait(self, code: int, headers: Message) -> float | None:
        """Seconds to wait before repeating a rate-limited request, or None."""
        if code not in (403, 429):
            return None
        retry_after = headers.get("Retry-After")
        if retry_after is not None:
            try:
                return max(float(retry_after), 0.0) + 1.0
            except ValueError:
                pass
        remaining = headers.get("X-RateLimit-Remaining", headers.get("RateLimit-Remaining"))
        reset = headers.get("X-RateLimit-Reset", headers.get("RateLimit-Reset"))
        if reset is not None and (remaining == "0" or code == 429):
            try:
                return max(float(reset) - self.clock(), 0.0) + 1.0
            except ValueError:
                pass
        if code == 429:
            return 60.0
        return None

    def _explain(self, exc: urllib.error.HTTPError, url: str) -> str:
        try:
            detail = json.loads(exc.read().decode("utf-8")).get("message", "")
        except Exception:  # the body of an error answer is only a courtesy
            detail = ""
        text = f"{self.service} answered {exc.code} {exc.reason} for {url}"
        if detail:
            text += f": {detail}"
        if exc.code == 401:
            text += f" (the token in {self.token_env} was rejected)"
        elif exc.code in (403, 404):
            text += (f" (check the name; a private one needs a token in {self.token_env})")
        elif exc.code >= 500:
            text += f" (after {len(_BACKOFF)} retries)"
        return text

    def pages(self, url: str, key: str | None) -> Iterator[tuple[list[Any], Message]]:
        """The records of each page, following ``Link`` or ``X-Next-Page``."""
        next_url: str | None = url
        while next_url:
            data, headers = self.get(next_url)
            if key is not None:
                data = data.get(key) if isinstance(data, dict) else None
            if not isinstance(data, list):
                raise FetchError(f"{self.service}: {next_url} did not answer a list"
                                 + (f" under {key!r}" if key else ""))
            yield data, headers
            next_url = _next_link(headers.get("Link")) or _next_page(next_url, headers)


def _next_link(link: str | None) -> str | None:
    """The ``rel="next"`` address of a ``Link`` header."""
    for part in (link or "").split(","):
        pieces = part.split(";")
        if len(pieces) > 1 and any(p.strip().replace(" ", "") in ('rel="next"', "rel=next")
                                   for p in pieces[1:]):
            return pieces[0].strip().strip("<>")
    return None


def _next_page(url: str, headers: Message) -> str | None:
    """GitLab's ``X-Next-Page`` as the address of the next page."""
    page = (headers.get("X-Next-Page") or "").strip()
    if not page:
        return None
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    query["page"] = page
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


# --------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------


def _instant(text: object) -> datetime | None:
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _since(since: str | datetime | None) -> datetime | None:
    if since is None:
        return None
    value = since if isinstance(since, datetime) else _instant(str(since))
    if value is None:
        raise FetchError(f"since={since!r} is not a date; write it as 2026-01-31 or "
                         "2026-01-31T12:00:00Z")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _check_output(output: str | os.PathLike[str]) -> Path:
    path = Path(output)
    if path.suffix.lower() not in _SUFFIXES:
        raise FetchError(f"{path}: the output is JSON lines; name it .jsonl (read_log reads "
                         "it, and a later fetch adds what is new)")
    if path.exists() and not path.is_file():
        raise FetchError(f"{path}: not a file")
    return path


def _read_lines(path: Path) -> tuple[list[dict[str, Any]], bool]:
    """The records of an earlier fetch, and whether the file ends cleanly (a last line
    cut short by an interruption is dropped)."""
    if not path.exists():
        return [], True
    records: list[dict[str, Any]] = []
    content = path.read_text(encoding="utf-8-sig")
    lines = content.splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):
                break  # the last line of an interrupted fetch
            raise FetchError(f"{path}:{number}: not a JSON line; this is not a file written "
                             "by fetch (choose another output)") from None
        if not isinstance(record, dict):
            raise FetchError(f"{path}:{number}: not a JSON object; choose another output")
        records.append(record)
    return records, content.endswith("\n") or not content


def _dump(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def _rewrite(path: Path, records: list[dict[str, Any]]) -> None:
    """Replace ``path`` by ``records`` atomically (a temporary file, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        out.writelines(_dump(r) for r in records)
    os.replace(tmp, path)


def _fan_out(targets: list[Callable[[str], None]]) -> Callable[[str], None]:
    """A note function that hands each message to the current targets (progress bars)."""

    def note(message: str) -> None:
        for target in targets:
            target(message)

    return note


def _bar(progress: bool, desc: str, unit: str, total: int | None = None) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=not progress, leave=False)


def _status_of(record: dict[str, Any]) -> str:
    return str(record.get("status") or "").strip().lower()


# --------------------------------------------------------------------------------------
# GitHub
# --------------------------------------------------------------------------------------


def fetch_github(
    repo: str,
    output: str | os.PathLike[str],
    *,
    workflow: str | None = None,
    since: str | datetime | None = None,
    token: str | None = None,
    base_url: str = GITHUB_API,
    progress: bool = True,
    per_page: int = 100,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> FetchResult:
    """Fetch the workflow runs of ``repo`` and their jobs into JSON lines.

    Parameters
    ----------
    repo : str
        ``OWNER/NAME``.
    output : path
        A ``.jsonl`` file. If it exists (an earlier fetch of the same repository), only
        runs created since its newest run, and runs that were unfinished, are fetched.
    workflow : str, optional
        Only this workflow: its file name (``ci.yml``), its id, or its name (``Tests``).
    since : date, optional
        Only runs created at or after this instant (``2026-01-31``, UTC unless an offset
        is given). GitHub lists runs newest first, so the listing stops there.
    token : str, optional
        A token; by default ``GITHUB_TOKEN`` from the environment (without one, GitHub
        allows 60 requests an hour).
    base_url : str
        The API root: ``https://api.github.com``, or ``https://HOST/api/v3`` for GitHub
        Enterprise Server.
    progress : bool
        Show progress bars (tqdm, on stderr).
    sleep, clock : callables
        ``time.sleep`` and ``time.time`` unless a test gives others.

    Returns
    -------
    FetchResult

    Notes
    -----
    Each run's jobs are fetched with ``filter=all`` (every attempt). The runs are
    fetched oldest first and each run is written after its jobs, so an interrupted fetch
    leaves a file that reads and a re-run that carries on. A run re-run on GitHub after
    it was fetched (``run_attempt`` 2 of an old run) is not seen; delete the file to fetch
    everything again.
    """
    owner_repo = repo.strip().strip("/")
    if owner_repo.count("/") != 1 or not all(owner_repo.split("/")):
        raise FetchError(f"repository {repo!r}: write it as OWNER/NAME, e.g. psf/requests")
    path = _check_output(output)
    lower = _since(since)
    token = token if token is not None else os.environ.get("GITHUB_TOKEN")
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28",
               "User-Agent": "phasesim-fetch"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    notes: list[Callable[[str], None]] = []
    client = _Client(base_url, headers, service="GitHub", token_env="GITHUB_TOKEN",
                     sleep=sleep, clock=clock, note=_fan_out(notes))
    root = f"/repos/{urllib.parse.quote(owner_repo)}/actions"

    workflow_id = _github_workflow(client, root, workflow, per_page) if workflow else None

    # What an earlier fetch left: runs (kept when finished) and their jobs.
    old, clean = _read_lines(path)
    runs: dict[str, dict[str, Any]] = {}
    jobs: dict[str, list[dict[str, Any]]] = {}
    for record in old:
        if "run_id" in record or "steps" in record:
            jobs.setdefault(str(record.get("run_id")), []).append(record)
        elif "workflow_id" in record or "run_number" in record:
            name = (record.get("repository") or {}).get("full_name")
            if name and str(name).lower() != owner_repo.lower():
                raise FetchError(f"{path} holds runs of {name}, not {owner_repo}; choose "
                                 "another output")
            runs[str(record.get("id"))] = record
        else:
            raise FetchError(f"{path} holds a record that is not a GitHub Actions run or "
                             "job; choose another output")
    mine = {rid for rid, r in runs.items()
            if workflow_id is None or str(r.get("workflow_id")) == workflow_id}
    refresh = {rid for rid in mine if _status_of(runs[rid]) in GITHUB_UNFINISHED}
    finished = {rid for rid in runs if rid not in refresh}
    marks = [m for rid in mine - refresh for m in [_instant(runs[rid].get("created_at"))] if m]
    redo = [m for rid in refresh for m in [_instant(runs[rid].get("created_at"))] if m]
    threshold = min([max(marks), *redo]) if marks else None
    kept = [r for r in old if (str(r.get("run_id")) if "run_id" in r or "steps" in r
                               else str(r.get("id"))) in finished]
    if len(kept) != len(old) or not clean:
        _rewrite(path, kept)  # drop runs to refresh, and jobs written without their run

    # The listing, newest first, down to the threshold (or since).
    listing_path = (f"{root}/workflows/{urllib.parse.quote(workflow_id)}/runs"
                    if workflow_id else f"{root}/runs")
    listed: dict[str, dict[str, Any]] = {}
    bar = _bar(progress, f"{owner_repo}: runs", "run")
    notes.append(lambda m: bar.write(m, file=sys.stderr))
    try:
        for page, _ in client.pages(client.url(listing_path, per_page=per_page),
                                    "workflow_runs"):
            older = False
            for run in page:
                created = _instant(run.get("created_at"))
                if lower is not None and created is not None and created < lower:
                    older = True
                    continue
                if threshold is not None and created is not None and created < threshold:
                    older = True
                    continue
                listed.setdefault(str(run.get("id")), run)
            bar.update(len(page))
            if older or not page:
                break
    finally:
        notes.clear()
        bar.close()
    todo = [r for rid, r in listed.items() if rid not in finished]
    todo.sort(key=lambda r: (_instant(r.get("created_at")) or datetime.min.replace(
        tzinfo=UTC), str(r.get("id"))))

    # Jobs of each run, oldest run first; the run line goes after its jobs.
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    bar = _bar(progress, f"{owner_repo}: jobs", "run", total=len(todo))
    notes.append(lambda m: bar.write(m, file=sys.stderr))
    try:
        with path.open("a", encoding="utf-8") as out:
            for run in todo:
                rid = str(run.get("id"))
                run_jobs: list[dict[str, Any]] = []
                url = client.url(f"{root}/runs/{urllib.parse.quote(rid)}/jobs",
                                 per_page=per_page, filter="all")
                for page, _ in client.pages(url, "jobs"):
                    run_jobs.extend(j for j in page if isinstance(j, dict))
                out.writelines(_dump(j) for j in run_jobs)
                out.write(_dump(run))
                out.flush()
                written += 1 + len(run_jobs)
                bar.update(1)
    finally:
        notes.clear()
        bar.close()
    refreshed = sum(1 for r in todo if str(r.get("id")) in refresh)
    return FetchResult(path=path, new=len(todo) - refreshed, refreshed=refreshed,
                       total=len(finished) + len(todo), records=len(kept) + written,
                       requests=client.requests)


def _github_workflow(client: _Client, root: str, workflow: str, per_page: int) -> str:
    """The id or file name the API takes for ``workflow`` (a file name, id or name)."""
    name = workflow.strip()
    if name.isdigit() or name.lower().endswith((".yml", ".yaml")):
        return name
    found: list[dict[str, Any]] = []
    for page, _ in client.pages(client.url(f"{root}/workflows", per_page=per_page),
                                "workflows"):
        found.extend(w for w in page if isinstance(w, dict))
    for w in found:
        if str(w.get("name", "")).strip().lower() == name.lower():
            return str(w.get("id"))
    names = ", ".join(sorted({str(w.get("name")) for w in found})) or "none"
    raise FetchError(f"no workflow named {workflow!r}; the workflows are: {names} (or "
                     "give the file name, e.g. ci.yml)")


# --------------------------------------------------------------------------------------
# GitLab
# --------------------------------------------------------------------------------------


def fetch_gitlab(
    project: str,
    output: str | os.PathLike[str],
    *,
    since: str | datetime | None = None,
    token: str | None = None,
    base_url: str = GITLAB_URL,
    progress: bool = True,
    per_page: int = 100,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> FetchResult:
    """Fetch the CI jobs of a GitLab project into JSON lines.

    Parameters
    ----------
    project : str
        The project's id (``278964``) or path (``gitlab-org/gitlab``).
    output : path
        A ``.jsonl`` file. If it exists, only jobs created since its newest job, and jobs
        that were unfinished, are fetched; the file is rewritten at the end (oldest job
        first), so an interrupted fetch leaves the old file as it was.
    since : date, optional
        Only jobs created at or after this instant. GitLab lists jobs newest first, so the
        listing stops there.
    token : str, optional
        A token (sent as ``PRIVATE-TOKEN``); by default ``GITLAB_TOKEN``.
    base_url : str
        The GitLab server (``https://gitlab.com``, or a self-hosted one); ``/api/v4`` is
        added unless the address ends with it.
    progress, per_page, sleep, clock
        As for :func:`fetch_github`.
    """
    name = project.strip().strip("/")
    if not name:
        raise FetchError("give the project as its id or its path, e.g. gitlab-org/gitlab")
    path = _check_output(output)
    lower = _since(since)
    token = token if token is not None else os.environ.get("GITLAB_TOKEN")
    headers = {"Accept": "application/json", "User-Agent": "phasesim-fetch"}
    if token:
        headers["PRIVATE-TOKEN"] = token
    base = base_url.rstrip("/")
    if not base.endswith("/api/v4"):
        base += "/api/v4"
    notes: list[Callable[[str], None]] = []
    client = _Client(base, headers, service="GitLab", token_env="GITLAB_TOKEN",
                     sleep=sleep, clock=clock, note=_fan_out(notes))

    old: dict[str, dict[str, Any]] = {}
    for record in _read_lines(path)[0]:
        if "stage" not in record or not ("pipeline" in record or "pipeline_id" in record):
            raise FetchError(f"{path} holds a record that is not a GitLab job; choose "
                             "another output")
        old[str(record.get("id"))] = record
    finished = {k for k, r in old.items() if _status_of(r) not in GITLAB_UNFINISHED}
    marks = [m for m in (_instant(old[k].get("created_at")) for k in finished) if m]
    redo = [m for k, r in old.items() if k not in finished
            for m in [_instant(r.get("created_at"))] if m]
    threshold = min([max(marks), *redo]) if marks else None
    stop = max([t for t in (lower, threshold) if t is not None], default=None)

    fresh: dict[str, dict[str, Any]] = {}
    url = client.url(f"/projects/{urllib.parse.quote(name, safe='')}/jobs",
                     per_page=per_page)
    bar = _bar(progress, f"{name}: jobs", "job")
    notes.append(lambda m: bar.write(m, file=sys.stderr))
    try:
        for page, headers_of_page in client.pages(url, None):
            total = headers_of_page.get("X-Total")
            if bar.total is None and total and total.isdigit():
                bar.total = int(total)
            older = False
            for job in page:
                if not isinstance(job, dict):
                    continue
                created = _instant(job.get("created_at"))
                if stop is not None and created is not None and created < stop:
                    older = True
                    continue
                fresh[str(job.get("id"))] = job
            bar.update(len(page))
            if older:
                break
    finally:
        notes.clear()
        bar.close()
    refreshed = sum(1 for k in fresh if k in old and k not in finished)
    new = sum(1 for k in fresh if k not in old)
    merged = {**old, **fresh}
    ordered = sorted(merged.values(), key=lambda r: (
        _instant(r.get("created_at")) or datetime.min.replace(tzinfo=UTC),
        _id_key(r.get("id"))))
    if fresh or not path.exists():
        _rewrite(path, ordered)
    return FetchResult(path=path, new=new, refreshed=refreshed, total=len(merged),
                       records=len(merged), requests=client.requests)


def _id_key(value: object) -> tuple[int, str]:
    text = str(value)
    return (int(text), "") if text.isdigit() else (0, text)
