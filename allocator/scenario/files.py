"""A scenario file's text, read only when it is a regular file of sane size, in UTF-8 or UTF-16.

Everything that is not a scenario file is refused at once, with what to give instead: a
folder, a device (/dev/zero would be read forever), a named pipe (would wait for a writer), a
loop of symbolic links, a name with a NUL character or a part over 255 characters, a file over
`MAX_FILE_BYTES`, an Excel workbook or another binary file, and text in another encoding (GBK,
the "ANSI" of Chinese Windows), whose first undecodable byte is named by line.
"""

from __future__ import annotations

import codecs
import errno
import os
import re
import stat
from pathlib import Path

from allocator.errors import Problem, ScenarioError

MAX_FILE_BYTES = 200 * 1024 * 1024
_MAX_NAME = 255
_FOLDER = "it is a folder; give the scenario file in it (a .yaml file)"
_UTF8_ADVICE = (
    "请用记事本或 WPS「另存为」，编码选 UTF-8 后再试: save it as UTF-8 (in Notepad or WPS: 另存为, "
    "编码 UTF-8) and try again"
)
_UTF16_WITHOUT_BOM = (
    "文件是不带 BOM 的 UTF-16 编码: is saved as UTF-16 without a byte-order mark (or is not a "
    f"text file); {_UTF8_ADVICE}"
)
_BINARY_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_BINARY = (
    (b"PK\x03\x04", "an Excel workbook or another zip file (.xlsx, .docx)"),
    (b"\xd0\xcf\x11\xe0", "an old Office file (.xls, .doc)"),
    (b"%PDF", "a PDF document"),
)


def refuse(origin: str, message: str, line: int | None = None) -> ScenarioError:
    return ScenarioError(origin, [Problem((), message, line=line)])


def unreadable(path: Path) -> str | None:
    """Why `path` cannot be read as a scenario file, without opening it; None if it can."""
    try:
        check_file(path)
    except ScenarioError as error:
        return error.problems[0].message
    return None


def check_file(path: Path) -> None:
    """ScenarioError unless `path` names a regular file of at most `MAX_FILE_BYTES`."""
    origin = str(path)
    _check_name(origin)
    try:
        info = path.stat()
    except OSError as error:
        raise refuse(origin, _os_reason(error)) from None
    _check_kind(origin, info)


def read_text(path: Path) -> str:
    """The text of the scenario file at `path`; ScenarioError saying why it cannot be read."""
    origin = str(path)
    check_file(path)
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise refuse(origin, _os_reason(error)) from None
    with os.fdopen(descriptor, "rb") as stream:
        _check_kind(origin, os.fstat(stream.fileno()))  # the file it opened, not a swapped one
        data = stream.read(MAX_FILE_BYTES + 1)
    _check_size(origin, len(data))
    return decode(origin, data)


def encoding_note(path: Path) -> str | None:
    """A note when the file at `path` is read in an encoding other than UTF-8 (UTF-16 or
    UTF-32 with a byte-order mark, Notepad's "Unicode"); None for UTF-8 or an unreadable file."""
    try:
        with path.open("rb") as stream:
            head = stream.read(4)
    except OSError:
        return None
    for bom, named in _BOMS:
        if head.startswith(bom) and named != "utf-8":
            family = named.upper()[:6]
            return (
                f"提示 note: {path} 以 {family} 编码保存（记事本的「Unicode」），已按此读取；"
                f"另存为 UTF-8 更通用 (read as {family}; UTF-8 is what other programs expect)"
            )
    return None


def _check_name(origin: str) -> None:
    if "\0" in origin:
        raise refuse(origin.replace("\0", "\\0"), "a file name cannot hold a NUL character (\\0)")
    longest = max((len(part.encode("utf-8")) for part in Path(origin).parts), default=0)
    if longest > _MAX_NAME:
        raise refuse(
            origin[:80] + "...",
            f"a part of this name is {longest} bytes long; names are at most {_MAX_NAME}",
        )


def _check_kind(origin: str, info: os.stat_result) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise refuse(origin, f"cannot be read: {_FOLDER}")
    if not stat.S_ISREG(info.st_mode):
        what = "named pipe" if stat.S_ISFIFO(info.st_mode) else "device, pipe or socket"
        raise refuse(
            origin, f"cannot be read: it is a {what}, not a file; give a scenario file on disk"
        )
    _check_size(origin, info.st_size)


def _check_size(origin: str, size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise refuse(
            origin,
            f"is {size / 2**20:,.0f} MB; scenario files are read up to "
            f"{MAX_FILE_BYTES // 2**20} MB (a province of 100,000 communities takes about 60)",
        )


def _os_reason(error: OSError) -> str:
    reasons = {
        errno.ELOOP: "a loop of symbolic links: the name leads back to itself",
        errno.ENAMETOOLONG: "the name is too long for the file system",
        errno.EACCES: "no permission to read it",
        errno.EPERM: "no permission to read it",
        errno.ENOTDIR: "a part of the path is a file, not a folder",
        errno.EISDIR: _FOLDER,
    }
    if error.errno == errno.ENOENT:
        return "no such file"
    return f"cannot be read: {reasons.get(error.errno or 0, error.strerror or str(error))}"


def decode(origin: str, data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark) or UTF-16/32 with one; else refused."""
    for magic, what in _BINARY:
        if data.startswith(magic):
            raise refuse(
                origin,
                f"is {what}, not a scenario file: allocator reads scenario files written as "
                "text (YAML or JSON), such as scenarios/2024.yaml",
            )
    encoding = "utf-8"
    for bom, named in _BOMS:
        if data.startswith(bom):
            data, encoding = data[len(bom) :], named
            break
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise _undecodable(origin, data, error, encoding) from None
    if encoding == "utf-8" and _mostly_nul(data):  # ASCII in UTF-16 is UTF-8 with NULs
        raise refuse(origin, _UTF16_WITHOUT_BOM)
    return text


def _mostly_nul(data: bytes) -> bool:
    sample = data[:4096]
    return sample.count(b"\0") > len(sample) // 8


def _undecodable(
    origin: str, data: bytes, error: UnicodeDecodeError, encoding: str
) -> ScenarioError:
    """Where the text stops being `encoding`, and the likely encoding it was saved in."""
    head = data[: error.start]
    line = head.count(b"\n") + 1 if encoding == "utf-8" else None
    if _mostly_nul(data):
        return refuse(origin, _UTF16_WITHOUT_BOM)
    if encoding != "utf-8":
        return refuse(
            origin, f"文件编码有误: starts as {encoding.upper()} but is not; {_UTF8_ADVICE}"
        )
    guess = "文件不是 UTF-8 编码: is not UTF-8 text"
    try:
        if not _BINARY_CONTROL.search(data.decode("gb18030")):
            guess = (
                "文件是 GBK/GB18030 编码（中文 Windows 的 ANSI）: is saved as GBK (the 'ANSI' of "
                "Chinese Windows), not UTF-8"
            )
    except UnicodeDecodeError:
        pass
    column = len(head) - (head.rfind(b"\n") + 1) + 1
    return refuse(
        origin, f"{guess}: byte {data[error.start]:#04x} at column {column}; {_UTF8_ADVICE}", line
    )
