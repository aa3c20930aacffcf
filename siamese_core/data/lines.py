"""A CSV file's bytes as lines: where lines start, whether the first two are plain, and `RangeStream`, the
stream of a byte range that pandas parses, checking what it passes (quotes, UTF-8, fields per line)."""

from __future__ import annotations

import codecs
import io
from typing import IO

import numpy as np

from siamese_core.data.sniffing import CsvInput, CsvLayout

# Bytes handed to pandas per read of a range: fewer reads, fewer waits for the GIL; larger ones cost memory.
READ_BYTES = 2 * 2**20

_LINE_FEED, _CARRIAGE_RETURN = np.uint8(ord("\n")), np.uint8(ord("\r"))


def plain_first_lines(header: bytes, first_row: bytes, layout: CsvLayout) -> bool:
    """True when the header is the first line, exactly as sniffed, and the first data row is a full line.

    Neither has a quote character (with one, a line break may sit inside a value), both are UTF-8, and the
    first data row has the header's number of fields: one more, and pandas takes the first column for the
    index (in every range, which is parsed after it); none, and pandas skips it as blank.
    """
    if b'"' in header + first_row or not header.endswith(b"\n") or not first_row.endswith(b"\n"):
        return False
    names = header.removeprefix(codecs.BOM_UTF8).removesuffix(b"\n").removesuffix(b"\r")
    row = first_row.removesuffix(b"\n").removesuffix(b"\r")
    if b"\r" in names or b"\r" in row or row.count(layout.delimiter.encode()) != len(layout.columns) - 1:
        return False
    try:
        row.decode("utf-8")
        return names.decode("utf-8").split(layout.delimiter) == layout.raw_columns
    except UnicodeDecodeError:
        return False


def line_starts(stream: IO[bytes], start: int, stop: int, n_ranges: int) -> list[int]:
    """About `n_ranges` + 1 offsets from `start` to `stop` that begin lines, cutting the bytes evenly."""
    offsets = [start]
    for cut in range(1, n_ranges):
        stream.seek(start + (stop - start) * cut // n_ranges)
        stream.readline()
        if offsets[-1] < stream.tell() < stop:
            offsets.append(stream.tell())
    return [*offsets, stop]


class RangeStream(io.BufferedIOBase):
    """`prefix`, then the bytes [start, stop) of a file, as a binary stream that checks what it passes.

    A read hands over about `READ_BYTES` of whole lines, whatever size is asked for: pandas' C parser takes
    the GIL for each read of its source (256 KiB by default), and it parses whatever a read returns.

    `plain` stays True while the bytes are UTF-8 without a quote character, and, with `check_fields`, every
    line has the header's number of fields (`_misshapen_line`; the prefix is not checked). pandas reads
    them as UTF-8 without decoding them first (the careful read decodes the whole file), so invalid bytes in
    a column that it skips would otherwise go unnoticed; ASCII, the usual case, takes one fast scan. Nor
    does it say when a row has too few fields (it adds empty cells), or, given `usecols`, too many.
    """

    def __init__(
        self,
        inp: CsvInput,
        layout: CsvLayout,
        prefix: bytes,
        start: int,
        stop: int,
        check_fields: bool = True,
    ) -> None:
        super().__init__()
        self._file = inp.open_binary()
        self._file.seek(start)
        self._prefix = prefix
        self._left = stop - start
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._delimiter = layout.delimiter
        self._n_fields = len(layout.columns) if check_fields else None
        self.plain = True

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if self._prefix:
            data, self._prefix = self._prefix, b""
            return data
        data = self._file.read(min(READ_BYTES, self._left))
        if data and not data.endswith(b"\n") and len(data) < self._left:
            # Whole lines: pandas loses the spaces that begin a line when a read ends among them.
            data += self._file.readline(self._left - len(data))
        self._left = self._left - len(data) if data else 0
        if b'"' in data or (self._n_fields and _misshapen_line(data, self._delimiter, self._n_fields)):
            self.plain = False
        if not data.isascii() or self._decoder.getstate()[0]:
            try:
                self._decoder.decode(data, final=not self._left)
            except UnicodeDecodeError:
                self.plain = False
        return data

    read1 = read

    def close(self) -> None:
        self._file.close()
        super().close()


def _misshapen_line(data: bytes, delimiter: str, n_fields: int) -> bool:
    """Whether a line of `data` (whole lines, no quote character) has other than `n_fields` fields.

    Lines of nothing but spaces, tabs and a carriage return, which pandas skips, do not count. A carriage
    return alone, which ends a line for pandas, counts: the lines here end at line feeds.
    """
    if not data:
        return False
    text = np.frombuffer(data, dtype=np.uint8)
    if b"\r" in data:
        after = np.flatnonzero(text == _CARRIAGE_RETURN) + 1
        if after[-1] == len(text) or (text[after] != _LINE_FEED).any():
            return True
    starts = np.concatenate([[0], np.flatnonzero(text[:-1] == _LINE_FEED) + 1])  # of each line
    # One vectorised pass over the bytes as uint8, far cheaper than parsing them.
    separators = np.add.reduceat((text == ord(delimiter)).view(np.uint8), starts, dtype=np.int64)
    odd = separators != n_fields - 1
    if not odd.any():
        return False
    visible = ~np.isin(text, np.frombuffer(b" \t\r\n", dtype=np.uint8))
    return bool((odd & ((separators > 0) | (np.add.reduceat(visible, starts, dtype=np.int64) > 0))).any())
