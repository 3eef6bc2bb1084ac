"""Event logs: the canonical schema, reading release logs, and the data audit.

* :mod:`~phasesim.eventlog.schema` - the columns every log has, and the validator;
* :func:`read_log` - files, DataFrames and tool exports into that schema;
* :mod:`~phasesim.eventlog.audit` - what reading checks, counts, fixes or drops;
* :mod:`~phasesim.eventlog.adapters` - Harness reports, GitHub Actions, GitLab CI.
"""

from __future__ import annotations

from phasesim.eventlog.adapters import ADAPTERS
from phasesim.eventlog.audit import (
    AUDIT_COLUMNS,
    AUDIT_RULES,
    STATUS_VOCABULARY,
    AuditRule,
    audit_log,
    audit_table,
)
from phasesim.eventlog.read import COLUMN_ALIASES, FORMATS, read_log
from phasesim.eventlog.schema import (
    ACTIVITY_TYPES,
    COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    STATUSES,
    TIMESTAMP_COLUMNS,
    EventLog,
    empty_log,
    validate_log,
)

__all__ = [
    "ACTIVITY_TYPES",
    "ADAPTERS",
    "AUDIT_COLUMNS",
    "AUDIT_RULES",
    "COLUMNS",
    "COLUMN_ALIASES",
    "FORMATS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "STATUSES",
    "STATUS_VOCABULARY",
    "TIMESTAMP_COLUMNS",
    "AuditRule",
    "EventLog",
    "audit_log",
    "audit_table",
    "empty_log",
    "read_log",
    "validate_log",
]
