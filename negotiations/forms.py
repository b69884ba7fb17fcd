"""The dashboard's filters. They live in the URL's query string, so every view can be shared."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone

from negotiations.models import Actor, Issue, Party, ShiftKind, Statement
from negotiations.services import EDITABLE

DateInput = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class FilterForm(forms.Form):
    """Invalid values are reported and replaced by their defaults, never a dead page."""

    def value(self, name: str):
        self.is_valid()  # cleaned_data keeps the valid fields even when others are not
        cleaned = getattr(self, "cleaned_data", {}).get(name)
        if cleaned is None or cleaned == "" or (hasattr(cleaned, "__len__") and not len(cleaned)):
            return self.default(name)
        return cleaned

    def default(self, name: str):
        return None


class AsOfForm(FilterForm):
    on = forms.DateField(required=False, widget=DateInput, label="As of")
    recent = forms.IntegerField(
        required=False, min_value=1, max_value=3650, label="Mark changes of the last (days)"
    )
    suggested = forms.BooleanField(required=False, label="Include suggestions")

    def __init__(self, data, **kwargs) -> None:
        # Show the effective date and window in the inputs, not empty boxes.
        data = data.copy()
        for name in ("on", "recent"):
            if not data.get(name):
                data[name] = str(self.default(name))
        super().__init__(data, **kwargs)

    def default(self, name: str):
        if name == "on":
            return timezone.localdate()
        if name == "recent":
            return 30
        return False


class PeriodForm(FilterForm):
    since = forms.DateField(required=False, widget=DateInput)
    until = forms.DateField(required=False, widget=DateInput)
    party = forms.ModelMultipleChoiceField(
        queryset=Party.objects.all(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    suggested = forms.BooleanField(required=False, label="Include suggestions")

    def default(self, name: str):
        return False if name == "suggested" else None

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error(None, "The period ends before it begins: showing the default period.")
            cleaned.pop("since")
            cleaned.pop("until")
        return cleaned


class ShiftFilterForm(FilterForm):
    party = forms.ModelMultipleChoiceField(
        queryset=Party.objects.all(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    issue = forms.ModelMultipleChoiceField(
        queryset=Issue.objects.all(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    kind = forms.MultipleChoiceField(
        choices=ShiftKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    since = forms.DateField(required=False, widget=DateInput)
    until = forms.DateField(required=False, widget=DateInput)
    suggested = forms.BooleanField(required=False, label="Include suggestions")
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def default(self, name: str):
        return 1 if name == "page" else False if name == "suggested" else None


def default_period(bounds: tuple[date, date] | None) -> tuple[date, date]:
    """The last year with statements, up to today at the latest."""
    today = timezone.localdate()
    last = min(bounds[1], today) if bounds else today
    first = bounds[0] if bounds else last - timedelta(days=365)
    return max(first, last - timedelta(days=365)), last


class ExportForm(ShiftFilterForm):
    bom = forms.BooleanField(required=False, label="UTF-8 with BOM (for spreadsheets)")


class SummaryForm(FilterForm):
    on = forms.DateField(required=False, widget=DateInput, label="As of")
    since = forms.DateField(required=False, widget=DateInput, label="What changed since")
    party = forms.ModelMultipleChoiceField(
        queryset=Party.objects.all(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    issue = forms.ModelMultipleChoiceField(
        queryset=Issue.objects.select_related("low_pole_party", "high_pole_party"),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def default(self, name: str):
        return timezone.localdate() if name == "on" else None


class StatementForm(forms.ModelForm):
    """An editor's statement: the passage comes as offsets into the article's text."""

    value = forms.TypedChoiceField(
        coerce=int, choices=[(v, f"{v:+d}" if v else "0") for v in range(-2, 3)]
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Statement
        fields = list(EDITABLE)
        widgets = {
            "stated_on": DateInput,
            "quote_start": forms.HiddenInput,
            "quote_end": forms.HiddenInput,
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["speaker"].queryset = Actor.objects.select_related("party")
        self.fields["reported_by"].required = False

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("attribution") == "reported" and not cleaned.get("reported_by"):
            self.add_error("reported_by", "Name the party that reports this statement.")
        return cleaned

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class InboxForm(FilterForm):
    TABS = [
        ("new", "New"),
        ("in_progress", "In progress"),
        ("tagged", "Tagged"),
        ("processing", "Processing"),
        ("failed", "Failed"),
        ("duplicate", "Duplicate"),
    ]

    tab = forms.ChoiceField(choices=TABS, required=False, widget=forms.HiddenInput)
    q = forms.CharField(required=False, max_length=200, label="Search")
    source = forms.ModelChoiceField(queryset=None, required=False, empty_label="All sources")
    language = forms.CharField(required=False, max_length=8)
    since = forms.DateField(required=False, widget=DateInput, label="Published from")
    until = forms.DateField(required=False, widget=DateInput, label="to")
    party = forms.ModelChoiceField(
        queryset=Party.objects.all(), to_field_name="slug", required=False, empty_label="Any party"
    )
    issue = forms.ModelChoiceField(
        queryset=Issue.objects.all(), to_field_name="slug", required=False, empty_label="Any issue"
    )
    has_suggestions = forms.BooleanField(required=False, label="With suggestions")
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        from articles.models import Source

        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = Source.objects.all()

    def default(self, name: str):
        return {"tab": "new", "page": 1, "has_suggestions": False}.get(name)
