from django import forms
from django.utils.translation import gettext_lazy as _

from dangol.accounts import permissions


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    scopes = forms.MultipleChoiceField(label=_("Scopes"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: object, user: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["scopes"].choices = [  # type: ignore[attr-defined]
            (p.code, f"{p.code} — {p.label}") for p in permissions.all_permissions()
            if user.has_perm(p.code)  # type: ignore[attr-defined]
        ]


class StaffForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    name = forms.CharField(label=_("Name"), max_length=100)
    role = forms.ChoiceField(label=_("Role"), choices=permissions.Role.choices)
    password = forms.CharField(label=_("Initial password"), widget=forms.PasswordInput,
                               min_length=8)
