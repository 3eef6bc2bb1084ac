"""fetch_github / fetch_gitlab against a local HTTP server (127.0.0.1) that serves recorded
pages built from the real API records in ../shared/data/external: pagination (Link
headers for GitHub, X-Next-Page for GitLab), a rate-limit answer, a server error retried,
resuming, and the fetched file read back by read_log."""

from __future__ import annotations

import copy
import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from phasesim.cli import main
from phasesim.eventlog import read_log
from phasesim.eventlog.fetch import FetchError, fetch_github, fetch_gitlab

EXTERNAL = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "external"
NOW = 1_700_000_000.0  # the fake clock


def records(name: str) -> list[dict[str, Any]]:
    path = EXTERNAL / name
    if not path.is_file():
        pytest.skip(f"real data not found at {path} (see ../shared/data/external/SOURCES.md)")
    return [json.loads(text) for text in pd.read_csv(path, dtype=str)["data"]]


class FakeAPI:
    """Routes path -> (key, records); ``faults`` answers before the real page."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[str | None, list[dict[str, Any]]]] = {}
        self.faults: dict[tuple[str, int], list[tuple[int, dict[str, str]]]] = {}
        self.requests: list[str] = []
        self.headers: list[dict[str, str]] = []
        self.link = True  # GitHub style Link headers; False: GitLab's X-Next-Page only
        self.lock = threading.Lock()

    def answer(self, raw: str) -> tuple[int, dict[str, str], bytes]:
        parts = urllib.parse.urlsplit(raw)
        query = dict(urllib.parse.parse_qsl(parts.query))
        page = int(query.get("page", "1"))
        per_page = int(query.get("per_page", "30"))
        path = urllib.parse.unquote(parts.path)
        with self.lock:
            pending = self.faults.get((path, page))
            if pending:
                code, headers = pending.pop(0)
                return code, headers, json.dumps({"message": f"fault {code}"}).encode()
        if path not in self.routes:
            return 404, {}, b'{"message": "Not Found"}'
        key, items = self.routes[path]
        chunk = items[(page - 1) * per_page: page * per_page]
        pages = max(1, -(-len(items) // per_page))
        headers: dict[str, str] = {"Content-Type": "application/json"}
        if page < pages:
            query["page"] = str(page + 1)
            nxt = f"http://{self.host}{parts.path}?{urllib.parse.urlencode(query)}"
            if self.link:
                headers["Link"] = f'<{nxt}>; rel="next", <{nxt}>; rel="last"'
            else:
                headers["X-Next-Page"] = str(page + 1)
        else:
            headers["X-Next-Page"] = "" if not self.link else headers.get("X-Next-Page", "")
        headers["X-Total"] = str(len(items))
        body: Any = chunk if key is None else {"total_count": len(items), key: chunk}
        return 200, headers, json.dumps(body).encode()

    host = ""


@pytest.fixture
def api() -> Iterator[tuple[FakeAPI, str]]:
    fake = FakeAPI()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with fake.lock:
                fake.requests.append(self.path)
                fake.headers.append({k.lower(): v for k, v in self.headers.items()})
            code, headers, body = fake.answer(self.path)
            self.send_response(code)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.host = f"127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://{fake.host}"
    finally:
        server.shutdown()
        server.server_close()


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


REPO = "/repos/panjf2000/ants/actions"


def github_repo(fake: FakeAPI, runs: list[dict[str, Any]],
                jobs: dict[str, list[dict[str, Any]]]) -> None:
    """Serve ``runs`` (newest first, as listed) and each run's jobs."""
    fake.routes[f"{REPO}/runs"] = ("workflow_runs", runs)
    for wid in {r["workflow_id"] for r in runs}:
        fake.routes[f"{REPO}/workflows/{wid}/runs"] = (
            "workflow_runs", [r for r in runs if r["workflow_id"] == wid])
    flows = {r["workflow_id"]: {"id": r["workflow_id"], "name": r["name"], "path": r["path"]}
             for r in runs}
    fake.routes[f"{REPO}/workflows"] = ("workflows", list(flows.values()))
    for run in runs:
        fake.routes[f"{REPO}/runs/{run['id']}/jobs"] = ("jobs", jobs.get(str(run["id"]), []))


def real_github() -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """The 35 real runs, and the 35 real jobs moved to 10 of them (their own runs are not
    in the runs file): the k-th run id of the jobs goes to the k-th run listed."""
    runs = records("devlake_raw_github_api_runs.csv")
    jobs = records("devlake_raw_github_api_jobs.csv")
    old_ids = list(dict.fromkeys(str(j["run_id"]) for j in jobs))
    target = {old: runs[k]["id"] for k, old in enumerate(old_ids)}
    by_run: dict[str, list[dict[str, Any]]] = {}
    for job in jobs:
        job = {**job, "run_id": target[str(job["run_id"])]}
        by_run.setdefault(str(job["run_id"]), []).append(job)
    return runs, by_run


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# -- GitHub -------------------------------------------------------------------------------


def test_github_fetch_pages_waits_retries_and_reads_back(
    api: tuple[FakeAPI, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, url = api
    runs, jobs = real_github()
    github_repo(fake, runs, jobs)
    # page 2 of the runs: rate limit reached, resets 120 s from now; then one 502
    fake.faults[(f"{REPO}/runs", 2)] = [(403, {"X-RateLimit-Remaining": "0",
                                               "X-RateLimit-Reset": str(int(NOW) + 120)})]
    fake.faults[(f"{REPO}/runs/{runs[0]['id']}/jobs", 1)] = [(502, {})]
    monkeypatch.setenv("GITHUB_TOKEN", "s3cret")
    sleeps = Sleeps()
    out = tmp_path / "runs.jsonl"
    result = fetch_github("panjf2000/ants", out, base_url=url, per_page=10, progress=False,
                          sleep=sleeps, clock=lambda: NOW)
    assert sleeps == [121.0, 1.0]  # until the reset (+1 s), then the first backoff
    # 4 pages of runs (+1 rate-limited); 36 pages of jobs (the run with 16 jobs has two)
    # (+1 server error)
    assert result.requests == len(fake.requests) == 4 + 1 + 36 + 1
    assert all(h.get("authorization") == "Bearer s3cret" for h in fake.headers)
    assert (result.new, result.refreshed, result.total, result.records) == (35, 0, 35, 70)
    written = lines(out)
    assert sum("steps" in r for r in written) == 35 and len(written) == 70
    assert all("filter=all" in r for r in fake.requests if r.split("?")[0].endswith("/jobs"))

    log = read_log(out)
    assert log.attrs["format"] == "github-actions"
    assert log["release_id"].nunique() == 35
    steps = sum(len(j["steps"]) for js in jobs.values() for j in js)
    assert steps == 263
    assert len(jobs) == 10
    # 25 runs without jobs (one row each), 35 job rows, 263 step rows
    assert len(log) == 25 + 35 + 263
    # the same rows as the two DevLake tables read together, less the 10 stand-in runs
    devlake = read_log([EXTERNAL / "devlake_raw_github_api_runs.csv",
                        EXTERNAL / "devlake_raw_github_api_jobs.csv"])
    assert len(devlake) - 10 == len(log)
    assert set(log.loc[log["job_id"].notna(), "workflow"]) <= {"CodeQL", "Lint", "Tests"}


def test_github_resume_fetches_only_new_and_unfinished_runs(
    api: tuple[FakeAPI, str], tmp_path: Path
) -> None:
    fake, url = api
    real = records("devlake_raw_github_api_runs.csv")[:20]  # the 20 unedited runs
    jobs = records("devlake_raw_github_api_jobs.csv")[:6]  # six jobs of one run
    ids = [str(r["id"]) for r in real]
    assert ids[15] == "2566218975" and real[15]["status"] == "in_progress"
    real[16] = {**real[16], "status": "completed", "conclusion": "success"}
    moved = {ids[15]: [{**j, "run_id": real[15]["id"]} for j in jobs]}
    github_repo(fake, real[3:], moved)
    out = tmp_path / "runs.jsonl"
    first = fetch_github("panjf2000/ants", out, base_url=url, per_page=3, progress=False,
                         sleep=Sleeps(), token="")
    assert (first.new, first.refreshed, first.total) == (17, 0, 17)

    # Later: three new runs, and the run in progress has finished.
    done = copy.deepcopy(real)
    done[15].update(status="completed", conclusion="failure")
    github_repo(fake, done, moved)
    fake.requests.clear()
    second = fetch_github("panjf2000/ants", out, base_url=url, per_page=3, progress=False,
                          sleep=Sleeps(), token="")
    assert (second.new, second.refreshed, second.total) == (3, 1, 20)
    listing = [r for r in fake.requests if r.split("?")[0] == f"{REPO}/runs"]
    job_calls = sorted(r.split("/")[-2] for r in fake.requests if "/jobs" in r)
    # down to the unfinished run (created 06-27 01:29:54): pages 1-6 of 7
    assert len(listing) == 6
    # the new runs, and the finished one (its six jobs on two pages of three)
    assert job_calls == sorted([ids[0], ids[1], ids[2], ids[15], ids[15]])
    written = lines(out)
    run_ids = [str(r["id"]) for r in written if "run_number" in r]
    assert sorted(run_ids) == sorted(ids) and len(run_ids) == 20
    assert sum("steps" in r for r in written) == 6  # the refreshed run's jobs once
    assert next(r for r in written if str(r["id"]) == ids[15])["conclusion"] == "failure"

    third = fetch_github("panjf2000/ants", out, base_url=url, per_page=3, progress=False,
                         sleep=Sleeps(), token="")
    assert (third.new, third.refreshed, third.total) == (0, 0, 20)
    log = read_log(out)
    assert log["release_id"].nunique() == 20


def test_github_interrupted_fetch_carries_on(api: tuple[FakeAPI, str], tmp_path: Path) -> None:
    fake, url = api
    runs = records("devlake_raw_github_api_runs.csv")[:10]  # CodeQL, newest first
    github_repo(fake, runs, {})
    # the jobs of the 5th newest run fail for good: the oldest five are written first
    fake.faults[(f"{REPO}/runs/{runs[4]['id']}/jobs", 1)] = [(500, {})] * 6
    sleeps = Sleeps()
    out = tmp_path / "runs.jsonl"
    with pytest.raises(FetchError, match=r"500.*after 5 retries"):
        fetch_github("panjf2000/ants", out, base_url=url, progress=False, sleep=sleeps,
                     token="")
    assert sleeps == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert [r["id"] for r in lines(out)] == [r["id"] for r in runs[5:]][::-1]
    with out.open("a") as f:
        f.write('{"id": 1, "run_id": 2, "na')  # a line cut short
    again = fetch_github("panjf2000/ants", out, base_url=url, progress=False,
                         sleep=Sleeps(), token="")
    assert (again.new, again.total) == (5, 10)
    assert sorted(r["id"] for r in lines(out)) == sorted(r["id"] for r in runs)


def test_github_workflow_by_name_and_since(api: tuple[FakeAPI, str], tmp_path: Path) -> None:
    fake, url = api
    runs = records("devlake_raw_github_api_runs.csv")
    github_repo(fake, runs, {})
    out = tmp_path / "lint.jsonl"
    result = fetch_github("panjf2000/ants", out, workflow="lint", base_url=url,
                          progress=False, sleep=Sleeps(), token="")
    assert sorted(r["id"] for r in lines(out)) == [2559400713, 2566218977, 2589885639]
    assert result.total == 3
    out2 = tmp_path / "recent.jsonl"
    fetch_github("panjf2000/ants", out2, since="2022-08-01", base_url=url, per_page=2,
                 progress=False, sleep=Sleeps(), token="")
    # runs of 2022-08-06 .. 09-03; the listing stops on page 3 (07-30 is older)
    assert [r["created_at"][:10] for r in lines(out2)] == [
        "2022-08-06", "2022-08-13", "2022-08-20", "2022-08-27", "2022-09-03"]
    assert sum(r.split("?")[0] == f"{REPO}/runs" for r in fake.requests) == 3
    with pytest.raises(FetchError, match=r"no workflow named 'Deploy'.*CodeQL, Lint, Tests"):
        fetch_github("panjf2000/ants", tmp_path / "x.jsonl", workflow="Deploy",
                     base_url=url, progress=False, sleep=Sleeps(), token="")


def test_github_errors_are_clear(api: tuple[FakeAPI, str], tmp_path: Path) -> None:
    fake, url = api
    with pytest.raises(FetchError, match=r"404 Not Found.*GITHUB_TOKEN"):
        fetch_github("nobody/nothing", tmp_path / "a.jsonl", base_url=url, progress=False,
                     sleep=Sleeps(), token="")
    with pytest.raises(FetchError, match="OWNER/NAME"):
        fetch_github("justaname", tmp_path / "a.jsonl", base_url=url, progress=False)
    with pytest.raises(FetchError, match=r"name it \.jsonl"):
        fetch_github("a/b", tmp_path / "a.csv", base_url=url, progress=False)
    with pytest.raises(FetchError, match="not a date"):
        fetch_github("a/b", tmp_path / "a.jsonl", since="last week", base_url=url)
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps(records("devlake_raw_github_api_runs.csv")[0]) + "\n")
    with pytest.raises(FetchError, match="holds runs of panjf2000/ants, not a/b"):
        fetch_github("a/b", other, base_url=url, progress=False)
    # a 403 that is not a rate limit is no access, not a wait
    github_repo(fake, [], {})
    fake.faults[(f"{REPO}/runs", 1)] = [(403, {"X-RateLimit-Remaining": "4999"})]
    sleeps = Sleeps()
    with pytest.raises(FetchError, match="403"):
        fetch_github("panjf2000/ants", tmp_path / "b.jsonl", base_url=url, progress=False,
                     sleep=sleeps, token="")
    assert sleeps == []


def test_cli_fetch_github(api: tuple[FakeAPI, str], tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    fake, url = api
    runs, jobs = real_github()
    github_repo(fake, runs[:5], jobs)
    out = tmp_path / "runs.jsonl"
    code = main(["fetch", "github", "panjf2000/ants", "--api-url", url, "-o", str(out),
                 "--quiet"])
    assert code == 0
    assert "5 new runs, 0 refreshed, 5 in all" in capsys.readouterr().out
    assert main(["fetch", "github", "panjf2000/ants", "--api-url", url, "-o", str(out),
                 "--since", "someday"]) == 1
    assert "not a date" in capsys.readouterr().err


# -- GitLab -------------------------------------------------------------------------------

PROJECT = "/api/v4/projects/merico/pip_test/jobs"


def gitlab_project(fake: FakeAPI, jobs: list[dict[str, Any]], path: str = PROJECT) -> None:
    """Serve ``jobs`` newest first, as GitLab lists them, with X-Next-Page (no Link)."""
    fake.link = False
    fake.routes[path] = (None, sorted(jobs, key=lambda j: -j["id"]))


def test_gitlab_fetch_pages_waits_retries_and_reads_back(
    api: tuple[FakeAPI, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, url = api
    jobs = records("devlake_raw_gitlab_api_job.csv")
    gitlab_project(fake, jobs)
    fake.faults[(PROJECT, 2)] = [(429, {"Retry-After": "7"}), (503, {})]
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-x")
    sleeps = Sleeps()
    out = tmp_path / "jobs.jsonl"
    result = fetch_gitlab("merico/pip_test", out, base_url=url, per_page=20, progress=False,
                          sleep=sleeps)
    assert sleeps == [8.0, 1.0]
    assert fake.requests[0] == "/api/v4/projects/merico%2Fpip_test/jobs?per_page=20"
    assert len(fake.requests) == 4 + 2
    assert all(h.get("private-token") == "glpat-x" for h in fake.headers)
    assert (result.new, result.refreshed, result.total) == (75, 0, 75)
    written = lines(out)
    assert [j["id"] for j in written][:3] == [60, 61, 62]  # oldest first
    log = read_log(out)
    assert log.attrs["format"] == "gitlab"
    assert log["release_id"].nunique() == 58  # pipelines 16 .. 73
    devlake = read_log(EXTERNAL / "devlake_raw_gitlab_api_job.csv")
    assert len(log) == len(devlake) == 75


def test_gitlab_resume_and_since(api: tuple[FakeAPI, str], tmp_path: Path) -> None:
    fake, url = api
    jobs = records("devlake_raw_gitlab_api_job.csv")
    gitlab_project(fake, [j for j in jobs if j["id"] <= 130], "/api/v4/projects/44/jobs")
    out = tmp_path / "jobs.jsonl"
    first = fetch_gitlab("44", out, base_url=url + "/api/v4", progress=False, token="")
    assert (first.new, first.total) == (53, 53)
    finished = copy.deepcopy(jobs)
    for j in finished:
        if j["id"] == 64:
            j["status"] = "success"
    gitlab_project(fake, finished, "/api/v4/projects/44/jobs")
    second = fetch_gitlab("44", out, base_url=url, progress=False, token="")
    # 131..152 are new; created, waiting_for_resource, preparing, pending, running and
    # scheduled (60-64, 66) were unfinished
    assert (second.new, second.refreshed, second.total) == (22, 6, 75)
    written = lines(out)
    assert len(written) == 75 and len({j["id"] for j in written}) == 75
    assert next(j for j in written if j["id"] == 64)["status"] == "success"

    fake.requests.clear()
    recent = tmp_path / "recent.jsonl"
    fetch_gitlab("44", recent, since="2022-08-01", base_url=url, per_page=20,
                 progress=False, token="")
    assert sorted(j["id"] for j in lines(recent)) == list(range(124, 153))
    assert len(fake.requests) == 2  # page 2 reaches July: the listing stops


def test_cli_fetch_gitlab(api: tuple[FakeAPI, str], tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    fake, url = api
    gitlab_project(fake, records("devlake_raw_gitlab_api_job.csv"))
    out = tmp_path / "jobs.jsonl"
    assert main(["fetch", "gitlab", "merico/pip_test", "--url", url, "-o", str(out),
                 "--quiet"]) == 0
    assert "75 new jobs" in capsys.readouterr().out
    assert main(["report", str(out), "-o", str(tmp_path / "r.html"), "--boot", "20"]) == 0
