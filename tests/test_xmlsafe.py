"""Reading XML back never expands entities or fetches anything."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from builder import xmlsafe


def test_external_entities_are_not_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    doc = f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]><r>&x;</r>'.encode()
    root = xmlsafe.parse(doc)
    assert b"TOP-SECRET" not in etree.tostring(root)
    assert "TOP-SECRET" not in (root.xpath("string()") or "")


def test_billion_laughs_does_not_expand() -> None:
    doc = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><r>&c;</r>'
    )
    root = xmlsafe.parse(doc)
    assert etree.tostring(root) == b"<r>&c;</r>", "the entity must stay a reference in the parsed tree"


def test_the_reused_parser_stays_safe_after_errors_and_in_other_threads() -> None:
    """``parse`` keeps one parser per thread: a malformed file must not leave it in a state that
    expands the next file's entities, and each thread must get its own."""
    import threading

    import pytest

    bomb = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><r>&b;</r>'
    with pytest.raises(etree.XMLSyntaxError):
        xmlsafe.parse(b"<r><unclosed></r>")
    assert etree.tostring(xmlsafe.parse(bomb)) == b"<r>&b;</r>"
    assert xmlsafe.parse(b"<r>1</r>").text == "1"
    seen: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: seen.append(etree.tostring(xmlsafe.parse(bomb)))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [b"<r>&b;</r>"] * 4
