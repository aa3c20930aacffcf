"""Write the corpus of bad (and tricky but valid) input files in tests/data/bad/, and its manifest.

Run `python tests/data/make_bad_inputs.py` after changing a case below. `tests/test_bad_inputs.py` checks
that the files on disk are exactly what `build()` makes, then feeds every file to the loaders, the CLI
and the dashboard.

The manifest `bad/cases.csv` has one row per case:

- file: the file given to the loader (for pairs by reference: the pairs file);
- loader: "pairs" (`load_pair_csv`), "samples" (`load_samples_csv`) or "reference"
  (`load_pairs_by_reference`, with `samples` as the samples file);
- samples: the samples file of a "reference" case, else empty;
- expect: "error" (a `SiameseError` must be raised) or "loads" (the file must load);
- fragment: for errors, text the message must contain;
- names: the file the message must name (the pairs or the samples file of a reference case).

Every file is small except wide_20001_columns.csv (about 150 KB: 20,001 columns are the point) and
late_long_value.csv (about 140 KB: one value longer than the csv module's 128 KB limit). The late_ files
hold 300 valid rows, more than sniffing reads, before the row at fault on line 302.
"""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

BAD = Path(__file__).resolve().parent / "bad"
MANIFEST_FIELDS = ("file", "loader", "samples", "expect", "fragment", "names")

HEADER = "label,a_x,a_y,b_x,b_y"
ROWS = ["0,1,2,3,4", "1,5,6,7,8", "0,9,10,11,12", "1,13,14,15,16"]  # 2 similar + 2 dissimilar: trains
FORMULA = '"=HYPERLINK(""http://x"",""y"")"'  # as a CSV cell: =HYPERLINK("http://x","y")

SAMPLES_OK = "id,class,f0,f1\ns1,a,1,2\ns2,a,3,4\ns3,b,5,6\ns4,b,7,8\n"
REFERENCE_OK = "id_a,id_b,label\ns1,s2,0\ns3,s4,0\ns1,s3,1\ns2,s4,1\n"


@dataclass(frozen=True)
class Case:
    """One input file and what loading it must do."""

    file: str
    content: bytes
    fragment: str = ""  # empty: the file must load
    loader: str = "pairs"
    samples: str = ""  # the samples file of a "reference" case
    names: str = ""  # the file the message names; defaults to `file`

    @property
    def expect(self) -> str:
        return "error" if self.fragment else "loads"


def text(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


LATE_HEADER = "label,note,a_x,b_x"
LATE_ROWS = [f"{i % 2},n{i},{i},{i}.5" for i in range(300)]


def late(row: str, rows: list[str] = LATE_ROWS, header: str = LATE_HEADER) -> bytes:
    """300 valid rows with an ignored column (more rows than sniffing reads), then `row`, on line 302."""
    return text(header, *rows, row)


def pairs_with(row: int, column: int, value: str) -> bytes:
    """The valid four-pair file with one cell replaced (row 0 is the first data row)."""
    rows = [line.split(",") for line in ROWS]
    rows[row][column] = value
    return text(HEADER, *(",".join(cells) for cells in rows))


def xlsx_like() -> bytes:
    """A zip holding the first entries of an .xlsx workbook (fixed timestamps, so the bytes are stable)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, body in [
            ("[Content_Types].xml", '<?xml version="1.0"?><Types/>'),
            ("xl/workbook.xml", '<?xml version="1.0"?><workbook/>'),
        ]:
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), body)
    return buffer.getvalue()


def wide(n_features: int) -> bytes:
    """label plus n_features columns per side (a_0, b_0, ... in hexadecimal), one pair."""
    names = [f"{side}_{i:x}" for side in "ab" for i in range(n_features)]
    return text(",".join(["label", *names]), ",".join(["0"] + ["1"] * len(names)))


def cases() -> list[Case]:
    """Every case, in the order of the manifest."""
    pairs = text(HEADER, *ROWS)
    return [
        # Not a CSV at all
        Case("empty.csv", b"", "is empty"),
        Case("whitespace_only.csv", b"  \n\t\n \r\n", "is empty"),
        Case("header_only.csv", text(HEADER), "has a header but no data rows"),
        Case(
            "binary_junk.csv",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01\xff\xfe",
            "looks like a binary file",
        ),
        Case(
            "latin1.csv",
            "label,a_x,b_x,note\n0,1,2,café\n".encode("latin-1"),
            "is not UTF-8 text (invalid byte 0xe9",
        ),
        Case("utf16.csv", f"{HEADER}\n{ROWS[0]}\n".encode("utf-16"), "is UTF-16 text"),
        Case(
            "utf16le_no_bom.csv",
            f"{HEADER}\n{ROWS[0]}\n".encode("utf-16-le"),
            "looks like UTF-16 text without a byte order mark",
        ),
        Case("workbook.xlsx", xlsx_like(), "looks like an Excel workbook (.xlsx)"),
        Case(
            "old_workbook.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(24), "old Excel workbook (.xls)"
        ),
        Case("compressed.csv.gz", gzip.compress(pairs, mtime=0), "is gzip-compressed"),
        # Header and shape
        Case("one_column.csv", text("label", "0", "1", "0", "1"), "has only one column ('label')"),
        Case(
            "pipe_separated.csv",
            text(HEADER.replace(",", "|"), *(r.replace(",", "|") for r in ROWS)),
            "it seems to be separated by '|'",
        ),
        Case(
            "duplicate_columns.csv",
            text("label,a_x,b_x,a_x", "0,1,2,3", "1,4,5,6"),
            "has duplicate column names: 'a_x' (columns 2, 4)",
        ),
        Case(
            "unnamed_index_column.csv",
            text("," + HEADER, *(f"{i}," + r for i, r in enumerate(ROWS))),
            "column 1 of the header has no name",
        ),
        Case("no_header.csv", text(*ROWS), "the first line looks like data, not column names"),
        Case(
            "unequal_sides.csv",
            text("label,a_x,a_y,b_x", "0,1,2,3", "1,4,5,6"),
            "sides of unequal width: left has 2 columns, right has 1",
        ),
        Case(
            "no_sides.csv",
            text("is_duplicate,height,weight", "0,1,2", "1,3,4"),
            "has no columns for the two samples of a pair",
        ),
        Case("no_label_column.csv", text("a_x,b_x", "1,2", "3,4", "5,6", "7,8"), "has no label column"),
        Case("wide_20001_columns.csv", wide(10_000), "has 20,001 columns, more than the limit of 10,000"),
        Case("mixed_delimiters.csv", text("label,a_x,b_x", "0;1;2", "1;3;4"), "mixed delimiters"),
        Case(
            "ragged_row.csv",
            text(HEADER, ROWS[0], ROWS[1] + ",99", *ROWS[2:]),
            "line 3 has 6 fields but the header has 5",
        ),
        Case("unclosed_quote.csv", text(HEADER, ROWS[0], '1,"5,6,7,8', *ROWS[2:]), "is never closed"),
        # Rows of another shape after the rows sniffed: pandas would pad them or (with an ignored column)
        # drop their extra fields, so values would shift or a row would read as empty cells.
        Case(
            "late_extra_field.csv",
            late("0,3,5,1.0,2.0"),
            "late_extra_field.csv, row 301 (line 302): line 302 has 5 fields but the header has 4; look for "
            "an unquoted ',' inside a value or an extra one at the end of the line",
        ),
        Case(
            "late_missing_field.csv",
            late("0,n,5"),
            "late_missing_field.csv, row 301 (line 302): line 302 has 3 fields but the header has 4; a value "
            "or a ',' is missing: write 4 fields separated by ',' on every line (an empty cell is a field "
            "too), or remove the line",
        ),
        Case(
            "late_semicolon_row.csv",
            late("0;n;5;6"),
            "late_semicolon_row.csv, row 301 (line 302): mixed delimiters: the header is separated by ',' "
            "(4 columns) but line 302 is separated by ';' (4 fields); use the same delimiter on every line",
        ),
        Case(
            "late_unquoted_comma.csv",
            late("0,n, with a comma,5,6", [*LATE_ROWS[:150], '1,"n, quoted",150,150.5', *LATE_ROWS[151:]]),
            "late_unquoted_comma.csv, row 301 (line 302): line 302 has 5 fields but the header has 4; look "
            "for an unquoted ',' inside a value or an extra one at the end of the line",
        ),
        Case(  # a quoted value longer than the csv module's limit (128 KB) ends no check
            "late_long_value.csv",
            late("0,3,5,1.0,2.0", [*LATE_ROWS[:100], f'0,"{"n" * 140_000}",100,100.5', *LATE_ROWS[101:]]),
            "late_long_value.csv, row 301 (line 302): line 302 has 5 fields but the header has 4; look for "
            "an unquoted ',' inside a value or an extra one at the end of the line",
        ),
        # Values
        Case("text_in_feature.csv", pairs_with(2, 3, "abc"), "value 'abc' is not a number"),
        Case(
            "formula_in_feature.csv",
            pairs_with(1, 1, FORMULA),
            """value '=HYPERLINK("http://x","y")' is not a number""",
        ),
        Case("empty_cell.csv", pairs_with(1, 2, ""), "1 of 4 rows has missing values (empty cells)"),
        Case("nan_literal.csv", pairs_with(3, 4, "nan"), "1 of 4 rows has missing values (empty cells)"),
        Case("inf.csv", pairs_with(0, 1, "inf"), "value inf is infinite"),
        Case("minus_inf.csv", pairs_with(2, 4, "-inf"), "value -inf is infinite"),
        Case("overflow_1e308.csv", pairs_with(3, 2, "1e308"), "value 1e308 is too large for 32-bit floats"),
        Case(
            "decimal_comma_in_comma_file.csv",
            text(HEADER, ROWS[0], '1,"5,5",6,7,8', *ROWS[2:]),
            "value '5,5' is not a number (write 5.5: in a comma-separated file the decimal mark is '.')",
        ),
        Case(
            "late_decimal_point.csv",
            late("0;2.5;1,25", [f"{i % 2};{i},5;{i},25" for i in range(300)], "label;a_x;b_x"),
            "late_decimal_point.csv, column 'a_x', row 301 (line 302): value '2.5' is not a number (write "
            "2,5: this file's decimal mark is ',', as in its first rows); feature values must be numbers; "
            "fix or remove that value",
        ),
        # Labels
        Case("label_two.csv", pairs_with(1, 0, "2"), "label value '2' (1 row, the first here) means neither"),
        Case(
            "label_maybe.csv",
            pairs_with(3, 0, "maybe"),
            "label value 'maybe' (1 row, the first here) means neither",
        ),
        # Shown with its escape sequences written out (\x1b: the dashboard's test drops backslashes).
        Case(
            "label_escape_sequence.csv",
            pairs_with(1, 0, "\x1b[31mRED\x1b[0m"),
            "x1b[0m' (1 row, the first here) means neither",
        ),
        Case(
            "label_5000_digits.csv",
            pairs_with(2, 0, "9" * 5000),
            f"label value '{'9' * 60}... (5,000 characters)' (1 row, the first here) means neither",
        ),
        Case(
            "label_all_empty.csv",
            text(HEADER, *("," + r.split(",", 1)[1] for r in ROWS)),
            "4 of 4 rows have missing values (empty cells)",
        ),
        Case(
            "single_class.csv",
            text(HEADER, *("0," + r.split(",", 1)[1] for r in ROWS)),
            "all 4 pairs are labelled similar",
        ),
        Case("two_rows.csv", text(HEADER, *ROWS[:2]), "has only 2 pairs (1 similar, 1 dissimilar)"),
        # Labeled samples
        Case(
            "samples_one_class.csv",
            text("class,f0,f1", "a,1,2", "a,3,4", "a,5,6"),
            "has only one class ('a', 3 samples)",
            "samples",
        ),
        Case(
            "samples_singletons.csv",
            text("class,f0,f1", "a,1,2", "b,3,4", "c,5,6"),
            "every one of the 3 classes has a single sample",
            "samples",
        ),
        Case(
            "samples_empty_features.csv",
            text("class,f0,f1", "a,,", "a,,", "b,,"),
            "has no feature values: f0, f1 are empty in every row",
            "samples",
        ),
        Case(
            "samples_text_feature.csv",
            text("class,f0,f1", "a,1,2", "a,3,x7", "b,5,6", "b,7,8"),
            "value 'x7' is not a number",
            "samples",
        ),
        # Pairs by reference
        Case(
            "reference_unknown_id.csv",
            text("id_a,id_b,label", "s1,s2,0", "s3,s4,0", "s1,zz,1", "s2,s4,1"),
            "id 'zz' is not in reference_samples.csv (column 'id'); 1 row of reference_unknown_id.csv refers",
            "reference",
            "reference_samples.csv",
        ),
        Case(
            "reference_pairs_ok.csv",
            REFERENCE_OK.encode(),
            "id 's2' appears 2 times (rows 2, 3)",
            "reference",
            "reference_duplicate_ids.csv",
            "reference_duplicate_ids.csv",
        ),
        # Tricky but valid: these must load
        Case("negative_zero.csv", pairs_with(0, 1, "-0.0")),
        Case("bom_semicolon.csv", b"\xef\xbb\xbf" + text(HEADER, *ROWS).replace(b",", b";")),
        Case(
            "decimal_comma.csv",
            text("label;a_x;a_y;b_x;b_y", "0;1,5;2;3,25;4", "1;5;6;7;8", "0;9;10;11;12", "1;13;14;15;16"),
        ),
        Case(
            "quoted_newline.csv",
            text(
                HEADER + ",note", *(r + f',"line one\nline {i}, with ""quotes"""' for i, r in enumerate(ROWS))
            ),
        ),
        Case("formula_in_ignored.csv", text(HEADER + ",note", *(f"{r},{FORMULA}" for r in ROWS))),
        Case(
            "html_column_names.csv",
            text(
                "label,a_<b>x</b>,b_<b>x</b>,<script>alert(1)</script>",
                *(f"{r.rsplit(',', 2)[0]},<i>hi</i>" for r in ROWS),
            ),
        ),
        Case(
            "markdown_column_names.csv",
            text(
                "label,a_**bold**,b_**bold**,[link](http://x)", *(f"{r.rsplit(',', 2)[0]},`x`" for r in ROWS)
            ),
        ),
    ]


def companions() -> dict[str, bytes]:
    """Samples files used by the pairs-by-reference cases."""
    return {
        "reference_samples.csv": SAMPLES_OK.encode(),
        "reference_duplicate_ids.csv": text("id,f0,f1", "s1,1,2", "s2,3,4", "s2,5,6", "s3,7,8", "s4,9,10"),
    }


def manifest(all_cases: list[Case]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MANIFEST_FIELDS)
    for case in all_cases:
        writer.writerow(
            [case.file, case.loader, case.samples, case.expect, case.fragment, case.names or case.file]
        )
    return out.getvalue().encode("utf-8")


def build() -> dict[str, bytes]:
    """File name -> bytes of everything in bad/, the manifest included."""
    all_cases = cases()
    files = {case.file: case.content for case in all_cases} | companions()
    if len(files) != len(all_cases) + len(companions()):
        raise ValueError("two cases share a file name")
    return files | {"cases.csv": manifest(all_cases)}


def main() -> None:
    BAD.mkdir(exist_ok=True)
    for name, content in build().items():
        (BAD / name).write_bytes(content)
    print(f"wrote {len(build())} files to {BAD}")


if __name__ == "__main__":
    main()
