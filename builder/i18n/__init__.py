"""Translations: one source tree, gettext PO catalogs beside it, one translated model per language.

* ``segments`` cuts Markdown into translatable blocks (headings, paragraphs, list items, tables)
  and puts translated blocks back in place, so a changed paragraph invalidates only itself.
* ``extract`` walks the loaded course (and its Markdown files) into messages whose ``msgctxt`` is
  built from author ids and field paths (``unit:u-welcome/problem:p1/choices/2/text``).
* ``catalog`` writes the template, merges it into ``translations/<lang>.po`` and counts status.
* ``apply`` makes a translated copy of the model for one language (targets are unchanged).
* ``xliff`` converts catalogs to and from XLIFF 1.2 for CAT tools (translate-toolkit).
"""
