"""capa ``<problem>`` → a ```` ```problem ```` block of the five types, or the reason it cannot be one.

A problem converts when it holds exactly one response of the five types coursepack models
(``multiplechoiceresponse`` single, ``choiceresponse`` multiple, ``numericalresponse`` numeric with
a number and tolerance, ``stringresponse`` text with case rule and additional answers,
``optionresponse`` dropdown) and no script; the result is validated against the same schema the
loader uses. Anything else (several responses, custom Python, formulas, regexp answers, ranges…)
is returned as a reason, and the caller keeps the problem as a pass-through ```` ```olx ```` block.
Details a converted problem cannot keep (compound hints, per-answer hints of text and numeric
problems, showanswer…) are reported as dropped.
"""

from __future__ import annotations

import re
from html import escape as html_escape
from typing import Any

from lxml import etree
from pydantic import ValidationError

from builder.importer.olx.html import inline_markdown
from builder.importer.olx.report import ImportReport
from builder.importer.olx.static import StaticFiles
from builder.source.schema import ProblemBlock

RESPONSES = {
    "multiplechoiceresponse": "single",
    "choiceresponse": "multiple",
    "numericalresponse": "numeric",
    "stringresponse": "text",
    "optionresponse": "dropdown",
}
OTHER_RESPONSES = {
    "customresponse", "formularesponse", "coderesponse", "schematicresponse", "imageresponse",
    "symbolicresponse", "javascriptresponse", "annotationresponse", "choicetextresponse",
    "truefalseresponse", "externalresponse",
}  # fmt: skip
KEPT_ATTRS = {
    "display_name",
    "weight",
    "max_attempts",
    "url_name",
    "markdown",
    "tags-v1",
    "learning_outcomes",
}
DEFAULT_ATTRS = {"showanswer": {"finished", ""}, "rerandomize": {"never", "false", ""}}
INPUT_TAGS = {"choicegroup", "checkboxgroup", "optioninput", "textline", "formulaequationinput"}
SKIP_IN_PROMPT = {"solution", "demandhint", "script", "responseparam", "additional_answer",
                  "correcthint", "stringequalhint", "compoundhint", "hintgroup"}  # fmt: skip


class NotConvertible(Exception):
    """The problem is kept as a pass-through block; the message says why."""


def _inner_html(el: etree._Element, skip: set[str] = frozenset()) -> str:  # type: ignore[assignment]
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.tag in skip:
            parts.append(child.tail or "")
            continue
        parts.append(etree.tostring(child, encoding="unicode", with_tail=True))
    return "".join(parts).strip()


def _bool(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


class ProblemReader:
    def __init__(self, static: StaticFiles, report: ImportReport):
        self.static = static
        self.report = report

    def md(self, html: str, where: str) -> str:
        return inline_markdown(html, self.static, self.report, where) if html.strip() else ""

    def read(self, problem: etree._Element, block_id: str, where: str) -> dict[str, Any]:
        """The ```problem YAML mapping for ``problem``; raises NotConvertible."""
        if problem.find(".//script") is not None:
            raise NotConvertible("it runs a script (custom Python or JavaScript grading)")
        responses = [
            el for el in problem.iter()
            if isinstance(el.tag, str) and (el.tag in RESPONSES or el.tag in OTHER_RESPONSES)
        ]  # fmt: skip
        if not responses:
            raise NotConvertible("it has no response type coursepack knows")
        if len(responses) > 1:
            kinds = ", ".join(sorted({r.tag for r in responses}))
            raise NotConvertible(f"it has {len(responses)} responses ({kinds}); a coursepack problem has one")
        response = responses[0]
        if response.tag not in RESPONSES:
            raise NotConvertible(f"<{response.tag}> is not one of the five problem types")
        kind = RESPONSES[response.tag]
        data: dict[str, Any] = {
            "id": block_id,
            "type": kind,
            "title": problem.get("display_name") or "Question",
        }
        data["prompt"] = self._prompt(problem, response, where)
        if not data["prompt"]:
            raise NotConvertible("it has no question text")
        getattr(self, f"_{kind}")(response, data, where)
        hints = [self.md(_inner_html(h), where) for h in problem.iterfind("demandhint/hint")]
        if [h for h in hints if h]:
            data["hints"] = [h for h in hints if h]
        solutions = [self._solution(s, where) for s in problem.iter("solution")]
        if [s for s in solutions if s]:
            data["explanation"] = "\n\n".join(s for s in solutions if s)
        self._settings(problem, data, where)
        self._leftovers(problem, response, where)
        try:
            ProblemBlock.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise NotConvertible(f"it does not fit the {kind} type: {first['msg']}") from None
        return data

    # ---- parts

    def _prompt(self, problem: etree._Element, response: etree._Element, where: str) -> str:
        parts: list[str] = []
        for child in problem:
            if child is response:
                break
            if (
                isinstance(child.tag, str)
                and child.tag not in SKIP_IN_PROMPT
                and response not in child.iter()
            ):
                parts.append(etree.tostring(child, encoding="unicode", with_tail=False))
            elif child.tag != "script" and response in child.iter():
                # the response sits inside a wrapper (<div>, <p>): take the wrapper's text before it
                parts.append(child.text or "")
        for child in response:
            if not isinstance(child.tag, str):
                continue
            if child.tag in INPUT_TAGS:
                break
            if child.tag in ("label", "description", "p", "div", "legend", "span", "img", "pre", "table"):
                tag = "p" if child.tag in ("label", "description", "legend") else None
                html = (
                    _inner_html(child) if tag else etree.tostring(child, encoding="unicode", with_tail=False)
                )
                parts.append(f"<p>{html}</p>" if tag else html)
        if response.find("label") is None:
            for child in response:
                # older Studio problems carry the question as an attribute of the input
                if isinstance(child.tag, str) and child.tag in INPUT_TAGS and child.get("label"):
                    parts.append(f"<p>{html_escape(child.get('label', ''))}</p>")
        text = "".join(parts).strip()
        return self.md(text, where)

    def _leftovers(self, problem: etree._Element, response: etree._Element, where: str) -> None:
        """Report what a ```problem has no place for: text after the response, old-style hints."""
        after = False
        for child in problem:
            if child is response or (isinstance(child.tag, str) and response in child.iter()):
                after = True
                continue
            if after and isinstance(child.tag, str) and child.tag not in ("demandhint", "solution"):
                self.report.drop(
                    where, f"<{child.tag}> after the question", "a problem's text comes before it"
                )
        if problem.find(".//hintgroup") is not None:
            self.report.drop(where, "<hintgroup>", "old-style conditional hints are not modelled")

    def _solution(self, solution: etree._Element, where: str) -> str:
        body = solution.find("div[@class='detailed-solution']")
        return self.md(_inner_html(body if body is not None else solution), where)

    def _choice(self, choice: etree._Element, hint_tag: str, where: str) -> dict[str, Any]:
        text = self.md(_inner_html(choice, {hint_tag, "choicehint", "optionhint"}), where)
        entry: dict[str, Any] = {"text": text or choice.get("name", "")}
        value = (choice.get("correct") or "false").strip().lower()
        if value not in ("true", "false"):
            raise NotConvertible(f'a choice is correct="{value}" (partial credit)')
        if value == "true":
            entry["correct"] = True
        for hint in choice.iterfind(hint_tag):
            parent = choice.getparent()
            if (
                hint_tag == "choicehint"
                and parent is not None
                and parent.tag == "checkboxgroup"
                and hint.get("selected", "true").lower() != "true"
            ):
                self.report.drop(where, "a hint shown when a choice is left unselected", "not modelled")
                continue
            feedback = self.md(_inner_html(hint), where)
            if feedback:
                entry["feedback"] = feedback
        return entry

    def _single(self, response: etree._Element, data: dict[str, Any], where: str) -> None:
        group = response.find("choicegroup")
        if group is None:
            raise NotConvertible("multiplechoiceresponse without choicegroup")
        data["choices"] = [self._choice(c, "choicehint", where) for c in group.iterfind("choice")]
        if group.get("shuffle") or any(c.get("fixed") for c in group):
            self.report.drop(where, "choice shuffling", "choices keep their written order")

    def _multiple(self, response: etree._Element, data: dict[str, Any], where: str) -> None:
        group = response.find("checkboxgroup")
        if group is None:
            raise NotConvertible("choiceresponse without checkboxgroup")
        data["choices"] = [self._choice(c, "choicehint", where) for c in group.iterfind("choice")]
        if group.find("compoundhint") is not None or response.find(".//compoundhint") is not None:
            self.report.drop(where, "compound hints", "feedback for combinations of choices is not modelled")

    def _dropdown(self, response: etree._Element, data: dict[str, Any], where: str) -> None:
        group = response.find("optioninput")
        if group is None:
            raise NotConvertible("optionresponse without optioninput")
        options = list(group.iterfind("option"))
        if options:
            data["choices"] = [self._choice(o, "optionhint", where) for o in options]
            return
        # the older form: options="('a','b')" correct="a"
        values = [v.replace("\\'", "'") for v in re.findall(r"'((?:[^'\\]|\\.)*)'", group.get("options", ""))]
        if not values:
            raise NotConvertible("optioninput has no options")
        correct = group.get("correct", "")
        data["choices"] = [{"text": v, **({"correct": True} if v == correct else {})} for v in values]

    def _numeric(self, response: etree._Element, data: dict[str, Any], where: str) -> None:
        raw = (response.get("answer") or "").strip()
        try:
            data["answer"] = float(raw)
        except ValueError:
            raise NotConvertible(f"its answer `{raw}` is an expression or a range, not a number") from None
        param = response.find("responseparam[@type='tolerance']")
        if param is not None:
            tol = (param.get("default") or "0").strip().replace(" ", "")
            if not re.fullmatch(r"\d+(\.\d+)?%?", tol):
                raise NotConvertible(f"its tolerance `{tol}` is not a number or a percentage")
            if tol not in ("0", "0%"):
                data["tolerance"] = tol
        if data["answer"].is_integer():
            data["answer"] = int(data["answer"])
        for tag in ("correcthint", "additional_answer"):
            if response.find(tag) is not None:
                self.report.drop(
                    where, f"<{tag}>", "numeric problems have no per-answer feedback or extra answers"
                )

    def _text(self, response: etree._Element, data: dict[str, Any], where: str) -> None:
        flags = (response.get("type") or "").lower().split()
        if "regexp" in flags:
            raise NotConvertible("its answers are regular expressions")
        answers = [(response.get("answer") or "").strip()]
        for extra in response.iterfind("additional_answer"):
            answers.append((extra.get("answer") or extra.text or "").strip())
        data["answers"] = [a for a in answers if a]
        if "ci" not in flags:  # capa compares case-sensitively unless type says ci
            data["case_sensitive"] = True
        for tag in ("stringequalhint", "correcthint"):
            if response.find(f".//{tag}") is not None:
                self.report.drop(where, f"<{tag}>", "text problems have no per-answer feedback")

    def _settings(self, problem: etree._Element, data: dict[str, Any], where: str) -> None:
        attempts = (problem.get("max_attempts") or "").strip()
        if attempts and attempts.lower() not in ("null", "none"):
            try:
                value = int(float(attempts))
            except ValueError:
                value = 0
            if value >= 1:
                data["max_attempts"] = value
            else:
                self.report.drop(
                    where, f'max_attempts="{attempts}"', "not a positive number: attempts unlimited"
                )
        weight = (problem.get("weight") or "").strip()
        if weight and weight.lower() not in ("null", "none"):
            try:
                value_w = float(weight)
            except ValueError:
                value_w = -1
            if value_w > 0:
                if value_w != 1:
                    data["weight"] = int(value_w) if value_w.is_integer() else value_w
            else:
                self.report.drop(
                    where, f'weight="{weight}"', "weight must be above 0: the problem counts 1 point"
                )
        for name, value in sorted(problem.attrib.items()):
            if name in KEPT_ATTRS or value.strip().lower() in DEFAULT_ATTRS.get(name, ()):
                continue
            self.report.drop(where, f'{name}="{value}"', "a problem setting the source format does not carry")
