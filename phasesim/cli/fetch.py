"""``phasesim fetch github OWNER/REPO -o runs.jsonl`` and ``phasesim fetch gitlab PROJECT``."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["fetch", "register"]


def register(subparsers: Any) -> None:
    """Add the ``fetch`` sub-command (with ``github`` and ``gitlab``) to ``subparsers``."""
    p = subparsers.add_parser(
        "fetch",
        help="fetch CI history from the GitHub or GitLab API into a log file",
        description="Fetch workflow runs and jobs (GitHub Actions) or CI jobs (GitLab) "
        "from the REST API into JSON lines that read_log and 'phasesim report' read. "
        "Re-running with the same output fetches only what is new.",
    )
    services = p.add_subparsers(dest="service", metavar="SERVICE",
                                help="github or gitlab")
    services.required = True
    gh = services.add_parser("github", help="GitHub Actions runs and jobs of a repository",
                             description="Token: GITHUB_TOKEN from the environment.")
    gh.add_argument("repo", metavar="OWNER/REPO", help="the repository, e.g. psf/requests")
    gh.add_argument("--workflow", metavar="NAME",
                    help="only this workflow: file name (ci.yml), id or name")
    gh.add_argument("--api-url", default=None, metavar="URL",
                    help="API root (default https://api.github.com; GitHub Enterprise: "
                    "https://HOST/api/v3)")
    gl = services.add_parser("gitlab", help="GitLab CI jobs of a project",
                             description="Token: GITLAB_TOKEN from the environment.")
    gl.add_argument("project", metavar="PROJECT", help="project id or path, e.g. group/name")
    gl.add_argument("--url", dest="api_url", default=None, metavar="URL",
                    help="GitLab server (default https://gitlab.com)")
    for sub in (gh, gl):
        sub.add_argument("-o", "--output", required=True, metavar="FILE",
                         help="the .jsonl file to write (an existing one is extended)")
        sub.add_argument("--since", metavar="DATE",
                         help="only what was created at or after DATE (2026-01-31)")
        sub.add_argument("--quiet", action="store_true", help="no progress bar")
        sub.set_defaults(func=fetch)


def fetch(args: argparse.Namespace) -> int:
    """Run the fetch and print what it did."""
    from phasesim.eventlog import fetch as api

    options: dict[str, Any] = {"since": args.since, "progress": not args.quiet}
    if args.api_url:
        options["base_url"] = args.api_url
    if args.service == "github":
        result = api.fetch_github(args.repo, args.output, workflow=args.workflow, **options)
        what = "runs"
    else:
        result = api.fetch_gitlab(args.project, args.output, **options)
        what = "jobs"
    print(f"wrote {result.path}: {result.new} new {what}, {result.refreshed} refreshed, "
          f"{result.total} in all ({result.records} records, {result.requests} requests)")
    return 0
