"""Hostile import files, built inside the tests (small on disk), and a child process with a memory
limit to read them in, so that a guard that regresses fails its test instead of exhausting the
machine."""

import io
import os
import pickle
import resource
import struct
import zipfile
import zlib

from openpyxl import Workbook

DOSSIER_HEADER = ["ma_ho_so", "ma_tthc", "ngay_tiep_nhan", "kenh_tiep_nhan"]


def xlsx(rows):
    """A genuine XLSX workbook (openpyxl) of ``rows``."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def members(data):
    """``{name: bytes}`` of a zip."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(parts, compresslevel=6):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def with_part(data, name, content):
    """``data`` (an XLSX) with the part ``name`` replaced by ``content``."""
    parts = members(data)
    parts[name] = content
    return rezip(parts)


def _deflated(prefix, filler, size, suffix):
    """A raw deflate stream of ``prefix + filler * n + suffix`` (``size`` bytes of filler),
    compressed chunk by chunk, never held whole in memory; returns (stream, length, crc)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = filler * (1024 * 1024 // len(filler))
    out, crc, length = [comp.compress(prefix)], zlib.crc32(prefix), len(prefix)
    for _ in range(size // len(chunk)):
        out.append(comp.compress(chunk))
        crc = zlib.crc32(chunk, crc)
        length += len(chunk)
    out.append(comp.compress(suffix))
    crc = zlib.crc32(suffix, crc)
    length += len(suffix)
    out.append(comp.flush())
    return b"".join(out), length, crc


def zip_with_raw_member(parts, name, stream, length, crc, stated_size=None):
    """A zip of ``parts`` plus ``name`` holding the raw deflate ``stream`` (``length`` bytes
    unpacked); ``stated_size`` makes both headers state that size instead of the truth."""
    size = length if stated_size is None else stated_size
    out = io.BytesIO()
    central = []
    for part_name, content in [*parts.items(), (name, None)]:
        if content is None:
            data, raw_crc, raw_size, method = stream, crc, size, 8
        else:
            comp = zlib.compressobj(6, zlib.DEFLATED, -15)
            data = comp.compress(content) + comp.flush()
            raw_crc, raw_size, method = zlib.crc32(content), len(content), 8
        encoded = part_name.encode()
        offset = out.tell()
        # The fields a local header and its central directory entry share: version needed,
        # flags, method, time, date, CRC-32, compressed and raw sizes, name and extra lengths.
        shared = (20, 0, method, 0, 0, raw_crc, len(data), raw_size, len(encoded), 0)
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *shared))
        out.write(encoded)
        out.write(data)
        central.append(
            struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *shared, 0, 0, 0, 0, offset) + encoded
        )
    start = out.tell()
    for entry in central:
        out.write(entry)
    end = out.tell()
    out.write(
        struct.pack(
            "<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), end - start, start, 0
        )
    )
    return out.getvalue()


def shared_string_bomb(unpacked_mb=200, stated_size=None):
    """An XLSX whose one shared string unpacks to ``unpacked_mb`` MB (the file is a few hundred
    KB); ``stated_size`` makes its zip headers lie about that part's size."""
    base = members(xlsx([DOSSIER_HEADER, ["HS-1", "1.001108", "01/01/2024", "truc_tiep"]]))
    base.pop("xl/sharedStrings.xml", None)
    prefix = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>'
    )
    stream, length, crc = _deflated(prefix, b"A", unpacked_mb * 1024 * 1024, b"</t></si></sst>")
    return zip_with_raw_member(base, "xl/sharedStrings.xml", stream, length, crc, stated_size)


def billion_laughs():
    """An XLSX whose sheet XML declares nested entities (the "billion laughs")."""
    entities = '<!ENTITY lol0 "lollollollollollollollollollol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, 10)
    )
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE worksheet [{entities}]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        "</sheetData></worksheet>"
    ).encode()
    return with_part(xlsx([DOSSIER_HEADER]), "xl/worksheets/sheet1.xml", sheet)


def malformed_sheet():
    """An XLSX whose sheet XML is cut off in the middle of an element."""
    good = members(xlsx([DOSSIER_HEADER, ["HS-1", "1.001108", "01/01/2024", "truc_tiep"]]))
    sheet = good["xl/worksheets/sheet1.xml"]
    return with_part(xlsx([DOSSIER_HEADER]), "xl/worksheets/sheet1.xml", sheet[: len(sheet) // 2])


def _address_space_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def run_in_child(function, headroom_mb=400):
    """Run ``function()`` in a forked child whose address space may grow by ``headroom_mb`` MB
    at most (``resource.setrlimit``); return ``(result, peak_growth_mb)``: the function's
    (picklable) result and how far the child's resident memory peaked above where it started.
    A child that dies (killed by the limit) or raises makes this raise ``AssertionError``."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        code = 0
        try:
            os.close(read_end)
            limit = _address_space_bytes() + headroom_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            try:
                result = ("ok", function())
            except BaseException as e:  # noqa: BLE001 - reported to the parent
                result = ("error", f"{type(e).__name__}: {e}")
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            payload = pickle.dumps((result, (peak - before) / 1024))
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert payload, f"the child died (status {status}): the guard let the file through"
    (kind, result), growth = pickle.loads(payload)
    assert kind == "ok", f"the child raised {result}"
    return result, growth
