"""Reading text files with located, actionable errors (a bad byte's line, a binary file).

Every text input of phasesim (blueprints, scenarios, CSV and JSON logs) is UTF-8, with or
without a byte-order mark. :func:`decode` turns bytes into text or into a
:class:`~phasesim.errors.Problem` that says which encoding was expected and where the
first byte that is not UTF-8 stands.
"""

from __future__ import annotations

from phasesim.errors import Problem

__all__ = ["ENCODING", "decode", "looks_binary"]

#: What phasesim reads text files as (a UTF-8 byte-order mark is skipped).
ENCODING = "UTF-8"

#: Bytes looked at to tell a binary file from text.
_SNIFF = 4096


def looks_binary(data: bytes) -> bool:
    """Whether bytes look like a binary file (a NUL byte near the start) rather than text.

    Examples
    --------
    >>> looks_binary(b"process:\\n  id: p\\n"), looks_binary(b"\\x89PNG\\r\\n\\x1a\\n\\x00\\x00")
    (False, True)
    """
    return b"\x00" in data[:_SNIFF]


def decode(data: bytes, name: str) -> tuple[str | None, Problem | None]:
    """``data`` as text, or None and the problem: where the first bad byte stands.

    Examples
    --------
    >>> decode("id: café".encode("utf-8"), "a.yaml")
    ('id: café', None)
    >>> text, problem = decode("a: 1\\nname: Caf\\xe9\\n".encode("latin-1"), "a.yaml")
    >>> text is None, str(problem).split(" (")[0]
    (True, 'a.yaml:2:10: the file is not UTF-8 text: byte 0xE9 cannot be decoded')
    """
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        start = exc.start + (bom if exc.object is not data else 0)
    if looks_binary(data):
        return None, Problem(
            "the file is binary, not text", file=name,
            hint=f"phasesim reads {ENCODING} text files; is this the right file?")
    line = data.count(b"\n", 0, start) + 1
    column = start - (data.rfind(b"\n", 0, start) + 1) + 1
    byte = data[start]
    hint = f"phasesim reads {ENCODING} text (with or without a byte-order mark); save the " \
           "file as UTF-8"
    try:
        char = bytes([byte]).decode("cp1252")
        hint += f" (the byte is {char!r} in Windows-1252 / Latin-1, a common source)"
    except UnicodeDecodeError:
        pass
    return None, Problem(f"the file is not {ENCODING} text: byte 0x{byte:02X} cannot be "
                         "decoded", file=name, line=line, column=column, hint=hint)
