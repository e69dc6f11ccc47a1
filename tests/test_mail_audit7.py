"""Audit 7: bounded cost on big mail everywhere (forget's look into and scrubbing of a saved
message), the zip member limit as a setting, forget's times and its rerun's words."""

from __future__ import annotations

import pytest

ANNA = "anna.virtanen@kuhmo.fi"


def _big_reply(size: int) -> bytes:
    import os
    from email.message import EmailMessage
    from email.policy import SMTP

    message = EmailMessage()
    message["From"] = f"Anna Virtanen <{ANNA}>"
    message["To"] = "kysely@kulttuuri.fi"
    message["Subject"] = "Vastaus"
    message["Message-ID"] = "<iso-7@kuhmo.fi>"
    message.set_content("Liitteenä vastauksemme.\n\nAnna Virtanen\n040 111 2233\n")
    message.add_attachment(os.urandom(size), maintype="application",
                           subtype="octet-stream", filename="liite.bin")
    return message.as_bytes(policy=SMTP)


# --- 1. forget reads a big saved message at a bounded cost -------------------------------------


def test_forget_looks_into_and_scrubs_a_big_message_parsed_once_in_slices(monkeypatch):
    """A 43 MB reply saved under outputs/mailbox/ took forget to 491 MB (RSS): looking for the
    address casefolded the whole message read as Latin-1 and as UTF-16 (13 bytes a character
    while it works), then scrubbing parsed it whole with ``message_from_bytes`` (~9 times its
    size). Now the address is looked for a slice at a time and the message parsed once, fed
    in slices; what is scrubbed is the same."""
    import tracemalloc
    from email import message_from_bytes

    from mail_support import count_whole_parses

    from yhteistuumin_survey.privacy import AddressMatcher, _Finder, _Scrubber, scrub_blob

    data = _big_reply(6 * 1024 * 1024)
    matcher = AddressMatcher(ANNA)
    whole = count_whole_parses(monkeypatch)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        found = _Finder(matcher).find("1-1.eml", data)
        looked = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        blob = scrub_blob("1-1.eml", data, _Scrubber(matcher, "erased@invalid"), set())
        scrubbed = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert found == (True, "")
    assert blob.mentions and not blob.opaque and ANNA.encode() not in blob.data
    assert len(whole) == 1
    assert looked < len(data), f"looking: {looked / len(data):.1f} times the message"
    assert scrubbed < 4 * len(data), f"scrubbing: {scrubbed / len(data):.1f} times the message"
    # Only the person went: the attachment is as it came.
    before, after = message_from_bytes(data), message_from_bytes(blob.data)
    assert [part.get_payload(decode=True) for part in before.walk()][-1] == \
        [part.get_payload(decode=True) for part in after.walk()][-1]
    assert "erased@invalid" in after["From"]


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16-le"])
def test_the_address_is_found_in_long_bytes_read_in_slices_as_when_read_whole(
        monkeypatch, encoding):
    """Read a slice at a time, the address is found wherever it lies across a cut, once; an
    address that is only part of a longer one (cut off by a slice's end or start) is not
    taken for hers."""
    from yhteistuumin_survey import privacy

    matcher = privacy.AddressMatcher(ANNA)
    texts = [ANNA, f"x{ANNA}", f"{ANNA}.evil.example", f"mailto:{ANNA}?subject=x",
             "anna.virtanen%40kuhmo.fi", "?to=anna.virtanen%40kuhmo.fi"]
    for text in texts:
        expected = matcher.mentions(text)
        for offset in range(0, 200, 3):
            data = ("." * offset + " " + text + " " + "." * 300).encode(encoding)
            monkeypatch.setattr(privacy, "_BYTES_SLICE", 1 << 30)
            whole = matcher.mentions_bytes(data)
            monkeypatch.setattr(privacy, "_BYTES_SLICE", 64)
            monkeypatch.setattr(privacy, "_BYTES_AROUND", 128)
            assert matcher.mentions_bytes(data) == whole == expected, (text, offset)
            monkeypatch.setattr(privacy, "_BYTES_AROUND", 4096)
    # A text folded a slice at a time finds the local part across a cut.
    monkeypatch.setattr(privacy, "_FOLD_SLICE", 16)
    for offset in range(40):
        assert matcher.could_be_in("ß" * offset + ANNA.upper() + "ß" * 40)
    assert not matcher.could_be_in("ß" * 100 + "anna.virtane" + "ß" * 100)


# --- 2. the zip member limit is a setting ------------------------------------------------------


def test_the_zip_member_limit_is_a_setting_written_by_init_and_named_by_the_refusal(
        workspace, engine, tmp_path):
    """300 MB a file inside a zip may expand to was a constant; now ``[limits]
    max_member_mb``, in the config init writes (commented, at 300) and in the line that
    refuses a workbook over it; a workbook under it is read as before."""
    import re
    import secrets

    from ingest_support import run_ingest
    from openpyxl import Workbook

    from yhteistuumin_survey.tables import read_workbook

    path = tmp_path / "vastaus.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.append(["Käytännön nimi", "Toteuttaminen"])
    for n in range(2500):
        sheet.append([f"Käytäntö {n}", secrets.token_hex(300)])  # 1.5 MB of strings, no bomb
    book.save(path)
    assert len(read_workbook(path)[0].rows) == 2501  # 300 MB by default

    config = workspace.root / "yhteistuumin.toml"
    text = config.read_text(encoding="utf-8")
    assert "# max_member_mb = 300" in text
    config.write_text(text.replace("# max_member_mb = 300", "max_member_mb = 1"),
                      encoding="utf-8")
    result = run_ingest([path], engine=engine, workspace=workspace)
    row = result.rows()[0]
    assert row["outcome"] == "error", row
    assert re.search(r"vastaus\.xlsx: xl/\S+ expands to 1\.\d MB \(\d-fold; a zip bomb\?\), "
                     r"over the 1 MB limit \(\[limits\] max_member_mb\); not opened$",
                     row["reason"]), row["reason"]
