"""``phasesim validate``, ``phasesim show`` and ``phasesim schema``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from phasesim.blueprint import json_schema, load_blueprint
from phasesim.cli import cli_words
from phasesim.errors import BlueprintError, PhasesimError
from phasesim.units import format_number

__all__ = ["register"]


def _inputs(pairs: list[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise PhasesimError(f"--input needs NAME=VALUE, found {pair!r}")
        name, text = pair.split("=", 1)
        try:
            out[name.strip()] = yaml.safe_load(text)
        except yaml.YAMLError:
            out[name.strip()] = text
    return out


def _add_inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", "-i", action="append", metavar="NAME=VALUE",
                        help="a process input, YAML value (e.g. services=[api,web]); repeatable")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("validate", help="check blueprint files; list every problem",
                              description="Check blueprint files and list every problem "
                              "with file:line:column. A directory stands for the *.yaml and "
                              "*.yml files in it (not in its subdirectories). Exit 0 if all "
                              "are valid, else 1.")
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="a blueprint file, or a directory of them")
    _add_inputs(p)
    p.set_defaults(func=validate)

    p = subparsers.add_parser("show", help="phases, activities, teams and critical path",
                              description="Explain a blueprint: phases, activities, "
                              "durations, teams, environments and the critical path.")
    p.add_argument("file", metavar="FILE", help="the blueprint file to explain")
    _add_inputs(p)
    p.set_defaults(func=show)

    p = subparsers.add_parser("schema", help="print the JSON Schema of the blueprint format",
                              description="Print a JSON Schema of the blueprint format, "
                              "for editors (e.g. the YAML language server).")
    p.set_defaults(func=schema)


def _expand(paths: list[str]) -> list[str]:
    """Each path, a directory replaced by its YAML files (sorted by name)."""
    out: list[str] = []
    for path in paths:
        folder = Path(path)
        if not folder.is_dir():
            out.append(path)
            continue
        found = sorted(str(f) for f in folder.iterdir()
                       if f.is_file() and f.suffix.lower() in (".yaml", ".yml"))
        if not found:
            raise PhasesimError(f"{path}: no *.yaml or *.yml files in this directory; give "
                                "blueprint files or a directory that holds them")
        out.extend(found)
    return out


def validate(args: argparse.Namespace) -> int:
    inputs = _inputs(args.input)
    files = _expand(args.files)
    failed = 0
    for file in files:
        try:
            bp = load_blueprint(file, inputs=inputs or None)
        except BlueprintError as exc:
            failed += 1
            n = len(exc.problems)
            print(f"FAIL {file}: {n} problem{'s' if n != 1 else ''}")
            for problem in exc.problems:
                print(f"  {cli_words(str(problem))}")
            continue
        print(f"ok   {file}: {len(bp.phases)} phases, {len(bp.graph)} activities")
    if failed:
        print(f"{failed} of {len(files)} file(s) invalid", file=sys.stderr)
    return 1 if failed else 0


def show(args: argparse.Namespace) -> int:
    bp = load_blueprint(args.file, inputs=_inputs(args.input) or None)
    print(f"{bp.name} ({bp.id})")
    if bp.description:
        print(f"  {bp.description}")
    if bp.input_values:
        print("inputs: " + ", ".join(f"{k}={v!r}" for k, v in bp.input_values.items()))
    for title, items in (("teams", bp.teams), ("environments", bp.environments),
                         ("calendars", bp.calendars)):
        if items:
            print(f"{title}:")
            for item in items.values():
                print(f"  {_describe(item)}")
    print("phases:")
    for ph in bp.phases:
        flags = []
        if ph.depends_on:
            flags.append("after " + ", ".join(ph.depends_on))
        if ph.not_before:
            flags.append(f"not before {ph.not_before}")
        if ph.uses:
            flags.append("uses " + ", ".join(ph.uses))
        if ph.rollback:
            flags.append("rollback")
        if ph.condition:
            flags.append(f"if {ph.condition}")
        print(f"  {ph.id}: {ph.name}" + (f"  [{'; '.join(flags)}]" if flags else ""))
    table = bp.to_frame()
    columns = ["phase", "activity", "type", "owner", "duration", "mean_h", "depends_on",
               "slack_h", "critical"]
    # an activity whose if: is false for these inputs does not run: say so where its
    # duration stands, and it is never critical
    table["critical"] = table["critical"].map({True: "yes", False: "no"}).where(
        ~table["skipped"], "skipped")
    table["mean_h"] = table["mean_h"].where(~table["skipped"], 0.0)
    print("activities:")
    with _wide():
        print(table[columns].to_string(index=False, float_format=lambda v: format_number(v, ".2f")))
    cpm = bp.critical_path()
    hours = cpm.table["duration_h"].to_dict()
    soak = sum(float(hours[n]) for n in cpm.path
               if bp.graph.nodes[n]["activity"].kind == "wait")
    split = f", of which {soak:.2f} h in wait activities (by design)" if soak > 0 else ""
    print(f"critical path: {cpm.length_h:.2f} h (mean durations{split}; before calendars, "
          "anchors and queues)")
    print("  " + " -> ".join(cpm.path))
    skipped = [f"{r.phase}.{r.activity}" for r in table.itertuples() if r.skipped]
    if skipped:
        print("skipped for these inputs (if: false; not on the path): " + ", ".join(skipped))
    return 0


def _describe(item: Any) -> str:
    from phasesim.calendars import Calendar

    if isinstance(item, Calendar):
        extra = []
        if item.holidays:
            extra.append(f"{len(item.holidays)} holidays")
        if item.freezes:
            extra.append("freezes " + ", ".join(f"{a}..{b}" for a, b in item.freezes))
        return f"{item.name}: {item.hours} {item.timezone}" + (
            f" ({'; '.join(extra)})" if extra else "")
    text = f"{item.id}: capacity {item.capacity}"
    if getattr(item, "production", False):
        text += ", production"
    if item.calendar:
        text += f", calendar {item.calendar}"
    return text


class _wide:
    def __enter__(self) -> None:
        import pandas as pd

        self._ctx = pd.option_context("display.width", 200, "display.max_columns", 20,
                                      "display.max_colwidth", 40)
        self._ctx.__enter__()

    def __exit__(self, *exc: object) -> None:
        self._ctx.__exit__(*exc)


def schema(args: argparse.Namespace) -> int:
    print(json.dumps(json_schema(), indent=2, default=str))
    return 0
