"""The words of an alert (subject and body), in the rule's language."""

from __future__ import annotations

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dangol.feedback import selectors as feedback_selectors
from dangol.insights.models import AlertEvent, Condition, Metric


def describe(event: AlertEvent, language: str) -> tuple[str, str]:
    """(subject, body) of an alert in ``language``."""
    rule = event.rule
    with translation.override(language):
        metric = str(Metric(rule.metric).label)
        unit = "%" if rule.metric in {Metric.RESPONSE_RATE, Metric.THEME_NEGATIVE} else ""
        value = "—" if event.value is None else f"{event.value:.1f}{unit}"
        baseline = "—" if event.baseline is None else f"{event.baseline:.1f}{unit}"
        prefix = _("[Test] ") if event.is_test else ""
        subject = prefix + _("Alert: %(rule)s — %(metric)s is %(value)s") % {
            "rule": rule.name, "metric": metric, "value": value}
        lines = [
            _("%(metric)s was %(value)s from %(start)s to %(end)s (%(n)s answers); "
              "%(baseline)s in the window before (%(baseline_n)s answers).") % {
                "metric": metric, "value": value, "baseline": baseline, "n": event.n,
                "baseline_n": event.baseline_n,
                "start": timezone.localtime(event.window_start).strftime("%Y-%m-%d"),
                "end": timezone.localtime(event.window_end).strftime("%Y-%m-%d")},
        ]
        if rule.condition == Condition.THRESHOLD and rule.threshold is not None:
            lines.append(_("Threshold: %(threshold)s.") % {
                "threshold": f"{rule.threshold:g}{unit}"})
        if event.p_value is not None:
            lines.append(_("p-value of the change: %(p)s (confidence %(confidence)s%%).") % {
                "p": f"{event.p_value:.4f}", "confidence": f"{rule.confidence * 100:g}"})
        labels = feedback_selectors.theme_labels(language)
        for found in event.detail.get("themes", [])[:5]:
            lines.append(_("Theme %(theme)s: %(value)s (before: %(baseline)s), p = %(p)s") % {
                "theme": labels.get(found["theme"], found["theme"]),
                "value": f"{found['value']:.1f}", "baseline": f"{found['baseline']:.1f}",
                "p": f"{found['p_value']:.4f}"})
        if event.is_test:
            lines.append(_("This is a test sent from the rule's page; the condition may not "
                           "hold."))
    return subject.replace("\n", " "), "\n".join(lines)
